#include "ckpt/injection.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/ptrace/remote_memory.h"

namespace ckpt::dump {
namespace {

uint64_t vdso_syscall_insn(pid_t pid) {
  for (const auto& map : proc::read_maps(pid))
    if (map.name == "[vdso]") return ptrace::find_syscall_insn(pid, map.start, map.end);
  fail("process {} has no [vdso] to run system calls from", pid);
}

}  // namespace

Injection::Injection(pid_t pid, pid_t tid) : pid_(pid) {
  syscall_insn_ = vdso_syscall_insn(pid);
  main_ = std::make_unique<ptrace::RemoteSyscall>(tid, syscall_insn_);
  scratch_ = main_->checked("mmap scratch page", SYS_mmap, 0, kScratchSize, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, static_cast<uint64_t>(-1), 0);
}

Injection::~Injection() {
  if (main_->call(SYS_munmap, scratch_, kScratchSize) != 0)
    spdlog::warn("cannot unmap the scratch page of {}", pid_);
}

std::unique_ptr<ptrace::RemoteSyscall> Injection::on_thread(pid_t tid) const {
  return std::make_unique<ptrace::RemoteSyscall>(tid, syscall_insn_);
}

void Injection::read(uint64_t offset, void* out, size_t size) const {
  ptrace::read_memory(pid_, scratch_ + offset, out, size);
}

void Injection::write(uint64_t offset, const void* data, size_t size) const {
  ptrace::write_memory(pid_, scratch_ + offset, data, size);
}

}  // namespace ckpt::dump
