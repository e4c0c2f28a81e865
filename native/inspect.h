// Reads used by snapshot() and the struct options: a batch of int options in
// one crossing, peer credentials, and the socket's own and peer addresses.
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterInspect(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
