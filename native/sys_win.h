// Windows (included by sys.h only): Node-API gives no way to reach the SOCKET behind a
// libuv handle (Node reports fd -1 there), so every call fails cleanly with ENOTSUP.
#pragma once
#include <cerrno>
#include <cstdint>

namespace sockopt {

inline int SysGet(int, int, int, void*, uint32_t*) { return ENOTSUP; }
inline int SysSet(int, int, int, const void*, uint32_t) { return ENOTSUP; }

}  // namespace sockopt
