// Diagnostics beyond getsockopt (Linux): another process's socket through
// pidfd_getfd (pidfd_linux.cc) and a socket's queued bytes through
// SIOCINQ/SIOCOUTQ (queues_linux.cc), socket tables through sock_diag netlink
// (sockdiag_linux.cc), many sockets of another process read in one call
// (duplicates_linux.cc). diag_other.cc registers none, so the TypeScript layer sees
// the functions absent and says so.
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterPidfd(Napi::Env env, Napi::Object exports);
void RegisterQueues(Napi::Env env, Napi::Object exports);
void RegisterSockDiag(Napi::Env env, Napi::Object exports);
void RegisterDuplicates(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
