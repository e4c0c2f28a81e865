// socket() for macOS, which has no SOCK_CLOEXEC: close-on-exec is set right after
// with fcntl. Between the two calls a fork+exec on another thread could inherit the
// fd: the window every macOS program has, as short as two syscalls.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sys.h"

namespace sockopt {

int SysSocket(int domain, int type, int* fd) {
  *fd = socket(domain, type, 0);
  if (*fd < 0) return errno;
  if (fcntl(*fd, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(*fd);
    *fd = -1;
    return err;
  }
  return 0;
}

}  // namespace sockopt
