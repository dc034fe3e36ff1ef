#include "migrate/page_store.h"

#include <sys/mman.h>

#include <algorithm>
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
  // Not copied into the root task and the tree the restore forks (inside the downtime): a fork
  // would copy the page tables of every held page, and the restored processes unmap them.
  (void)::madvise(p, size, MADV_DONTFORK);
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

void PageStore::post_copy(uint64_t pid, std::vector<records::PageRun> runs) {
  auto& post_copied = post_copied_[pid];
  post_copied.insert(post_copied.end(), runs.begin(), runs.end());
}

std::vector<records::PageRun> PageStore::post_copied_runs(uint64_t image_id) const {
  auto it = post_copied_.find(image_id);
  return it == post_copied_.end() ? std::vector<records::PageRun>{} : it->second;
}

std::vector<records::PageRun> PageStore::runs(uint64_t image_id) const {
  auto it = kept_.find(image_id);
  return it == kept_.end() ? std::vector<records::PageRun>{} : it->second;
}

std::span<const std::byte> PageStore::held_from(uint64_t pid, uint64_t address) const {
  auto blocks = blocks_.find(pid);
  if (blocks == blocks_.end()) return {};
  auto after = blocks->second.upper_bound(address);
  if (after == blocks->second.begin()) return {};
  const auto& [start, block] = *std::prev(after);
  if (start + block.size <= address) return {};
  return std::span(block.data + (address - start), start + block.size - address);
}

void PageStore::for_each(
    uint64_t image_id,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) const {
  auto kept = kept_.find(image_id);
  if (kept == kept_.end()) return;
  for (const auto& run : kept->second) {
    uint64_t at = run.start, end = run.start + run.pages * kPageSize;
    while (at < end) {
      auto held = held_from(image_id, at);
      if (held.empty())
        fail("process {}: page {:#x} is to be kept but was never received", image_id, at);
      uint64_t size = std::min<uint64_t>(end - at, held.size());
      consume(at, held.first(size));
      at += size;
    }
  }
}

std::span<const std::byte> PageStore::piece(uint64_t image_id, uint64_t address,
                                            uint64_t size) const {
  auto held = held_from(image_id, address);
  return held.first(std::min<uint64_t>(size, held.size()));
}

}  // namespace ckpt::migrate
