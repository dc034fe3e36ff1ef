// SEM_UNDO adjustments ("semadj", per process and semaphore) through semop() alone: no kernel
// interface shows them, but semop() can move and test them.
// - A shift: a pair of operations on one semaphore, one with SEM_UNDO and one without, moves the
//   caller's semadj by d while the semaphore's value ends where it started.
// - semop() fails with ERANGE, rolling back every operation of the call, when a semadj would
//   leave [-32768, 32767]; an operation that would block, with IPC_NOWAIT, fails with EAGAIN.
// A probe "semadj >= t" is a shift by 32768 - t followed by an operation that would block
// whatever the value (taking 32768): ERANGE means yes, EAGAIN no, and the call never succeeds,
// so probing changes nothing (no value, no semadj, no sem_otime, no waiter woken).
#pragma once

#include <sys/sem.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace ckpt::ipc {

constexpr int kSemadjMin = -32768;
constexpr int kSemadjMax = 32767;
constexpr int kSemvalMax = 32767;
// The longest shift (by 65535, at least 16384 per pair) plus the operation that would block.
constexpr size_t kMinOpsPerCall = 9;

// Operations moving the semadj of semaphore `num` (current value `value`) by `delta`
// (|delta| <= 65535), leaving the value as it is; all IPC_NOWAIT.
std::vector<sembuf> shift_ops(uint16_t num, uint16_t value, int delta);

// One semop() on a set as the process whose adjustments are wanted: 0 or -errno.
using Semop = std::function<int(std::span<const sembuf>)>;

// The caller's semadj of every semaphore of a set holding `values`, by probes of at most
// `max_ops` operations each (the ipc namespace's SEMOPM, >= kMinOpsPerCall).
std::vector<int> probe_adjustments(const Semop& semop, const std::vector<uint16_t>& values,
                                   size_t max_ops);

// Calls of at most `max_ops` operations that, made by a process without adjustments on the set,
// give it `adjustments` (one per semaphore) and leave the values as they are.
std::vector<std::vector<sembuf>> adjustment_calls(const std::vector<uint16_t>& values,
                                                  const std::vector<int>& adjustments,
                                                  size_t max_ops);

}  // namespace ckpt::ipc
