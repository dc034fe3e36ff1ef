#include "restore/ipc.h"

#include <sstream>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::restore {

namespace {

using image::SectionType;

std::string sysctl_path(const std::string& name) {
  return "/proc/sys/" + name;
}

bool is_limit(const std::string& name) {
  return !name.ends_with("_next_id") && name != "kernel/shm_rmid_forced";
}

// Element-wise maximum of two whitespace-separated lists of numbers ("kernel/sem" has four).
std::string larger_of(const std::string& a, const std::string& b) {
  std::istringstream ina(a), inb(b);
  std::string out;
  unsigned long long x = 0, y = 0;
  while (ina >> x && inb >> y) out += (out.empty() ? "" : " ") + std::to_string(std::max(x, y));
  return out;
}

// Limits as large as both the fresh namespace's defaults and the saved values, so that no
// object fails to be recreated because a limit was lowered after it was made.
void raise_limits(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [name, saved] : sysctls) {
    if (!is_limit(name)) continue;
    auto current = fs::try_read_file(sysctl_path(name));
    if (current) fs::write_file(sysctl_path(name), larger_of(fs::trim(*current), saved));
  }
}

// The saved values exactly. *_next_id: each object creation consumed the one written for it
// (the kernel resets it to -1, which cannot be written back); a pending value saved from the
// container (>= 0) is written last.
void write_saved_sysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [name, saved] : sysctls)
    if (!name.ends_with("_next_id")) fs::write_file(sysctl_path(name), saved);
  for (const auto& [name, saved] : sysctls)
    if (name.ends_with("_next_id") && saved != "-1") fs::write_file(sysctl_path(name), saved);
}

// Messages larger than the saved msgmax (lowered after they were sent) still go back in.
void fit_msgmax(const records::IpcNamespace& ipc) {
  size_t largest = 0;
  for (const auto& q : ipc.msg)
    for (const auto& m : q.messages) largest = std::max(largest, m.text.size());
  auto current = std::stoull(fs::trim(fs::read_file(sysctl_path("kernel/msgmax"))));
  if (largest > current) fs::write_file(sysctl_path("kernel/msgmax"), std::to_string(largest));
}

}  // namespace

void restore_ipc(const records::IpcNamespace& ipc, const std::map<int, std::string>& shm_pages) {
  raise_limits(ipc.sysctls);
  fit_msgmax(ipc);
  static const std::string kNone;
  for (const auto& seg : ipc.shm) {
    auto it = shm_pages.find(seg.perm.id);
    restore_shm(seg, it == shm_pages.end() ? kNone : it->second);
  }
  for (const auto& q : ipc.msg) restore_msg(q);
  for (const auto& s : ipc.sem) restore_sem(s);
  for (const auto& mq : ipc.mqueues) restore_mqueue(mq);
  write_saved_sysctls(ipc.sysctls);
}

std::function<void()> ipc_restore_step(const image::ImageReader& image) {
  auto ipc = image.get<records::IpcNamespace>(SectionType::kIpc, 0);
  std::map<int, std::string> shm_pages;
  for (const auto& seg : ipc.shm) {
    if (!seg.stored.empty())
      shm_pages[seg.perm.id] =
          image.get_bytes(SectionType::kIpcShmData, static_cast<uint64_t>(seg.perm.id));
  }
  spdlog::debug("ipc: {} shm, {} msg, {} sem, {} posix mq to restore", ipc.shm.size(),
                ipc.msg.size(), ipc.sem.size(), ipc.mqueues.size());
  return [ipc = std::move(ipc), shm_pages = std::move(shm_pages)] { restore_ipc(ipc, shm_pages); };
}

}  // namespace ckpt::restore
