// terminalForeground(): whether this process is in the foreground process group of its
// controlling terminal, where the terminal's own signals (Ctrl-C, Ctrl-\, a hangup) reach
// every process of the group. For `sockopt run` (src/cli/run.ts), whose COMMAND shares
// its group and so already has them.
#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include "process.h"

namespace sockopt {
namespace {

Napi::Value TerminalForeground(const Napi::CallbackInfo& info) {
  int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Napi::Boolean::New(info.Env(), false);  // no controlling terminal (ENXIO)
  pid_t foreground = tcgetpgrp(fd);
  close(fd);
  return Napi::Boolean::New(info.Env(), foreground > 0 && foreground == getpgrp());
}

}  // namespace

void RegisterTerminal(Napi::Env env, Napi::Object exports) {
  exports.Set("terminalForeground", Napi::Function::New(env, TerminalForeground, "terminalForeground"));
}

}  // namespace sockopt
