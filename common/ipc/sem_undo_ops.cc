#include "common/ipc/sem_undo_ops.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "common/error.h"

namespace ckpt::ipc {
namespace {

sembuf op(uint16_t num, int sem_op, int flags) {
  return {num, static_cast<short>(sem_op), static_cast<short>(flags | IPC_NOWAIT)};
}

// Takes more than any value can be: would block, whatever the value is.
sembuf blocking_op(uint16_t num) {
  return op(num, kSemadjMin, 0);
}

// Yes/no questions about the semadj of a set's semaphores, each one semop() that fails.
class Prober {
 public:
  Prober(const Semop& semop, const std::vector<uint16_t>& values, size_t max_ops)
      : semop_(semop), values_(values), max_ops_(max_ops) {}

  // Whether shifting any of `nums` by `delta` takes its semadj out of range.
  bool any_out_of_range(std::span<const uint16_t> nums, int delta) const {
    std::vector<sembuf> call;
    for (uint16_t num : nums) {
      auto ops = shift_ops(num, values_[num], delta);
      if (!call.empty() && call.size() + ops.size() + 1 > max_ops_) {
        if (out_of_range(call)) return true;
        call.clear();
      }
      call.insert(call.end(), ops.begin(), ops.end());
    }
    return !call.empty() && out_of_range(call);
  }

  bool at_least(uint16_t num, int t) const {
    return any_out_of_range({&num, 1}, kSemadjMax + 1 - t);
  }
  bool at_most(uint16_t num, int t) const {
    return any_out_of_range({&num, 1}, -(t - kSemadjMin + 1));
  }

  // The semadj of `num`, known to be in [lo, hi].
  int positive_value(uint16_t num, int lo, int hi) const {
    while (lo < hi) {
      int mid = lo + (hi - lo + 1) / 2;
      if (at_least(num, mid))
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  }
  int negative_value(uint16_t num, int lo, int hi) const {
    while (lo < hi) {
      int mid = lo + (hi - lo) / 2;
      if (at_most(num, mid))
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  }

 private:
  bool out_of_range(std::vector<sembuf> call) const {
    call.push_back(blocking_op(call.back().sem_num));
    int result = semop_(call);
    if (result == -ERANGE) return true;
    if (result == -EAGAIN) return false;
    if (result == 0) fail("a SEM_UNDO probe succeeded (the semaphore values changed meanwhile?)");
    fail("semop: {}", std::strerror(-result));
  }

  const Semop& semop_;
  const std::vector<uint16_t>& values_;
  size_t max_ops_;
};

void check_call_size(size_t max_ops) {
  if (max_ops < kMinOpsPerCall)
    fail("kernel.sem allows {} operations per semop call; SEM_UNDO needs {}", max_ops,
         kMinOpsPerCall);
}

}  // namespace

std::vector<sembuf> shift_ops(uint16_t num, uint16_t value, int delta) {
  if (value > kSemvalMax) fail("semaphore value {} is above {}", value, kSemvalMax);
  // A pair moves by up to `step` without the value leaving [0, kSemvalMax] in between.
  int step = std::max<int>(value, kSemvalMax - value);
  std::vector<sembuf> ops;
  while (delta != 0) {
    int d = std::min(std::abs(delta), step);
    bool up = delta > 0;  // semadj += d: SEM_UNDO with -d; semadj -= d: SEM_UNDO with +d
    sembuf undo = op(num, up ? -d : d, SEM_UNDO), plain = op(num, up ? d : -d, 0);
    bool undo_first = up ? value >= d : value + d <= kSemvalMax;
    ops.push_back(undo_first ? undo : plain);
    ops.push_back(undo_first ? plain : undo);
    delta += up ? -d : d;
  }
  return ops;
}

std::vector<int> probe_adjustments(const Semop& semop, const std::vector<uint16_t>& values,
                                   size_t max_ops) {
  check_call_size(max_ops);
  std::vector<int> adjustments(values.size(), 0);
  std::vector<uint16_t> all(values.size());
  std::iota(all.begin(), all.end(), uint16_t{0});
  Prober prober(semop, values, max_ops);
  bool positive = prober.any_out_of_range(all, kSemadjMax);  // some semadj >= 1
  bool negative = prober.any_out_of_range(all, kSemadjMin);  // some semadj <= -1
  for (uint16_t num : all) {
    if (positive && prober.at_least(num, 1))
      adjustments[num] = prober.positive_value(num, 1, kSemadjMax);
    else if (negative && prober.at_most(num, -1))
      adjustments[num] = prober.negative_value(num, kSemadjMin, -1);
  }
  return adjustments;
}

std::vector<std::vector<sembuf>> adjustment_calls(const std::vector<uint16_t>& values,
                                                  const std::vector<int>& adjustments,
                                                  size_t max_ops) {
  check_call_size(max_ops);
  std::vector<std::vector<sembuf>> calls;
  for (size_t num = 0; num < adjustments.size() && num < values.size(); ++num) {
    if (adjustments[num] == 0) continue;
    auto ops = shift_ops(static_cast<uint16_t>(num), values[num], adjustments[num]);
    if (calls.empty() || calls.back().size() + ops.size() > max_ops) calls.emplace_back();
    calls.back().insert(calls.back().end(), ops.begin(), ops.end());
  }
  return calls;
}

}  // namespace ckpt::ipc
