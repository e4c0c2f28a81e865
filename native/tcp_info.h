// TCP_INFO: Linux's struct tcp_info, decoded from a struct the addon defines
// itself (tcp_info_linux.cc) so that old libc headers do not cut fields off.
// Other platforms compile tcp_info_other.cc, which registers nothing.
#pragma once
#include <napi.h>

#include <cstdint>

namespace sockopt {

// Adds getTcpInfo, decodeTcpInfo and tcpInfoFields to exports where supported.
void RegisterTcpInfo(Napi::Env env, Napi::Object exports);

#ifdef __linux__
// The bytes getTcpInfo asks the kernel for: the struct this build knows and room for
// newer fields (Linux; readDuplicates asks for the same, so both report one length).
uint32_t TcpInfoReadSize();
#endif

}  // namespace sockopt
