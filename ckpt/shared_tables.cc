#include "ckpt/shared_tables.h"

#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::dump {
namespace {

struct Table {
  int kind;  // KCMP_*
  const char* what;
  const char* flag;
};

constexpr Table kTables[] = {
    {KCMP_FILES, "fd table", "CLONE_FILES"},
    {KCMP_FS, "cwd/root/umask", "CLONE_FS"},
    {KCMP_SIGHAND, "signal handlers", "CLONE_SIGHAND"},
    {KCMP_VM, "address space", "CLONE_VM"},
};

// kcmp's order of the two processes' objects: 0 equal, 1 less, 2 greater.
long compare(pid_t a, pid_t b, int kind) {
  long r = ::syscall(SYS_kcmp, a, b, kind, 0, 0);
  if (r < 0) throw_errno("kcmp(pid {}, pid {})", a, b);
  return r;
}

}  // namespace

void refuse_shared_tables(const records::ProcessTree& tree) {
  std::vector<const records::ProcessEntry*> live;
  for (const auto& entry : tree.processes)
    if (!entry.zombie) live.push_back(&entry);
  for (const Table& table : kTables) {
    // Sorted in kcmp order, processes sharing a table are neighbours: n log n calls.
    std::sort(live.begin(), live.end(), [&](const auto* a, const auto* b) {
      return compare(a->host_pid, b->host_pid, table.kind) == 1;
    });
    for (size_t i = 1; i < live.size(); ++i)
      if (compare(live[i - 1]->host_pid, live[i]->host_pid, table.kind) == 0)
        fail(ErrorKind::kRefused, "process {} shares its {} with process {} ({}): a restore would give each its own",
             live[i]->pid, table.what, live[i - 1]->pid, table.flag);
  }
}

}  // namespace ckpt::dump
