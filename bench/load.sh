#!/usr/bin/env bash
# keyward's HTTP benchmark (issue "line rate", SPEC §11): a release build, a store filled
# with N tokens, checks of tokens picked at random from all of them, against a bare axum
# route in the same run, reported as ratios; then the same under a churn of administrative
# changes, refusals, token creation and hosted-endpoint records, startup time and memory.
#
#   bench/load.sh                                  # SQLite, 1,000 and 100,000 tokens
#   SIZES="1000 100000 1000000" STORES="sqlite postgres" bench/load.sh
#
# Environment (all optional):
#   SIZES="1000 100000"   stored tokens, one block of results each
#   STORES=sqlite         sqlite and/or postgres (postgres://postgres@127.0.0.1:5432, which
#                         this script gives a database keyward_bench of its own, dropped first)
#   DURATION=10 ROUNDS=3  seconds per wrk run; rounds, interleaved, medians reported
#   CONNS=64 THREADS=2    wrk connections and threads of the check runs
#   CHURN_RATE=50         administrative changes a second during the churn rounds
#   PIN=1                 servers on CPU 0, wrk on CPU 1 (taskset), so they do not compete
#   SKIP_BUILD=1          use the release binaries already in target/release (or in BIN:
#                         BIN/keyward, BIN/examples/seed, BIN/examples/bare)
#   KW_PORT=18080 BARE_PORT=18081
#
# Traffic goes to 127.0.0.1 only. Everything it starts is stopped on exit, and the
# temporary directory (which holds the benchmark's throwaway token secrets) is deleted.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${SIZES:-"1000 100000"}
STORES=${STORES:-sqlite}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
CHURN_RATE=${CHURN_RATE:-50}
PIN=${PIN:-1}
KW_PORT=${KW_PORT:-18080}
BARE_PORT=${BARE_PORT:-18081}
KW="http://127.0.0.1:$KW_PORT"
BARE="http://127.0.0.1:$BARE_PORT"
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/keyward_bench}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -p keyward -p keyward-server --bins --examples
fi
for tool in wrk jq curl; do
  if ! command -v "$tool" >/dev/null; then
    apt-get install -y "$tool" || { apt-get update && apt-get install -y "$tool"; }
  fi
done
BIN=${BIN:-$ROOT/target/release}

if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0)
  LOAD_CPU=(taskset -c 1)
else
  SERVER_CPU=()
  LOAD_CPU=()
fi

WORK=$(mktemp -d)
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

wait_http() { # url -> waits until it answers 200
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$1"; then
      return 0
    fi
    sleep 0.05
  done
  echo "$1 does not answer" >&2
  exit 1
}

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ms() { # wrk latency (e.g. 812.00us, 1.20ms, 2.00s) -> milliseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else { printf "%s", v } }'
}

# Waits (at most 10 s) until processes $@ are idle: under 3 ticks of CPU in 200 ms, all
# of them together. keyward writes the last-use times of the tokens a run checked after
# it, and preloads its cache after starting: no run (the bare route's as much as
# keyward's) should share CPU 0 with that. On PostgreSQL the database's own processes,
# which are not pinned and can share CPU 1 with wrk, are waited for too (SETTLE_PG=1):
# without that, the refused runs, which follow the valid ones, ran beside the valid
# run's last-use writes there. Still busy after 10 s, the run goes ahead (it succeeds
# either way: under `set -e` a failing status would end the benchmark).
ticks() { # pids -> their CPU ticks together (those still running)
  local p t=0 v
  for p in "$@"; do
    v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + v))
  done
  echo "$t"
}
settle() {
  local before after pids
  for _ in $(seq 1 50); do
    pids=("$@")
    if [ "${SETTLE_PG:-0}" = 1 ]; then
      mapfile -t -O "${#pids[@]}" pids < <(pgrep -x postgres || true)
    fi
    before=$(ticks "${pids[@]}")
    sleep 0.2
    after=$(ticks "${pids[@]}")
    if [ $((after - before)) -lt 3 ]; then return 0; fi
  done
  return 0
}

