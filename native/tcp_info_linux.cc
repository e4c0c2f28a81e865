// Linux struct tcp_info as in include/uapi/linux/tcp.h of Linux 6.18 (280 bytes).
// The kernel copies min(asked, its own size) bytes and reports that length;
// a field is only decoded when the returned length covers all of it.
#include "tcp_info.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "args.h"
#include "env_data.h"
#include "names.h"
#include "sys.h"

namespace sockopt {

// The arrays setTcpInfoOutput registered, per environment (EnvData).
struct TcpInfoOutput {
  Napi::Reference<Napi::Float64Array> valuesRef;
  Napi::Reference<Napi::BigUint64Array> wideRef;
  Napi::Reference<Napi::Int32Array> namesRef;
  Napi::Reference<Napi::Uint32Array> narrowRef;
  double* values = nullptr;
  uint64_t* wide = nullptr;
  int32_t* names = nullptr;    // socketNames' layout, for getTcpInfoNames; optional
  uint32_t* narrow = nullptr;  // the same fields as uint32 (Fill); optional
};

namespace {

struct TcpInfo {
  uint8_t state;
  uint8_t ca_state;
  uint8_t retransmits;
  uint8_t probes;
  uint8_t backoff;
  uint8_t options;
  uint8_t snd_wscale : 4, rcv_wscale : 4;
  uint8_t delivery_rate_app_limited : 1, fastopen_client_fail : 2;
  uint32_t rto, ato, snd_mss, rcv_mss;
  uint32_t unacked, sacked, lost, retrans, fackets;
  uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
  uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
  uint32_t rcv_rtt, rcv_space;
  uint32_t total_retrans;
  uint64_t pacing_rate, max_pacing_rate;
  uint64_t bytes_acked, bytes_received;
  uint32_t segs_out, segs_in;
  uint32_t notsent_bytes, min_rtt, data_segs_in, data_segs_out;
  uint64_t delivery_rate;
  uint64_t busy_time, rwnd_limited, sndbuf_limited;
  uint32_t delivered, delivered_ce;
  uint64_t bytes_sent, bytes_retrans;
  uint32_t dsack_dups, reord_seen;
  uint32_t rcv_ooopack;
  uint32_t snd_wnd;
  uint32_t rcv_wnd;
  uint32_t rehash;
  uint16_t total_rto, total_rto_recoveries;
  uint32_t total_rto_time;
  uint32_t received_ce;
  uint32_t delivered_e1_bytes, delivered_e0_bytes, delivered_ce_bytes;
  uint32_t received_e1_bytes, received_e0_bytes, received_ce_bytes;
  uint16_t accecn_fail_mode, accecn_opt_seen;
};

// The historical sizes the kernel has returned: 104 (2.6), 144 (4.2), 160 (4.6),
// 192 (4.10), 232 (5.4), 248 (6.7), 280 (6.18).
static_assert(sizeof(TcpInfo) == 280, "struct tcp_info must match Linux 6.18");
static_assert(offsetof(TcpInfo, rto) == 8, "tcpi_rto");
static_assert(offsetof(TcpInfo, total_retrans) + 4 == 104, "end of the 2.6 struct");
static_assert(offsetof(TcpInfo, pacing_rate) == 104, "tcpi_pacing_rate");
static_assert(offsetof(TcpInfo, segs_in) + 4 == 144, "end of the 4.2 struct");
static_assert(offsetof(TcpInfo, data_segs_out) + 4 == 160, "end of the 4.6 struct");
static_assert(offsetof(TcpInfo, sndbuf_limited) + 8 == 192, "end of the 4.10 struct");
static_assert(offsetof(TcpInfo, snd_wnd) + 4 == 232, "end of the 5.4 struct");
static_assert(offsetof(TcpInfo, total_rto_time) + 4 == 248, "end of the 6.7 struct");

// Every whole-byte field once: X(camelCaseName, member, unit, since).
// The eight bytes of the header (state … bit-fields) are decoded by hand below.
#define TCP_INFO_FIELDS(X)                                  \
  X(rto, rto, "µs", "2.6")                                  \
  X(ato, ato, "µs", "2.6")                                  \
  X(sndMss, snd_mss, "bytes", "2.6")                        \
  X(rcvMss, rcv_mss, "bytes", "2.6")                        \
  X(unacked, unacked, "segments", "2.6")                    \
  X(sacked, sacked, "segments", "2.6")                      \
  X(lost, lost, "segments", "2.6")                          \
  X(retrans, retrans, "segments", "2.6")                    \
  X(fackets, fackets, "segments", "2.6")                    \
  X(lastDataSent, last_data_sent, "ms", "2.6")              \
  X(lastAckSent, last_ack_sent, "ms", "2.6")                \
  X(lastDataRecv, last_data_recv, "ms", "2.6")              \
  X(lastAckRecv, last_ack_recv, "ms", "2.6")                \
  X(pmtu, pmtu, "bytes", "2.6")                             \
  X(rcvSsthresh, rcv_ssthresh, "bytes", "2.6")              \
  X(rtt, rtt, "µs", "2.6")                                  \
  X(rttvar, rttvar, "µs", "2.6")                            \
  X(sndSsthresh, snd_ssthresh, "segments", "2.6")           \
  X(sndCwnd, snd_cwnd, "segments", "2.6")                   \
  X(advmss, advmss, "bytes", "2.6")                         \
  X(reordering, reordering, "segments", "2.6")              \
  X(rcvRtt, rcv_rtt, "µs", "2.6")                           \
  X(rcvSpace, rcv_space, "bytes", "2.6")                    \
  X(totalRetrans, total_retrans, "segments", "2.6")         \
  X(pacingRate, pacing_rate, "bytes/s", "3.15")             \
  X(maxPacingRate, max_pacing_rate, "bytes/s", "3.15")      \
  X(bytesAcked, bytes_acked, "bytes", "4.1")                \
  X(bytesReceived, bytes_received, "bytes", "4.1")          \
  X(segsOut, segs_out, "segments", "4.2")                   \
  X(segsIn, segs_in, "segments", "4.2")                     \
  X(notsentBytes, notsent_bytes, "bytes", "4.6")            \
  X(minRtt, min_rtt, "µs", "4.6")                           \
  X(dataSegsIn, data_segs_in, "segments", "4.6")            \
  X(dataSegsOut, data_segs_out, "segments", "4.6")          \
  X(deliveryRate, delivery_rate, "bytes/s", "4.9")          \
  X(busyTime, busy_time, "µs", "4.10")                      \
  X(rwndLimited, rwnd_limited, "µs", "4.10")                \
  X(sndbufLimited, sndbuf_limited, "µs", "4.10")            \
  X(delivered, delivered, "segments", "4.18")               \
  X(deliveredCe, delivered_ce, "segments", "4.18")          \
  X(bytesSent, bytes_sent, "bytes", "4.19")                 \
  X(bytesRetrans, bytes_retrans, "bytes", "4.19")           \
  X(dsackDups, dsack_dups, "segments", "4.19")              \
  X(reordSeen, reord_seen, "events", "4.19")                \
  X(rcvOoopack, rcv_ooopack, "packets", "5.4")              \
  X(sndWnd, snd_wnd, "bytes", "5.4")                        \
  X(rcvWnd, rcv_wnd, "bytes", "6.2")                        \
  X(rehash, rehash, "events", "6.2")                        \
  X(totalRto, total_rto, "events", "6.7")                   \
  X(totalRtoRecoveries, total_rto_recoveries, "events", "6.7") \
  X(totalRtoTime, total_rto_time, "ms", "6.7")              \
  X(receivedCe, received_ce, "segments", "6.18")            \
  X(deliveredE1Bytes, delivered_e1_bytes, "bytes", "6.18")  \
  X(deliveredE0Bytes, delivered_e0_bytes, "bytes", "6.18")  \
  X(deliveredCeBytes, delivered_ce_bytes, "bytes", "6.18")  \
  X(receivedE1Bytes, received_e1_bytes, "bytes", "6.18")    \
  X(receivedE0Bytes, received_e0_bytes, "bytes", "6.18")    \
  X(receivedCeBytes, received_ce_bytes, "bytes", "6.18")    \
  X(accecnFailMode, accecn_fail_mode, "enum", "6.18")       \
  X(accecnOptSeen, accecn_opt_seen, "enum", "6.18")

// Header fields first (indices 0–9), then the table above, in this order. Each header
// field lives in one byte (the two wscales share byte 6, the last two byte 7), so a
// reply of n < 8 bytes still carries the fields of its first n bytes.
struct HeaderField {
  const char* name;
  const char* unit;
  const char* since;
  size_t byte;
};
constexpr HeaderField kHeader[] = {
    {"state", "enum", "2.6", 0},      {"caState", "enum", "2.6", 1},  {"retransmits", "count", "2.6", 2},
    {"probes", "count", "2.6", 3},    {"backoff", "count", "2.6", 4}, {"options", "flags", "2.6", 5},
    {"sndWscale", "shift", "2.6", 6}, {"rcvWscale", "shift", "2.6", 6},
    {"deliveryRateAppLimited", "flag", "4.9", 7}, {"fastopenClientFail", "enum", "5.5", 7},
};
constexpr size_t kHeaderCount = sizeof kHeader / sizeof kHeader[0];
#define COUNT_FIELD(name, member, unit, since) +1
constexpr size_t kFieldCount = kHeaderCount TCP_INFO_FIELDS(COUNT_FIELD);

// Room for fields newer than this build.
constexpr uint32_t kTcpInfoRead = sizeof(TcpInfo) + 64;

// Writes every field the length covers into values[i] (and 64-bit ones exactly
// into wide[i]); uncovered fields become NaN so JavaScript can leave them out.
// With narrow, each covered field also as a uint32 there (a 64-bit one only below
// 0xffffffff, else 0xffffffff: read values/wide then): JavaScript reading a Uint32Array
// gets small integers, which an object stores as they are, where a Float64Array's
// element becomes one heap number per field.
void Fill(const uint8_t* bytes, size_t len, double* values, uint64_t* wide, uint32_t* narrow) {
  TcpInfo ti;
  std::memset(&ti, 0, sizeof ti);
  if (len > 0) std::memcpy(&ti, bytes, len < sizeof ti ? len : sizeof ti);  // an empty view may have no data pointer
  // NaN marks "not covered": only needed when the reply is shorter than this struct.
  if (len < sizeof ti) {
    for (size_t i = 0; i < kFieldCount; i++) values[i] = __builtin_nan("");
  }
  const double header[] = {double(ti.state),      double(ti.ca_state),   double(ti.retransmits),
                           double(ti.probes),     double(ti.backoff),    double(ti.options),
                           double(ti.snd_wscale), double(ti.rcv_wscale), double(ti.delivery_rate_app_limited),
                           double(ti.fastopen_client_fail)};
  for (size_t i = 0; i < kHeaderCount; i++) {
    if (kHeader[i].byte < len) {
      values[i] = header[i];
      if (narrow != nullptr) narrow[i] = static_cast<uint32_t>(header[i]);
    }
  }
  size_t i = kHeaderCount;
#define FILL_FIELD(name, member, unit, since)                                                         \
  if (offsetof(TcpInfo, member) + sizeof(ti.member) <= len) {                                         \
    values[i] = static_cast<double>(ti.member);                                                       \
    wide[i] = static_cast<uint64_t>(ti.member);                                                       \
    if (narrow != nullptr) {                                                                          \
      uint64_t v = static_cast<uint64_t>(ti.member);                                                  \
      narrow[i] = v < 0xffffffffu ? static_cast<uint32_t>(v) : 0xffffffffu;                           \
    }                                                                                                 \
  }                                                                                                   \
  i++;
  TCP_INFO_FIELDS(FILL_FIELD)
#undef FILL_FIELD
}

// The output arrays, registered once per environment (worker) by setTcpInfoOutput,
// so a call passes only the fd. Held by references, so the pointers stay valid.

TcpInfoOutput* Output(const Napi::CallbackInfo& info) {
  TcpInfoOutput* out = DataOf(info.Env()).tcpInfo.get();
  if (out == nullptr || out->values == nullptr) {
    ThrowTypeError(info.Env(), "setTcpInfoOutput() must be called first");
    return nullptr;
  }
  return out;
}

// setTcpInfoOutput(values: Float64Array, wide: BigUint64Array[, names: Int32Array(12)
// [, narrow: Uint32Array]]), values, wide and narrow each tcpInfoFields.length long; names
// is where getTcpInfoNames puts both addresses (socketNames' layout), narrow where Fill
// puts each field as a uint32.
Napi::Value SetTcpInfoOutput(const Napi::CallbackInfo& info) {
  Napi::Value v = info[0], w = info[1], n = info[2], u = info[3];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      v.As<Napi::TypedArray>().ElementLength() < kFieldCount || !w.IsTypedArray() ||
      w.As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array ||
      w.As<Napi::TypedArray>().ElementLength() < kFieldCount) {
    ThrowTypeError(info.Env(), "tcp_info output must be a Float64Array and a BigUint64Array of tcpInfoFields.length");
    return Napi::Value();
  }
  bool hasNames = !n.IsUndefined();
  if (hasNames && (!n.IsTypedArray() || n.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
                   n.As<Napi::TypedArray>().ElementLength() < 12)) {
    ThrowTypeError(info.Env(), "names output must be an Int32Array of at least 12 elements");
    return Napi::Value();
  }
  bool hasNarrow = !u.IsUndefined();
  if (hasNarrow && (!u.IsTypedArray() || u.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
                    u.As<Napi::TypedArray>().ElementLength() < kFieldCount)) {
    ThrowTypeError(info.Env(), "narrow output must be a Uint32Array of tcpInfoFields.length");
    return Napi::Value();
  }
  auto& kept = DataOf(info.Env()).tcpInfo;
  if (!kept) kept = std::make_shared<TcpInfoOutput>();  // deleted with this environment (EnvData)
  TcpInfoOutput* out = kept.get();
  out->valuesRef = Napi::Persistent(v.As<Napi::Float64Array>());
  out->wideRef = Napi::Persistent(w.As<Napi::BigUint64Array>());
  out->values = out->valuesRef.Value().Data();
  out->wide = out->wideRef.Value().Data();
  if (hasNames) {
    out->namesRef = Napi::Persistent(n.As<Napi::Int32Array>());
    out->names = out->namesRef.Value().Data();
  }
  if (hasNarrow) {
    out->narrowRef = Napi::Persistent(u.As<Napi::Uint32Array>());
    out->narrow = out->narrowRef.Value().Data();
  }
  return info.Env().Undefined();
}

// getTcpInfo(fd) → bytes the kernel returned; the fields are in the registered arrays.
Napi::Value GetTcpInfo(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  TcpInfoOutput* out = Output(info);
  if (out == nullptr) return Napi::Value();
  uint8_t buf[kTcpInfoRead];
  std::memset(buf, 0, sizeof buf);
  uint32_t len = sizeof buf;
  int err = SysGet(fd, IPPROTO_TCP, TCP_INFO, buf, &len);
  if (err != 0) {
    ThrowSystemError(info.Env(), err, "getsockopt");
    return Napi::Value();
  }
  Fill(buf, len, out->values, out->wide, out->narrow);
  return Napi::Number::New(info.Env(), len);
}

// getTcpInfoNames(fd, names: 0 | 1) → TCP_INFO's length, or -errno when it failed (no throw:
// a close record reads a socket that may be half gone, and an exception per read costs).
// With names 1, both addresses go into the registered names array as socketNames puts
// them; names[0] is -1 when getsockname failed. Everything trackConnections reads before
// a socket's fd closes, in one crossing instead of two.
Napi::Value GetTcpInfoNames(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ReadFd(info, 0, &fd)) return Napi::Value();
  TcpInfoOutput* out = Output(info);
  if (out == nullptr) return Napi::Value();
  int32_t wantNames;
  if (!ReadInt32(info, 1, "names", &wantNames)) return Napi::Value();
  if (wantNames != 0 && out->names == nullptr) {
    ThrowTypeError(info.Env(), "setTcpInfoOutput() was given no names array");
    return Napi::Value();
  }
  uint8_t buf[kTcpInfoRead];
  std::memset(buf, 0, sizeof buf);
  uint32_t len = sizeof buf;
  int err = SysGet(fd, IPPROTO_TCP, TCP_INFO, buf, &len);
  if (err == 0) Fill(buf, len, out->values, out->wide, out->narrow);
  if (wantNames != 0 && FillSocketNames(fd, out->names) != 0) out->names[0] = -1;
  return Napi::Number::New(info.Env(), err == 0 ? static_cast<double>(len) : -static_cast<double>(err));
}

