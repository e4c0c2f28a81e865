#include "diag.h"

namespace sockopt {

// Not Linux: no pidfd_getfd, no SIOCOUTQ, no sock_diag. The functions stay absent from the binding.
void RegisterPidfd(Napi::Env, Napi::Object) {}
void RegisterQueues(Napi::Env, Napi::Object) {}
void RegisterSockDiag(Napi::Env, Napi::Object) {}
void RegisterDuplicates(Napi::Env, Napi::Object) {}

}  // namespace sockopt
