// POSIX getsockopt/setsockopt (included by sys.h only).
#pragma once
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

namespace sockopt {

// len is in/out: capacity on entry, bytes the kernel wrote on return.
inline int SysGet(int fd, int level, int optname, void* buf, uint32_t* len) {
  socklen_t l = *len;
  if (getsockopt(fd, level, optname, buf, &l) != 0) return errno;
  // Some kernels report the option's full size even when it truncated the copy.
  *len = l < *len ? l : *len;
  return 0;
}

inline int SysSet(int fd, int level, int optname, const void* buf, uint32_t len) {
  if (setsockopt(fd, level, optname, buf, len) != 0) return errno;
  return 0;
}

}  // namespace sockopt
