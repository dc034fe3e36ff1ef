// The tracer's hold on one restored process: its main thread seized, system calls injected
// (common/ptrace/injection.h) from a scratch area (code and data) mapped at an address free both
// in the process's current layout and in the layout being restored.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/ptrace/injection.h"
#include "common/records/mm.h"

namespace ckpt::restore {

class Restorer {
 public:
  // Scratch layout.
  static constexpr size_t kScratchSize = 1u << 20;  // also leaves room to park the vdso
  static constexpr uint64_t kPathOffset = 0x100;
  static constexpr uint64_t kDataOffset = 0x1000;
  static constexpr uint64_t kParkOffset = 0x80000;  // where the vdso waits to be moved

  // `host_pid`, `ns_pid`: the process as the tracer and as the container see it. Seizes it,
  // drops its inherited rseq registration and maps the scratch area.
  Restorer(pid_t host_pid, pid_t ns_pid, const records::MmState& target);
  ~Restorer();
  Restorer(const Restorer&) = delete;
  Restorer& operator=(const Restorer&) = delete;

  pid_t host_pid() const { return host_pid_; }
  pid_t ns_pid() const { return ns_pid_; }
  ptrace::RemoteSyscall& main() { return injection_->main(); }
  // Another stopped thread of this process (created by restore_threads).
  std::unique_ptr<ptrace::RemoteSyscall> on_thread(pid_t host_tid) const {
    return injection_->on_thread(host_tid);
  }
  uint64_t scratch() const { return injection_->scratch(); }
  void write(uint64_t offset, const void* data, size_t size) const {
    injection_->write(offset, data, size);
  }
  void read(uint64_t offset, void* out, size_t size) const { injection_->read(offset, out, size); }
  // Writes `path` NUL-terminated at kPathOffset and returns its address.
  uint64_t put_path(const std::string& path) const;

  // Ends with the main thread holding `regs` and `sigmask`; unmaps the scratch area first.
  void finish(const struct user_regs_struct& regs, uint64_t sigmask) {
    injection_->finish(regs, sigmask);
  }
  // Detaches every thread of the process (after finish).
  void detach(const std::vector<pid_t>& host_tids);

 private:
  uint64_t choose_scratch(const records::MmState& target) const;

  pid_t host_pid_;
  pid_t ns_pid_;
  std::unique_ptr<ptrace::Injection> injection_;
};

}  // namespace ckpt::restore
