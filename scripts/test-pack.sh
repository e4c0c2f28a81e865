#!/usr/bin/env bash
# The package as users get it, from the tarball `npm pack` makes by itself (its
# prepack builds what is stale and checks all five prebuilds, scripts/prebuilds-all.sh):
# the tarball's files with sizes; every relative link of its README.md resolves inside
# it (scripts/check-pack-links.js); each binary checked from the tarball
# (scripts/check-binary.sh); installed into an empty project with no compiler, make or
# python on PATH, with --ignore-scripts and with scripts; every exports entry resolves;
# used from CJS, ESM and TypeScript; the arm64 binary loaded from the installed package
# by an official arm64 Node under qemu-user; attw and publint. Prints "N passed, N failed" last.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check "description" command...: output shown only on failure
  local what=$1; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed + 1)); echo "ok   $what"; else failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/     /' "$work/out"; fi
}
show() { # show "description" command...: like check, and prints the output when it passes too
  local before=$failed
  check "$@"
  [ "$failed" -ne "$before" ] || sed 's/^/     /' "$work/out"
}
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

cd "$root"
start=$SECONDS
# npm pack prints the prepack output and the file listing on stderr/stdout; keep both.
check "npm pack (prepack: build what is stale, check all five prebuilds)" bash -c "npm pack --pack-destination '$work' >'$work/pack.log' 2>&1"
grep -E '^(built|ok|FAIL|FAILED|prebuilds:)' "$work/pack.log" | sed 's/^/     /'
echo "     npm pack took $((SECONDS - start)) s"
tgz=$(ls "$work"/*.tgz 2>/dev/null | head -1)
[ -n "$tgz" ] || { tail -30 "$work/pack.log"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
echo "tarball: $(basename "$tgz"), $(stat -c %s "$tgz") bytes packed"
tar -tvzf "$tgz" | awk '{ sub(/^package\//, "", $6); printf "     %9d  %s\n", $3, $6 }' | sort -k2 > "$work/listing"
cat "$work/listing"
awk '{ print $2 }' "$work/listing" > "$work/files"

binaries=(
  "linux-x64-glibc prebuilds/linux-x64/sockopt.glibc.node"
  "linux-x64-musl prebuilds/linux-x64/sockopt.musl.node"
  "linux-arm64-glibc prebuilds/linux-arm64/sockopt.glibc.node"
  "darwin-x64 prebuilds/darwin-x64/sockopt.node"
  "darwin-arm64 prebuilds/darwin-arm64/sockopt.node"
)
has() { for f in "$@"; do grep -qxF "$f" "$work/files" || { echo "missing: $f"; return 1; }; done; }
check "tarball holds all five binaries" has $(printf '%s\n' "${binaries[@]}" | awk '{ print $2 }')
check "tarball holds lib/, native/, binding.gyp, LICENSE, README.md" has lib/index.js lib/index.mjs lib/index.d.ts binding.gyp native/addon.cc LICENSE README.md package.json
mkdir -p "$work/x" && tar -xzf "$tgz" -C "$work/x"
check "every relative link in the packed README.md names a file in the tarball" node scripts/check-pack-links.js "$work/x/package/README.md" "$work/files"
check "tarball holds no tests, build output, caches or source maps" bash -c "! grep -E '^(test|build|bench|scripts|examples|\\.cache)/|\\.map\$|\\.tmp\$' '$work/files'"
for b in "${binaries[@]}"; do
  set -- $b
  show "$1 binary from the tarball: $2" bash scripts/check-binary.sh "$1" "$work/x/package/$2"
done

# A PATH with node and npm but no compiler, make or python: the prebuild must be what loads.
mkdir -p "$work/bin" "$work/app" "$work/app2"
for tool in node npm npx sh bash env dirname cat; do ln -sf "$(command -v $tool)" "$work/bin/$tool"; done
nocc() { env -i HOME="$HOME" PATH="$work/bin" npm_config_cache="${npm_config_cache:-$HOME/.npm}" CC=/nonexistent CXX=/nonexistent "$@"; }
check "no compiler, make or python on the hidden PATH" nocc bash -c '! command -v g++ && ! command -v cc && ! command -v make && ! command -v python3'
cd "$work/app"
echo '{ "name": "consumer", "version": "1.0.0", "private": true }' > package.json
show "npm install <tarball> --ignore-scripts (compiler hidden)" nocc npm install --ignore-scripts --no-audit --no-fund "$tgz"
check "installed package has no build/ (so the prebuild is loaded)" test ! -e node_modules/sockopt/build
# With its install script (node-gyp-build): it finds the prebuild and compiles nothing. What npm prints is shown.
cd "$work/app2"
echo '{ "name": "consumer2", "version": "1.0.0", "private": true }' > package.json
show "npm install <tarball> with its install script (compiler hidden): what npm prints" nocc npm install --no-audit --no-fund "$tgz"
check "… node-gyp-build found the prebuild and compiled nothing (no build/)" test ! -e node_modules/sockopt/build
cd "$work/app"

# Every entry of package.json's exports (and bin, main, types) names a file in the package,
# and every subpath resolves from CommonJS and from ESM: generic, so new entries are covered.
cat > exports-check.mjs <<'JS'
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
const dir = join(process.cwd(), 'node_modules/sockopt');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const require = createRequire(join(process.cwd(), 'index.js'));
const problems = [];
const targets = [];
const walk = (where, v) => typeof v === 'string' ? targets.push([where, v]) : v && Object.entries(v).forEach(([k, x]) => walk(`${where} ${k}`, x));
walk('exports', pkg.exports);
walk('bin', typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin);
for (const f of ['main', 'types']) if (pkg[f]) targets.push([f, pkg[f]]);
for (const [where, file] of targets) if (!file.includes('*') && !existsSync(join(dir, file))) problems.push(`${where} → ${file} is not in the package`);
// A bin must start with a shebang (npm links it as an executable) and be linked in node_modules/.bin.
for (const [name, file] of Object.entries(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin ?? {})) {
  if (existsSync(join(dir, file)) && !readFileSync(join(dir, file), 'utf8').startsWith('#!')) problems.push(`bin ${name} → ${file} has no #! line`);
  if (!existsSync(join(process.cwd(), 'node_modules/.bin', name))) problems.push(`bin ${name} is not linked in node_modules/.bin`);
}
const subpaths = typeof pkg.exports === 'object' && Object.keys(pkg.exports).some((k) => k.startsWith('.')) ? Object.keys(pkg.exports) : ['.'];
for (const sub of subpaths.filter((s) => !s.includes('*'))) {
  const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
  const conds = JSON.stringify(pkg.exports[sub] ?? pkg.exports);
  try { if (conds.includes('require') || conds.includes('default') || typeof pkg.exports[sub] === 'string') require.resolve(spec); } catch (e) { problems.push(`require.resolve('${spec}'): ${e.message}`); }
  try { if (conds.includes('import') || conds.includes('default') || typeof pkg.exports[sub] === 'string') import.meta.resolve(spec); } catch (e) { problems.push(`import.meta.resolve('${spec}'): ${e.message}`); }
}
console.log(`${targets.length} targets, ${subpaths.length} subpaths: ${subpaths.join(', ')}${pkg.bin ? `; bin: ${Object.keys(typeof pkg.bin === 'string' ? { [pkg.name]: 1 } : pkg.bin).join(', ')}` : ''}`);
if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
JS
show "every exports/bin/main/types entry names a file and resolves (CJS and ESM)" nocc node exports-check.mjs

live='const net = require("node:net"); const s = net.createServer().listen(0, "127.0.0.1", () => { const c = net.connect(s.address().port, "127.0.0.1", () => { M.setsockopt(c, "TCP_USER_TIMEOUT", 4242); const v = M.getsockopt(c, "TCP_USER_TIMEOUT"); c.destroy(); s.close(); if (v !== 4242) process.exit(1); console.log("TCP_USER_TIMEOUT", v, "from", require("node-gyp-build").path(require("node:path").dirname(require.resolve("sockopt/package.json")))); }); });'
show "require('sockopt') on a live socket" nocc node -e "const M = require('sockopt'); $live"
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

# The arm64 binary, from the installed package, in an official arm64 Node under qemu-user.
. "$root/scripts/arm64-node.sh" >/dev/null 2>&1
show "linux-arm64: official arm64 Node under qemu loads the installed package's prebuild" qemu-aarch64-static -L "$arm64_root" "$node_arm64" -e '
  const { getsockopt, setsockopt } = require("sockopt");
  const net = require("node:net");
  const where = require("node-gyp-build").path(require("node:path").dirname(require.resolve("sockopt/package.json")));
  if (!where.endsWith("prebuilds/linux-arm64/sockopt.glibc.node")) { console.log("loaded", where); process.exit(3); }
  const s = net.createServer().listen(0, "127.0.0.1", () => {
    const c = net.connect(s.address().port, "127.0.0.1", () => {
      setsockopt(c, "TCP_USER_TIMEOUT", 12345);
      const v = getsockopt(c, "TCP_USER_TIMEOUT");
      console.log(`Node ${process.version} ${process.arch} loaded ${where.slice(where.indexOf("node_modules"))}; TCP_USER_TIMEOUT ${v}, SO_RCVBUF ${getsockopt(c, "SO_RCVBUF")}`);
      c.destroy(); s.close();
      if (v !== 12345) process.exit(1);
    });
  });'

cd "$root"
check "attw (are the types wrong)" node node_modules/@arethetypeswrong/cli/dist/index.js "$tgz" --profile node16 --format table-flipped
sed 's/\x1b\[[0-9;]*m//g' "$work/out" | grep -vE '^[┌├└]' | sed 's/^/     /' 
check "publint" node node_modules/publint/src/cli.js run "$tgz" --strict
tail -2 "$work/out" | sed 's/^/     /' 
echo "test:pack took $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
