// /proc/PID/maps, with the VmFlags of /proc/PID/smaps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::proc {

struct MapEntry {
  uint64_t start = 0;
  uint64_t end = 0;
  bool read = false, write = false, exec = false, shared = false;
  uint64_t offset = 0;
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t inode = 0;
  std::string name;                   // path, "[heap]", "[vdso]", ... or empty
  std::vector<std::string> vm_flags;  // smaps "VmFlags:" words, when read with smaps

  bool has_flag(const char* flag) const;
};

// Parses the text of a maps file (or of smaps, which adds VmFlags).
std::vector<MapEntry> parse_maps(const std::string& text);
std::vector<MapEntry> read_maps(pid_t pid);
std::vector<MapEntry> read_smaps(pid_t pid);

}  // namespace ckpt::proc
