// Both addresses of a connected socket in one crossing, for the close records of
// trackConnections: names_unix.cc; socket_win.cc registers none.
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterNames(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
