// Several options of one socket set in one crossing (setMany).
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterBatch(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
