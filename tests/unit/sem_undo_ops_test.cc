// SEM_UNDO probes and shifts against the real kernel: an IPC_PRIVATE set of our own, and forked
// children (each has its own adjustments, applied when it exits).
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <vector>

#include "common/error.h"
#include "common/ipc/sem_undo_ops.h"

namespace {

using ckpt::ipc::adjustment_calls;
using ckpt::ipc::probe_adjustments;
using ckpt::ipc::shift_ops;

union SemArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
};

class PrivateSemSet {
 public:
  explicit PrivateSemSet(std::vector<uint16_t> values)
      : id_(::semget(IPC_PRIVATE, static_cast<int>(values.size()), 0600)) {
    REQUIRE(id_ >= 0);
    SemArg arg{};
    arg.array = values.data();
    REQUIRE(::semctl(id_, 0, SETALL, arg) == 0);
  }
  ~PrivateSemSet() { ::semctl(id_, 0, IPC_RMID); }
  PrivateSemSet(const PrivateSemSet&) = delete;
  PrivateSemSet& operator=(const PrivateSemSet&) = delete;

  int id() const { return id_; }
  std::vector<uint16_t> values() const {
    semid_ds ds{};
    SemArg arg{};
    arg.buf = &ds;
    ::semctl(id_, 0, IPC_STAT, arg);
    std::vector<uint16_t> out(ds.sem_nsems);
    arg.array = out.data();
    ::semctl(id_, 0, GETALL, arg);
    return out;
  }
  int semop(std::span<const sembuf> ops) const {
    return ::semop(id_, const_cast<sembuf*>(ops.data()), ops.size()) == 0 ? 0 : -errno;
  }

 private:
  int id_;
};

// Runs `body` in a child and returns the numbers it produced (empty if it failed); the child's
// adjustments are applied when it exits, before this returns.
std::vector<int> in_child(const std::function<std::vector<int>()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    int status = 0;
    try {
      auto out = body();
      if (::write(fds[1], out.data(), out.size() * sizeof(int)) < 0) status = 2;
    } catch (...) {
      status = 1;
    }
    ::_exit(status);
  }
  ::close(fds[1]);
  std::vector<int> out;
  int value;
  while (::read(fds[0], &value, sizeof value) == sizeof value) out.push_back(value);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : std::vector<int>{};
}

std::vector<int> as_ints(const std::vector<uint16_t>& values) {
  return {values.begin(), values.end()};
}

std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("probes read the adjustments of ordinary semops and change nothing") {
  PrivateSemSet set({5, 0, 20000, 32767});
  auto seen = in_child([&] {
    std::vector<sembuf> ops = {{0, -2, SEM_UNDO}, {1, 4, SEM_UNDO}, {3, -32767, SEM_UNDO}};
    if (set.semop(ops) != 0) throw std::runtime_error("semop");
    auto before = set.values();
    auto adjustments =
        probe_adjustments([&](std::span<const sembuf> o) { return set.semop(o); }, before, 64);
    return concat(concat(adjustments, as_ints(before)), as_ints(set.values()));
  });
  REQUIRE(seen.size() == 12);
  CHECK(std::vector<int>(seen.begin(), seen.begin() + 4) == std::vector<int>{2, -4, 0, 32767});
  CHECK(std::vector<int>(seen.begin() + 4, seen.begin() + 8) == std::vector<int>{3, 4, 20000, 0});
  CHECK(std::vector<int>(seen.begin() + 8, seen.end()) == std::vector<int>{3, 4, 20000, 0});
  CHECK(set.values() == std::vector<uint16_t>{5, 0, 20000, 32767});  // applied at its exit
}

TEST_CASE("adjustment calls give a fresh process its adjustments, values unchanged") {
  PrivateSemSet set({0, 32767, 500});
  std::vector<int> wanted = {32767, -32768, -12};
  auto seen = in_child([&] {
    auto values = set.values();
    for (const auto& call : adjustment_calls(values, wanted, 9))
      if (set.semop(call) != 0) throw std::runtime_error("adjust");
    auto read_back =
        probe_adjustments([&](std::span<const sembuf> o) { return set.semop(o); }, values, 9);
    return concat(read_back, as_ints(set.values()));
  });
  REQUIRE(seen.size() == 6);
  CHECK(std::vector<int>(seen.begin(), seen.begin() + 3) == wanted);
  CHECK(std::vector<int>(seen.begin() + 3, seen.end()) == std::vector<int>{0, 32767, 500});
  // At exit the kernel adds them, clamped to [0, 32767].
  CHECK(set.values() == std::vector<uint16_t>{32767, 0, 488});
}

TEST_CASE("probes of a large set stay within the operations allowed per call") {
  std::vector<uint16_t> values(40, 100);
  PrivateSemSet set(values);
  size_t largest_call = 0;
  auto seen = in_child([&] {
    std::vector<sembuf> ops = {{7, -3, SEM_UNDO}, {39, 9, SEM_UNDO}};
    if (set.semop(ops) != 0) throw std::runtime_error("semop");
    auto now = set.values();
    return probe_adjustments(
        [&](std::span<const sembuf> o) {
          largest_call = std::max(largest_call, o.size());
          if (o.size() > 9) return -E2BIG;
          return set.semop(o);
        },
        now, 9);
  });
  REQUIRE(seen.size() == 40);
  CHECK(seen[7] == 3);
  CHECK(seen[39] == -9);
  CHECK(std::count(seen.begin(), seen.end(), 0) == 38);
}

TEST_CASE("a shift keeps the value within range at every step and moves semadj by delta") {
  for (int value : {0, 1, 16383, 16384, 32766, 32767}) {
    for (int delta : {1, -1, 16384, -16384, 32767, -32768, 65535, -65535}) {
      int semval = value, semadj = 0;
      for (const auto& op : shift_ops(0, static_cast<uint16_t>(value), delta)) {
        semval += op.sem_op;
        REQUIRE(semval >= 0);
        REQUIRE(semval <= 32767);
        if (op.sem_flg & SEM_UNDO) semadj -= op.sem_op;
        CHECK((op.sem_flg & IPC_NOWAIT) != 0);
      }
      CHECK(semval == value);
      CHECK(semadj == delta);
    }
  }
}

TEST_CASE("too few operations per call are refused by name") {
  CHECK_THROWS_WITH(adjustment_calls({1}, {1}, 4), Catch::Contains("kernel.sem"));
}
