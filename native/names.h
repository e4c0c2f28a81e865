// Both addresses of a connected socket in one crossing, for the close records of
// trackConnections: names_unix.cc; socket_win.cc registers none.
#pragma once
#include <napi.h>

#include <cstdint>

namespace sockopt {

void RegisterNames(Napi::Env env, Napi::Object exports);

// socketNames' work without the crossing: fills out[0..11] as socketNames documents and
// returns 0, or returns getsockname's errno (out then all zero). Unix only.
int FillSocketNames(int fd, int32_t* out);

}  // namespace sockopt
