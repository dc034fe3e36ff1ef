// The target's copy of the pages pre-copied in rounds, held in memory (no disk spool) until the
// restore fills them into the processes: blocks as the first round sent them, overwritten in
// place by the pages later rounds send again (a piece may span blocks; what no block holds yet
// becomes a new one). The final round then says which pages are current
// (kKeep); the restore takes exactly those (restore::HeldPages).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "common/records/mm.h"
#include "restore/pages.h"

namespace ckpt::migrate {

class PageStore : public restore::HeldPages {
 public:
  PageStore() = default;
  ~PageStore() override;
  PageStore(const PageStore&) = delete;
  PageStore& operator=(const PageStore&) = delete;

  // Pages of source process `pid` at `address` (a kPages frame).
  void add(uint64_t pid, uint64_t address, std::span<const std::byte> pages);
  // The pages of `pid` that are current (a kKeep frame).
  void keep(uint64_t pid, std::vector<records::PageRun> runs);
  // The pages of `pid` that come after the resume (a kLazy frame).
  void post_copy(uint64_t pid, std::vector<records::PageRun> runs);

  std::vector<records::PageRun> runs(uint64_t image_id) const override;
  void for_each(uint64_t image_id,
                const std::function<void(uint64_t, std::span<const std::byte>)>& consume)
      const override;
  std::span<const std::byte> piece(uint64_t image_id, uint64_t address,
                                   uint64_t size) const override;
  std::vector<records::PageRun> post_copied_runs(uint64_t image_id) const override;

  uint64_t bytes() const { return bytes_; }

 private:
  struct Block {
    std::byte* data = nullptr;  // mmap'ed, `size` bytes
    uint64_t size = 0;
  };
  using Blocks = std::map<uint64_t, Block>;  // by address
  // The held bytes from `address` on, to the end of the block holding it (empty: none does).
  std::span<const std::byte> held_from(uint64_t pid, uint64_t address) const;
  std::map<uint64_t, Blocks> blocks_;        // by source pid
  std::map<uint64_t, std::vector<records::PageRun>> kept_;
  std::map<uint64_t, std::vector<records::PageRun>> post_copied_;
  uint64_t bytes_ = 0;
};

}  // namespace ckpt::migrate
