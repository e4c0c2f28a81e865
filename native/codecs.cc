#include "codecs.h"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/socket.h>
#include <sys/time.h>
#endif

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "args.h"
#include "sys.h"

namespace sockopt {

namespace {

bool Get(const Napi::CallbackInfo& info, const Target& t, void* buf, uint32_t* len) {
  int err = SysGet(t.fd, t.level, t.optname, buf, len);
  if (err != 0) {
    ThrowSystemError(info.Env(), err, "getsockopt");
    return false;
  }
  return true;
}

Napi::Value Set(const Napi::CallbackInfo& info, const Target& t, const void* buf, uint32_t len) {
  int err = SysSet(t.fd, t.level, t.optname, buf, len);
  if (err != 0) ThrowSystemError(info.Env(), err, "setsockopt");
  return info.Env().Undefined();
}

// null or a finite number >= 0 (else throws); *isNull tells which.
bool ReadNullableNonNegative(const Napi::CallbackInfo& info, const char* name, double max, double* out,
                             bool* isNull) {
  Napi::Value v = info[3];
  *isNull = v.IsNull();
  if (*isNull) return true;
  if (!v.IsNumber()) {
    ThrowTypeError(info.Env(), (std::string("The \"") + name + "\" argument must be of type number or null").c_str());
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max)) {
    ThrowRangeError(info.Env(), (std::string("The \"") + name + "\" argument is out of range").c_str());
    return false;
  }
  *out = d;
  return true;
}

// The hottest calls skip node-addon-api's CallbackInfo and read their three or four
// int arguments with one napi_get_value_double each (which type-checks too).
bool FastArgs(napi_env env, napi_callback_info cbinfo, size_t want, int32_t* out) {
  static const char* const kNames[] = {"fd", "level", "optname", "value"};
  napi_value argv[4];
  size_t argc = 4;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  napi_value undef;
  napi_get_undefined(env, &undef);
  for (size_t i = 0; i < want; i++) {
    if (!ReadInt32Value(env, i < argc ? argv[i] : undef, kNames[i], &out[i])) return false;
  }
  if (out[0] < 0) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0");
    return false;
  }
  return true;
}

}  // namespace

struct timeval TimevalFromMs(double ms) {
  struct timeval tv;
  std::memset(&tv, 0, sizeof tv);
  // To the nearest microsecond, but a positive timeout never becomes 0, which the
  // kernel reads as "no timeout" (0.0004 ms must not mean "wait forever").
  double usec = std::round(ms * 1000);
  if (usec == 0 && ms > 0) usec = 1;
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(std::floor(usec / 1e6));
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(usec - static_cast<double>(tv.tv_sec) * 1e6);
  return tv;
}

