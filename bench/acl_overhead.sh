#!/usr/bin/env bash
# ACL check overhead: server CPU time per request (user+system from
# /proc/<pid>/stat, robust to a busy machine) and throughput, for
# redis-benchmark -P 16 SET/GET on random keys, as the default user (no
# restriction: the check is skipped) and as a restricted user with several
# key patterns (+@all -@dangerous, four patterns, the matching one last),
# alternating rounds on one server (threads 1, pinned to core 0, the client
# on core 1). The best (lowest CPU) round of each is printed.
#
#   bench/acl_overhead.sh [server-binary] [port] [rounds] [requests]
set -euo pipefail
bin=${1:-build/basalt-server}
port=${2:-24100}
rounds=${3:-5}
n=${4:-2000000}
dir=$(mktemp -d)
taskset -c 0 "$bin" --port "$port" --bind 127.0.0.1 --save '' --dir "$dir" --threads 1 \
  >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ACL SETUSER bench on '>pw' '+@all' '-@dangerous' '~session:*' \
  '%R~cache:*' '%W~queue:*' '~key:*' >/dev/null
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$pid/stat"; }
run() {  # test, then redis-benchmark auth args; prints "cpu_us_per_req ops_per_s"
  local t=$1; shift
  local before after ops
  before=$(ticks)
  ops=$(taskset -c 1 redis-benchmark -p "$port" "$@" -t "$t" -n "$n" -P 16 -r 100000 -c 50 \
          --csv 2>/dev/null | awk -F'"' '/SET|GET/ {print $4}')
  after=$(ticks)
  awk -v b="$before" -v a="$after" -v hz="$hz" -v n="$n" -v ops="$ops" \
    'BEGIN {printf "%.4f %.0f\n", (a - b) / hz * 1e6 / n, ops}'
}
declare -A best
for r in $(seq "$rounds"); do
  for t in set get; do
    for who in default restricted; do
      if [ "$who" = default ]; then res=$(run "$t"); else res=$(run "$t" --user bench -a pw); fi
      echo "round $r $t $who: $res" >&2
      cur=${best[$t-$who]:-}
      if [ -z "$cur" ] || awk -v x="${res%% *}" -v y="${cur%% *}" 'BEGIN {exit !(x < y)}'; then
        best[$t-$who]=$res
      fi
    done
  done
done
echo "| Test (-P 16) | default µs CPU/req | restricted µs CPU/req | overhead | default ops/s | restricted ops/s |"
echo "|---|---:|---:|---:|---:|---:|"
for t in set get; do
  read -r dc dops <<< "${best[$t-default]}"
  read -r rc rops <<< "${best[$t-restricted]}"
  awk -v t="$t" -v dc="$dc" -v rc="$rc" -v d="$dops" -v r="$rops" \
    'BEGIN {printf "| %s | %.3f | %.3f | %+.1f%% | %d | %d |\n", toupper(t), dc, rc, (rc/dc-1)*100, d, r}'
done
