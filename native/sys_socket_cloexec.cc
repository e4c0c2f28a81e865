// socket() for Linux and the BSDs: SOCK_CLOEXEC sets close-on-exec atomically.
#include <sys/socket.h>

#include <cerrno>

#include "sys.h"

namespace sockopt {

int SysSocket(int domain, int type, int* fd) {
  *fd = socket(domain, type | SOCK_CLOEXEC, 0);
  return *fd < 0 ? errno : 0;
}

}  // namespace sockopt
