// An append-only byte buffer in a mapping of its own, grown in place with mremap: no copy
// as it grows, and no page touched that does not end up holding data. A vector doubling
// to a large socket table's dump wrote each page two or three times over, fresh pages
// each time, and a page fault costs ~10 us in some virtual machines (docs/inspect.md).
// Handed to JS as an external Buffer, unmapped by its finalizer.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace sockopt {

class GrowBuffer {
 public:
  GrowBuffer() = default;
  GrowBuffer(const GrowBuffer&) = delete;
  GrowBuffer& operator=(const GrowBuffer&) = delete;
  ~GrowBuffer() {
    if (data_ != nullptr) munmap(data_, capacity_);
  }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Where `room` more bytes may be written (at data() + size()); null when no memory is to be had.
  uint8_t* Tail(size_t room) {
    if (capacity_ - size_ >= room) return Populated(data_ + size_, room);
    size_t want = capacity_ * 2 > size_ + room ? capacity_ * 2 : size_ + room;
    if (want < kFirst) want = kFirst;
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    want = (want + page - 1) / page * page;
    void* p = data_ == nullptr ? mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                               : mremap(data_, capacity_, want, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return nullptr;
    data_ = static_cast<uint8_t*>(p);
    capacity_ = want;
    return Populated(data_ + size_, room);
  }
  void Resize(size_t size) { size_ = size; }
  // Gives the mapping away (to be unmapped with its capacity); the buffer is empty after.
  uint8_t* Release() {
    uint8_t* p = data_;
    data_ = nullptr;
    size_ = capacity_ = 0;
    return p;
  }

 private:
  // The pages of [at, at + room) made present in one call before the kernel copies into
  // them: a fault per page costs more than ten times as much in some virtual machines
  // (docs/inspect.md). Best effort: a kernel without MADV_POPULATE_WRITE (< 5.14) faults
  // them in as before.
  static uint8_t* Populated(uint8_t* at, size_t room) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t from = reinterpret_cast<uintptr_t>(at) & ~(page - 1);
    madvise(reinterpret_cast<void*>(from), reinterpret_cast<uintptr_t>(at) + room - from, kPopulateWrite);
    return at;
  }
#ifdef MADV_POPULATE_WRITE
  static constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else
  static constexpr int kPopulateWrite = 23;  // Linux's number; older headers lack the name
#endif
  static constexpr size_t kFirst = 256 * 1024;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace sockopt
