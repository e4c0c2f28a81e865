#!/usr/bin/env bash
# Every prebuilt binary the tarball ships: builds the ones that are missing or older
# than their sources, then checks all five (scripts/check-binary.sh) and fails if one
# is missing or wrong. npm runs this as `prepack`, so `npm pack` and `npm publish`
# make the complete tarball by themselves. SOCKOPT_REBUILD=1 rebuilds everything.
#   linux-x64 glibc   prebuildify with the host g++
#   linux-x64 musl    scripts/musl.sh (zig from npm)
#   linux-arm64 glibc scripts/cross-arm64.sh (Debian's aarch64 g++ from apt; needs root once)
#   darwin-x64/arm64  scripts/darwin.sh (zig from npm, macOS headers bundled with zig)
# On a clean clone of this 2-core machine: about 4–5 minutes (zig builds libc++ once per target).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export SOCKOPT_KEEP_BUILD=1  # the cross builds leave build/ alone; the host build runs last
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# target | file | build command | what it depends on besides binding.gyp and native/
targets=(
  "linux-x64-glibc|prebuilds/linux-x64/sockopt.glibc.node|node_modules/.bin/prebuildify --napi --strip --tag-libc|scripts/prebuilds-all.sh"
  "linux-x64-musl|prebuilds/linux-x64/sockopt.musl.node|bash scripts/musl.sh|scripts/musl.sh"
  "linux-arm64-glibc|prebuilds/linux-arm64/sockopt.glibc.node|bash scripts/cross-arm64.sh|scripts/cross-arm64.sh"
  "darwin-x64|prebuilds/darwin-x64/sockopt.node|bash scripts/darwin.sh x64|scripts/darwin.sh src/kernel/tcp-info-darwin.ts"
  "darwin-arm64|prebuilds/darwin-arm64/sockopt.node|bash scripts/darwin.sh arm64|scripts/darwin.sh src/kernel/tcp-info-darwin.ts"
)
stale() { # stale <file> "<paths>": missing, or older than binding.gyp, native/* or those paths
  # shellcheck disable=SC2086 # $2 is a list of paths
  [ "${SOCKOPT_REBUILD:-0}" = 1 ] || [ ! -s "$1" ] || [ -n "$(find binding.gyp native $2 -newer "$1" -print -quit)" ]
}
run() { # run <target> <command…>: output to a log, shown only when it fails
  local t=$1; shift
  local start=$SECONDS
  if "$@" >"$log/$t" 2>&1; then echo "built $t in $((SECONDS - start)) s"; else echo "FAILED to build $t:"; sed 's/^/  /' "$log/$t"; return 1; fi
}

start=$SECONDS
status=0
# zig's darwin builds use neither build/ nor the apt toolchain: they run beside the others.
darwin=()
for entry in "${targets[@]}"; do
  IFS='|' read -r t file cmd dep <<<"$entry"
  [[ $t == darwin-* ]] && stale "$file" "$dep" && darwin+=("${t#darwin-}")
done
if [ ${#darwin[@]} -gt 0 ]; then run darwin bash scripts/darwin.sh "${darwin[@]}" & darwin_pid=$!; fi
# prebuildify builds in build/: one at a time, the host's last, and always after a cross
# build, so that build/Release ends as the host's addon (the tests load it).
used_build=0
for entry in "${targets[@]:1:2}" "${targets[0]}"; do
  IFS='|' read -r t file cmd dep <<<"$entry"
  if stale "$file" "$dep" || { [ "$t" = linux-x64-glibc ] && [ "$used_build" = 1 ]; }; then
    run "$t" $cmd || status=1
    used_build=1
  fi
done
[ -z "${darwin_pid:-}" ] || wait "$darwin_pid" || status=1

for entry in "${targets[@]}"; do
  IFS='|' read -r t file cmd dep <<<"$entry"
  if out=$(bash scripts/check-binary.sh "$t" "$file" 2>&1); then
    echo "ok   $t  $file ($(stat -c %s "$file") bytes)"
  else
    echo "FAIL $t  $file"; sed 's/^/     /' <<<"$out"; status=1
  fi
done
echo "prebuilds: $((SECONDS - start)) s"
[ "$status" -eq 0 ] || { echo "prepack: a prebuilt binary is missing or wrong; the tarball would not install without a compiler" >&2; exit 1; }
