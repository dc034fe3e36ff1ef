// Memory for copies of pages, faulted in before it is needed: the first write to a fresh page
// costs ~20 us on these machines, more than copying the page, so a dump that copies into
// fresh memory while the container is stopped would spend the freeze window in page faults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ckpt::dump {

class PagePool {
 public:
  // Memory is faulted in by blocks of `block_bytes`.
  explicit PagePool(uint64_t block_bytes = 64u << 20) : block_bytes_(block_bytes) {}
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // Faults in room for `bytes` more (rounded up to whole blocks) now.
  void reserve(uint64_t bytes);
  // Contiguous room for up to `pages` pages (at least one); `got` says how many.
  char* take(uint64_t pages, uint64_t& got);
  uint64_t bytes_faulted() const { return blocks_.size() * block_bytes_; }

 private:
  void add_block();

  uint64_t block_bytes_;
  std::vector<char*> blocks_;
  size_t current_ = 0;  // block being handed out
  uint64_t used_ = 0;   // bytes of it handed out
};

}  // namespace ckpt::dump
