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
  if (!(d >= INT32_MIN && d <= INT32_MAX) || std::trunc(d) != d) {
    ThrowRangeError(Napi::Env(env), (std::string("The \"") + name + "\" argument must be an integer >= -2^31 and < 2^31").c_str());
    return false;
  }
  *out = static_cast<int32_t>(d);
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

}  // namespace sockopt
