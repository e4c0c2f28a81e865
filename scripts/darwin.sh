#!/usr/bin/env bash
# darwin-x64 and darwin-arm64 prebuilds, cross-compiled here with zig's toolchain
# (scripts/zig.sh) and its bundled macOS libc headers and libSystem stub. Nothing
# here can run a Mach-O binary: scripts/check-binary.sh inspects what was built.
#   scripts/darwin.sh [x64|arm64 ...] → prebuilds/darwin-<arch>/sockopt.node
# The sources and defines are binding.gyp's own for OS=='mac' (scripts/gyp-target.js);
# Node's headers come from $npm_config_nodedir/include/node (N-API is the same on every OS).
# As node-gyp does on macOS, the addon is linked with -undefined dynamic_lookup: napi_*
# and uv_* are found in the node process when it loads the addon. zig links its own
# libc++ statically (the system libc++ of macOS 11 lacks symbols its headers use).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
. scripts/zig.sh
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(x64 arm64)

# XNU_LAYOUT in src/kernel/tcp-info-darwin.ts (what decodes macOS captures on any platform, and
# what the tests build their buffers from) must be the SDK's own layout: each member's
# offset and size and the struct's size, as static_asserts compiled against the macOS
# headers zig bundles, for each architecture. Needs lib/ (npm run build:ts; prepack runs it).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
layout_check=$tmp/layout_check.cc
node -e '
  const { XNU_LAYOUT, XNU_SIZE } = require("./lib/kernel/tcp-info-darwin.js");
  console.log("#include <netinet/in.h>\n#include <netinet/tcp.h>\n#include <cstddef>\nusing T = struct tcp_connection_info;");
  console.log(`static_assert(sizeof(T) == ${XNU_SIZE}, "sizeof(struct tcp_connection_info)");`);
  for (const [m, [at, size]] of Object.entries(XNU_LAYOUT)) console.log(`static_assert(offsetof(T, ${m}) == ${at} && sizeof(T::${m}) == ${size}, "${m}");`);
' > "$layout_check"

mapfile -t sources < <(node scripts/gyp-target.js mac sources)
mapfile -t defines < <(node scripts/gyp-target.js mac defines | sed 's/^/-D/')
addon_api=$(node -p "require('node-addon-api').include_dir")
for arch in "${archs[@]}"; do
  case $arch in
    x64) target=x86_64-macos.11.0 ;;  # binding.gyp's MACOSX_DEPLOYMENT_TARGET
    arm64) target=aarch64-macos.11.0 ;;
    *) echo "darwin.sh: unknown arch $arch" >&2; exit 2 ;;
  esac
  "$zig" c++ -target "$target" -std=c++17 -c -o "$tmp/layout_check.o" "$layout_check"
  echo "$target: XNU_LAYOUT = the SDK's struct tcp_connection_info ($(grep -c static_assert "$layout_check") static_asserts)"
  out=prebuilds/darwin-$arch/sockopt.node
  mkdir -p "$(dirname "$out")"
  # The flags node-gyp's common.gypi and binding.gyp give a macOS build.
  "$zig" c++ -target "$target" -shared -fPIC -O2 -std=c++17 -fno-exceptions -fno-rtti \
    -fvisibility=hidden -Wall -Wextra -Werror \
    "${defines[@]}" -DBUILDING_NODE_EXTENSION -DNODE_GYP_MODULE_NAME=sockopt \
    -D_DARWIN_USE_64_BIT_INODE=1 -D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64 \
    -I"$addon_api" -I"$npm_config_nodedir/include/node" \
    -Wl,-undefined,dynamic_lookup -Wl,-install_name,@rpath/sockopt.node -s \
    -o "$tmp/sockopt.node" "${sources[@]}"  # its file name becomes the arm64 signature's identifier
  mv "$tmp/sockopt.node" "$out"
  echo "$out: $(stat -c %s "$out") bytes, $(file -b "$out" | cut -d, -f1)"
done
