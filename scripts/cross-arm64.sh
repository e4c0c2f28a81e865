#!/usr/bin/env bash
# linux-arm64 prebuild, cross-compiled with Debian's aarch64 toolchain. test-pack.sh
# proves it by loading it from the packed tarball in an official arm64 Node under
# qemu-user (scripts/arm64-node.sh).
#   scripts/cross-arm64.sh   → prebuilds/linux-arm64/sockopt.glibc.node
# Needs (apt): g++-aarch64-linux-gnu qemu-user-static — installed here if missing (root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64-static >/dev/null; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q g++-aarch64-linux-gnu qemu-user-static >/dev/null
fi
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
# prebuildify builds in build/, so the host's build/Release is rebuilt afterwards
# (unless SOCKOPT_KEEP_BUILD=1: prebuilds-all.sh builds the host binary last anyway).
[ "${SOCKOPT_KEEP_BUILD:-0}" = 1 ] || trap 'npx node-gyp rebuild >/dev/null 2>&1' EXIT
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip \
  npx prebuildify --napi --strip --tag-libc --arch arm64 --platform linux >/dev/null 2>&1
out=prebuilds/linux-arm64/sockopt.glibc.node
ls -l "$out"; file "$out"
