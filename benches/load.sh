#!/usr/bin/env bash
# Load benchmark of the release build, side by side with the app's own stylesheet as the floor
# of the stack. Method and results: docs/BENCHMARKS.md. Not run by `cargo test` or CI.
#
#   benches/load.sh                 # defaults below
#   DURATION=5s ROWS=20000 benches/load.sh
#
# Needs wrk, curl and sqlite3 (Debian packages of those names), and about 4 minutes. The
# server inherits the environment: e.g. MALLOC_ARENA_MAX=2 benches/load.sh, as DEPLOYMENT.md
# sets it.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}       # each wrk run
CONNECTIONS=${CONNECTIONS:-64}  # concurrent connections for the throughput runs
THREADS=${THREADS:-2}           # wrk threads
ROWS=${ROWS:-100000}            # screenings seeded before the list page is measured
PORT=${PORT:-3999}
BENCH_DIR=${BENCH_DIR:-}        # where the database goes (default: a new temporary directory)
CSV_PATH=${CSV_PATH:-/screenings/export.csv}  # measured when it answers 200

for tool in wrk curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is missing (Debian: apt-get install $tool)" >&2; exit 1; }
done

bin="${CARGO_TARGET_DIR:-target}/release/screener"
echo "== building the release binary and the seeding helper"
cargo build --release --locked --bin screener
cargo bench --locked --bench seed --no-run 2>/dev/null || cargo bench --locked --bench seed --no-run

work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/screener-bench.XXXXXX")}
mkdir -p "$work"
db="sqlite://$work/bench.db"
base="http://127.0.0.1:$PORT"
password="bench password 1234"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  [ -n "$BENCH_DIR" ] || rm -rf "$work"
}
trap cleanup EXIT

for name in bench bench1 bench2 bench3 bench4; do
  printf '%s\n' "$password" | "$bin" user add "$name" --password-stdin --database "$db" >/dev/null
done
"$bin" serve --addr "127.0.0.1:$PORT" --database "$db" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "$base/healthz" >/dev/null || { echo "load.sh: the server did not start; see $work/server.log" >&2; exit 1; }

# Sign in as a browser would, keeping the session cookie; then read the form's CSRF token.
jar="$work/cookies"
token_in() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
login_token=$(curl -fs -c "$jar" -b "$jar" "$base/login" | token_in)
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
  --data-urlencode "username=bench" --data-urlencode "password=$password" \
  --data-urlencode "csrf_token=$login_token" "$base/login")
[ "$status" = 303 ] || { echo "load.sh: sign-in answered $status" >&2; exit 1; }
form=$(curl -fs -c "$jar" -b "$jar" "$base/screenings/new")
csrf=$(printf '%s' "$form" | token_in)
stylesheet=$(printf '%s' "$form" | grep -o '/static/app\.css?v=[0-9a-f]*' | head -1)
cookie="screener_session=$(awk '$6 == "screener_session" { print $7 }' "$jar")"
body="q1_concern_expressed=yes&q2_self_concern=no&q3_escape=exercise&q3_escape=pornography&q4_secrets=yes&q5_others_disturbed=declined&q6_shame=no&pattern=intense_periods&control=retained&escape_use=on&secrecy=on&csrf_token=$csrf"

