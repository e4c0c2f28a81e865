// The batch reader of another process's sockets (Linux): the row layout shared by
// readDuplicates (duplicates_linux.cc) and its background form (duplicates_job_linux.cc).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockopt {

// The per-socket row of `meta` (Int32Array, kMetaSize per fd); exported as
// readDuplicatesLayout.meta so the JS side never hand-maintains these numbers.
enum Meta {
  kGetfd = 0,       // errno of pidfd_getfd (0: duplicated)
  kStat = 1,        // errno of fstat, ESTALE when the fd now holds another inode, or -1:
                    // not checked here (a row read with its record: its SO_COOKIE is compared)
  kLocal = 2,       // [family, port, errno (-1: not read), text length] of getsockname
  kPeer = 6,        // the same for getpeername
  kTcpInfo = 10,    // [errno (-1: not a TCP or MPTCP socket), length]
  kCred = 12,       // [errno (-1: not a unix socket), pid, uid, gid, 1 when no peer process]
  kQueues = 17,     // [inq, errno, outq, errno] (errno -1: not asked)
  kLocalId = 21,    // the local IP address's 16 bytes (AddressOf's raw): for a sock_diag id
  kPeerId = 25,     // the peer's
  kMetaSize = 29,
};

constexpr int kMaxThreads = 16;

// A slot's kind may carry given groups in bits 8..15 (group g: bit 8 + g). A row whose
// flags give group g (bit 1 + g) leaves such a slot unread (errs -1): its value is in the
// caller's sock_diag row. Group 0 is the row's record itself (with its addresses); the
// others are attributes a record may lack. Row flags: bit 0 read the byte queues; bits
// 1..7 the given groups; with group 0, bits 8..15 the family and 16..23 the protocol
// (then SO_DOMAIN and SO_PROTOCOL are not read either); bit 24: the addresses are read
// even so (the record is asked for afterwards by the id they give).
constexpr int kSlotGivenShift = 8;
constexpr int32_t kRowAddresses = 1 << 24;
// Bits of a slot's kind for a caller whose view never shows the option: kSlotOmitted
// leaves it unread on every row, kSlotOmittedOnTcp on TCP and MPTCP rows only (an
// option the view looks at on datagram sockets alone). Its errs is then kErrOmitted.
constexpr int32_t kSlotOmitted = 1 << 16;
constexpr int32_t kSlotOmittedOnTcp = 1 << 17;
constexpr int32_t kErrOmitted = -2;
constexpr int32_t kSlotKindMask = 0xff;
inline int SlotKindOf(int32_t kind) { return kind & kSlotKindMask; }
inline int SlotGroupsOf(int32_t kind) { return (kind >> kSlotGivenShift) & 0xff; }

struct Table {
  const int32_t* specs;  // [level, optname, kind] per slot
  size_t slots;
  std::vector<uint32_t> cell;  // text offset of each slot (kinds 3 and 5) within a row
  uint32_t local, peer, tcpInfo, stride;
  int domainSlot, protocolSlot;  // SO_DOMAIN's and SO_PROTOCOL's slots, -1 when not in the table
};

// Text cells in slot order (string and bytes slots), then the local and the peer
// address, then TCP_INFO's bytes: the rule readDuplicatesLayout.cells describes.
Table Layout(const int32_t* specs, size_t slots);

struct Out {
  double* nums;
  int32_t* errs;
  uint64_t* wide;
  int32_t* meta;
  uint8_t* text;
  size_t textStride;  // the layout's stride, whatever the array's length
};

class GetRing;

// Rows [0, n) split over `threads` threads: each fd duplicated, checked, read and closed
// exactly once; with `ring`, each thread reads the SOL_SOCKET slots through an io_uring
// of its own where the kernel gives one (the calling thread through `own` when given:
// a ring that outlives the call). No JS is touched: callable off the main thread.
void ReadRows(int pidfd, const int32_t* fds, const double* inodes, const int32_t* flags, const Table& t, const Out& o, size_t n, int threads,
              bool ring, GetRing* own = nullptr);

// The optional `ring` argument at `at`: absent or undefined is false, a non-boolean throws.
bool ReadRingChoice(const Napi::CallbackInfo& info, size_t at, bool* ring);

// A typed array of the wanted type: its data (null when it holds nothing: nothing is then
// written through it, as the callers' length checks see to) and its element count.
template <typename T>
bool Typed(napi_env env, napi_value v, napi_typedarray_type want, T** data, size_t* count) {
  napi_typedarray_type type;
  bool is = false;
  void* raw = nullptr;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &type, count, &raw, nullptr, nullptr) != napi_ok || type != want) return false;
  *data = static_cast<T*>(raw);
  if (*data == nullptr) *count = 0;  // a view on a detached buffer
  return true;
}

void RegisterDuplicateJobs(Napi::Env env, Napi::Object exports);

}  // namespace sockopt
