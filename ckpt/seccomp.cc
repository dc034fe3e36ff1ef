#include "ckpt/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <optional>
#include <sys/ptrace.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/pid_status.h"
#include "common/ptrace/tracee.h"

namespace ckpt::dump {
namespace {

struct Metadata {  // struct seccomp_metadata
  uint64_t filter_off = 0;
  uint64_t flags = 0;
};

const char* mode_name(int mode) {
  return mode == SECCOMP_MODE_STRICT ? "strict mode" : "a filter";
}

int mode_of(pid_t tid) {
  return proc::read_pid_status(tid).seccomp;
}

// Filter `index` of `tid` (0: the last installed), or nullopt past the first.
std::optional<records::SeccompFilter> filter_of(pid_t tid, unsigned long index) {
  long count = ::ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, nullptr);
  if (count < 0 && errno == ENOENT) return std::nullopt;
  if (count < 0) throw_errno("PTRACE_SECCOMP_GET_FILTER {} of thread {}", index, tid);
  records::SeccompFilter filter;
  filter.program.resize(static_cast<size_t>(count) * sizeof(sock_filter));
  if (::ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, filter.program.data()) != count)
    throw_errno("PTRACE_SECCOMP_GET_FILTER {} of thread {}", index, tid);
  Metadata metadata{index, 0};
  if (::ptrace(PTRACE_SECCOMP_GET_METADATA, tid, sizeof metadata, &metadata) != sizeof metadata)
    throw_errno("PTRACE_SECCOMP_GET_METADATA {} of thread {}", index, tid);
  filter.flags = metadata.flags;
  return filter;
}

// The chain of `tid`, the first installed first.
std::vector<records::SeccompFilter> filters_of(pid_t tid) {
  std::vector<records::SeccompFilter> chain;
  for (unsigned long index = 0;; ++index) {
    auto filter = filter_of(tid, index);
    if (!filter) break;
    chain.insert(chain.begin(), std::move(*filter));
  }
  return chain;
}

bool same_chain(const std::vector<records::SeccompFilter>& a,
                const std::vector<records::SeccompFilter>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].program != b[i].program || a[i].flags != b[i].flags) return false;
  return true;
}

}  // namespace

void refuse_unsuspendable_seccomp(pid_t pid, pid_t tid) {
  if (ptrace::suspends_seccomp()) return;
  int mode = mode_of(tid);
  if (mode != SECCOMP_MODE_DISABLED)
    fail(
        "process {} (thread {}) is under seccomp ({}) and this ckpt cannot suspend it "
        "(PTRACE_O_SUSPEND_SECCOMP needs CAP_SYS_ADMIN); not dumped",
        pid, tid, mode_name(mode));
}

records::Seccomp dump_seccomp(pid_t pid, const std::vector<pid_t>& tids) {
  records::Seccomp seccomp;
  seccomp.mode = static_cast<uint32_t>(mode_of(tids.at(0)));
  if (seccomp.mode == SECCOMP_MODE_FILTER) seccomp.filters = filters_of(tids[0]);
  for (size_t i = 1; i < tids.size(); ++i) {
    int mode = mode_of(tids[i]);
    if (static_cast<uint32_t>(mode) != seccomp.mode)
      fail(ErrorKind::kRefused, "process {}: threads {} and {} have different seccomp modes ({} and {}); not supported",
           pid, tids[0], tids[i], seccomp.mode, mode);
    if (mode == SECCOMP_MODE_FILTER && !same_chain(filters_of(tids[i]), seccomp.filters))
      fail(ErrorKind::kRefused, "process {}: threads {} and {} have different seccomp filters; not supported", pid,
           tids[0], tids[i]);
  }
  return seccomp;
}

}  // namespace ckpt::dump
