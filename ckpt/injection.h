// System calls injected into a seized process during the dump, with a scratch page mapped in
// it for their arguments and results. The page is unmapped and every register put back when
// the object goes away.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/ptrace/remote_syscall.h"

namespace ckpt::dump {

class Injection {
 public:
  // `tid`: a stopped thread of `pid` (the main thread normally).
  Injection(pid_t pid, pid_t tid);
  ~Injection();
  Injection(const Injection&) = delete;
  Injection& operator=(const Injection&) = delete;

  ptrace::RemoteSyscall& main() { return *main_; }
  // Another stopped thread of the same process, for per-thread calls (sigaltstack).
  std::unique_ptr<ptrace::RemoteSyscall> on_thread(pid_t tid) const;

  uint64_t scratch() const { return scratch_; }
  static constexpr size_t kScratchSize = 4096;
  void read(uint64_t offset, void* out, size_t size) const;
  void write(uint64_t offset, const void* data, size_t size) const;

 private:
  pid_t pid_;
  uint64_t syscall_insn_ = 0;
  std::unique_ptr<ptrace::RemoteSyscall> main_;
  uint64_t scratch_ = 0;
};

}  // namespace ckpt::dump
