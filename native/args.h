// Cheap argument checks for the native surface. Every check that fails leaves
// a pending JS exception with a Node-style `code` and returns false, so
// callers simply `return` (C++ exceptions are disabled).
#pragma once
#include <napi.h>

#include <memory>

namespace sockopt {

void ThrowTypeError(Napi::Env env, const char* message);
void ThrowRangeError(Napi::Env env, const char* message);
// A right-typed argument whose value cannot be used (a view on a detached ArrayBuffer).
void ThrowValueError(Napi::Env env, const char* message);
// A failed syscall: Error with code (e.g. 'ENOPROTOOPT'), errno (negative, as
// Node's are) and syscall. The TypeScript layer adds the option's name.
void ThrowSystemError(Napi::Env env, int err, const char* syscall);

// fd, level, optname: the first three arguments of every call.
struct Target {
  int fd;
  int level;
  int optname;
};
bool ReadTarget(const Napi::CallbackInfo& info, Target* out);
// An fd argument: an int32 >= 0.
bool ReadFd(const Napi::CallbackInfo& info, size_t i, int32_t* out);
bool ReadInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t* out);
// The same on a raw napi_value: one napi_get_value_double both type-checks and reads.
bool ReadInt32Value(napi_env env, napi_value v, const char* name, int32_t* out);
// The bytes of a Buffer, TypedArray or DataView, over an ArrayBuffer or a
// SharedArrayBuffer, at any offset. A view on a detached buffer is refused
// (ERR_INVALID_ARG_VALUE). *data may be null when *len is 0.
bool ReadBytes(napi_env env, napi_value v, const char* name, const uint8_t** data, size_t* len);

// A native object handed to JavaScript as an opaque holder: a plain object wrapping it,
// type-tagged so that nothing else passes for it (N-API 8 does both on any object). The
// holder's finalizer deletes the object: once wrapped, `*object` is released to it; where
// wrapping fails it stays the caller's. Returns null on failure (an exception pending).
template <typename T>
napi_value WrapTagged(napi_env env, std::unique_ptr<T>* object, const napi_type_tag* tag) {
  napi_value holder;
  if (napi_create_object(env, &holder) != napi_ok ||
      napi_wrap(env, holder, object->get(), [](napi_env, void* data, void*) { delete static_cast<T*>(data); }, nullptr, nullptr) != napi_ok) {
    return nullptr;
  }
  object->release();
  return napi_type_tag_object(env, holder, tag) == napi_ok ? holder : nullptr;
}
// The object a holder of `tag` wraps (WrapTagged); null for anything else.
void* UnwrapTagged(napi_env env, napi_value v, const napi_type_tag* tag);

}  // namespace sockopt
