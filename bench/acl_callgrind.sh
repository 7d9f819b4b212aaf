#!/usr/bin/env bash
# ACL check overhead in user-space instructions per request (callgrind,
# repeatable where wall time is not): redis-benchmark -P 16 SET+GET on random
# keys as the default user and as a restricted user with four key patterns
# (the one matching last), each minus the same server's run with no traffic.
#   bench/acl_callgrind.sh [server-binary]      (needs valgrind)
set -euo pipefail
bin=${1:-build/basalt-server}
N=${N:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
instructions() {  # traffic: none | default | restricted
  local p pid
  p=$(port)
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" "$bin" --port "$p" \
    --bind 127.0.0.1 --save "" --dir "$tmp" --threads 1 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 300); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$p" ACL SETUSER bench on '>pw' '+@all' '-@dangerous' '~session:*' \
    '%R~cache:*' '%W~queue:*' '~key:*' >/dev/null
  case $1 in
    default) redis-benchmark -p "$p" -t set,get -n "$N" -P 16 -r 100000 -c 4 -q >/dev/null ;;
    restricted) redis-benchmark -p "$p" --user bench -a pw -t set,get -n "$N" -P 16 -r 100000 \
                  -c 4 -q >/dev/null ;;
  esac
  redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  local total=0
  for f in "$tmp"/cg.*; do
    total=$((total + $(awk '/^summary:/ {print $2}' "$f")))
  done
  rm -f "$tmp"/cg.*
  echo "$total"
}
base=$(instructions none)
d=$(instructions default)
r=$(instructions restricted)
awk -v b="$base" -v d="$d" -v r="$r" -v n="$N" 'BEGIN {
  dd = (d - b) / (2 * n); rr = (r - b) / (2 * n);
  print "| User | instructions/request (SET+GET, -P 16) |";
  print "|---|---:|";
  printf "| default | %.0f |\n| restricted (4 key patterns) | %.0f |\n", dd, rr;
  printf "| overhead | %+.1f%% |\n", (rr / dd - 1) * 100 }'
