// Native functions bound to one option: get(fd) and set(fd, value), with the option's
// level, number and value kind fixed when the registry is resolved at load time.
#include "bound.h"

#include "args.h"
#include "sys.h"

namespace sockopt {

namespace {

struct Bound {
  int level;
  int optname;
  int kind;
};

enum : int { kInt = 0, kUint = 1, kBool = 2 };

napi_value BoundGet(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  size_t argc = 1;
  void* data;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data);
  const Bound* b = static_cast<const Bound*>(data);
  int32_t fd;
  if (!ReadInt32Value(env, argv[0], "fd", &fd)) return nullptr;
  if (fd < 0) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0");
    return nullptr;
  }
  int value = 0;
  uint32_t len = sizeof value;
  int err = SysGet(fd, b->level, b->optname, &value, &len);
  if (err != 0) {
    ThrowSystemError(Napi::Env(env), err, "getsockopt");
    return nullptr;
  }
  if (len == 1) value = *reinterpret_cast<unsigned char*>(&value);
  napi_value result;
  if (b->kind == kBool) napi_get_boolean(env, value != 0, &result);
  else if (b->kind == kUint) napi_create_uint32(env, static_cast<uint32_t>(value), &result);
  else napi_create_int32(env, value, &result);
  return result;
}

napi_value BoundSet(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  size_t argc = 2;
  void* data;
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data);
  const Bound* b = static_cast<const Bound*>(data);
  int32_t fd, value;
  if (!ReadInt32Value(env, argv[0], "fd", &fd) || !ReadInt32Value(env, argv[1], "value", &value)) return nullptr;
  if (fd < 0) {
    ThrowRangeError(Napi::Env(env), "The \"fd\" argument must be >= 0");
    return nullptr;
  }
  int v = value;
  int err = SysSet(fd, b->level, b->optname, &v, sizeof v);
  if (err != 0) ThrowSystemError(Napi::Env(env), err, "setsockopt");
  return nullptr;
}

void Free(napi_env, void* data, void*) { delete static_cast<Bound*>(data); }

// bindInt(level, optname, kind) → [get(fd), set(fd, value)]
Napi::Value BindInt(const Napi::CallbackInfo& info) {
  int32_t level, optname, kind;
  if (!ReadInt32(info, 0, "level", &level) || !ReadInt32(info, 1, "optname", &optname) || !ReadInt32(info, 2, "kind", &kind)) {
    return Napi::Value();
  }
  if (kind < kInt || kind > kBool) {
    ThrowRangeError(info.Env(), "The \"kind\" argument must be 0 (int), 1 (unsigned) or 2 (boolean)");
    return Napi::Value();
  }
  napi_env env = info.Env();
  // One Bound per function, each freed with its own function: either may be kept alone.
  napi_value fns[2];
  napi_callback cbs[2] = {BoundGet, BoundSet};
  const char* names[2] = {"get", "set"};
  for (int i = 0; i < 2; i++) {
    Bound* b = new Bound{level, optname, kind};
    if (napi_create_function(env, names[i], NAPI_AUTO_LENGTH, cbs[i], b, &fns[i]) != napi_ok) {
      delete b;
      ThrowTypeError(info.Env(), "could not create the bound option function");
      return Napi::Value();
    }
    // Should the finalizer not attach, b is never freed: a leak, never a use after free.
    napi_add_finalizer(env, fns[i], b, Free, nullptr, nullptr);
  }
  napi_value get = fns[0], set = fns[1];
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, Napi::Value(env, get));
  pair.Set(1u, Napi::Value(env, set));
  return pair;
}

}  // namespace

void RegisterBound(Napi::Env env, Napi::Object exports) {
  exports.Set("bindInt", Napi::Function::New(env, BindInt, "bindInt"));
}

}  // namespace sockopt
