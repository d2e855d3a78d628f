#!/usr/bin/env bash
# Two measurements by hand on a store that bench/load.sh's seeding filled (issue "line
# rate"): resident memory after the cache's preload and after a walk of every token, and
# token creation alone, beside random checks, and right after them. The numbers in
# BENCHMARKS.md's paragraphs on memory and on the last-use flush came from these.
#
#   DATA=/tmp/m100k BIN=target/release bench/beside.sh seed 100000   # once: bootstrap + seed
#   DATA=/tmp/m100k BIN=target/release bench/beside.sh rss [ENV=VALUE ...]
#   DATA=/tmp/m100k BIN=target/release bench/beside.sh create [TOKENS_FILE]
#
# BIN holds keyward and examples/seed (cargo build --release -p keyward -p keyward-server
# --bins --examples). Traffic goes to 127.0.0.1:18090 only.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:?set DATA to a directory for the store}
BIN=${BIN:-target/release}
KW=http://127.0.0.1:18090
what=${1:?seed, rss or create}
shift

start() {
  env "$@" "$BIN/keyward" serve --data-dir "$DATA" --listen 127.0.0.1:18090 2>"$DATA/server.log" &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$KW/healthz" && break; sleep 0.1; done
  # The preload runs beside serving; a few seconds cover 100,000 tokens.
  sleep "${PRELOAD_WAIT:-6}"
}
rss() { grep -E 'VmRSS|VmHWM' "/proc/$pid/status" | tr -s ' \n' ' '; }

case $what in
  seed)
    mkdir -p "$DATA"
    "$BIN/keyward" bootstrap --data-dir "$DATA" --tenant bench --admin admin --json >"$DATA/bootstrap.json"
    "$BIN/examples/seed" "$DATA" "${1:-100000}" bench --bench "$DATA/set"
    ;;
  rss)
    start "$@"
    echo "after the preload: $(rss)"
    KW_TOKENS=$DATA/set/valid.txt KW_STYLE=header KW_ORDER=seq KW_THREADS=2 \
      wrk -t2 -c32 -d15s -s bench/pick.lua "$KW/auth/forward/bench" | grep Requests/sec
    sleep 3
    echo "after a walk of every token: $(rss)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    ;;
  create)
    start
    admin=$(jq -r .token "$DATA/bootstrap.json")
    user=$(curl -sf "$KW/api/v1/users?q=svc" -H "Authorization: Bearer $admin" | jq -r '.items[] | select(.username == "svc") | .id')
    member=$(curl -sf "$KW/api/v1/users/$user/memberships" -H "Authorization: Bearer $admin" | jq -c '.[0]')
    body=$(jq -nc --arg u "$user" --argjson m "$member" \
      '{name: "bench", user_id: $u, department_id: $m.department_id, user_type_id: $m.user_type_id}')
    create() { KW_ADMIN_TOKEN=$admin KW_CREATE_BODY=$body wrk -t"$1" -c64 -d5s -s bench/create.lua "$KW/api/v1/tokens" | grep Requests/sec; }
    echo "creations alone: $(create 2)"
    KW_TOKENS=${1:-$DATA/set/valid.txt} KW_STYLE=header wrk -t1 -c32 -d12s -s bench/pick.lua \
      "$KW/auth/forward/bench" >"$DATA/checks.txt" &
    checks=$!
    sleep 5
    echo "creations beside the checks: $(create 1)"
    wait "$checks"
    echo "the checks: $(grep Requests/sec "$DATA/checks.txt")"
    sleep 3
    echo "creations right after: $(create 2)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    ;;
  *) echo "usage: bench/beside.sh seed N | rss [ENV=VALUE ...] | create [TOKENS_FILE]" >&2; exit 2 ;;
esac
