#include "ckpt/sem_undo.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "common/ptrace/injection.h"
#include "common/error.h"
#include "common/ipc/sem_undo_ops.h"
#include "common/log.h"
#include "common/records/sem_undo.h"

namespace ckpt::dump {
namespace {

// SEMOPM, the third field of kernel.sem ("SEMMSL SEMMNS SEMOPM SEMMNI"), as saved.
size_t semopm_of(const records::IpcNamespace& ipc) {
  auto it = ipc.sysctls.find("kernel/sem");
  size_t semmsl = 0, semmns = 0, semopm = 0;
  std::istringstream in(it == ipc.sysctls.end() ? "" : it->second);
  if (!(in >> semmsl >> semmns >> semopm)) fail("kernel.sem of the container was not read");
  return semopm;
}

// semop() on `sem_id`, made by the process `injection` holds. A process that may not alter the
// set cannot have adjustments on it (unless its rights changed since): it answers "no".
ipc::Semop injected_semop(ptrace::Injection& injection, int sem_id, bool& denied) {
  return [&injection, sem_id, &denied](std::span<const sembuf> ops) {
    injection.write(0, ops.data(), ops.size_bytes());
    long result = injection.main().call(SYS_semop, sem_id, injection.scratch(), ops.size());
    if (result == -EACCES) denied = true;
    return static_cast<int>(result == -EACCES ? -EAGAIN : result);
  };
}

records::SemUndo probe_process(pid_t pid, pid_t tid, const std::vector<records::SemSet>& sets,
                               size_t max_ops) {
  ptrace::Injection injection(pid, tid);
  records::SemUndo undo{static_cast<uint32_t>(max_ops), {}};
  for (const auto& set : sets) {
    bool denied = false;
    auto adjustments =
        ipc::probe_adjustments(injected_semop(injection, set.perm.id, denied), set.values, max_ops);
    if (denied) spdlog::debug("process {} may not alter sem id {}", pid, set.perm.id);
    if (std::any_of(adjustments.begin(), adjustments.end(), [](int a) { return a != 0; }))
      undo.sets.push_back({set.perm.id, {adjustments.begin(), adjustments.end()}});
  }
  return undo;
}

}  // namespace

void dump_sem_undo(const records::ProcessTree& tree, const SeizedProcesses& seized,
                   const records::IpcNamespace& ipc, image::ImageWriter& image) {
  if (ipc.sem.empty()) return;
  size_t max_ops = std::min(semopm_of(ipc), ptrace::ScratchSpec{}.size / sizeof(sembuf));
  for (const auto& entry : tree.processes) {
    if (entry.zombie) continue;  // exit_sem() applied its adjustments
    pid_t pid = entry.host_pid;
    records::SemUndo undo;
    try {
      undo = probe_process(pid, seized.threads(pid).front(), ipc.sem, max_ops);
    } catch (const Error& e) {
      fail("process {}: reading its SEM_UNDO adjustments: {}", pid, e.what());
    }
    if (undo.sets.empty()) continue;
    spdlog::debug("process {}: SEM_UNDO adjustments on {} sets", pid, undo.sets.size());
    image.put(image::SectionType::kSemUndo, static_cast<uint64_t>(pid), undo);
  }
}

}  // namespace ckpt::dump
