#!/usr/bin/env bash
# A/B of two release binaries on one PostgreSQL database: both servers run at once on the same
# seeded rows, and wrk alternates between them, so neither gets a warmer or younger database.
# Method and results: docs/BENCHMARKS.md. Not run by `cargo test` or CI.
#
#   benches/compare.sh OLD/screener NEW/screener      # e.g. a worktree of the last release
#   ROUNDS=3 DURATION=4s ROWS=20000 PG=postgres://root@127.0.0.1:5432 benches/compare.sh A B
#
# Needs wrk, curl and psql; the seeding helper is built from this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: compare.sh OLD_BINARY NEW_BINARY}
new=${2:?usage: compare.sh OLD_BINARY NEW_BINARY}
PG=${PG:-postgres://root@127.0.0.1:5432}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-4s}
ROWS=${ROWS:-20000}
name="screener_compare_$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/screener-compare.XXXXXX")
password="bench password 1234"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q "$PG/postgres" -c "CREATE DATABASE $name" >/dev/null
printf '%s\n' "$password" | "$old" user add bench --password-stdin --database "$PG/$name" >/dev/null
cargo bench --locked --bench seed -- "$PG/$name" bench "$ROWS" >/dev/null

start() { # start BINARY PORT
  "$1" serve --addr "127.0.0.1:$2" --database "$PG/$name" >/dev/null 2>"$work/server-$2.log" &
  pids+=("$!")
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
  echo "compare.sh: server on $2 did not start" >&2
  exit 1
}
cookie_for() { # cookie_for PORT: signs in, prints the session cookie
  local base="http://127.0.0.1:$1" jar="$work/jar-$1" token
  token=$(curl -fs -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode username=bench \
    --data-urlencode "password=$password" --data-urlencode "csrf_token=$token" "$base/login"
  echo "screener_session=$(awk '$6 == "screener_session" { print $7 }' "$jar")"
}
rps() { # rps CONNECTIONS COOKIE URL
  wrk -t"$(( $1 < 2 ? $1 : 2 ))" -c"$1" -d"$DURATION" -H "Cookie: $2" "$3" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
}
start "$old" 3801
start "$new" 3802
old_cookie=$(cookie_for 3801)
new_cookie=$(cookie_for 3802)
echo "| round | binary | list, 1 connection | list, 64 | form, 64 |"
echo "|---|---|---:|---:|---:|"
for round in $(seq "$ROUNDS"); do
  for which in old new; do
    if [ "$which" = old ]; then port=3801 cookie=$old_cookie; else port=3802 cookie=$new_cookie; fi
    base="http://127.0.0.1:$port"
    echo "| $round | $which | $(rps 1 "$cookie" "$base/screenings") | $(rps 64 "$cookie" "$base/screenings") | $(rps 64 "$cookie" "$base/screenings/new") |"
  done
done
