#include "ckpt/pages_pool.h"

#include <sys/mman.h>

#include <algorithm>

#include "common/error.h"
#include "common/proc/pagemap.h"

namespace ckpt::dump {

using proc::kPageSize;

PagePool::~PagePool() {
  for (char* block : blocks_) ::munmap(block, block_bytes_);
}

void PagePool::add_block() {
  void* p = ::mmap(nullptr, block_bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw_errno("mmap {} MiB for page copies", block_bytes_ >> 20);
  // Not copied into the helpers the dump forks while the container is frozen: a fork would
  // copy the page tables of every page held here (tens of ms per GiB, inside the freeze).
  (void)::madvise(p, block_bytes_, MADV_DONTFORK);
  blocks_.push_back(static_cast<char*>(p));
}

void PagePool::reserve(uint64_t bytes) {
  uint64_t free = (blocks_.size() - current_) * block_bytes_ - (blocks_.empty() ? 0 : used_);
  for (; free < bytes; free += block_bytes_) add_block();
}

char* PagePool::take(uint64_t pages, uint64_t& got) {
  if (blocks_.empty() || used_ == block_bytes_) {
    if (!blocks_.empty()) ++current_;
    if (current_ == blocks_.size()) add_block();
    used_ = 0;
  }
  got = std::min(pages, (block_bytes_ - used_) / kPageSize);
  char* at = blocks_[current_] + used_;
  used_ += got * kPageSize;
  return at;
}

}  // namespace ckpt::dump
