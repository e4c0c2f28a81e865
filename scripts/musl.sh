#!/usr/bin/env bash
# linux-x64 musl (Alpine) prebuild with zig's C/C++ toolchain from the npm registry
# (scripts/zig.sh), then proof that the binary depends on musl only: no glibc NEEDED
# entry, no GLIBC_ symbol versions (scripts/check-binary.sh).
#   scripts/musl.sh → prebuilds/linux-x64/sockopt.musl.node
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
. scripts/zig.sh  # sets $zig
echo "zig $("$zig" version)"
# Wrappers, because make treats CC/CXX as one word each.
bin=$(mktemp -d)
# prebuildify builds in build/: restore the host build (unless SOCKOPT_KEEP_BUILD=1, see prebuilds-all.sh)
trap 'rm -rf "$bin"; [ "${SOCKOPT_KEEP_BUILD:-0}" = 1 ] || (cd "$root" && npx node-gyp rebuild >/dev/null 2>&1)' EXIT
printf '#!/bin/sh\nexec "%s" cc -target x86_64-linux-musl "$@"\n' "$zig" > "$bin/cc"
printf '#!/bin/sh\nexec "%s" c++ -target x86_64-linux-musl "$@"\n' "$zig" > "$bin/c++"
chmod +x "$bin/cc" "$bin/c++"
CC="$bin/cc" CXX="$bin/c++" LINK="$bin/c++" PREBUILD_LIBC=musl \
  npx prebuildify --napi --strip --tag-libc >/dev/null 2>&1
out=prebuilds/linux-x64/sockopt.musl.node
bash scripts/check-binary.sh linux-x64-musl "$out"
