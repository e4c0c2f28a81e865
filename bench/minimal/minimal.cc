// The reference the issue compares against: the smallest node-addon-api getsockopt /
// setsockopt a user might write, taking the fd, level and option as numbers and doing
// no checking beyond node-addon-api's own. Built by bench/run.js (node-gyp), never shipped.
#include <napi.h>
#include <sys/socket.h>

#include <cerrno>

static Napi::Value Get(const Napi::CallbackInfo& info) {
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                 info[2].As<Napi::Number>().Int32Value(), &v, &len) != 0) {
    Napi::Error::New(info.Env(), "getsockopt failed").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), v);
}

static Napi::Value Set(const Napi::CallbackInfo& info) {
  int v = info[3].As<Napi::Number>().Int32Value();
  if (setsockopt(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                 info[2].As<Napi::Number>().Int32Value(), &v, sizeof v) != 0) {
    Napi::Error::New(info.Env(), "setsockopt failed").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("getsockopt", Napi::Function::New(env, Get, "getsockopt"));
  exports.Set("setsockopt", Napi::Function::New(env, Set, "setsockopt"));
  return exports;
}

NODE_API_MODULE(minimal, Init)
