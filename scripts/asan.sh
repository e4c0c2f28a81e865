#!/usr/bin/env bash
# npm run test:asan — the whole vitest suite against an addon built with
# -fsanitize=address,undefined. Node itself is not instrumented, so the ASan runtime
# is preloaded; Node's own allocations are not leak-checked (detect_leaks=0), and any
# ASan or UBSan report fails the run. The normal build is restored afterwards.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
trap 'npx node-gyp rebuild >/dev/null 2>&1' EXIT
CFLAGS="$san" CXXFLAGS="$san" LDFLAGS="$san" npx node-gyp rebuild >/dev/null 2>&1 || { echo "ASan build failed"; exit 1; }
# Read the whole listing before matching: `ldd | grep -q` under pipefail fails at random
# when grep exits early and ldd dies of SIGPIPE (seen in CI on a loaded 2-core machine).
needed=$(readelf -d build/Release/sockopt.node)
case "$needed" in
  *libasan*) ;;
  *) echo "the build is not instrumented (no libasan in its NEEDED entries):"; echo "$needed" | grep NEEDED; exit 1 ;;
esac
log=$(mktemp)
LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:abort_on_error=1:quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  npx vitest run --reporter=dot --reporter=json --outputFile=.cache/vitest-asan.json "$@" > "$log" 2>&1
status=$?
# Reports go to the forks' stderr, which vitest passes through into the log.
reports=$(grep -cE 'ERROR: AddressSanitizer|runtime error:' "$log")
grep -E -A12 'ERROR: AddressSanitizer|runtime error:' "$log" | head -40
counts=$(node -e 'try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests || (r.success ? 0 : 1)) } catch { console.log("0 1") }' "$root/.cache/vitest-asan.json")
set -- $counts
echo "sanitizer reports: $reports"
[ "$reports" -eq 0 ] || status=1
[ "$status" -eq 0 ] || tail -30 "$log"
# The dot reporter names no failure: the JSON report does.
[ "$status" -eq 0 ] || node -e '
  try {
    for (const f of require(process.argv[1]).testResults) for (const t of f.assertionResults) {
      if (t.status === "failed") console.log(`FAIL ${f.name.split("/").pop()} > ${t.fullName}\n  ${(t.failureMessages[0] || "").split("\n").slice(0, 3).join("\n  ")}`);
    }
  } catch { /* no report: the log above is all there is */ }' "$root/.cache/vitest-asan.json"
rm -f "$log"
echo "$1 passed, $(( $2 + (reports > 0 ? 1 : 0) )) failed"
exit $status
