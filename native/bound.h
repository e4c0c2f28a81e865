// Native get(fd)/set(fd, value) functions bound to one int-sized option (bindInt).
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterBound(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
