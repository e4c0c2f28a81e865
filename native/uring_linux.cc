// GetRing (uring_linux.h): io_uring_setup, the three mappings, and getsockopt entries
// written by their field offsets, so headers older than the kernel's 6.7 ones build it.
#include "uring_linux.h"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif

namespace sockopt {

namespace {

// From the 6.7 uapi (include/uapi/linux/io_uring.h): the socket command and where its
// fields sit in the 64-byte entry.
constexpr uint8_t kOpClose = 19;              // IORING_OP_CLOSE
constexpr uint8_t kOpUringCmd = 46;           // IORING_OP_URING_CMD
constexpr uint32_t kSocketOpGetsockopt = 2;   // SOCKET_URING_OP_GETSOCKOPT
constexpr size_t kAtCmdOp = 8;                // cmd_op (u32), over `off`
constexpr size_t kAtLevel = 16;               // level (u32), then optname (u32), over `addr`
constexpr size_t kAtOptname = 20;
constexpr size_t kAtUserData = 32;            // user_data (u64)
constexpr size_t kAtOptlen = 44;              // optlen (u32), over splice_fd_in
constexpr size_t kAtOptval = 48;              // optval (u64), over addr3
static_assert(sizeof(io_uring_sqe) == 64, "the 64-byte entry");
static_assert(offsetof(io_uring_sqe, user_data) == kAtUserData, "user_data's place");
static_assert(offsetof(io_uring_sqe, addr) == kAtLevel, "addr's place");
static_assert(sizeof(io_uring_cqe) == 16, "the 16-byte completion");

template <typename T>
void Put(unsigned char* sqe, size_t at, T value) {
  std::memcpy(sqe + at, &value, sizeof value);
}

uint32_t LoadAcquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void StoreRelease(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

void* MapRing(int fd, size_t size, off_t offset) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

bool GetRing::Open() {
  if (fd_ >= 0) return true;
  io_uring_params p;
  std::memset(&p, 0, sizeof p);
  long fd = syscall(__NR_io_uring_setup, kEntries, &p);  // the fd comes close-on-exec
  if (fd < 0) return false;
  fd_ = static_cast<int>(fd);
  if (p.sq_entries < kEntries || p.cq_entries < kEntries) {
    Close();
    return false;
  }
  sqRingSize_ = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  cqRingSize_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cqRingSize_ > sqRingSize_) sqRingSize_ = cqRingSize_;
  sqRing_ = MapRing(fd_, sqRingSize_, IORING_OFF_SQ_RING);
  if (sqRing_ != nullptr) cqRing_ = single ? sqRing_ : MapRing(fd_, cqRingSize_, IORING_OFF_CQ_RING);
  sqesSize_ = p.sq_entries * sizeof(io_uring_sqe);
  if (cqRing_ != nullptr) sqes_ = MapRing(fd_, sqesSize_, IORING_OFF_SQES);
  if (sqes_ == nullptr) {
    Close();
    return false;
  }
  auto* sq = static_cast<unsigned char*>(sqRing_);
  auto* cq = static_cast<unsigned char*>(cqRing_);
  sqTail_ = reinterpret_cast<uint32_t*>(sq + p.sq_off.tail);
  sqMask_ = *reinterpret_cast<uint32_t*>(sq + p.sq_off.ring_mask);
  sqArray_ = reinterpret_cast<uint32_t*>(sq + p.sq_off.array);
  cqHead_ = reinterpret_cast<uint32_t*>(cq + p.cq_off.head);
  cqTail_ = reinterpret_cast<uint32_t*>(cq + p.cq_off.tail);
  cqMask_ = *reinterpret_cast<uint32_t*>(cq + p.cq_off.ring_mask);
  cqes_ = cq + p.cq_off.cqes;
  queued_ = 0;
  return true;
}

void GetRing::Close() {
  if (sqes_ != nullptr) munmap(sqes_, sqesSize_);
  if (cqRing_ != nullptr && cqRing_ != sqRing_) munmap(cqRing_, cqRingSize_);
  if (sqRing_ != nullptr) munmap(sqRing_, sqRingSize_);
  sqes_ = cqRing_ = sqRing_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  queued_ = 0;
}

void GetRing::Queue(int fd, int optname, void* buf, uint32_t len) {
  const uint32_t tail = *sqTail_ + queued_;  // only this thread moves the tail
  const uint32_t slot = tail & sqMask_;
  auto* sqe = static_cast<unsigned char*>(sqes_) + slot * sizeof(io_uring_sqe);
  std::memset(sqe, 0, sizeof(io_uring_sqe));
  sqe[0] = kOpUringCmd;
  Put<int32_t>(sqe, offsetof(io_uring_sqe, fd), fd);
  Put<uint32_t>(sqe, kAtCmdOp, kSocketOpGetsockopt);
  Put<uint32_t>(sqe, kAtLevel, SOL_SOCKET);
  Put<uint32_t>(sqe, kAtOptname, static_cast<uint32_t>(optname));
  Put<uint64_t>(sqe, kAtUserData, queued_);
  Put<uint32_t>(sqe, kAtOptlen, len);
  Put<uint64_t>(sqe, kAtOptval, reinterpret_cast<uintptr_t>(buf));
  sqArray_[slot] = slot;
  queued_++;
}

void GetRing::QueueClose(int fd) {
  const uint32_t slot = (*sqTail_ + queued_) & sqMask_;
  auto* sqe = static_cast<unsigned char*>(sqes_) + slot * sizeof(io_uring_sqe);
  std::memset(sqe, 0, sizeof(io_uring_sqe));
  sqe[0] = kOpClose;
  Put<int32_t>(sqe, offsetof(io_uring_sqe, fd), fd);
  Put<uint64_t>(sqe, kAtUserData, queued_);
  sqArray_[slot] = slot;
  queued_++;
}

unsigned GetRing::Drain(int32_t* res) {
  const unsigned n = queued_;
  for (unsigned i = 0; i < n; i++) res[i] = kNotRun;
  if (n == 0 || fd_ < 0) {
    queued_ = 0;
    return 0;
  }
  StoreRelease(sqTail_, *sqTail_ + n);
  unsigned submitted = 0, reaped = 0;
  for (int stalls = 0; reaped < n;) {
    // Sockets answer getsockopt and close at once, so this one call both submits and completes.
    long rc = syscall(__NR_io_uring_enter, fd_, n - submitted, n - reaped, IORING_ENTER_GETEVENTS, nullptr, 0);
    const int err = rc < 0 ? errno : 0;
    if (rc > 0) submitted += static_cast<unsigned>(rc);
    const unsigned before = reaped;
    uint32_t head = *cqHead_;
    const uint32_t tail = LoadAcquire(cqTail_);
    for (; head != tail; head++) {
      const auto* cqe = static_cast<const io_uring_cqe*>(cqes_) + (head & cqMask_);
      if (cqe->user_data < n) res[cqe->user_data] = cqe->res;
      reaped++;
    }
    StoreRelease(cqHead_, head);
    if (rc > 0 || reaped > before) continue;
    // No progress: an interruption is tried again a few times, anything else ends the ring.
    if (!(err == EINTR || err == EAGAIN || err == EBUSY) || ++stalls >= 16) break;
  }
  queued_ = 0;
  // Entries left unrun stay unrun: closing the ring here means nothing ever submits them.
  if (reaped < n) Close();
  return submitted;
}

}  // namespace sockopt
