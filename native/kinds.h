// The value kinds and limits the native calls take: the one list for C++ and TypeScript.
// Exported as binding.kinds (kinds.cc); src/core reads its numbers from there.
#pragma once
#include <napi.h>

#include <cstdint>

namespace sockopt {

// bindTable entries: how an int-sized answer is returned.
enum IntKind : int32_t { kInt = 0, kUint = 1, kBool = 2 };
// setMany entries: what values[i] holds (NaN = null; a string's index into `strings`).
enum BatchKind : int32_t { kBatchInt = 0, kBatchTimeval = 1, kBatchLinger = 2, kBatchString = 3 };
// As many as a socket has options; bounds the work (and stack) one setMany can ask for.
constexpr uint32_t kMaxEntries = 64;
constexpr uint32_t kMaxStrings = 8;

Napi::Object Kinds(Napi::Env env);

}  // namespace sockopt
