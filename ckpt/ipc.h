// The container's IPC namespace into the image: one kIpc record (records/ipc.h) and one
// kIpcShmData stream per shared-memory segment. Runs while the container is frozen.
#pragma once

#include <sys/types.h>

#include "common/image/image.h"
#include "common/records/ipc.h"

namespace ckpt::dump {

// What a helper inside the ipc namespace found: the record and the stored pages of each
// segment (same order as record.shm).
struct IpcSnapshot {
  records::IpcNamespace record;
  std::vector<std::string> shm_pages;
};

// Collects the IPC namespace of `init_pid` (a forked helper setns()es into it).
IpcSnapshot collect_ipc(pid_t init_pid);
// collect_ipc() and writes it: kIpc (id 0) and kIpcShmData (id = shm id). Returns the record.
records::IpcNamespace write_ipc(pid_t init_pid, image::ImageWriter& image);

// Parts, each run inside the ipc namespace (ckpt/ipc_sysv.cc, ckpt/ipc_mqueue.cc).
std::map<std::string, std::string> read_ipc_sysctls();
void collect_shm(IpcSnapshot& snapshot);
void collect_msg(records::IpcNamespace& record);
void collect_sem(records::IpcNamespace& record);
// Reads each queue's messages by receiving them all and sending them back in the same order.
// `senders_blocked`: some container thread sleeps in mq_timedsend; a full queue is then refused,
// as draining it would let the blocked sender's message in.
void collect_mqueues(records::IpcNamespace& record, bool senders_blocked);

}  // namespace ckpt::dump
