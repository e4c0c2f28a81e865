#include "kinds.h"

namespace sockopt {

// { int: { int, uint, bool }, batch: { int, timeval, linger, string }, maxBatchEntries, maxBatchStrings }
Napi::Object Kinds(Napi::Env env) {
  Napi::Object ints = Napi::Object::New(env);
  ints.Set("int", Napi::Number::New(env, kInt));
  ints.Set("uint", Napi::Number::New(env, kUint));
  ints.Set("bool", Napi::Number::New(env, kBool));
  Napi::Object batch = Napi::Object::New(env);
  batch.Set("int", Napi::Number::New(env, kBatchInt));
  batch.Set("timeval", Napi::Number::New(env, kBatchTimeval));
  batch.Set("linger", Napi::Number::New(env, kBatchLinger));
  batch.Set("string", Napi::Number::New(env, kBatchString));
  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("int", ints);
  kinds.Set("batch", batch);
  kinds.Set("maxBatchEntries", Napi::Number::New(env, kMaxEntries));
  kinds.Set("maxBatchStrings", Napi::Number::New(env, kMaxStrings));
  kinds.Freeze();
  return kinds;
}

}  // namespace sockopt
