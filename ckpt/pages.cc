#include "ckpt/pages.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "ckpt/pages_index.h"
#include "common/chain/page_hash.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

using proc::kPageSize;

bool all_zero(const char* page) {
  static const char zeros[kPageSize] = {};
  return std::memcmp(page, zeros, kPageSize) == 0;
}

namespace {

constexpr size_t kBatchBytes = 64u << 20;

// A part of an extent, read by one of two means.
struct Part {
  PageCopy copy;
  size_t extent = 0;    // which extent it is part of
  bool shared = false;  // mapped by other processes too: read through /proc/PID/mem
};

// Splits `extents` where their pages are mapped by other processes too (shared copy-on-write
// after a fork, merged by KSM): process_vm_readv pins the pages it reads, and the kernel gives a
// process its own copy of an anonymous page pinned while shared, so that a --leave-running dump
// would leave the container holding a copy per process. /proc/PID/mem reads without pinning.
// `pagemap`: the process's, or none (no page taken for shared).
std::vector<Part> parts_by_sharing(const UniqueFd& pagemap, std::span<const PageCopy> extents) {
  std::vector<Part> parts;
  for (size_t i = 0; i < extents.size(); ++i) {
    const PageCopy& e = extents[i];
    std::vector<bool> shared = pagemap ? proc::mapped_by_others(pagemap.get(), e.address, e.pages)
                                       : std::vector<bool>(e.pages, false);
    for (uint64_t at = 0; at < e.pages;) {
      uint64_t end = at;
      while (end < e.pages && shared[end] == shared[at]) ++end;
      PageCopy piece = e;
      piece.address = e.address + at * kPageSize;
      piece.pages = end - at;
      piece.data = e.data + at * kPageSize;
      parts.push_back({piece, i, shared[at]});
      at = end;
    }
  }
  return parts;
}

// One process_vm_readv of `batch`: local and remote iovecs pair up.
ssize_t read_batch(pid_t pid, std::span<const Part> batch, size_t& bytes) {
  iovec local[IOV_MAX], remote[IOV_MAX];
  bytes = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    size_t size = batch[i].copy.pages * kPageSize;
    local[i] = {batch[i].copy.data, size};
    remote[i] = {reinterpret_cast<void*>(batch[i].copy.address), size};
    bytes += size;
  }
  return ::process_vm_readv(pid, local, batch.size(), remote, batch.size(), 0);
}

// The pages of `extent` through /proc/PID/mem, which reads them also where the process may not
// (a VMA without PROT_READ), as a debugger does, and without pinning them. False where they
// are gone.
bool read_through_mem(int mem, const PageCopy& extent) {
  size_t size = extent.pages * kPageSize;
  for (size_t done = 0; done < size;) {
    ssize_t got = ::pread(mem, extent.data + done, size - done,
                          static_cast<off_t>(extent.address + done));
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

// How many of `parts` a short read of `got` bytes filled completely.
size_t whole_parts(std::span<const Part> parts, ssize_t got) {
  size_t count = 0;
  for (size_t left = got > 0 ? static_cast<size_t>(got) : 0;
       count < parts.size() && left >= parts[count].copy.pages * kPageSize; ++count)
    left -= parts[count].copy.pages * kPageSize;
  return count;
}

}  // namespace

PageReader::PageReader(pid_t pid) : pid_(pid) {
  try {
    pagemap_ = proc::open_pagemap(pid);
  } catch (const Error& e) {
    spdlog::debug("process {}: pages read without telling shared ones: {}", pid, e.what());
  }
}

bool PageReader::read_one(const PageCopy& extent, bool partial_ok) {
  if (!mem_) {
    std::string path = "/proc/" + std::to_string(pid_) + "/mem";
    mem_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mem_) throw_errno("open {}", path);
  }
  if (read_through_mem(mem_.get(), extent)) return true;
  if (partial_ok) return false;
  if (errno == 0) errno = EFAULT;
  throw_errno("read the memory of {} at {:#x}", pid_, extent.address);
}

size_t PageReader::read(std::span<const PageCopy> extents, bool partial_ok) {
  std::vector<Part> parts = parts_by_sharing(pagemap_, extents);
  size_t done = 0;
  while (done < parts.size()) {
    if (parts[done].shared) {
      if (!read_one(parts[done].copy, partial_ok)) return parts[done].extent;
      ++done;
      continue;
    }
    size_t count = 0, bytes = 0;
    for (size_t i = done; i < parts.size() && !parts[i].shared && count < IOV_MAX &&
                          bytes < kBatchBytes; ++i) {
      bytes += parts[i].copy.pages * kPageSize;
      ++count;
    }
    std::span<const Part> batch(parts.data() + done, count);
    ssize_t got = read_batch(pid_, batch, bytes);
    if (got == static_cast<ssize_t>(bytes)) {
      done += count;
      continue;
    }
    done += whole_parts(batch, got);
    // Stopped, so nothing went away: the part is in memory the process may not read.
    if (partial_ok || !read_one(parts[done].copy, partial_ok)) return parts[done].extent;
    ++done;
  }
  return extents.size();
}

void PageStreamWriter::mark_in_parent(uint64_t address) {
  auto& runs = map_.runs;
  if (!runs.empty() && runs.back().in_parent && runs.back().end() == address)
    ++runs.back().pages;
  else
    runs.push_back({address, 1, true});
}

void PageStreamWriter::keep(uint64_t address, const char* page) {
  uint64_t hash = chain::page_hash(page);
  map_.hashes.push_back(hash);
  if (parent_ && parent_->has(address, hash)) {
    mark_in_parent(address);
    return;
  }
  auto& runs = map_.runs;
  bool follows = !runs.empty() && !runs.back().in_parent && runs.back().end() == address;
  if (follows && pending_ + pending_size_ == page) {
    ++runs.back().pages;
    pending_size_ += kPageSize;
    return;
  }
  flush();
  if (follows)
    ++runs.back().pages;
  else
    runs.push_back({address, 1});
  pending_ = page;
  pending_size_ = kPageSize;
}

void PageStreamWriter::keep_extent(const PageCopy& extent) {
  if (extent.in_parent) {
    for (uint64_t i = 0; i < extent.pages; ++i) {
      uint64_t address = extent.address + i * kPageSize;
      auto hash = parent_ ? parent_->hash_at(address) : std::nullopt;
      if (!hash) fail("page {:#x} is not in the parent image", address);
      map_.hashes.push_back(*hash);
      mark_in_parent(address);
    }
    return;
  }
  for (uint64_t i = 0; i < extent.pages; ++i) {
    const char* page = extent.data + i * kPageSize;
    if (!extent.skip_zero || !all_zero(page)) keep(extent.address + i * kPageSize, page);
  }
}

void PageStreamWriter::flush() {
  if (pending_size_) out_.write(pending_, pending_size_);
  pending_size_ = 0;
}

records::Pagemap PageStreamWriter::finish() {
  flush();
  return std::move(map_);
}

}  // namespace ckpt::dump
