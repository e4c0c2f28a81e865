// Reads used by snapshot() and the struct options: every option but TCP_INFO and both
// addresses in one crossing (readOptions), and peer credentials.
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterInspect(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
