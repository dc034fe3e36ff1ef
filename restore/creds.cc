#include "restore/creds.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace ckpt::restore {
namespace {

bool is_full_root(const records::Creds& c) {
  for (uint32_t id : c.uids)
    if (id != 0) return false;
  for (uint32_t id : c.gids)
    if (id != 0) return false;
  return true;
}

void set_ids_and_caps(Restorer& r, const records::Creds& c) {
  auto& call = r.main();
  r.write(Restorer::kDataOffset, c.groups.data(), c.groups.size() * sizeof(uint32_t));
  call.checked("setgroups", SYS_setgroups, c.groups.size(), r.scratch() + Restorer::kDataOffset);
  call.checked("prctl(PR_SET_KEEPCAPS)", SYS_prctl, PR_SET_KEEPCAPS, 1);
  call.checked("setresgid", SYS_setresgid, c.gids[0], c.gids[1], c.gids[2]);
  call.checked("setfsgid", SYS_setfsgid, c.gids[3]);
  call.checked("setresuid", SYS_setresuid, c.uids[0], c.uids[1], c.uids[2]);
  call.checked("setfsuid", SYS_setfsuid, c.uids[3]);
  call.checked("prctl(PR_SET_KEEPCAPS)", SYS_prctl, PR_SET_KEEPCAPS, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {
      {static_cast<uint32_t>(c.cap_effective), static_cast<uint32_t>(c.cap_permitted),
       static_cast<uint32_t>(c.cap_inheritable)},
      {static_cast<uint32_t>(c.cap_effective >> 32), static_cast<uint32_t>(c.cap_permitted >> 32),
       static_cast<uint32_t>(c.cap_inheritable >> 32)}};
  r.write(Restorer::kDataOffset, &header, sizeof header);
  r.write(Restorer::kDataOffset + 64, data, sizeof data);
  call.checked("capset", SYS_capset, r.scratch() + Restorer::kDataOffset,
               r.scratch() + Restorer::kDataOffset + 64);
}

}  // namespace

void restore_creds(Restorer& r, const records::ProcessState& process) {
  auto& call = r.main();
  if (process.pdeath_signal)
    call.checked("prctl(PR_SET_PDEATHSIG)", SYS_prctl, PR_SET_PDEATHSIG, process.pdeath_signal);
  if (process.child_subreaper)
    call.checked("prctl(PR_SET_CHILD_SUBREAPER)", SYS_prctl, PR_SET_CHILD_SUBREAPER, 1);
  fs::write_file("/proc/" + std::to_string(r.host_pid()) + "/oom_score_adj",
                 std::to_string(process.oom_score_adj));
  const auto& c = process.creds;
  for (int cap = 0; cap < 64; ++cap)
    if (!(c.cap_bounding & (1ull << cap)) && call.call(SYS_prctl, PR_CAPBSET_READ, cap) == 1)
      call.checked("prctl(PR_CAPBSET_DROP)", SYS_prctl, PR_CAPBSET_DROP, cap);
  if (!is_full_root(c) || c.cap_effective != c.cap_permitted) set_ids_and_caps(r, c);
  if (c.no_new_privs)
    call.checked("prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

}  // namespace ckpt::restore
