// One native function pair per value kind. Each takes (fd, level, optname, …)
// and does exactly one getsockopt/setsockopt.
#pragma once
#include <napi.h>

namespace sockopt {

// Raw N-API versions of getInt/setInt (the exported ones): no wrapper objects on the hot path.
napi_value FastGetInt(napi_env env, napi_callback_info cbinfo);
napi_value FastSetInt(napi_env env, napi_callback_info cbinfo);
Napi::Value GetInt(const Napi::CallbackInfo& info);
Napi::Value SetInt(const Napi::CallbackInfo& info);
Napi::Value GetTimeval(const Napi::CallbackInfo& info);
Napi::Value SetTimeval(const Napi::CallbackInfo& info);
Napi::Value GetLinger(const Napi::CallbackInfo& info);
Napi::Value SetLinger(const Napi::CallbackInfo& info);
Napi::Value GetString(const Napi::CallbackInfo& info);
Napi::Value SetString(const Napi::CallbackInfo& info);
Napi::Value GetU64(const Napi::CallbackInfo& info);
Napi::Value GetBuffer(const Napi::CallbackInfo& info);
Napi::Value SetBuffer(const Napi::CallbackInfo& info);

}  // namespace sockopt
