#!/usr/bin/env bash
# HTTP load test of keyward's verification routes against a bare axum route, in one run on
# one machine, reported as ratios (SPEC §11: verify and forward auth at >= 90 % of bare).
#
#   bench/load.sh                      # 1,000 stored tokens
#   TOKENS=100000 bench/load.sh        # 100,000 stored tokens
#
# Environment (all optional):
#   TOKENS=1000      tokens seeded into the store before the server starts
#   DURATION=10      seconds per wrk run
#   ROUNDS=3         rounds of the five runs, interleaved; medians are reported
#   THREADS=2 CONNS=32   wrk threads and connections
#   KW_PORT=18080 BARE_PORT=18081   loopback ports
#   SKIP_BUILD=1     use the release binaries already in target/release
#
# Everything it starts is stopped on exit. Traffic goes to 127.0.0.1 only.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TOKENS=${TOKENS:-1000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
KW_PORT=${KW_PORT:-18080}
BARE_PORT=${BARE_PORT:-18081}
KW="http://127.0.0.1:$KW_PORT"
BARE="http://127.0.0.1:$BARE_PORT"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -p keyward -p keyward-server --bins --examples
fi
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }
fi

DATA=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$DATA"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

export KEYWARD_LOG=warn
"$ROOT/target/release/keyward" bootstrap --data-dir "$DATA" --tenant bench --admin admin --json \
  >"$DATA/bootstrap.json"
# Every check names its tenant (SPEC §4): forward auth in its path, verify in its body.
if [ "$TOKENS" -gt 0 ]; then
  echo "seeding $TOKENS tokens..."
  KW_TENANT=bench-seed
  KW_TOKEN=$("$ROOT/target/release/examples/seed" "$DATA" "$TOKENS" "$KW_TENANT")
else
  KW_TENANT=bench
  KW_TOKEN=$(jq -r .token "$DATA/bootstrap.json")
fi
export KW_TOKEN KW_TENANT

"$ROOT/target/release/keyward" serve --data-dir "$DATA" --listen "127.0.0.1:$KW_PORT" \
  2>"$DATA/server.log" &
PIDS+=($!)
"$ROOT/target/release/examples/bare" "127.0.0.1:$BARE_PORT" 2>"$DATA/bare.log" &
PIDS+=($!)
wait_port "$KW_PORT"
wait_port "$BARE_PORT"

# Both keyward routes must answer VALID for this token, or the figures mean nothing.
code=$(curl -sf "$KW/api/v1/verify" -H 'Content-Type: application/json' \
  -d "{\"token\": \"$KW_TOKEN\", \"tenant\": \"$KW_TENANT\"}" | jq -r .code)
[ "$code" = VALID ] || { echo "verify answered $code, not VALID" >&2; exit 1; }
curl -sf -o /dev/null "$KW/auth/forward/$KW_TENANT" -H "Authorization: Bearer $KW_TOKEN" \
  || { echo "forward auth refused the token" >&2; exit 1; }
curl -sf -o /dev/null "$BARE/bare" || { echo "bare GET failed" >&2; exit 1; }

# name -> "script url". The bare GET gets the same Authorization header as forward auth.
declare -A TARGET=(
  [bare_get]="bench/forward.lua $BARE/bare"
  [healthz]="bench/forward.lua $KW/healthz"
  [forward]="bench/forward.lua $KW/auth/forward/$KW_TENANT"
  [bare_post]="bench/post.lua $BARE/bare"
  [verify]="bench/post.lua $KW/api/v1/verify"
)
# healthz is a diagnostic: keyward's own HTTP stack (router, middleware) with no
# verification, so healthz/bare GET shows what the stack costs before any token is read.
ORDER=(bare_get healthz forward bare_post verify)
declare -A RESULTS

run_wrk() { # name seconds -> requests/s
  local script url out
  read -r script url <<<"${TARGET[$1]}"
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$2s" --timeout 5s -s "$script" "$url")
  if grep -q -e "Non-2xx" -e "Socket errors" <<<"$out"; then
    echo "$1: errors during the run:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

echo "warming up..."
for name in "${ORDER[@]}"; do
  run_wrk "$name" 2 >/dev/null
done

# Each ratio is also taken within a round, from runs a few seconds apart, so that load from
# anything else on the machine moves both sides of it alike; the median of those is shown.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
declare -A RATIOS
declare -A R
for round in $(seq 1 "$ROUNDS"); do
  line="round $round:"
  for name in "${ORDER[@]}"; do
    rps=$(run_wrk "$name" "$DURATION")
    R[$name]=$rps
    RESULTS[$name]="${RESULTS[$name]:-} $rps"
    line="$line $name=$rps"
  done
  RATIOS[forward]="${RATIOS[forward]:-} $(ratio "${R[forward]}" "${R[bare_get]}")"
  RATIOS[verify]="${RATIOS[verify]:-} $(ratio "${R[verify]}" "${R[bare_post]}")"
  RATIOS[healthz]="${RATIOS[healthz]:-} $(ratio "${R[healthz]}" "${R[bare_get]}")"
  echo "$line"
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo
echo "keyward load test: $TOKENS stored tokens, wrk -t$THREADS -c$CONNS -d${DURATION}s, median of $ROUNDS rounds, $(nproc) cores"
for name in "${ORDER[@]}"; do
  RESULTS[$name]=$(median "${RESULTS[$name]}")
  printf '  %-10s %10.0f requests/s\n' "$name" "${RESULTS[$name]}"
done
printf '  forward/bare GET  = %5.1f %%  (target >= 90 %%; per round:%s)\n' "$(median "${RATIOS[forward]}")" "${RATIOS[forward]}"
printf '  verify/bare POST  = %5.1f %%  (target >= 90 %%; per round:%s)\n' "$(median "${RATIOS[verify]}")" "${RATIOS[verify]}"
printf '  healthz/bare GET  = %5.1f %%  (diagnostic, keyward HTTP stack without verification; per round:%s)\n' \
  "$(median "${RATIOS[healthz]}")" "${RATIOS[healthz]}"
