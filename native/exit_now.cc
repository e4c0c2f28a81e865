// exitNow(code): ends this process at once with `code`, without exit handlers or static
// destructors. For the `sockopt` command only (src/node/stuck-lookup.ts): a getaddrinfo
// that outlived --timeout holds a libuv pool thread, and libuv joins its pool in a
// destructor, so even process.exit() would wait for the resolver to give up.
#include <napi.h>

#include <cstdio>
#include <cstdlib>

#include "args.h"
#include "process.h"

namespace sockopt {
namespace {

Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  int32_t code;
  if (!ReadInt32(info, 0, "code", &code)) return Napi::Value();
  if (code < 0 || code > 255) {
    ThrowRangeError(info.Env(), "The \"code\" argument must be >= 0 and <= 255");
    return Napi::Value();
  }
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace

void RegisterProcess(Napi::Env env, Napi::Object exports) {
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow"));
#ifndef _WIN32
  RegisterTerminal(env, exports);
#endif
}

}  // namespace sockopt
