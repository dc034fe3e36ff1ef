#include "restore/pages_uffd.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/ptrace/remote_memory.h"

namespace ckpt::restore {
namespace {

using proc::kPageSize;

// Kernel-mode faults in registered ranges fail at once instead of waiting for us: nothing but
// UFFDIO_COPY is meant to fill them, and a stray access must not hang the restore.
constexpr uint64_t kUffdFlags = O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY;

// A userfaultfd of the process's mm as our fd; none is left in the process. Empty when the
// kernel refuses to make one.
UniqueFd take_userfaultfd(Restorer& r, uint64_t flags) {
  int error = 0;
  UniqueFd ours = ptrace::take_made_fd(r.main(), r.host_pid(), ptrace::kUserfaultfdLink,
                                       SYS_userfaultfd, flags, error);
  if (!ours) spdlog::debug("process {}: no userfaultfd ({})", r.ns_pid(), strerror(error));
  return ours;
}

bool holds_pages(const records::Vma& vma, const records::Pagemap& pagemap) {
  auto after = std::upper_bound(
      pagemap.runs.begin(), pagemap.runs.end(), vma.start,
      [](uint64_t address, const records::PageRun& run) { return address < run.start; });
  if (after != pagemap.runs.end() && after->start < vma.end) return true;
  if (after == pagemap.runs.begin()) return false;
  const auto& before = *std::prev(after);
  return before.start + before.pages * kPageSize > vma.start;
}

}  // namespace

std::unique_ptr<UffdFill> UffdFill::open(Restorer& r) {
  return open(r, kUffdFlags, 0);
}

std::unique_ptr<UffdFill> UffdFill::open_for_post_copy(Restorer& r) {
  return open(r, O_CLOEXEC | O_NONBLOCK,
              UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
                  UFFD_FEATURE_EVENT_UNMAP);
}

std::unique_ptr<UffdFill> UffdFill::open(Restorer& r, uint64_t flags, uint64_t features) {
  UniqueFd fd = take_userfaultfd(r, flags);
  if (!fd) return nullptr;
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = features;
  if (::ioctl(fd.get(), UFFDIO_API, &api) != 0) {
    spdlog::debug("process {}: UFFDIO_API: {}", r.ns_pid(), strerror(errno));
    return nullptr;
  }
  return std::unique_ptr<UffdFill>(new UffdFill(std::move(fd), r.host_pid(), r.ns_pid()));
}

void UffdFill::register_vmas(const records::MmState& mm, const records::Pagemap& pagemap) {
  for (const auto& vma : mm.vmas) {
    if (!vma.private_anonymous() || !holds_pages(vma, pagemap)) continue;
    uffdio_register reg{};
    reg.range = {vma.start, vma.size()};
    reg.mode = UFFDIO_REGISTER_MODE_MISSING;
    if (::ioctl(fd_.get(), UFFDIO_REGISTER, &reg) != 0 || !(reg.ioctls & (1ull << _UFFDIO_COPY))) {
      spdlog::debug("process {}: VMA {:#x}-{:#x} not registered for UFFDIO_COPY: {}", ns_pid_,
                    vma.start, vma.end, strerror(errno));
      continue;
    }
    registered_.emplace_back(vma.start, vma.end);
  }
}

std::pair<uint64_t, bool> UffdFill::leading_piece(uint64_t address, uint64_t size) const {
  auto after =
      std::upper_bound(registered_.begin(), registered_.end(), std::make_pair(address, UINT64_MAX));
  if (after != registered_.begin() && std::prev(after)->second > address)
    return {std::min(size, std::prev(after)->second - address), true};
  uint64_t gap_end = after == registered_.end() ? UINT64_MAX : after->first;
  return {std::min(size, gap_end - address), false};
}

void UffdFill::copy(uint64_t address, std::span<const std::byte> data) const {
  while (!data.empty()) {
    uffdio_copy request{};
    request.dst = address;
    request.src = reinterpret_cast<uint64_t>(data.data());
    request.len = data.size();
    request.mode = UFFDIO_COPY_MODE_DONTWAKE;  // nobody waits on these pages
    uint64_t done = 0;
    if (::ioctl(fd_.get(), UFFDIO_COPY, &request) == 0) {
      done = data.size();
    } else if (request.copy > 0) {  // a part; the rest is retried
      done = static_cast<uint64_t>(request.copy);
    } else if (errno == EEXIST) {  // this page is already there
      done = std::min<uint64_t>(kPageSize, data.size());
      ptrace::write_memory(host_pid_, address, data.data(), done);
    } else if (errno != EAGAIN) {
      throw_errno("process {}: UFFDIO_COPY of {} bytes to {:#x}", ns_pid_, data.size(), address);
    }
    address += done;
    data = data.subspan(done);
  }
}

uint64_t UffdFill::registered_bytes() const {
  uint64_t total = 0;
  for (const auto& [start, end] : registered_) total += end - start;
  return total;
}

}  // namespace ckpt::restore
