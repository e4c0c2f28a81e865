// The raw syscalls, one implementation per platform (sys_unix.cc, sys_win.cc).
// Each returns 0 on success or a positive errno; never touches JS.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sockopt {

// len is in/out: capacity on entry, bytes the kernel wrote on return.
int SysGet(int fd, int level, int optname, void* buf, uint32_t* len);
int SysSet(int fd, int level, int optname, const void* buf, uint32_t len);

// socket(domain, type, 0) with close-on-exec set, so a child process never
// inherits it: *fd and 0, or a positive errno. sys_socket_cloexec.cc (Linux,
// BSD: SOCK_CLOEXEC, atomic) or sys_socket_darwin.cc (macOS has no SOCK_CLOEXEC).
int SysSocket(int domain, int type, int* fd);

}  // namespace sockopt
