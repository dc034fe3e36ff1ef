// File locks as the kernel lists them: a "lock:" line of /proc/PID/fdinfo/FD, or a line of
// /proc/locks ("1: POSIX  ADVISORY  WRITE 1234 00:2d:5678 0 EOF").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt::proc {

enum class LockKind { kPosix, kOfd, kFlock, kLease, kOther };

struct LockLine {
  LockKind kind = LockKind::kOther;
  std::string kind_text;   // as printed: POSIX, OFDLCK, FLOCK, LEASE, DELEG, ACCESS, ...
  bool active = true;      // leases: false while being broken (BREAKING / BREAKER)
  bool waiter = false;     // "->": a request blocked behind a granted lock
  bool write = false;      // WRITE (else READ; UNLCK only for a lease being broken)
  bool unlock = false;     // UNLCK
  pid_t pid = 0;           // the pid as the reader's /proc shows it (-1 for OFD locks)
  unsigned dev_major = 0, dev_minor = 0;
  uint64_t ino = 0;
  int64_t start = 0;
  std::optional<int64_t> end;  // inclusive last byte; none for EOF

  // The same lock, whoever printed it (the index at the start of a line is not part of it).
  bool operator==(const LockLine&) const = default;
};

// Parses one lock line (without the "lock:" key of fdinfo). Throws Error when malformed.
LockLine parse_lock_line(std::string_view line);

// Every line of a /proc/locks text, blocked waiters included.
std::vector<LockLine> parse_proc_locks(std::string_view text);

// "POSIX WRITE 0-99 on 00:2d:5678" for messages.
std::string describe_lock(const LockLine& lock);

}  // namespace ckpt::proc
