#include "restore/seccomp.h"

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "common/error.h"
#include "common/log.h"

namespace ckpt::restore {

bool seccomp_filters_need_privilege(const records::ProcessState& process) {
  return process.seccomp.mode == SECCOMP_MODE_FILTER && !process.creds.no_new_privs &&
         !(process.creds.cap_effective & (1ull << CAP_SYS_ADMIN));
}

void install_seccomp_filters(Restorer& r, const records::Seccomp& seccomp, size_t thread_count) {
  if (seccomp.mode != SECCOMP_MODE_FILTER) return;
  constexpr uint64_t kProgramOffset = Restorer::kDataOffset + 64;
  for (const auto& filter : seccomp.filters) {
    if (filter.program.size() + kProgramOffset > Restorer::kParkOffset)
      fail("process {}: a seccomp filter of {} bytes is too large", r.ns_pid(),
           filter.program.size());
    r.write(kProgramOffset, filter.program.data(), filter.program.size());
    sock_fprog program{static_cast<unsigned short>(filter.program.size() / sizeof(sock_filter)),
                       reinterpret_cast<sock_filter*>(r.scratch() + kProgramOffset)};
    r.write(Restorer::kDataOffset, &program, sizeof program);
    uint64_t flags = filter.flags | (thread_count > 1 ? SECCOMP_FILTER_FLAG_TSYNC : 0);
    long done = r.main().checked("seccomp(SECCOMP_SET_MODE_FILTER)", SYS_seccomp,
                                 SECCOMP_SET_MODE_FILTER, flags, r.scratch() + Restorer::kDataOffset);
    if (done != 0)
      fail("process {}: thread {} cannot take the seccomp filter", r.ns_pid(), done);
  }
  spdlog::debug("process {}: {} seccomp filters", r.ns_pid(), seccomp.filters.size());
}

void enter_seccomp_strict(Restorer& r, const records::ThreadsState& threads,
                          const std::vector<pid_t>& host_tids) {
  for (size_t i = 1; i < host_tids.size() && i < threads.threads.size(); ++i) {
    auto call = r.on_thread(host_tids[i]);
    call->checked("prctl(PR_SET_SECCOMP, strict)", SYS_prctl, PR_SET_SECCOMP,
                  SECCOMP_MODE_STRICT);
    call->finish(call->saved_regs(), threads.threads[i].sigmask);
  }
  r.main().checked("prctl(PR_SET_SECCOMP, strict)", SYS_prctl, PR_SET_SECCOMP,
                   SECCOMP_MODE_STRICT);
}

}  // namespace ckpt::restore
