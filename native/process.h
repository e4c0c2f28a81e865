// This process as a whole (exit_now.cc) and its terminal (terminal_unix.cc, POSIX only).
#pragma once
#include <napi.h>

namespace sockopt {

void RegisterProcess(Napi::Env env, Napi::Object exports);
void RegisterTerminal(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
