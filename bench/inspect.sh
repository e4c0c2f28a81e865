#!/usr/bin/env bash
# sockopt inspect on a process with N sockets (default 19,800: the fd limit here is 20,000):
# wall time, CPU time and peak RSS of the CLI for the text view, --json and --fd, for each build
# given (default: this checkout). Usage: bench/inspect.sh [N] [path/to/lib/cli.js …]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-19800}; shift || true
clis=("$@"); [ ${#clis[@]} -eq 0 ] && clis=("$here/../lib/cli.js")
exec 3> >(python3 "$here/inspect-target.py" "$n" > /tmp/sockopt-bench-target.$$)
while ! [ -s /tmp/sockopt-bench-target.$$ ]; do sleep 0.2; done
pid=$(node -p "JSON.parse(require('fs').readFileSync('/tmp/sockopt-bench-target.$$','utf8')).pid")
echo "target pid $pid: $(ls /proc/$pid/fd | wc -l) fds; node $(node -v); $(nproc) cores"
for cli in "${clis[@]}"; do
  for args in "" "--json" "--fd 100"; do
    /usr/bin/time -f "%e s  (CPU %U s user + %S s sys)  %M KB max RSS" -o /tmp/sockopt-bench-time.$$ node "$cli" inspect "$pid" $args > /tmp/sockopt-bench-out.$$ || true
    printf '%-50s %-10s %s  (%s bytes out)\n' "$cli" "${args:-text}" "$(cat /tmp/sockopt-bench-time.$$)" "$(wc -c < /tmp/sockopt-bench-out.$$)"
  done
done
exec 3>&-
rm -f /tmp/sockopt-bench-*.$$
