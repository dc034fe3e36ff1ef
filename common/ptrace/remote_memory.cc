#include "common/ptrace/remote_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::ptrace {
namespace {

using Transfer = ssize_t (*)(pid_t, const iovec*, unsigned long, const iovec*, unsigned long,
                             unsigned long);

// Moves every byte of `remote`, restarting after partial transfers.
void transfer_all(Transfer op, const char* what, pid_t pid, std::span<const iovec> remote,
                  char* local) {
  size_t index = 0, skip = 0;
  while (index < remote.size()) {
    iovec batch[IOV_MAX];
    size_t count = 0, total = 0;
    for (size_t i = index; i < remote.size() && count < IOV_MAX; ++i, ++count) {
      size_t off = i == index ? skip : 0;
      batch[count] = {static_cast<char*>(remote[i].iov_base) + off, remote[i].iov_len - off};
      total += batch[count].iov_len;
    }
    iovec mine{local, total};
    ssize_t done = op(pid, &mine, 1, batch, count, 0);
    if (done <= 0) {
      if (done == 0) errno = EFAULT;
      throw_errno("{} of {} at {}", what, pid, batch[0].iov_base);
    }
    local += done;
    size_t left = static_cast<size_t>(done) + skip;
    while (index < remote.size() && left >= remote[index].iov_len) left -= remote[index++].iov_len;
    skip = left;
  }
}

}  // namespace

void read_memory(pid_t pid, uint64_t address, void* out, size_t size) {
  iovec remote{reinterpret_cast<void*>(address), size};
  read_ranges(pid, {&remote, 1}, out);
}

void write_memory(pid_t pid, uint64_t address, const void* data, size_t size) {
  iovec remote{reinterpret_cast<void*>(address), size};
  write_ranges(pid, {&remote, 1}, data);
}

void write_code(pid_t pid, uint64_t address, const void* data, size_t size) {
  std::string path = "/proc/" + std::to_string(pid) + "/mem";
  UniqueFd mem(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!mem) throw_errno("open {}", path);
  ssize_t done = ::pwrite(mem.get(), data, size, static_cast<off_t>(address));
  if (done != static_cast<ssize_t>(size)) {
    if (done >= 0) errno = EFAULT;
    throw_errno("write of {} bytes of code at {:#x} of {}", size, address, pid);
  }
}

void read_ranges(pid_t pid, std::span<const iovec> remote, void* out) {
  transfer_all(process_vm_readv, "process_vm_readv", pid, remote, static_cast<char*>(out));
}

void write_ranges(pid_t pid, std::span<const iovec> remote, const void* data) {
  transfer_all(process_vm_writev, "process_vm_writev", pid, remote,
               const_cast<char*>(static_cast<const char*>(data)));
}

}  // namespace ckpt::ptrace