// decodeTcpInfo(buffer) → buffer length: the same decoding on any bytes (tests, old
// kernels). Buffer, any TypedArray or DataView, over an ArrayBuffer or a SharedArrayBuffer.
Napi::Value DecodeTcpInfo(const Napi::CallbackInfo& info) {
  const uint8_t* data;
  size_t len;
  if (!ReadBytes(info.Env(), info[0], "buffer", &data, &len)) return Napi::Value();
  TcpInfoOutput* out = Output(info);
  if (out == nullptr) return Napi::Value();
  Fill(data, len, out->values, out->wide, out->narrow);
  return Napi::Number::New(info.Env(), static_cast<double>(len));
}

}  // namespace

uint32_t TcpInfoReadSize() { return kTcpInfoRead; }

void RegisterTcpInfo(Napi::Env env, Napi::Object exports) {
  // [name, unit, since kernel, end offset, 64-bit] per field, in the order Fill writes them.
  Napi::Array fields = Napi::Array::New(env, kFieldCount);
  auto add = [&](uint32_t i, const char* name, const char* unit, const char* since, size_t end, bool is64) {
    Napi::Array f = Napi::Array::New(env, 5);
    f.Set(0u, name);
    f.Set(1u, unit);
    f.Set(2u, since);
    f.Set(3u, Napi::Number::New(env, static_cast<double>(end)));
    f.Set(4u, Napi::Boolean::New(env, is64));
    fields.Set(i, f);
  };
  for (uint32_t i = 0; i < kHeaderCount; i++) add(i, kHeader[i].name, kHeader[i].unit, kHeader[i].since, kHeader[i].byte + 1, false);
  uint32_t i = kHeaderCount;
#define EXPORT_FIELD(name, member, unit, since) \
  add(i++, #name, unit, since, offsetof(TcpInfo, member) + sizeof(TcpInfo::member), sizeof(TcpInfo::member) == 8);
  TCP_INFO_FIELDS(EXPORT_FIELD)
#undef EXPORT_FIELD
  exports.Set("tcpInfoFields", fields);
  exports.Set("tcpInfoSize", Napi::Number::New(env, sizeof(TcpInfo)));
  exports.Set("setTcpInfoOutput", Napi::Function::New(env, SetTcpInfoOutput, "setTcpInfoOutput"));
  exports.Set("getTcpInfo", Napi::Function::New(env, GetTcpInfo, "getTcpInfo"));
  exports.Set("getTcpInfoNames", Napi::Function::New(env, GetTcpInfoNames, "getTcpInfoNames"));
  exports.Set("decodeTcpInfo", Napi::Function::New(env, DecodeTcpInfo, "decodeTcpInfo"));
}

}  // namespace sockopt
