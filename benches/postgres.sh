#!/usr/bin/env bash
# PostgreSQL benchmark of the release build (PRODUCT §7), all in one run so the numbers compare:
# pgbench inserting the app's row at 64 clients (the floor), then the app's durable
# submissions, form page and list page at 64 connections on one instance, the list page at
# ROWS rows, and two instances against one. Method and results: docs/BENCHMARKS.md. Not run
# by `cargo test` or CI.
#
#   benches/postgres.sh                     # defaults below
#   DURATION=5s ROWS=20000 PG=postgres://root@127.0.0.1:5432 benches/postgres.sh
#
# Needs wrk, curl, psql and pgbench (Debian: wrk curl postgresql-client), a PostgreSQL server
# where it may create and drop a database, and about 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROWS=${ROWS:-100000}
PORT=${PORT:-3997}
PORT2=$((PORT + 1))
PG=${PG:-${SCREENER_TEST_POSTGRES:-postgres://root@127.0.0.1:5432}}

for tool in wrk curl psql pgbench; do
  command -v "$tool" >/dev/null || { echo "postgres.sh: $tool is missing" >&2; exit 1; }
done

echo "== building the release binary and the seeding helper"
cargo build --release --locked --bin screener
cargo bench --locked --bench seed --no-run 2>/dev/null || cargo bench --locked --bench seed --no-run

name="screener_bench_$$"
db="$PG/$name"
work=$(mktemp -d "${TMPDIR:-/tmp}/screener-pgbench.XXXXXX")
password="bench password 1234"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q "$PG/postgres" -c "CREATE DATABASE $name" >/dev/null

printf '%s\n' "$password" | target/release/screener user add bench --password-stdin --database "$db" >/dev/null
printf '%s\n' "$password" | target/release/screener user add bench2 --password-stdin --database "$db" >/dev/null

start() { # start PORT: a server on the database; echoes its pid
  target/release/screener serve --addr "127.0.0.1:$1" --database "$db" >"$work/server-$1.out" 2>"$work/server-$1.log" &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$1/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$1/healthz" >/dev/null || { echo "postgres.sh: server on $1 did not start" >&2; exit 1; }
  pids+=("$pid")
}
start "$PORT"
base="http://127.0.0.1:$PORT"

token_in() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
answers="q1_concern_expressed=yes&q2_self_concern=no&q3_escape=exercise&q3_escape=pornography&q4_secrets=yes&q5_others_disturbed=declined&q6_shame=no&pattern=intense_periods&control=retained&escape_use=on&secrecy=on"
sign_in() { # sign_in USERNAME: sets cookie and body for that clinician
  local jar="$work/cookies-$1"
  local login_token status csrf
  login_token=$(curl -fs -c "$jar" -b "$jar" "$base/login" | token_in)
  status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
    --data-urlencode "username=$1" --data-urlencode "password=$password" \
    --data-urlencode "csrf_token=$login_token" "$base/login")
  [ "$status" = 303 ] || { echo "postgres.sh: sign-in answered $status" >&2; exit 1; }
  csrf=$(curl -fs -c "$jar" -b "$jar" "$base/screenings/new" | token_in)
  cookie="screener_session=$(awk '$6 == "screener_session" { print $7 }' "$jar")"
  body="$answers&csrf_token=$csrf"
}
sign_in bench2
cookie2=$cookie body2=$body
sign_in bench

results="$work/results.md"
echo "| what | connections | requests/s | p50 | p99 | errors |" >"$results"
echo "|---|---:|---:|---:|---:|---:|" >>"$results"

wrk_row() { # wrk_row NAME CONNECTIONS OUTPUT
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { printf($2 < 100 ? "%.2f" : "%.0f", $2) }' <<<"$3")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$3")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$3")
  errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { for (i = 3; i <= NF; i += 2) n += $i } END { print n + 0 }' <<<"$3")
  echo "| $1 | $2 | $rps | $p50 | $p99 | $errors |" >>"$results"
  echo "$rps"
}
run() { # run NAME CONNECTIONS wrk-arguments…
  local name=$1 connections=$2
  shift 2
  echo "== $name ($connections connections, $DURATION)" >&2
  local out
  out=$(wrk -t"$(( connections < THREADS ? connections : THREADS ))" -c"$connections" -d"$DURATION" --latency "$@")
  echo "$out" >&2
  wrk_row "$name" "$connections" "$out"
}

echo "== pgbench: the app's row, one durable INSERT per transaction, $CONNECTIONS clients"
psql -q "$db" -c "CREATE TABLE bench_rows (LIKE screenings INCLUDING ALL)"
seconds=${DURATION%s}
pg_out=$(pgbench -n -c "$CONNECTIONS" -j "$THREADS" -T "$seconds" -f benches/insert.sql "$db")
echo "$pg_out"
pg_tps=$(awk '/^tps = / { printf "%.0f", $3 }' <<<"$pg_out")
pg_latency=$(awk '/^latency average/ { print $4 " " $5 }' <<<"$pg_out")
echo "| pgbench INSERT of the same row (synchronous_commit=on) | $CONNECTIONS | $pg_tps | avg $pg_latency | | 0 |" >>"$results"
psql -q "$db" -c "DROP TABLE bench_rows"

app_rps=$(COOKIE="$cookie" BODY="$body" run "durable submissions POST /screenings, one instance" "$CONNECTIONS" \
  -s benches/submit.lua "$base/screenings")
run "form page GET /screenings/new" "$CONNECTIONS" -H "Cookie: $cookie" "$base/screenings/new" >/dev/null

echo "== two instances: the same load split over both"
start "$PORT2"
half=$((CONNECTIONS / 2))
out1="$work/wrk1"; out2="$work/wrk2"
COOKIE="$cookie" BODY="$body" wrk -t1 -c"$half" -d"$DURATION" --latency -s benches/submit.lua "$base/screenings" >"$out1" &
w1=$!
COOKIE="$cookie" BODY="$body" wrk -t1 -c"$half" -d"$DURATION" --latency -s benches/submit.lua "http://127.0.0.1:$PORT2/screenings" >"$out2" &
w2=$!
wait "$w1" "$w2"
cat "$out1" "$out2"
r1=$(wrk_row "durable submissions, instance 1 of 2" "$half" "$(cat "$out1")")
r2=$(wrk_row "durable submissions, instance 2 of 2" "$half" "$(cat "$out2")")
two_rps=$(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.0f", a + b }')

echo "== two instances, a clinician on each"
COOKIE="$cookie" BODY="$body" wrk -t1 -c"$half" -d"$DURATION" --latency -s benches/submit.lua "$base/screenings" >"$out1" &
w1=$!
COOKIE="$cookie2" BODY="$body2" wrk -t1 -c"$half" -d"$DURATION" --latency -s benches/submit.lua "http://127.0.0.1:$PORT2/screenings" >"$out2" &
w2=$!
wait "$w1" "$w2"
cat "$out1" "$out2"
r1=$(wrk_row "durable submissions, clinician 1 on instance 1 of 2" "$half" "$(cat "$out1")")
r2=$(wrk_row "durable submissions, clinician 2 on instance 2 of 2" "$half" "$(cat "$out2")")
two_clinicians_rps=$(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.0f", a + b }')

echo "== seeding $ROWS screenings through Store::save_screening"
cargo bench --locked --bench seed -- "$db" bench "$ROWS"
stored=$(psql -qtA "$db" -c 'SELECT count(*) FROM screenings')
oldest=$(psql -qtA "$db" -c 'SELECT review_code FROM screenings ORDER BY year, seq_in_year LIMIT 1 OFFSET 30')
psql -q "$db" -c "ANALYZE" >/dev/null
run "list page, newest ($stored rows)" 1 -H "Cookie: $cookie" "$base/screenings" >/dev/null
run "list page, ?band=addicted" 1 -H "Cookie: $cookie" "$base/screenings?band=addicted" >/dev/null
run "list page, last page (keyset)" 1 -H "Cookie: $cookie" "$base/screenings?older_than=$oldest" >/dev/null
run "list page, newest ($stored rows)" "$CONNECTIONS" -H "Cookie: $cookie" "$base/screenings" >/dev/null

echo
echo "== results ($(nproc) CPUs: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(psql -qtA "$db" -c 'SHOW server_version'))"
cat "$results"
echo
awk -v app="$app_rps" -v pg="$pg_tps" -v two="$two_rps" -v twoc="$two_clinicians_rps" 'BEGIN {
  printf "app durable submissions / pgbench: %.0f%% (target >= 30%%)\n", 100 * app / pg
  printf "two instances / one instance, one clinician: %.0f%% (target: no loss)\n", 100 * two / app
  printf "two instances / one instance, a clinician on each: %.0f%%\n", 100 * twoc / app
}'
