#pragma once
#include <napi.h>

namespace sockopt {

Napi::Object Constants(Napi::Env env);
Napi::Object Sizes(Napi::Env env);

}  // namespace sockopt