# run NAME EXPECT SECONDS CONNS SCRIPT URL -> "req/s p50 p99"; EXPECT is 2xx (every answer a
# success) or refused (every answer a 401 or 403). Environment passes to the wrk script.
run() {
  local name=$1 expect=$2 secs=$3 conns=$4 script=$5 url=$6 out total non2xx
  [ -n "${SETTLE_PID:-}" ] && settle "$SETTLE_PID"
  out=$("${LOAD_CPU[@]}" wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 5s --latency -s "$script" "$url")
  if grep -q "Socket errors" <<<"$out"; then
    echo "$name: socket errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  non2xx=${non2xx:-0}
  if [ "$expect" = 2xx ] && [ "$non2xx" != 0 ]; then
    echo "$name: $non2xx of $total answers were not 2xx:" >&2
    echo "$out" >&2
    exit 1
  fi
  if [ "$expect" = refused ] && [ "$non2xx" != "$total" ]; then
    echo "$name: only $non2xx of $total answers were refusals:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") $(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
}

rss_mb() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

TABLE="$WORK/table.md"
EXTRA="$WORK/extra.md"
{
  echo "| store | tokens | run | req/s | p50 ms | p99 ms | ratio to bare |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: |"
} >"$TABLE"
{
  echo "| store | tokens | ready after start | first VALID after start | RSS after the runs | peak RSS | token creation /s (64 clients) | /e/ POST records /s (64 clients) | churn changes /s answered |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$EXTRA"

export KEYWARD_LOG=warn

bench_one() { # store tokens
  local store=$1 n=$2 data="$WORK/$1-$2" db=() kw_pid bare_pid started
  mkdir -p "$data"
  if [ "$store" = postgres ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS keyward_bench" -c "CREATE DATABASE keyward_bench"
    db=(--database-url "$PG_URL")
  fi
  "$BIN/keyward" bootstrap --data-dir "$data" "${db[@]}" --tenant bench --admin admin --json \
    >"$data/bootstrap.json"
  local admin
  admin=$(jq -r .token "$data/bootstrap.json")
  echo "== $store, $n tokens: seeding"
  if [ "$store" = postgres ]; then
    KEYWARD_DATABASE_URL=$PG_URL "$BIN/examples/seed" "$data" "$n" bench --bench "$data/set"
  else
    "$BIN/examples/seed" "$data" "$n" bench --bench "$data/set"
  fi

  started=$(date +%s.%N)
  "${SERVER_CPU[@]}" "$BIN/keyward" serve --data-dir "$data" "${db[@]}" --listen "127.0.0.1:$KW_PORT" \
    2>"$data/server.log" &
  kw_pid=$!
  PIDS+=("$kw_pid")
  SETTLE_PID=$kw_pid
  SETTLE_PG=$([ "$store" = postgres ] && echo 1 || echo 0)
  wait_http "$KW/healthz"
  local ready first
  ready=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f s", b - a}')
  local one
  one=$(shuf -n1 "$data/set/valid.txt")
  curl -sf -o /dev/null "$KW/auth/forward/bench" -H "Authorization: Bearer $one" \
    || { echo "forward auth refused a seeded token" >&2; exit 1; }
  first=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f s", b - a}')
  code=$(curl -sf "$KW/api/v1/verify" -H 'Content-Type: application/json' \
    -d "{\"token\": \"$one\", \"tenant\": \"bench\"}" | jq -r .code)
  [ "$code" = VALID ] || { echo "verify answered $code, not VALID" >&2; exit 1; }

  "${SERVER_CPU[@]}" "$BIN/examples/bare" "127.0.0.1:$BARE_PORT" 2>"$data/bare.log" &
  bare_pid=$!
  PIDS+=("$bare_pid")
  wait_http "$BARE/bare"

  local valid="$data/set/valid.txt"
  local refused="$data/set/revoked.txt,$data/set/unknown.txt,$data/set/malformed.txt"
  # The refused runs pick from as many requests as the valid ones (bench/pick.lua, KW_FILL):
  # wrk's own work per request changes what the server's costs.
  local fill
  fill=$(wc -l <"$valid")
  local churn_secs=$((DURATION * 2 * ROUNDS + 10))
  local churn_conns=$(((CHURN_RATE + 9) / 10))
  local delay=$((churn_conns * 1000 / CHURN_RATE))

  # Every stored token checked once before the measured rounds (a full load: the cache
  # holds them all), walking them in order; a first check reads storage, so a million
  # take a while.
  local warm_secs=$((DURATION + n / 10000))
  echo "== $store, $n tokens: warming up ($warm_secs s, every token in turn, then at random)"
  KW_TOKENS=$valid KW_STYLE=header KW_ORDER=seq KW_THREADS=$THREADS run warm 2xx "$warm_secs" "$CONNS" bench/pick.lua "$KW/auth/forward/bench" >/dev/null
  KW_TOKENS=$valid KW_STYLE=header run warm 2xx "$DURATION" "$CONNS" bench/pick.lua "$KW/auth/forward/bench" >/dev/null
  KW_TOKENS=$valid KW_STYLE=body KW_TENANT=bench run warm 2xx 2 "$CONNS" bench/pick.lua "$KW/api/v1/verify" >/dev/null
  KW_TOKENS=$valid KW_STYLE=header run warm 2xx 2 "$CONNS" bench/pick.lua "$BARE/bare" >/dev/null

  declare -A all=()
  local round r name
  for round in $(seq 1 "$ROUNDS"); do
    declare -A got=()
    got[bare_get]=$(KW_TOKENS=$valid KW_STYLE=header run bare_get 2xx "$DURATION" "$CONNS" bench/pick.lua "$BARE/bare")
    got[forward]=$(KW_TOKENS=$valid KW_STYLE=header run forward 2xx "$DURATION" "$CONNS" bench/pick.lua "$KW/auth/forward/bench")
    got[forward_refused]=$(KW_TOKENS=$refused KW_FILL=$fill KW_STYLE=header run forward_refused refused "$DURATION" "$CONNS" bench/pick.lua "$KW/auth/forward/bench")
    got[bare_post]=$(KW_TOKENS=$valid KW_STYLE=body KW_TENANT=bench run bare_post 2xx "$DURATION" "$CONNS" bench/pick.lua "$BARE/bare")
    got[verify]=$(KW_TOKENS=$valid KW_STYLE=body KW_TENANT=bench run verify 2xx "$DURATION" "$CONNS" bench/pick.lua "$KW/api/v1/verify")
    # verify answers 200 with the refusal's code in the body, so its refusals are 2xx.
    got[verify_refused]=$(KW_TOKENS=$refused KW_FILL=$fill KW_STYLE=body KW_TENANT=bench run verify_refused 2xx "$DURATION" "$CONNS" bench/pick.lua "$KW/api/v1/verify")
    # The churn runs on its own connections beside the measured run.
    KW_ADMIN_TOKEN=$admin KW_CHURN="$data/set/churn.tsv" KW_DELAY_MS=$delay \
      "${LOAD_CPU[@]}" wrk -t1 -c"$churn_conns" -d"$((DURATION * 2 + 2))s" --timeout 5s -s bench/churn.lua "$KW" >"$data/churn-$round.txt" &
    local churn_pid=$!
    sleep 1
    got[forward_churn]=$(KW_TOKENS=$valid KW_STYLE=header run forward_churn 2xx "$DURATION" "$CONNS" bench/pick.lua "$KW/auth/forward/bench")
    got[verify_churn]=$(KW_TOKENS=$valid KW_STYLE=body KW_TENANT=bench run verify_churn 2xx "$DURATION" "$CONNS" bench/pick.lua "$KW/api/v1/verify")
    wait "$churn_pid"
    # A change that fails or times out is reported, not hidden: the rate below counts
    # only the answered ones.
    local churn_errors
    churn_errors=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$data/churn-$round.txt")
    local line="round $round:"
    for name in "${!got[@]}"; do
      all[$name]="${all[$name]:-}|${got[$name]}"
    done
    for name in bare_get forward forward_refused forward_churn bare_post verify verify_refused verify_churn; do
      line="$line $name=${got[$name]%% *}"
      local bare=bare_get
      case $name in verify*|bare_post) bare=bare_post ;; esac
      all[ratio_$name]="${all[ratio_$name]:-} $(awk -v a="${got[$name]%% *}" -v b="${got[$bare]%% *}" 'BEGIN {printf "%.3f", a / b}')"
    done
    local churn_rate
    churn_rate=$(awk '/^Requests\/sec:/ {print $2}' "$data/churn-$round.txt")
    all[churn]="${all[churn]:-} $churn_rate"
    all[churn_errors]="${all[churn_errors]:-} $churn_errors"
    echo "$line (churn: $churn_rate changes/s, $churn_errors failed or timed out)"
  done

  local rss hwm
  rss=$(rss_mb "$kw_pid")
  hwm=$(hwm_mb "$kw_pid")

  for name in bare_get forward forward_refused forward_churn bare_post verify verify_refused verify_churn; do
    local rps="" p50="" p99="" entry
    IFS='|' read -ra runs <<<"${all[$name]#|}"
    for entry in "${runs[@]}"; do
      read -r a b c <<<"$entry"
      rps="$rps $a"
      p50="$p50 $b"
      p99="$p99 $c"
    done
    printf '| %s | %s | %s | %.0f | %s | %s | %s |\n' "$store" "$n" "$name" "$(median "$rps")" \
      "$(median "$p50")" "$(median "$p99")" "$(median "${all[ratio_$name]}")" >>"$TABLE"
  done

  # Creation: each 201 is a token acknowledged durable. The member is the seed's "svc".
  local user member body
  user=$(curl -sf "$KW/api/v1/users?q=svc" -H "Authorization: Bearer $admin" | jq -r '.items[] | select(.username == "svc") | .id')
  member=$(curl -sf "$KW/api/v1/users/$user/memberships" -H "Authorization: Bearer $admin" | jq -c '.[0]')
  body=$(jq -nc --arg u "$user" --argjson m "$member" \
    '{name: "created by the benchmark", user_id: $u, department_id: $m.department_id, user_type_id: $m.user_type_id}')
  local create
  create=$(KW_ADMIN_TOKEN=$admin KW_CREATE_BODY=$body run create 2xx "$DURATION" 64 bench/create.lua "$KW/api/v1/tokens")
  curl -sf -o /dev/null "$KW/api/v1/endpoints" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name": "Benchmark", "path": "bench-records", "auth_type": "none"}'
  local records
  records=$(run records 2xx "$DURATION" 64 bench/record.lua "$KW/e/bench/bench-records")
  printf '| %s | %s | %s | %s | %s MB | %s MB | %.0f | %.0f | %.0f (%s failed) |\n' "$store" "$n" "$ready" "$first" "$rss" "$hwm" \
    "${create%% *}" "${records%% *}" "$(median "${all[churn]}")" "$(awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; print s}' <<<"${all[churn_errors]}")" >>"$EXTRA"

  stop_all
  if [ "$store" = postgres ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS keyward_bench"
  fi
}

for store in $STORES; do
  for n in $SIZES; do
    bench_one "$store" "$n"
  done
done

echo
echo "keyward $(git rev-parse --short HEAD), $(nproc) cores$([ "$PIN" = 1 ] && echo ', servers on CPU 0, wrk on CPU 1'), wrk -t$THREADS -c$CONNS -d${DURATION}s, median of $ROUNDS rounds, churn $CHURN_RATE changes/s"
echo
cat "$TABLE"
echo
cat "$EXTRA"
