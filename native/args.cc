#include "args.h"

#include <uv.h>

#include <cmath>
#include <string>

namespace sockopt {

namespace {

void ThrowWithCode(Napi::Error err, const char* code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  err.ThrowAsJavaScriptException();
}

}  // namespace

void ThrowTypeError(Napi::Env env, const char* message) {
  ThrowWithCode(Napi::TypeError::New(env, message), "ERR_INVALID_ARG_TYPE");
}

void ThrowRangeError(Napi::Env env, const char* message) {
  ThrowWithCode(Napi::RangeError::New(env, message), "ERR_OUT_OF_RANGE");
}

void ThrowValueError(Napi::Env env, const char* message) {
  ThrowWithCode(Napi::TypeError::New(env, message), "ERR_INVALID_ARG_VALUE");
}

void ThrowSystemError(Napi::Env env, int err, const char* syscall) {
  // libuv's names are the ones Node uses for its own system errors.
  const char* code = uv_err_name(-err);
  std::string message = std::string(syscall) + " " + code + ": " + uv_strerror(-err);
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  ThrowWithCode(e, code);
}

bool ReadInt32Value(napi_env env, napi_value v, const char* name, int32_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    ThrowTypeError(Napi::Env(env), (std::string("The \"") + name + "\" argument must be of type number").c_str());
    return false;
  }
  // The cast compares as exactly as std::trunc once d is in range, without a libm call.
  if (!(d >= INT32_MIN && d <= INT32_MAX) || static_cast<double>(static_cast<int32_t>(d)) != d) {
    ThrowRangeError(Napi::Env(env), (std::string("The \"") + name + "\" argument must be an integer >= -2^31 and < 2^31").c_str());
    return false;
  }
  *out = static_cast<int32_t>(d);
  return true;
}

// The data pointer comes from napi_get_typedarray_info / napi_get_dataview_info, which
// read it from the view itself: napi_get_arraybuffer_info (what node-addon-api's
// TypedArray::ArrayBuffer().Data() uses) fails on a SharedArrayBuffer and left a
// pending exception behind, which turned the next throw into a fatal error.
bool ReadBytes(napi_env env, napi_value v, const char* name, const uint8_t** data, size_t* len) {
  // napi_get_typedarray_info answers napi_invalid_arg (no exception) for anything that is
  // not a TypedArray, so it doubles as the type test: one call on the common path.
  void* ptr = nullptr;
  size_t n = 0;
  napi_value buffer = nullptr;
  napi_typedarray_type type;
  size_t count = 0, offset = 0;
  napi_status st = napi_get_typedarray_info(env, v, &type, &count, &ptr, &buffer, &offset);
  if (st == napi_ok) {
    // Element sizes in napi_typedarray_type order; 11 is Float16Array (newer Node). An
    // unknown type counts as 1-byte elements: a shorter prefix, never past the end.
    static const size_t kSize[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 2};
    size_t t = static_cast<size_t>(type);
    n = count * (t < sizeof kSize / sizeof kSize[0] ? kSize[t] : 1);
  } else {
    bool isView = false;
    napi_is_dataview(env, v, &isView);
    if (isView) st = napi_get_dataview_info(env, v, &n, &ptr, &buffer, &offset);
  }
  if (st != napi_ok) {
    ThrowTypeError(Napi::Env(env), (std::string("The \"") + name + "\" argument must be a Buffer, TypedArray or DataView").c_str());
    return false;
  }
  // A view on a detached buffer reads as zero bytes, so only an empty view needs the check.
  bool detached = false;
  if (n == 0 && buffer != nullptr) napi_is_detached_arraybuffer(env, buffer, &detached);  // false for a SharedArrayBuffer
  if (detached) {
    ThrowValueError(Napi::Env(env), (std::string("The \"") + name + "\" argument is a view on a detached ArrayBuffer (it was transferred): its bytes are gone").c_str());
    return false;
  }
  *data = static_cast<const uint8_t*>(ptr);
  *len = ptr == nullptr ? 0 : n;
  return true;
}

bool ReadInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t* out) {
  return ReadInt32Value(info.Env(), info[i], name, out);
}

bool ReadFd(const Napi::CallbackInfo& info, size_t i, int32_t* out) {
  if (!ReadInt32(info, i, "fd", out)) return false;
  if (*out < 0) {
    ThrowRangeError(info.Env(), "The \"fd\" argument must be >= 0");
    return false;
  }
  return true;
}

bool ReadTarget(const Napi::CallbackInfo& info, Target* out) {
  int32_t fd, level, optname;
  if (!ReadFd(info, 0, &fd) || !ReadInt32(info, 1, "level", &level) || !ReadInt32(info, 2, "optname", &optname)) {
    return false;
  }
  *out = {fd, level, optname};
  return true;
}

void* UnwrapTagged(napi_env env, napi_value v, const napi_type_tag* tag) {
  bool tagged = false;
  void* data = nullptr;
  napi_valuetype type;
  if (v == nullptr || napi_typeof(env, v, &type) != napi_ok || type != napi_object || napi_check_object_type_tag(env, v, tag, &tagged) != napi_ok ||
      !tagged || napi_unwrap(env, v, &data) != napi_ok) {
    return nullptr;
  }
  return data;
}

}  // namespace sockopt
