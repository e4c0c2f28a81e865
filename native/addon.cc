// Module entry: one export per native function, plus the compiled constants.
// No global mutable state, so the addon is safe in worker threads.
#include <napi.h>

#include "batch.h"
#include "bound.h"
#include "codecs.h"
#include "constants.h"
#include "diag.h"
#include "inspect.h"
#include "kinds.h"
#include "names.h"
#include "process.h"
#include "socket.h"
#include "tcp_info.h"

namespace sockopt {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "getInt", NAPI_AUTO_LENGTH, GetInt, nullptr, &fn);
  exports.Set("getInt", fn);
  napi_create_function(env, "setInt", NAPI_AUTO_LENGTH, SetInt, nullptr, &fn);
  exports.Set("setInt", fn);
  exports.Set("getTimeval", Napi::Function::New(env, GetTimeval, "getTimeval"));
  exports.Set("setTimeval", Napi::Function::New(env, SetTimeval, "setTimeval"));
  exports.Set("getLinger", Napi::Function::New(env, GetLinger, "getLinger"));
  exports.Set("setLinger", Napi::Function::New(env, SetLinger, "setLinger"));
  exports.Set("getString", Napi::Function::New(env, GetString, "getString"));
  exports.Set("setString", Napi::Function::New(env, SetString, "setString"));
  exports.Set("getU64", Napi::Function::New(env, GetU64, "getU64"));
  exports.Set("getBuffer", Napi::Function::New(env, GetBuffer, "getBuffer"));
  napi_create_function(env, "getInto", NAPI_AUTO_LENGTH, GetInto, nullptr, &fn);
  exports.Set("getInto", fn);
  exports.Set("setBuffer", Napi::Function::New(env, SetBuffer, "setBuffer"));
  RegisterBatch(env, exports);
  RegisterBound(env, exports);
  RegisterTcpInfo(env, exports);
  RegisterInspect(env, exports);
  RegisterSocket(env, exports);
  RegisterNames(env, exports);
  RegisterPidfd(env, exports);
  RegisterQueues(env, exports);
  RegisterSockDiag(env, exports);
  RegisterDuplicates(env, exports);
  RegisterProcess(env, exports);
  exports.Set("constants", Constants(env));
  exports.Set("sizes", Sizes(env));
  exports.Set("kinds", Kinds(env));
  return exports;
}

}  // namespace sockopt

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return sockopt::Init(env, exports); }

NODE_API_MODULE(sockopt, InitModule)
