// Sockets made before Node owns them, so options can be set between socket()
// and connect()/bind(): socket_unix.cc, and socket_win.cc which refuses cleanly.
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterSocket(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
