// The raw syscalls, one implementation per platform (sys_unix.h, sys_win.h).
// Each returns 0 on success or a positive errno; never touches JS. SysGet/SysSet are
// inline because every call frame between JavaScript and the syscall costs a
// mispredicted return afterwards (the kernel refills the return-stack buffer on each
// exit; bench/rsb-depth.c measures it, docs/performance.md has the figure).
#pragma once
#include <cstddef>
#include <cstdint>

#ifdef _WIN32
#include "sys_win.h"
#else
#include "sys_unix.h"
#endif

namespace sockopt {

// socket(domain, type, 0) with close-on-exec set, so a child process never
// inherits it: *fd and 0, or a positive errno. sys_socket_cloexec.cc (Linux,
// BSD: SOCK_CLOEXEC, atomic) or sys_socket_darwin.cc (macOS has no SOCK_CLOEXEC).
int SysSocket(int domain, int type, int* fd);

}  // namespace sockopt
