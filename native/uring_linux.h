// A small io_uring of one reader thread's own, for getsockopt at SOL_SOCKET and close: a
// batch of reads (or closes) crosses into the kernel in one io_uring_enter instead of a
// syscall each (SOCKET_URING_OP_GETSOCKOPT, Linux >= 6.7; IORING_OP_CLOSE, 5.6). The
// kernel serves only SOL_SOCKET this way (io_uring/cmd_net.c), through the same
// do_sock_getsockopt as the syscall. The ring never decides a value's fate on its own:
// whatever it does not answer with success the caller reads again with the syscall. Where
// there is no ring (an older kernel, seccomp, the kernel.io_uring_disabled sysctl) Open()
// fails and the caller reads directly.
#pragma once
#include <climits>
#include <cstddef>
#include <cstdint>

namespace sockopt {

class GetRing {
 public:
  static constexpr unsigned kEntries = 256;
  // A result for an entry the ring did not run (it broke, and closed itself).
  static constexpr int32_t kNotRun = INT32_MIN;

  GetRing() = default;
  GetRing(const GetRing&) = delete;
  GetRing& operator=(const GetRing&) = delete;
  ~GetRing() { Close(); }

  // Sets the ring up; false where the system has none to give.
  bool Open();
  void Close();
  bool IsOpen() const { return fd_ >= 0; }
  unsigned Queued() const { return queued_; }

  // Queues getsockopt(fd, SOL_SOCKET, optname) into buf (len bytes) as entry Queued();
  // the caller keeps fd open and buf alive until Drain returns. Holds at most kEntries.
  void Queue(int fd, int optname, void* buf, uint32_t len);
  // Queues close(fd) as entry Queued() (IORING_OP_CLOSE).
  void QueueClose(int fd);
  // Runs every queued entry; res[i] is entry i's answer length or -errno (kNotRun: not
  // run). Returns how many entries the kernel took, in order: entries [0, taken) were
  // run (a close among them is done, whatever its answer, even where its res is
  // kNotRun), the others never will be. Leaves the ring empty.
  unsigned Drain(int32_t* res);

 private:
  int fd_ = -1;
  void* sqRing_ = nullptr;
  void* cqRing_ = nullptr;
  void* sqes_ = nullptr;
  size_t sqRingSize_ = 0, cqRingSize_ = 0, sqesSize_ = 0;
  uint32_t *sqTail_ = nullptr, *sqArray_ = nullptr, *cqHead_ = nullptr, *cqTail_ = nullptr;
  const void* cqes_ = nullptr;
  uint32_t sqMask_ = 0, cqMask_ = 0;
  unsigned queued_ = 0;
};

}  // namespace sockopt