napi_value GetInt(napi_env env, napi_callback_info cbinfo) {
  int32_t a[3];
  if (!FastArgs(env, cbinfo, 3, a)) return nullptr;
  int value = 0;
  uint32_t len = sizeof value;
  int err = SysGet(a[0], a[1], a[2], &value, &len);
  if (err != 0) {
    ThrowSystemError(Napi::Env(env), err, "getsockopt");
    return nullptr;
  }
  if (len == 1) value = *reinterpret_cast<unsigned char*>(&value);
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

napi_value SetInt(napi_env env, napi_callback_info cbinfo) {
  int32_t a[4];
  if (!FastArgs(env, cbinfo, 4, a)) return nullptr;
  int v = a[3];
  int err = SysSet(a[0], a[1], a[2], &v, sizeof v);
  if (err != 0) ThrowSystemError(Napi::Env(env), err, "setsockopt");
  return nullptr;
}

double MsFromTimeval(const struct timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1000 + static_cast<double>(tv.tv_usec) / 1000;
}

// Timeouts: milliseconds in JS, struct timeval in the kernel; 0 means "off" and reads as null.
Napi::Value GetTimeval(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  struct timeval tv;
  std::memset(&tv, 0, sizeof tv);
  uint32_t len = sizeof tv;
  if (!Get(info, t, &tv, &len)) return Napi::Value();
  double ms = MsFromTimeval(tv);
  if (ms == 0) return info.Env().Null();
  return Napi::Number::New(info.Env(), ms);
}

Napi::Value SetTimeval(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  double ms = 0;
  bool off;
  if (!ReadNullableNonNegative(info, "milliseconds", kMaxTimeoutMs, &ms, &off)) return Napi::Value();
  struct timeval tv = TimevalFromMs(off ? 0 : ms);
  return Set(info, t, &tv, sizeof tv);
}

// Linger: whole seconds, or null when off.
Napi::Value GetLinger(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  struct linger l;
  std::memset(&l, 0, sizeof l);
  uint32_t len = sizeof l;
  if (!Get(info, t, &l, &len)) return Napi::Value();
  if (!l.l_onoff) return info.Env().Null();
  return Napi::Number::New(info.Env(), l.l_linger);
}

Napi::Value SetLinger(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  double seconds = 0;
  bool off;
  if (!ReadNullableNonNegative(info, "seconds", INT32_MAX, &seconds, &off)) return Napi::Value();
  if (std::trunc(seconds) != seconds) {
    ThrowRangeError(info.Env(), "The \"seconds\" argument must be an integer");
    return Napi::Value();
  }
  struct linger l;
  std::memset(&l, 0, sizeof l);
  l.l_onoff = off ? 0 : 1;
  l.l_linger = static_cast<decltype(l.l_linger)>(seconds);
  return Set(info, t, &l, sizeof l);
}

Napi::Value GetString(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  char buf[kMaxString];
  std::memset(buf, 0, sizeof buf);
  uint32_t len = sizeof buf - 1;  // always leaves a NUL behind the copy
  if (!Get(info, t, buf, &len)) return Napi::Value();
  return Napi::String::New(info.Env(), buf, strnlen(buf, len));
}

Napi::Value SetString(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  if (!info[3].IsString()) {
    ThrowTypeError(info.Env(), "The \"value\" argument must be of type string");
    return Napi::Value();
  }
  std::string s = info[3].As<Napi::String>().Utf8Value();
  if (s.size() >= kMaxString || std::memchr(s.data(), 0, s.size()) != nullptr) {
    ThrowRangeError(info.Env(), "The \"value\" argument must be shorter than 256 bytes and contain no NUL");
    return Napi::Value();
  }
  return Set(info, t, s.data(), static_cast<uint32_t>(s.size()));
}

Napi::Value GetU64(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  uint64_t value = 0;
  uint32_t len = sizeof value;
  if (!Get(info, t, &value, &len)) return Napi::Value();
  return Napi::BigInt::New(info.Env(), value);
}

// Raw read: a Buffer of exactly the length the kernel returned.
Napi::Value GetBuffer(const Napi::CallbackInfo& info) {
  Target t;
  int32_t want;
  if (!ReadTarget(info, &t) || !ReadInt32(info, 3, "length", &want)) return Napi::Value();
  if (want < 0 || static_cast<uint32_t>(want) > kMaxRaw) {
    ThrowRangeError(info.Env(), "The \"length\" argument must be >= 0 and <= 1048576");
    return Napi::Value();
  }
  std::vector<uint8_t> buf(want > 0 ? want : 1, 0);  // zeroed: never hand out stale bytes
  uint32_t len = static_cast<uint32_t>(want);
  if (!Get(info, t, buf.data(), &len)) return Napi::Value();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), buf.data(), len);
}

// Raw read into the caller's bytes (a Buffer, TypedArray or DataView, at its offset;
// SharedArrayBuffer-backed too): returns how many the kernel wrote. Allocates nothing, so
// the JS layer's length form costs a pooled Buffer.allocUnsafe instead of a new backing
// store per call. A raw N-API callback, like getInt.
napi_value GetInto(napi_env env, napi_callback_info cbinfo) {
  static const char* const kNames[] = {"fd", "level", "optname"};
  napi_value argv[4];
  size_t argc = 4;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);  // missing ones are undefined
  int32_t a[3];
  for (int i = 0; i < 3; i++) {
    if (!ReadInt32Value(env, argv[i], kNames[i], &a[i])) return nullptr;
  }
  if (a[0] < 0) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0");
    return nullptr;
  }
  const uint8_t* data;
  size_t len;
  if (!ReadBytes(env, argv[3], "buffer", &data, &len)) return nullptr;
  // The kernel writes at most this many bytes, however long the view is.
  uint32_t n = len > kMaxRaw ? kMaxRaw : static_cast<uint32_t>(len);
  int err = SysGet(a[0], a[1], a[2], const_cast<uint8_t*>(data), &n);
  if (err != 0) {
    ThrowSystemError(Napi::Env(env), err, "getsockopt");
    return nullptr;
  }
  napi_value result;
  napi_create_uint32(env, n, &result);
  return result;
}

Napi::Value SetBuffer(const Napi::CallbackInfo& info) {
  Target t;
  if (!ReadTarget(info, &t)) return Napi::Value();
  const uint8_t* data;
  size_t len;
  if (!ReadBytes(info.Env(), info[3], "value", &data, &len)) return Napi::Value();
  if (len > kMaxRaw) {
    ThrowRangeError(info.Env(), "The \"value\" argument must be at most 1048576 bytes");
    return Napi::Value();
  }
  // Copied first: a SharedArrayBuffer's bytes may change under another thread while the
  // kernel reads them; the kernel then gets one consistent snapshot.
  std::vector<uint8_t> copy(data, data + len);
  return Set(info, t, copy.data(), static_cast<uint32_t>(len));
}

}  // namespace sockopt
