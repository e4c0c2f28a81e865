#!/usr/bin/env bash
# valgrind memcheck over a short run of every native function. Node has its own
# one-time allocations, so only definite leaks with a frame in sockopt.node count.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp)
valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --num-callers=30 \
  node test/fixtures/native-short.js > /dev/null 2> "$log"
ours=$(awk '/definitely lost in/ { block = $0; inblk = 1; next } inblk && /^==[0-9]+== *$/ { if (hit) print block; inblk = 0; hit = 0 } inblk && /sockopt\.node/ { hit = 1 }' "$log" | wc -l)
invalid=$(grep -cE 'Invalid (read|write)|uninitialised' "$log" | tr -d ' ')
grep -E 'definitely lost:|ERROR SUMMARY' "$log"
echo "definite leaks with a sockopt.node frame: $ours; invalid reads/writes or uninitialised uses: $invalid"
grep -B2 -A20 -E 'Invalid (read|write)|uninitialised' "$log" | grep -m3 -A20 sockopt.node
rm -f "$log"
[ "$ours" -eq 0 ] && [ "$invalid" -eq 0 ]
