// One native function pair per value kind. Each takes (fd, level, optname, …)
// and does exactly one getsockopt/setsockopt.
#pragma once
#include <napi.h>

namespace sockopt {

// getInt/setInt are the hot path: raw N-API callbacks, no wrapper objects.
napi_value GetInt(napi_env env, napi_callback_info cbinfo);
napi_value SetInt(napi_env env, napi_callback_info cbinfo);
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
