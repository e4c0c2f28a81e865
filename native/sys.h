// The raw syscalls, one implementation per platform (sys_unix.cc, sys_win.cc).
// Each returns 0 on success or a positive errno; never touches JS.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sockopt {

// len is in/out: capacity on entry, bytes the kernel wrote on return.
int SysGet(int fd, int level, int optname, void* buf, uint32_t* len);
int SysSet(int fd, int level, int optname, const void* buf, uint32_t len);

}  // namespace sockopt
