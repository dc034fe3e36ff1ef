// Copies of a process's pages held in memory (a PagePool), so that a --leave-running dump can
// release the container before compressing and writing them, and the writing of pages into a
// kPages stream shared by the streaming and the copying paths.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "common/image/image.h"
#include "common/records/mm.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

// `pages` pages of the process at `address`, copied (or to be copied) to `data`.
struct PageCopy {
  uint64_t address = 0;
  uint64_t pages = 0;
  char* data = nullptr;
  bool skip_zero = false;  // all-zero pages need not be stored (anonymous memory)
  // Unchanged since the parent image (found by the pre-copy of an incremental dump): no data,
  // the pages are only marked in the pagemap.
  bool in_parent = false;
};

// Reads pages of one process: its /proc/PID/pagemap opened once (which pages are shared with
// other processes), its /proc/PID/mem when first needed. One reader per thread.
class PageReader {
 public:
  explicit PageReader(pid_t pid);

  // Reads every extent with process_vm_readv in large batches. Returns the number of leading
  // extents read completely: all of them, unless `partial_ok` (memory of a running process may
  // go away under us) lets it stop at the first failure. Otherwise an extent process_vm_readv
  // cannot read (no PROT_READ) is read through /proc/PID/mem, and a failure there throws.
  size_t read(std::span<const PageCopy> extents, bool partial_ok);

 private:
  // Reads `extent` through /proc/PID/mem; false (with `partial_ok`) where it is gone.
  bool read_one(const PageCopy& extent, bool partial_ok);

  pid_t pid_;
  UniqueFd pagemap_;  // none where it could not be opened: no page is taken for shared
  UniqueFd mem_;
};

class ParentPages;

// Appends pages to a kPages stream and builds the pagemap describing it, with each page's hash:
// consecutive pages that are consecutive in memory too go out in one write. With `parent`
// (an incremental dump), a page the parent has unchanged at its address is only marked
// `in_parent`.
class PageStreamWriter {
 public:
  explicit PageStreamWriter(image::ImageWriter::Stream& out, const ParentPages* parent = nullptr)
      : out_(out), parent_(parent) {}
  void keep(uint64_t address, const char* page);
  // Keeps the pages of `extent` (all-zero ones dropped where allowed).
  void keep_extent(const PageCopy& extent);
  // Writes the pages kept so far: before the memory they are in is reused.
  void flush();
  records::Pagemap finish();

 private:
  void mark_in_parent(uint64_t address);

  image::ImageWriter::Stream& out_;
  const ParentPages* parent_;
  const char* pending_ = nullptr;
  size_t pending_size_ = 0;
  records::Pagemap map_;
};

bool all_zero(const char* page);

}  // namespace ckpt::dump
