// Private anonymous memory of a restored process filled with UFFDIO_COPY from the tracer: a
// userfaultfd made inside the process (so its context is the process's mm) is taken over with
// pidfd_getfd and closed there, then registered (missing mode) on the VMAs to fill. One ioctl
// allocates and fills each page: no zeroing first, no populate, no page pinning. Closing our fd,
// the last reference, unregisters everything; the process keeps no trace of it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/records/mm.h"
#include "common/unique_fd.h"
#include "restore/seize.h"

namespace ckpt::restore {

class UffdFill {
 public:
  // Null when the process cannot have a userfaultfd here (no kernel support, refused).
  static std::unique_ptr<UffdFill> open(Restorer& restorer);
  // For a migration's fill after the resume (restore/pages_post_copy.h): kernel-mode faults
  // wait for the handler too (the process runs before every page is in), and the fork, mremap,
  // madvise-remove and munmap events of the process are reported.
  static std::unique_ptr<UffdFill> open_for_post_copy(Restorer& restorer);

  // Registers the private anonymous VMAs of `mm` that hold pages of `pagemap`; a VMA the
  // kernel refuses stays unregistered (its pages are written another way).
  void register_vmas(const records::MmState& mm, const records::Pagemap& pagemap);

  // The longest start of [address, address + size) that lies in one registered VMA (second is
  // true) or wholly outside them (false), as its length. One UFFDIO_COPY cannot cross VMAs, and
  // runs of the page stream may (they join pages of neighbouring VMAs).
  std::pair<uint64_t, bool> leading_piece(uint64_t address, uint64_t size) const;

  // Copies `data` to `address`, a registered range; pages already there are written with
  // process_vm_writev instead. Several threads may copy at once.
  void copy(uint64_t address, std::span<const std::byte> data) const;

  uint64_t registered_bytes() const;
  // The VMAs registered, [start, end), ascending.
  const std::vector<std::pair<uint64_t, uint64_t>>& registered() const { return registered_; }
  // The userfaultfd, handed on (the object is of no use after).
  UniqueFd take_fd() { return std::move(fd_); }

 private:
  static std::unique_ptr<UffdFill> open(Restorer& restorer, uint64_t flags, uint64_t features);
  UffdFill(UniqueFd fd, pid_t host_pid, pid_t ns_pid)
      : fd_(std::move(fd)), host_pid_(host_pid), ns_pid_(ns_pid) {}

  UniqueFd fd_;
  pid_t host_pid_;
  pid_t ns_pid_;
  std::vector<std::pair<uint64_t, uint64_t>> registered_;  // dumped VMAs [start, end), ascending
};

}  // namespace ckpt::restore
