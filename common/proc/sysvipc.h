// /proc/sysvipc/{shm,msg,sem}: the SysV IPC objects of the reader's ipc namespace. Columns are
// found by their names in the header line, so added or reordered columns do not break parsing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::proc {

// Fields common to the three files.
struct SysvIpcOwner {
  int32_t key = 0;
  int32_t id = 0;
  uint32_t perms = 0;  // as printed (octal): permission bits plus e.g. SHM_DEST/SHM_LOCKED
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0;
};

struct SysvShmEntry {
  SysvIpcOwner owner;
  uint64_t size = 0;
  uint64_t nattch = 0;
  uint64_t rss = 0;   // bytes resident
  uint64_t swap = 0;  // bytes swapped out
};

struct SysvMsgEntry {
  SysvIpcOwner owner;
  uint64_t cbytes = 0;
  uint64_t qnum = 0;
};

struct SysvSemEntry {
  SysvIpcOwner owner;
  uint32_t nsems = 0;
};

// Parse the text of each file; `origin` names it in errors.
std::vector<SysvShmEntry> parse_sysvipc_shm(const std::string& text, const std::string& origin);
std::vector<SysvMsgEntry> parse_sysvipc_msg(const std::string& text, const std::string& origin);
std::vector<SysvSemEntry> parse_sysvipc_sem(const std::string& text, const std::string& origin);

// Read and parse PROC_ROOT/sysvipc/<name>.
std::vector<SysvShmEntry> read_sysvipc_shm(const std::string& proc_root = "/proc");
std::vector<SysvMsgEntry> read_sysvipc_msg(const std::string& proc_root = "/proc");
std::vector<SysvSemEntry> read_sysvipc_sem(const std::string& proc_root = "/proc");

}  // namespace ckpt::proc
