// This process as a whole (exit_now.cc).
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterProcess(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
