#include <sys/mount.h>

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

#include "ckpt/mounts.h"
#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::dump {

namespace {

using records::MountKind;
using records::MountRecord;

bool is_pseudo(const std::string& fstype) {
  return records::is_pseudo_fstype(fstype);
}

std::string join(const std::string& dir, const std::string& rest) {
  if (rest == "/") return dir;
  return dir == "/" ? rest : dir + rest;
}

bool is_host_mount(const proc::MountInfo& m, const std::vector<proc::MountInfo>& host) {
  return std::any_of(host.begin(), host.end(), [&](const proc::MountInfo& h) {
    return h.same_filesystem(m) && h.root == m.root && h.mount_point == m.mount_point;
  });
}

// The mount of the same filesystem whose root holds m's root most closely.
template <typename Mount, typename Usable>
const Mount* closest_source(const proc::MountInfo& m, const std::vector<Mount>& candidates,
                            const Usable& usable) {
  const Mount* best = nullptr;
  for (const auto& c : candidates) {
    if (!usable(c) || !proc::is_below(m.root, c.root)) continue;
    if (!best || c.root.size() > best->root.size()) best = &c;
  }
  return best;
}

// Container mounts seen so far, with their filesystem, as possible sources of binds.
struct Seen {
  proc::MountInfo info;
  MountKind kind;
  std::string root;
};

bool classify_bind(const proc::MountInfo& m, const std::vector<Seen>& seen,
                   const std::vector<proc::MountInfo>& host, MountRecord& r) {
  auto in_container = closest_source(m, seen, [&](const Seen& s) {
    return s.info.same_filesystem(m) &&
           (s.kind == MountKind::kRootfs || s.kind == MountKind::kTmpfs ||
            s.kind == MountKind::kContainerBind || s.kind == MountKind::kPseudo);
  });
  if (in_container) {
    r.kind = MountKind::kContainerBind;
    r.host_path =
        join(in_container->info.mount_point, proc::relative_to(m.root, in_container->root));
    return true;
  }
  auto on_host =
      closest_source(m, host, [&](const proc::MountInfo& h) { return h.same_filesystem(m); });
  if (!on_host) return false;
  r.kind = MountKind::kHostBind;
  r.host_path = join(on_host->mount_point, proc::relative_to(m.root, on_host->root));
  return true;
}

MountKind kind_of(const proc::MountInfo& m, const std::vector<Seen>& seen,
                  const std::vector<proc::MountInfo>& host, bool has_rootfs, MountRecord& r) {
  if (has_rootfs && m.mount_point == "/") return MountKind::kRootfs;
  if (!has_rootfs && is_host_mount(m, host)) return MountKind::kHost;
  if (is_pseudo(m.fstype) && m.root == "/") return MountKind::kPseudo;
  if (classify_bind(m, seen, host, r)) return r.kind;
  if (m.fstype == "tmpfs" && m.root == "/") return MountKind::kTmpfs;
  fail(ErrorKind::kRefused,
       "mount {} ({} from {}) cannot be checkpointed: only tmpfs, binds of host paths and "
       "proc/sysfs/devpts/mqueue/cgroup are supported",
       m.mount_point, m.fstype, m.source);
}

// mountinfo lists mounts by id, and a mount made earlier (e.g. a bind source taken before
// pivot_root) may sit on one made later: reorder so that every mount follows its parent.
std::vector<proc::MountInfo> parents_first(const std::vector<proc::MountInfo>& mounts) {
  std::set<int> listed, placed;
  for (const auto& m : mounts) listed.insert(m.id);
  std::vector<proc::MountInfo> out;
  bool progress = true;
  while (out.size() < mounts.size() && progress) {
    progress = false;
    for (const auto& m : mounts) {
      if (placed.count(m.id) || (listed.count(m.parent) && !placed.count(m.parent))) continue;
      out.push_back(m);
      placed.insert(m.id);
      progress = true;
    }
  }
  for (const auto& m : mounts)  // a parent cycle cannot happen; keep anything left anyway
    if (!placed.count(m.id)) out.push_back(m);
  return out;
}

}  // namespace

uint64_t mount_flags(const std::string& mount_options) {
  uint64_t flags = 0;
  std::istringstream in(mount_options);
  std::string opt;
  while (std::getline(in, opt, ',')) {
    if (opt == "ro") flags |= MS_RDONLY;
    if (opt == "nosuid") flags |= MS_NOSUID;
    if (opt == "nodev") flags |= MS_NODEV;
    if (opt == "noexec") flags |= MS_NOEXEC;
    if (opt == "noatime") flags |= MS_NOATIME;
    if (opt == "nodiratime") flags |= MS_NODIRATIME;
    if (opt == "relatime") flags |= MS_RELATIME;
    if (opt == "strictatime") flags |= MS_STRICTATIME;
  }
  return flags;
}

std::string filesystem_options(const std::string& super_options) {
  std::istringstream in(super_options);
  std::string opt, out;
  while (std::getline(in, opt, ','))
    if (opt != "rw" && opt != "ro") out += (out.empty() ? "" : ",") + opt;
  return out;
}

// "shared:N" and "unbindable" of mountinfo's optional fields ("master:N" is not kept).
void set_propagation(const std::string& fields, MountRecord& r) {
  std::istringstream in(fields);
  std::string field;
  while (in >> field) {
    if (field.starts_with("shared:")) r.peer_group = static_cast<uint32_t>(std::stoul(field.substr(7)));
    if (field == "unbindable") r.unbindable = true;
  }
}

records::MountNamespace classify_mounts(const std::vector<proc::MountInfo>& container,
                                        const std::vector<proc::MountInfo>& host, bool has_rootfs) {
  records::MountNamespace ns;
  std::vector<Seen> seen;
  for (const auto& m : parents_first(container)) {
    MountRecord r;
    r.id = static_cast<uint64_t>(m.id);
    r.parent_id = static_cast<uint64_t>(m.parent);
    r.mount_point = m.mount_point;
    r.fstype = m.fstype;
    r.source = m.source;
    r.root = m.root;
    r.flags = mount_flags(m.mount_options);
    set_propagation(m.propagation, r);
    r.options = filesystem_options(m.super_options);
    r.kind = kind_of(m, seen, host, has_rootfs, r);
    r.has_contents = r.kind == MountKind::kTmpfs;
    seen.push_back({m, r.kind, m.root});
    ns.mounts.push_back(std::move(r));
  }
  return ns;
}

}  // namespace ckpt::dump
