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
    if (capacity_ - size_ >= room) return data_ + size_;
    size_t want = capacity_ * 2 > size_ + room ? capacity_ * 2 : size_ + room;
    if (want < kFirst) want = kFirst;
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    want = (want + page - 1) / page * page;
    void* p = data_ == nullptr ? mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                               : mremap(data_, capacity_, want, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return nullptr;
    data_ = static_cast<uint8_t*>(p);
    capacity_ = want;
    return data_ + size_;
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
  static constexpr size_t kFirst = 256 * 1024;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace sockopt
