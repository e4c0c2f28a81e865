#!/usr/bin/env bash
# Checks one prebuilt addon without running it (cross builds cannot run here; the
# arm64 one is also run under qemu by test-pack.sh). Prints what it found; exits
# non-zero on the first thing wrong.
#   scripts/check-binary.sh linux-x64-glibc|linux-x64-musl|linux-arm64-glibc|darwin-x64|darwin-arm64 FILE
set -euo pipefail
target=$1 file=$2
fail() { echo "FAIL: $*"; exit 1; }
[ -s "$file" ] || fail "$file is missing or empty"
type=$(file -b "$file")
echo "file: $type"

# One tool per format: binutils' readelf for ELF; LLVM's objdump for Mach-O (binutils' nm
# on Debian does not read Mach-O: "file format not recognized").
objdump=$(command -v llvm-objdump || ls /usr/bin/llvm-objdump-* 2>/dev/null | sort -V | tail -1 || true)

elf() { # elf <file(1) machine> <libc>
  case $type in "ELF 64-bit LSB shared object, $1,"*) ;; *) fail "not a 64-bit $1 ELF shared object" ;; esac
  local syms needed versions
  syms=$(readelf --dyn-syms -W "$file")  # whole output first: grep -q in a pipe under pipefail can SIGPIPE readelf
  grep -qE ' FUNC +GLOBAL +DEFAULT +[0-9]+ napi_register_module_v1$' <<<"$syms" || fail "napi_register_module_v1 is not exported"
  needed=$(readelf -d "$file" | awk '/NEEDED/ { print $5 }' | tr -d '[]' | tr '\n' ' ')
  versions=$(readelf -V "$file")
  echo "exports napi_register_module_v1; NEEDED: $needed"
  if [ "$2" = musl ]; then
    grep -q GLIBC_ <<<"$versions" && fail "glibc symbol versions in a musl binary"
    case " $needed " in *libc.so.6*|*libstdc++*|*libm.so.6*) fail "glibc libraries needed by a musl binary" ;; esac
    echo "musl only: no glibc library needed, no GLIBC_ symbol version"
  else
    echo "newest glibc symbol version needed: $(grep -oE 'GLIBC_[0-9.]+' <<<"$versions" | sort -uV | tail -1)"
  fi
}

macho() { # macho <file(1) arch> <objdump arch>
  case $type in "Mach-O 64-bit $1 dynamically linked shared library"*) ;; *) fail "not a 64-bit $1 Mach-O dylib" ;; esac
  [ -n "$objdump" ] || fail "llvm-objdump not found (apt-get install llvm)"
  local headers exports dylibs binds flat other bad minos
  headers=$("$objdump" --macho --private-headers "$file")
  minos=$(awk '/LC_BUILD_VERSION/ { b = 1 } b && $1 == "minos" { print $2; exit }' <<<"$headers")
  [ "$minos" = 11.0 ] || fail "minimum macOS is '$minos', expected 11.0 (binding.gyp's MACOSX_DEPLOYMENT_TARGET)"
  exports=$("$objdump" --macho --exports-trie "$file")
  grep -qE ' _napi_register_module_v1$' <<<"$exports" || fail "_napi_register_module_v1 is not exported"
  local id
  id=$("$objdump" --macho --dylib-id "$file" | tail -n +2)
  dylibs=$("$objdump" --macho --dylibs-used "$file" | tail -n +2 | awk '{ print $1 }' | grep -vxF "$id" || true)
  [ "$dylibs" = /usr/lib/libSystem.B.dylib ] || fail "links dylibs other than libSystem: $dylibs"
  # Every symbol bound at load: libSystem's (libc, libm, pthreads) by name from that dylib,
  # and through -undefined dynamic_lookup only Node's own N-API and libuv functions.
  binds=$( { "$objdump" --macho --bind "$file"; "$objdump" --macho --lazy-bind "$file"; "$objdump" --macho --weak-bind "$file"; } |
    awk '$NF ~ /^_|^dyld_stub_binder$/ && NF >= 4 { print $(NF-1), $NF }' | sort -u)
  flat=$(awk '$1 == "flat-namespace" { print $2 }' <<<"$binds")
  other=$(awk '$1 != "flat-namespace" { print $1 }' <<<"$binds" | sort -u | tr '\n' ' ')
  bad=$(grep -vE '^_(napi|node_api|uv)_' <<<"$flat" || true)
  [ -z "$bad" ] || fail "symbols left to dynamic lookup that Node does not provide: $(tr '\n' ' ' <<<"$bad")"
  [ "$other" = "libSystem " ] || fail "symbols bound from: $other"
  echo "minimum macOS $minos; exports _napi_register_module_v1 ($(grep -c ' _' <<<"$exports") exported symbols in all)"
  echo "install name $id; dylibs: $dylibs; bound at load: $(grep -c '^libSystem ' <<<"$binds") symbols from libSystem, $(wc -l <<<"$flat") by dynamic lookup, all _napi_*/_uv_*"
  # The macOS code paths: a constant's name is in the binary only if the SDK's headers
  # defined it (constants.cc #ifdef), and tcp_info_darwin.cc's layout names its members.
  local strs missing=() linux_only=()
  strs=$(strings -a "$file")
  for want in SO_LINGER_SEC TCP_KEEPALIVE TCP_CONNECTION_INFO TCP_CONNECTIONTIMEOUT SO_NOSIGPIPE tcpConnectionInfo tcpi_srtt tcpi_snd_cwnd tcpi_txretransmitpackets; do
    grep -qx "$want" <<<"$strs" || missing+=("$want")
  done
  [ ${#missing[@]} -eq 0 ] || fail "macOS code paths missing: ${missing[*]}"
  for linux in TCP_USER_TIMEOUT TCP_CONGESTION SO_PEERCRED tcpInfoFields; do grep -qx "$linux" <<<"$strs" && linux_only+=("$linux"); done
  [ ${#linux_only[@]} -eq 0 ] || fail "Linux-only names compiled in (not the macOS headers?): ${linux_only[*]}"
  # Apple silicon runs arm64 code only under a valid signature (zig's linker signs ad hoc).
  if [ "$1" = arm64 ]; then node "$(dirname "$0")/check-macho-signature.js" "$file" || exit 1; fi
  echo "compiled in: SO_LINGER_SEC, TCP_KEEPALIVE, TCP_CONNECTION_INFO + struct tcp_connection_info layout; absent: TCP_USER_TIMEOUT, TCP_CONGESTION, SO_PEERCRED, Linux tcp_info"
}

case $target in
  linux-x64-glibc) elf x86-64 glibc ;;
  linux-x64-musl) elf x86-64 musl ;;
  linux-arm64-glibc) elf 'ARM aarch64' glibc ;;
  darwin-x64) macho x86_64 ;;
  darwin-arm64) macho arm64 ;;
  *) fail "unknown target $target" ;;
esac
