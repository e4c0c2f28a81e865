#!/usr/bin/env bash
# Installs the pinned Bun and Deno used by test/runtimes (from the npm registry, the
# projects' own platform packages) into .cache/runtimes inside the clone. Idempotent:
# a version stamp marks a complete install, so a second run does nothing.
# Prints the two binaries' paths as `bun=PATH` and `deno=PATH` (for `eval`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BUN_VERSION=1.4.4
DENO_VERSION=2.9.6
dir="$root/.cache/runtimes"
stamp="$dir/installed-bun-$BUN_VERSION-deno-$DENO_VERSION"
bun="$dir/node_modules/@oven/bun-linux-x64/bin/bun"
deno="$dir/node_modules/@deno/linux-x64-glibc/deno"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "runtimes.sh: only linux-x64 is set up (this is $(uname -s)-$(uname -m))" >&2; exit 1 ;;
esac
if [ ! -f "$stamp" ] || [ ! -x "$bun" ] || [ ! -x "$deno" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  tmp=$(mktemp -d "$root/.cache/runtimes-tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo '{"private":true}' > "$tmp/package.json"
  (cd "$tmp" && npm install --no-audit --no-fund --silent --ignore-scripts \
    "@oven/bun-linux-x64@$BUN_VERSION" "@deno/linux-x64-glibc@$DENO_VERSION" >&2)
  chmod +x "$tmp/node_modules/@oven/bun-linux-x64/bin/bun" "$tmp/node_modules/@deno/linux-x64-glibc/deno"
  mv "$tmp"/* "$dir"/
  "$bun" --version >/dev/null
  "$deno" --version >/dev/null
  touch "$stamp"
fi
echo "bun=$bun"
echo "deno=$deno"
