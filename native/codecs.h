// One native function pair per value kind. Each takes (fd, level, optname, …)
// and does exactly one getsockopt/setsockopt.
#pragma once
#include <napi.h>

#include <cstdint>

#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/time.h>
#endif

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

// Milliseconds (>= 0; 0 = no timeout) as the kernel's struct timeval; shared by setTimeval
// and the batch setter.
struct timeval TimevalFromMs(double ms);
// The kernel's struct timeval as milliseconds (0 = no timeout).
double MsFromTimeval(const struct timeval& tv);
// Seconds must fit a 32-bit time_t on every platform we build for.
constexpr double kMaxTimeoutMs = static_cast<double>(INT32_MAX) * 1000;
// The cap on raw option lengths (reads and writes).
constexpr uint32_t kMaxRaw = 1 << 20;
// A string option's bytes, NUL excluded (TCP_CA_NAME_MAX and IFNAMSIZ are 16).
constexpr uint32_t kMaxString = 256;

Napi::Value GetBuffer(const Napi::CallbackInfo& info);
napi_value GetInto(napi_env env, napi_callback_info cbinfo);
Napi::Value SetBuffer(const Napi::CallbackInfo& info);

}  // namespace sockopt
