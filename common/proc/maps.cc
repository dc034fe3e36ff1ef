#include "common/proc/maps.h"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {
namespace {

// "7f..-7f.. rw-p 00000000 fd:01 1234   /usr/lib/x.so"
bool parse_map_line(const std::string& line, MapEntry* entry) {
  char perms[5] = {};
  int name_at = 0;
  unsigned long long start, end, offset, inode;
  if (sscanf(line.c_str(), "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &offset,
             &entry->dev_major, &entry->dev_minor, &inode, &name_at) < 7)
    return false;
  entry->start = start;
  entry->end = end;
  entry->offset = offset;
  entry->inode = inode;
  entry->read = perms[0] == 'r';
  entry->write = perms[1] == 'w';
  entry->exec = perms[2] == 'x';
  entry->shared = perms[3] == 's';
  entry->name = name_at > 0 ? line.substr(name_at) : "";
  return true;
}

}  // namespace

bool MapEntry::has_flag(const char* flag) const {
  for (const auto& f : vm_flags)
    if (f == flag) return true;
  return false;
}

std::vector<MapEntry> parse_maps(const std::string& text) {
  std::vector<MapEntry> entries;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmFlags:", 0) == 0) {
      if (entries.empty()) fail("maps: VmFlags before any mapping");
      std::istringstream words(line.substr(8));
      std::string word;
      while (words >> word) entries.back().vm_flags.push_back(word);
      continue;
    }
    if (line.empty() || !std::isxdigit(static_cast<unsigned char>(line[0]))) continue;
    MapEntry entry;
    // smaps field lines ("Rss:   4 kB") start with a letter that may be a hex digit too.
    if (line.find('-') == std::string::npos || !parse_map_line(line, &entry)) continue;
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<MapEntry> read_maps(pid_t pid) {
  return parse_maps(fs::read_file("/proc/" + std::to_string(pid) + "/maps"));
}

std::vector<MapEntry> read_smaps(pid_t pid) {
  return parse_maps(fs::read_file("/proc/" + std::to_string(pid) + "/smaps"));
}

}  // namespace ckpt::proc
