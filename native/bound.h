// The int-sized options behind one native get(fd, id) and set(fd, id, value) (bindTable).
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterBound(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
