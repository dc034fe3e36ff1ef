#include "ckpt/ipc.h"

#include <sched.h>
#include <sys/syscall.h>

#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/image/archive.h"
#include "common/ns/in_thread.h"
#include "common/proc/tasks.h"

#include <spdlog/spdlog.h>

namespace ckpt::dump {

namespace {

// Relative to /proc/sys; each is per ipc namespace.
constexpr const char* kIpcSysctls[] = {"kernel/shmmax",         "kernel/shmall",
                                       "kernel/shmmni",         "kernel/shm_rmid_forced",
                                       "kernel/msgmax",         "kernel/msgmnb",
                                       "kernel/msgmni",         "kernel/sem",
                                       "kernel/shm_next_id",    "kernel/msg_next_id",
                                       "kernel/sem_next_id",    "fs/mqueue/msg_max",
                                       "fs/mqueue/msgsize_max", "fs/mqueue/queues_max",
                                       "fs/mqueue/msg_default", "fs/mqueue/msgsize_default"};

void add_tasks(pid_t pid, std::vector<pid_t>& out) {
  for (pid_t tid : proc::list_threads(pid)) out.push_back(tid);
  for (pid_t child : proc::list_children(pid)) add_tasks(child, out);
}

// Whether any thread of the container is asleep in mq_timedsend (/proc/TID/syscall).
bool mq_senders_blocked(pid_t init_pid) {
  std::vector<pid_t> tids;
  add_tasks(init_pid, tids);
  for (pid_t tid : tids) {
    auto text = fs::try_read_file("/proc/" + std::to_string(tid) + "/syscall");
    if (text && text->starts_with(std::to_string(SYS_mq_timedsend) + " ")) return true;
  }
  return false;
}

}  // namespace

std::map<std::string, std::string> read_ipc_sysctls() {
  std::map<std::string, std::string> out;
  for (const char* name : kIpcSysctls) {
    auto value = fs::try_read_file(std::string("/proc/sys/") + name);
    if (value) out[name] = fs::trim(*value);
  }
  return out;
}

IpcSnapshot collect_ipc(pid_t init_pid) {
  bool senders_blocked = mq_senders_blocked(init_pid);
  return ns::in_namespaces_of(init_pid, CLONE_NEWIPC, [senders_blocked] {
    IpcSnapshot snapshot;
    snapshot.record.sysctls = read_ipc_sysctls();
    collect_shm(snapshot);
    collect_msg(snapshot.record);
    collect_sem(snapshot.record);
    collect_mqueues(snapshot.record, senders_blocked);
    return snapshot;
  });
}

records::IpcNamespace write_ipc(pid_t init_pid, image::ImageWriter& image) {
  auto snapshot = collect_ipc(init_pid);
  const auto& r = snapshot.record;
  image.put(image::SectionType::kIpc, 0, r);
  for (size_t i = 0; i < r.shm.size(); ++i) {
    auto stream =
        image.open_stream(image::SectionType::kIpcShmData, static_cast<uint64_t>(r.shm[i].perm.id));
    stream->write(snapshot.shm_pages[i].data(), snapshot.shm_pages[i].size());
    stream->close();
  }
  spdlog::info("collected ipc: {} shm, {} msg, {} sem, {} posix mq", r.shm.size(), r.msg.size(),
               r.sem.size(), r.mqueues.size());
  return std::move(snapshot.record);
}

}  // namespace ckpt::dump
