#include "ckpt/pages.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "ckpt/pages_index.h"
#include "common/chain/page_hash.h"
#include "common/error.h"
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

// One process_vm_readv of extents [first, first + count): local and remote iovecs pair up.
ssize_t read_batch(pid_t pid, std::span<const PageCopy> batch, size_t& bytes) {
  iovec local[IOV_MAX], remote[IOV_MAX];
  bytes = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    size_t size = batch[i].pages * kPageSize;
    local[i] = {batch[i].data, size};
    remote[i] = {reinterpret_cast<void*>(batch[i].address), size};
    bytes += size;
  }
  return ::process_vm_readv(pid, local, batch.size(), remote, batch.size(), 0);
}

// The pages of `extent` through /proc/PID/mem, which reads them also where the process may not
// (a VMA without PROT_READ), as a debugger does.
void read_forced(pid_t pid, const PageCopy& extent) {
  std::string path = "/proc/" + std::to_string(pid) + "/mem";
  UniqueFd mem(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!mem) throw_errno("open {}", path);
  size_t size = extent.pages * kPageSize;
  for (size_t done = 0; done < size;) {
    ssize_t got = ::pread(mem.get(), extent.data + done, size - done,
                          static_cast<off_t>(extent.address + done));
    if (got <= 0) {
      if (got == 0) errno = EFAULT;
      throw_errno("read the memory of {} at {:#x}", pid, extent.address + done);
    }
    done += static_cast<size_t>(got);
  }
}

// How many of `extents` a short read of `got` bytes filled completely.
size_t whole_extents(std::span<const PageCopy> extents, ssize_t got) {
  size_t count = 0;
  for (size_t left = got > 0 ? static_cast<size_t>(got) : 0;
       count < extents.size() && left >= extents[count].pages * kPageSize; ++count)
    left -= extents[count].pages * kPageSize;
  return count;
}

}  // namespace

size_t read_extents(pid_t pid, std::span<const PageCopy> extents, bool partial_ok) {
  size_t done = 0;
  while (done < extents.size()) {
    size_t count = 0, bytes = 0;
    for (size_t i = done; i < extents.size() && count < IOV_MAX && bytes < kBatchBytes; ++i) {
      bytes += extents[i].pages * kPageSize;
      ++count;
    }
    ssize_t got = read_batch(pid, extents.subspan(done, count), bytes);
    if (got == static_cast<ssize_t>(bytes)) {
      done += count;
      continue;
    }
    done += whole_extents(extents.subspan(done, count), got);
    if (partial_ok) return done;
    // Stopped, so nothing went away: the extent is in memory the process may not read.
    read_forced(pid, extents[done++]);
  }
  return done;
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
