// Cheap argument checks for the native surface. Every check that fails leaves
// a pending JS exception with a Node-style `code` and returns false, so
// callers simply `return` (C++ exceptions are disabled).
#pragma once
#include <napi.h>

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

}  // namespace sockopt
