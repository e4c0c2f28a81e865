#!/usr/bin/env bash
# The package as users get it: pack the tarball, install it into an empty project
# with --ignore-scripts and no compiler on PATH, then use it from CJS, ESM and
# TypeScript, and run attw and publint on it. Prints "N passed, N failed" last.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check "description" command...
  local what=$1; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed + 1)); echo "ok   $what"; else failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/     /' "$work/out"; fi
}

cd "$root"
[ -f prebuilds/linux-x64/sockopt.glibc.node ] || npm run prebuilds >/dev/null
tarball=$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)
tgz="$work/$tarball"
echo "tarball: $tarball, $(stat -c %s "$tgz") bytes packed"
tar -tzf "$tgz" | sed 's/^package\///' | sort > "$work/files"
check "tarball holds lib/, native/, binding.gyp, prebuilds/linux-x64" \
  bash -c "grep -qx lib/index.js '$work/files' && grep -qx lib/index.mjs '$work/files' && grep -qx binding.gyp '$work/files' && grep -qx native/addon.cc '$work/files' && grep -qx prebuilds/linux-x64/sockopt.glibc.node '$work/files'"
check "tarball holds no tests, build output or source maps" bash -c "! grep -E '^(test|build|bench|scripts|examples)/|\\.map\$' '$work/files'"

# A PATH with node and npm but no compiler, make or python: the prebuild must be what loads.
mkdir -p "$work/bin" "$work/app"
for tool in node npm npx sh bash env dirname cat; do ln -sf "$(command -v $tool)" "$work/bin/$tool"; done
nocc() { env -i HOME="$HOME" PATH="$work/bin" npm_config_cache="${npm_config_cache:-$HOME/.npm}" CC=/nonexistent CXX=/nonexistent "$@"; }
check "no compiler on the hidden PATH" nocc bash -c '! command -v g++ && ! command -v cc && ! command -v make'
cd "$work/app"
echo '{ "name": "consumer", "version": "1.0.0", "private": true }' > package.json
check "npm install <tarball> --ignore-scripts (compiler hidden)" nocc npm install --ignore-scripts --no-audit --no-fund "$tgz"
check "installed package has no build/ (so the prebuild is loaded)" test ! -e node_modules/sockopt/build

live='const net = require("node:net"); const s = net.createServer().listen(0, "127.0.0.1", () => { const c = net.connect(s.address().port, "127.0.0.1", () => { M.setsockopt(c, "TCP_USER_TIMEOUT", 4242); const v = M.getsockopt(c, "TCP_USER_TIMEOUT"); c.destroy(); s.close(); if (v !== 4242) process.exit(1); console.log("TCP_USER_TIMEOUT", v); }); });'
check "require('sockopt') on a live socket" nocc node -e "const M = require('sockopt'); $live"
check "import { getsockopt } from 'sockopt' on a live socket" nocc node --input-type=module -e "import { getsockopt, setsockopt } from 'sockopt'; import sockopt from 'sockopt'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); const M = { getsockopt, setsockopt }; if (typeof sockopt !== 'function') process.exit(2); $live"

cat > consumer.ts <<'TS'
import sockopt, { getsockopt, setsockopt, getTcpInfo, type TcpInfo } from 'sockopt';
import * as net from 'node:net';
declare const s: net.Socket;
const rcv: number = getsockopt(s, 'SO_RCVBUF');
const nodelay: boolean = getsockopt(s, 'TCP_NODELAY');
const info: TcpInfo = getTcpInfo(s);
setsockopt(s, 'SO_RCVTIMEO', 1500);
sockopt(s).set('TCP_USER_TIMEOUT', 30_000);
// @ts-expect-error TCP_NODELAY is a boolean
setsockopt(s, 'TCP_NODELAY', 5);
export { rcv, nodelay, info };
TS
tsc="$root/node_modules/typescript/bin/tsc"
for mod in nodenext commonjs; do
  res=$([ $mod = nodenext ] && echo nodenext || echo node10)
  check "TypeScript consumer typechecks (module: $mod)" nocc node "$tsc" --noEmit --strict --module $mod --moduleResolution $res --target es2022 \
    --types node --typeRoots "$root/node_modules/@types" --skipLibCheck false --esModuleInterop --ignoreDeprecations 6.0 consumer.ts
done
cd "$root"
check "attw (are the types wrong)" node node_modules/@arethetypeswrong/cli/dist/index.js "$tgz" --profile node16
cat "$work/out" | tail -15
check "publint" node node_modules/publint/src/cli.js --strict
cat "$work/out" | tail -5
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
