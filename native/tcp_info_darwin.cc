// macOS: TCP_CONNECTION_INFO and its struct tcp_connection_info (netinet/tcp.h)
// take the place of Linux's TCP_INFO. The addon reports the option number and the
// struct's layout exactly as this SDK compiles it (offsetof, sizeof); the bytes come
// through the ordinary getBuffer call, and src/tcp-info-darwin.ts decodes them into
// the same TcpInfo shape as on Linux, converting the units.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstddef>

#include "tcp_info.h"

namespace sockopt {

namespace {

// The whole-byte members the decoder reads (the TFO bit-field word has no offsetof).
#define TCP_CONNECTION_INFO_MEMBERS(X)                                                     \
  X(tcpi_state) X(tcpi_snd_wscale) X(tcpi_rcv_wscale) X(tcpi_options) X(tcpi_flags)       \
  X(tcpi_rto) X(tcpi_maxseg) X(tcpi_snd_ssthresh) X(tcpi_snd_cwnd) X(tcpi_snd_wnd)        \
  X(tcpi_snd_sbbytes) X(tcpi_rcv_wnd) X(tcpi_rttcur) X(tcpi_srtt) X(tcpi_rttvar)          \
  X(tcpi_txpackets) X(tcpi_txbytes) X(tcpi_txretransmitbytes) X(tcpi_rxpackets)           \
  X(tcpi_rxbytes) X(tcpi_rxoutoforderbytes) X(tcpi_txretransmitpackets)

}  // namespace

void RegisterTcpInfo(Napi::Env env, Napi::Object exports) {
  Napi::Object layout = Napi::Object::New(env);
#define LAYOUT_MEMBER(m)                                                                      \
  {                                                                                         \
    Napi::Array at = Napi::Array::New(env, 2);                                              \
    at.Set(0u, Napi::Number::New(env, offsetof(struct tcp_connection_info, m)));           \
    at.Set(1u, Napi::Number::New(env, sizeof(static_cast<struct tcp_connection_info*>(nullptr)->m))); \
    layout.Set(#m, at);                                                                     \
  }
  TCP_CONNECTION_INFO_MEMBERS(LAYOUT_MEMBER)
#undef LAYOUT_MEMBER
  Napi::Object info = Napi::Object::New(env);
  info.Set("optname", Napi::Number::New(env, TCP_CONNECTION_INFO));
  info.Set("size", Napi::Number::New(env, sizeof(struct tcp_connection_info)));
  info.Set("layout", layout);
  exports.Set("tcpConnectionInfo", info);
}

}  // namespace sockopt
