// Windows: Node-API gives no way to reach the SOCKET behind a libuv handle
// (Node reports fd -1 there), so every call fails cleanly with ENOTSUP.
#include "sys.h"

#include <cerrno>

namespace sockopt {

int SysGet(int, int, int, void*, uint32_t*) { return ENOTSUP; }
int SysSet(int, int, int, const void*, uint32_t) { return ENOTSUP; }

}  // namespace sockopt
