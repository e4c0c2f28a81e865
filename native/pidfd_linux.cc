// Another process's sockets (Linux >= 5.6): pidfd_open(2) pins the process,
// pidfd_getfd(2) duplicates one of its fds into this process, as dup(2) would
// across processes. Both are plain syscall() calls (glibc < 2.36 has no
// wrappers). pidfd_getfd needs ptrace-attach rights on the target (root or
// CAP_SYS_PTRACE, or the same user where Yama allows it); the target is not
// stopped or signalled, and its own fd is untouched.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "args.h"
#include "diag.h"

// The numbers are the same on every Linux architecture (the unified table since 5.1).
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace sockopt {

namespace {

// pidfdOpen(pid) → a pidfd (close-on-exec, as the kernel always makes it).
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int32_t pid;
  if (!ReadInt32(info, 0, "pid", &pid)) return Napi::Value();
  if (pid <= 0) {
    ThrowRangeError(info.Env(), "The \"pid\" argument must be > 0");
    return Napi::Value();
  }
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    ThrowSystemError(info.Env(), errno, "pidfd_open");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// pidfdGetfd(pidfd, targetfd) → a new fd in this process for the target's open file
// (close-on-exec, as the kernel always makes it). The caller closes it.
Napi::Value PidfdGetfd(const Napi::CallbackInfo& info) {
  int32_t pidfd, target;
  if (!ReadFd(info, 0, &pidfd) || !ReadInt32(info, 1, "targetfd", &target)) return Napi::Value();
  if (target < 0) {
    ThrowRangeError(info.Env(), "The \"targetfd\" argument must be >= 0");
    return Napi::Value();
  }
  long fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
  if (fd < 0) {
    ThrowSystemError(info.Env(), errno, "pidfd_getfd");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

}  // namespace

void RegisterPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdGetfd", Napi::Function::New(env, PidfdGetfd, "pidfdGetfd"));
}

}  // namespace sockopt
