#include "ckpt/shared_tables.h"

#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
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

constexpr Table kFiles{KCMP_FILES, "fd table", "CLONE_FILES"};
constexpr Table kFs{KCMP_FS, "cwd/root/umask", "CLONE_FS"};
constexpr Table kRefused[] = {
    {KCMP_SIGHAND, "signal handlers", "CLONE_SIGHAND"},
    {KCMP_VM, "address space", "CLONE_VM"},
};

// kcmp's order of the two processes' objects: 0 equal, 1 less, 2 greater.
long compare(pid_t a, pid_t b, int kind) {
  long r = ::syscall(SYS_kcmp, a, b, kind, 0, 0);
  if (r < 0) throw_errno("kcmp(pid {}, pid {})", a, b);
  return r;
}

std::vector<records::ProcessEntry*> live_processes(records::ProcessTree& tree) {
  std::vector<records::ProcessEntry*> live;
  for (auto& entry : tree.processes)
    if (!entry.zombie) live.push_back(&entry);
  return live;
}

// Sorted in kcmp order, processes sharing a table are neighbours: n log n calls. `each_pair` is
// called for every two neighbours that share it.
template <class Entry, class EachPair>
void for_each_sharing_pair(std::vector<Entry*> live, const Table& table, EachPair each_pair) {
  std::sort(live.begin(), live.end(), [&](const auto* a, const auto* b) {
    return compare(a->host_pid, b->host_pid, table.kind) == 1;
  });
  for (size_t i = 1; i < live.size(); ++i)
    if (compare(live[i - 1]->host_pid, live[i]->host_pid, table.kind) == 0)
      each_pair(*live[i - 1], *live[i]);
}

[[noreturn]] void refuse(const records::ProcessEntry& a, const records::ProcessEntry& b,
                         const Table& table, const char* why) {
  fail(ErrorKind::kRefused, "process {} shares its {} with process {} ({}): {}", b.pid, table.what,
       a.pid, table.flag, why);
}

// Marks each child that shares `table` with its parent (`flag` of its entry); two sharers that
// are not linked by such marks up to one process are refused.
void mark_table(records::ProcessTree& tree, const Table& table, bool records::ProcessEntry::*flag) {
  auto live = live_processes(tree);
  std::map<int32_t, records::ProcessEntry*> by_pid;
  for (auto* entry : live) by_pid[entry->pid] = entry;
  for (auto* entry : live) {
    auto parent = by_pid.find(entry->ppid);
    if (parent != by_pid.end() &&
        compare(parent->second->host_pid, entry->host_pid, table.kind) == 0)
      entry->*flag = true;
  }
  auto owner_of = [&](const records::ProcessEntry& entry) {
    const records::ProcessEntry* at = &entry;
    while (at->*flag) at = by_pid.at(at->ppid);
    return at->pid;
  };
  for_each_sharing_pair(live, table, [&](const auto& a, const auto& b) {
    if (owner_of(a) != owner_of(b))
      refuse(a, b, table,
             "a restore keeps one only between a parent and the children it cloned with it");
  });
}

}  // namespace

void mark_shared_tables(records::ProcessTree& tree) {
  mark_table(tree, kFiles, &records::ProcessEntry::shares_parent_files);
  mark_table(tree, kFs, &records::ProcessEntry::shares_parent_fs);
}

void refuse_shared_tables(const records::ProcessTree& tree) {
  std::vector<const records::ProcessEntry*> live;
  for (const auto& entry : tree.processes)
    if (!entry.zombie) live.push_back(&entry);
  for (const Table& table : kRefused)
    for_each_sharing_pair(live, table, [&](const auto& a, const auto& b) {
      refuse(a, b, table, "a restore would give each its own");
    });
}

}  // namespace ckpt::dump
