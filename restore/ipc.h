// Recreating the IPC namespace inside the root task's new ipc namespace, before any container
// process runs: sysctls, then each SysV object with its saved id (kernel.*_next_id), owner,
// mode and contents, then the POSIX message queues.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/image/image.h"
#include "common/records/ipc.h"

namespace ckpt::restore {

// The kIpc record and the shm pages of `image`, as a step for RootTaskSteps::in_namespaces.
std::function<void()> ipc_restore_step(const image::ImageReader& image);

// Runs in the new ipc namespace. `shm_pages`: kIpcShmData payloads by shm id.
void restore_ipc(const records::IpcNamespace& ipc, const std::map<int, std::string>& shm_pages);

// Parts (restore/ipc_sysv.cc, restore/ipc_mqueue.cc).
void restore_shm(const records::ShmSegment& seg, const std::string& pages);
void restore_msg(const records::MsgQueue& queue);
void restore_sem(const records::SemSet& set);
void restore_mqueue(const records::PosixMq& mq);

}  // namespace ckpt::restore