# Four clinicians sign in at the same instant, each with a fresh session: the server hashes
# one password at a time (Argon2id, 19 MiB each), so its peak memory grows by one hash, not
# four. Measured by the peak RSS column from here on.
sign_in_at_once() {
  local i pids=()
  for i in 1 2 3 4; do
    (
      j="$work/jar$i"; rm -f "$j"
      t=$(curl -fs -c "$j" -b "$j" "$base/login" | token_in)
      curl -s -o /dev/null -w '%{http_code}\n' -c "$j" -b "$j" --data-urlencode "username=bench$i" \
        --data-urlencode "password=$password" --data-urlencode "csrf_token=$t" "$base/login" >"$work/signin$i"
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in 1 2 3 4; do
    [ "$(cat "$work/signin$i")" = 303 ] || { echo "load.sh: simultaneous sign-in $i answered $(cat "$work/signin$i")" >&2; exit 1; }
  done
}
rss_before_signins=$(awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server_pid/status")
start_ns=$(date +%s%N)
sign_in_at_once
signin_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

# The floor for durable submissions: single-row commits one after another, `synchronous=FULL`
# in WAL mode, by the sqlite3 shell on the same disk, measured now, in the same run.
raw_commits=${RAW_COMMITS:-2000}
raw_db="$work/raw-commits.db"
sqlite3 "$raw_db" 'PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >/dev/null
start_ns=$(date +%s%N)
{ echo 'PRAGMA synchronous=FULL;'; for i in $(seq "$raw_commits"); do echo "INSERT INTO t (v) VALUES ('row $i');"; done; } | sqlite3 "$raw_db"
raw_ns=$(( $(date +%s%N) - start_ns ))
raw_rate=$(awk -v n="$raw_commits" -v ns="$raw_ns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')

results="$work/results.md"
echo "| what | connections | requests/s | p50 | p99 | errors | server peak RSS so far |" >"$results"
echo "|---|---:|---:|---:|---:|---:|---:|" >>"$results"

# The server's peak resident memory so far (VmHWM).
peak_rss() { awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server_pid/status"; }

# run NAME CONNECTIONS wrk-arguments…: runs wrk and adds a row to the results.
run() {
  local name=$1 connections=$2
  shift 2
  echo "== $name ($connections connections, $DURATION)"
  local out
  out=$(wrk -t"$(( connections < THREADS ? connections : THREADS ))" -c"$connections" -d"$DURATION" --latency "$@")
  echo "$out"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { printf($2 < 100 ? "%.2f" : "%.0f", $2) }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { for (i = 3; i <= NF; i += 2) n += $i } END { print n + 0 }' <<<"$out")
  echo "| $name | $connections | $rps | $p50 | $p99 | $errors | $(peak_rss) |" >>"$results"
}

run "static stylesheet (floor)" "$CONNECTIONS" "$base$stylesheet"
run "form page GET /screenings/new" "$CONNECTIONS" -H "Cookie: $cookie" "$base/screenings/new"
COOKIE="$cookie" BODY="$body" run "durable submissions POST /screenings" "$CONNECTIONS" \
  -s benches/submit.lua "$base/screenings"

echo "== seeding $ROWS screenings through Store::save_screening (the server keeps running)"
cargo bench --locked --bench seed -- "$db" bench "$ROWS"
stored=$(sqlite3 "$work/bench.db" 'SELECT count(*) FROM screenings')
oldest=$(sqlite3 "$work/bench.db" 'SELECT review_code FROM screenings ORDER BY year, seq_in_year LIMIT 1 OFFSET 30')

run "list page, newest ($stored rows)" 1 -H "Cookie: $cookie" "$base/screenings"
run "list page, ?band=addicted" 1 -H "Cookie: $cookie" "$base/screenings?band=addicted"
run "list page, last page (keyset)" 1 -H "Cookie: $cookie" "$base/screenings?older_than=$oldest"
run "list page, newest ($stored rows)" "$CONNECTIONS" -H "Cookie: $cookie" "$base/screenings"
if curl -fs -o /dev/null -H "Cookie: $cookie" "$base$CSV_PATH"; then
  run "CSV export $CSV_PATH" 1 --timeout 60s -H "Cookie: $cookie" "$base$CSV_PATH"
else
  echo "== no CSV export at $CSV_PATH: skipped"
fi

# Four sign-ins at once again, now that the server has served everything above: the peak RSS
# must hold with the server at its largest, too.
rss_now=$(awk '/^VmRSS:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server_pid/status")
sign_in_at_once
echo "| four simultaneous sign-ins, at the end (RSS before: $rss_now) | 4 | | | | 0 | $(peak_rss) |" >>"$results"

peak=$(peak_rss)
echo
echo "== results ($(nproc) CPUs: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
cat "$results"
echo
echo "four simultaneous sign-ins: all 303 in $signin_ms ms; peak RSS before them $rss_before_signins"
echo "raw single-row synchronous=FULL commits (sqlite3, WAL, one after another): $raw_rate/s ($raw_commits in $(( raw_ns / 1000000 )) ms)"
rps_of() { awk -F'|' -v what="$1" 'index($2, what) { gsub(/ /, "", $4); print $4; exit }' "$results"; }
css=$(rps_of "static stylesheet"); form_rps=$(rps_of "form page"); posts=$(rps_of "durable submissions")
echo "form page / stylesheet: $(awk -v a="$form_rps" -v b="$css" 'BEGIN { printf "%.1f%%", 100 * a / b }')"
echo "durable submissions / raw commits: $(awk -v a="$posts" -v b="$raw_rate" 'BEGIN { printf "%.2f×", a / b }')"
echo "peak RSS of the server (VmHWM): $peak"
