#include "migrate/page_store.h"

#include <sys/mman.h>

#include <cstring>

#include "common/error.h"
#include "common/proc/pagemap.h"

namespace ckpt::migrate {
namespace {

using proc::kPageSize;

constexpr int kMadvPopulateWrite = 23;

// Memory faulted in at once: a first write per page costs more than copying it here.
std::byte* populated(uint64_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw_errno("mmap {} bytes for pre-copied pages", size);
  (void)::madvise(p, size, kMadvPopulateWrite);  // a hint: writes fault it in otherwise
  return static_cast<std::byte*>(p);
}

}  // namespace

PageStore::~PageStore() {
  for (auto& [pid, blocks] : blocks_)
    for (auto& [address, block] : blocks) ::munmap(block.data, block.size);
}

void PageStore::add(uint64_t pid, uint64_t address, std::span<const std::byte> pages) {
  if (pages.empty() || pages.size() % kPageSize || address % kPageSize)
    fail("pre-copied pages of process {} at {:#x}: {} bytes, not whole pages", pid, address,
         pages.size());
  Blocks& blocks = blocks_[pid];
  while (!pages.empty()) {
    auto after = blocks.upper_bound(address);
    uint64_t size = pages.size();
    if (after != blocks.begin()) {
      auto& [start, block] = *std::prev(after);
      if (start + block.size > address) {  // sent again: the newer copy replaces the older
        size = std::min<uint64_t>(size, start + block.size - address);
        std::memcpy(block.data + (address - start), pages.data(), size);
        address += size;
        pages = pages.subspan(size);
        continue;
      }
    }
    if (after != blocks.end()) size = std::min<uint64_t>(size, after->first - address);
    Block block{populated(size), size};
    std::memcpy(block.data, pages.data(), size);
    blocks.emplace(address, block);
    bytes_ += size;
    address += size;
    pages = pages.subspan(size);
  }
}

void PageStore::keep(uint64_t pid, std::vector<records::PageRun> runs) {
  auto& kept = kept_[pid];
  kept.insert(kept.end(), runs.begin(), runs.end());
}

std::vector<records::PageRun> PageStore::runs(uint64_t image_id) const {
  auto it = kept_.find(image_id);
  return it == kept_.end() ? std::vector<records::PageRun>{} : it->second;
}

void PageStore::for_each(
    uint64_t image_id,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) const {
  auto kept = kept_.find(image_id);
  if (kept == kept_.end()) return;
  auto blocks = blocks_.find(image_id);
  for (const auto& run : kept->second) {
    uint64_t at = run.start, end = run.start + run.pages * kPageSize;
    while (at < end) {
      const Block* block = nullptr;
      uint64_t start = 0;
      if (blocks != blocks_.end()) {
        auto after = blocks->second.upper_bound(at);
        if (after != blocks->second.begin()) {
          start = std::prev(after)->first;
          block = &std::prev(after)->second;
        }
      }
      if (!block || start + block->size <= at)
        fail("process {}: page {:#x} is to be kept but was never received", image_id, at);
      uint64_t stop = std::min(end, start + block->size);
      consume(at, std::span(block->data + (at - start), stop - at));
      at = stop;
    }
  }
}

}  // namespace ckpt::migrate
