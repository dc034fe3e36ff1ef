// Facts of each memory mapping: address range, protections, offset, what is mapped (file
// identity: size, mtime, device and inode) and the VmFlags of smaps.
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <fmt/format.h>

#include "common/audit/process_view.h"
#include "common/error.h"
#include "common/proc/maps.h"

namespace ckpt::audit {

namespace {

std::string perms(const proc::MapEntry& m) {
  return fmt::format("{}{}{}{}", m.read ? 'r' : '-', m.write ? 'w' : '-', m.exec ? 'x' : '-',
                     m.shared ? 's' : 'p');
}

// Size and mtime of the mapped file; device and inode unless it lives on tmpfs or was deleted
// (the container's tmpfs files, memfds, shared anonymous memory and deleted files are
// recreated on restore).
void add_file_identity(const ProcessView& p, const std::string& key, const proc::MapEntry& m,
                       records::AuditFactMap& facts) {
  std::string path = p.path(fmt::format("map_files/{:x}-{:x}", m.start, m.end));  // one VMA
  struct stat st {};
  struct statfs sfs {};
  if (::stat(path.c_str(), &st) != 0 || ::statfs(path.c_str(), &sfs) != 0) {
    facts[key + " file"] = "unreadable";
    return;
  }
  // A file deleted while mapped is recreated by the restore: only its size is the same.
  bool tmpfs = sfs.f_type == TMPFS_MAGIC || m.name.ends_with(" (deleted)");
  facts[key + " file"] =
      tmpfs ? fmt::format("size {}", st.st_size)
            : fmt::format("size {} mtime {}.{:09}", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (!tmpfs) facts[key + " inode"] = lock_dev_ino(st.st_dev, st.st_ino);
}

// Adjacent mappings that differ in nothing the audit compares are one range: the kernel splits
// or merges them for reasons a restore need not repeat (VM_ACCOUNT, see kept_vm_flags).
bool continues(const proc::MapEntry& range, const proc::MapEntry& next) {
  bool file = range.inode != 0;
  return range.end == next.start && perms(range) == perms(next) && range.name == next.name &&
         range.inode == next.inode && range.dev_major == next.dev_major &&
         range.dev_minor == next.dev_minor &&
         (!file || next.offset == range.offset + (range.end - range.start)) &&
         kept_vm_flags(range.vm_flags) == kept_vm_flags(next.vm_flags);
}

// A range of mappings: its first VMA (map_files names single VMAs) and where the range ends.
struct MapRange {
  proc::MapEntry first;
  uint64_t end;
};

std::vector<MapRange> coalesced(std::vector<proc::MapEntry> maps) {
  std::vector<MapRange> out;
  for (auto& m : maps) {
    if (!out.empty()) {
      proc::MapEntry range = out.back().first;
      range.end = out.back().end;
      if (continues(range, m)) {
        out.back().end = m.end;
        continue;
      }
    }
    uint64_t end = m.end;
    out.push_back({std::move(m), end});
  }
  return out;
}

bool same_place(const proc::MapEntry& a, const proc::MapEntry& b) {
  return a.start == b.start && a.end == b.end && perms(a) == perms(b) && a.offset == b.offset &&
         a.inode == b.inode && a.name == b.name;
}

// The mappings with their VmFlags, from the earlier smaps when the maps listing is unchanged.
std::vector<proc::MapEntry> read_mappings(const ProcessView& p) {
  auto earlier = p.scope.smaps_before.find(p.host_pid);
  if (earlier == p.scope.smaps_before.end()) return proc::read_smaps(p.host_pid);
  auto maps = proc::read_maps(p.host_pid);
  if (maps.size() != earlier->second.size()) return proc::read_smaps(p.host_pid);
  for (size_t i = 0; i < maps.size(); ++i) {
    if (!same_place(maps[i], earlier->second[i])) return proc::read_smaps(p.host_pid);
    maps[i].vm_flags = earlier->second[i].vm_flags;
  }
  return maps;
}

}  // namespace

std::map<pid_t, std::vector<proc::MapEntry>> read_smaps_before(const std::vector<pid_t>& pids) {
  std::map<pid_t, std::vector<proc::MapEntry>> out;
  for (pid_t pid : pids) {
    try {
      out[pid] = proc::read_smaps(pid);
    } catch (const Error&) {
      // Gone meanwhile: read in the window, if it is still there then.
    }
  }
  return out;
}

void add_map_facts(const ProcessView& p, records::AuditFactMap& facts) {
  for (const auto& [m, end] : coalesced(read_mappings(p))) {
    std::string key = fmt::format("map {:x}-{:x}", m.start, end);
    bool file = m.inode != 0;
    std::string name = m.name.starts_with("/") ? p.container_path(m.name) : m.name;
    // A private anonymous mapping's offset is its address when made (mremap keeps it): not state.
    facts[key] = file ? fmt::format("{} {:08x} {}", perms(m), m.offset, name)
                      : fmt::format("{} {}", perms(m), name);
    facts[key + " VmFlags"] = kept_vm_flags(m.vm_flags);
    if (file) add_file_identity(p, key, m, facts);
  }
}

}  // namespace ckpt::audit
