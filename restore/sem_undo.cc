#include "restore/sem_undo.h"

#include <sys/sem.h>
#include <sys/syscall.h>

#include <cstring>

#include "common/error.h"
#include "common/ipc/sem_undo_ops.h"
#include "common/log.h"

namespace ckpt::restore {
namespace {

constexpr uint64_t kAt = Restorer::kDataOffset;

std::vector<uint16_t> current_values(Restorer& r, int sem_id, size_t count) {
  std::vector<uint16_t> values(count);
  long ret = r.main().call(SYS_semctl, sem_id, 0, GETALL, r.scratch() + kAt);
  if (ret != 0) fail("semctl(sem id {}, GETALL): {}", sem_id, strerror(static_cast<int>(-ret)));
  r.read(kAt, values.data(), count * sizeof(uint16_t));
  return values;
}

void adjust_set(Restorer& r, const records::SemAdjustments& set, size_t max_ops) {
  auto values = current_values(r, set.sem_id, set.adjustments.size());
  for (const auto& call : ipc::adjustment_calls(values, set.adjustments, max_ops)) {
    r.write(kAt, call.data(), call.size() * sizeof(sembuf));
    long ret = r.main().call(SYS_semop, set.sem_id, r.scratch() + kAt, call.size());
    if (ret != 0) fail("semop(sem id {}): {}", set.sem_id, strerror(static_cast<int>(-ret)));
  }
}

}  // namespace

void restore_sem_undo(Restorer& r, const records::SemUndo& undo) {
  try {
    for (const auto& set : undo.sets) adjust_set(r, set, undo.max_ops);
  } catch (const Error& e) {
    fail("process {}: giving back its SEM_UNDO adjustments: {}", r.ns_pid(), e.what());
  }
  spdlog::debug("process {}: SEM_UNDO adjustments on {} sets", r.ns_pid(), undo.sets.size());
}

}  // namespace ckpt::restore
