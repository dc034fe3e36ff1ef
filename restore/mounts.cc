#include "restore/mounts.h"

#include <sys/mount.h>

#include <set>

#include "common/chain/trees.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/ns/mount_ops.h"
#include "common/proc/mountinfo.h"
#include "common/tree_pack.h"
#include "common/untrusted_path.h"

namespace ckpt::restore {

namespace fsys = std::filesystem;
using image::SectionType;
using records::MountKind;
using records::MountRecord;

MountMap::MountMap(const std::vector<std::string>& specs) {
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size() || spec[0] != '/' ||
        spec[eq + 1] != '/')
      fail("--mount-map {}: use OLD=NEW with absolute host paths", spec);
    entries_.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
}

std::string MountMap::map(const std::string& host_path) const {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& entry : entries_)
    if (proc::is_below(host_path, entry.first) &&
        (!best || entry.first.size() > best->first.size()))
      best = &entry;
  if (!best) return host_path;
  std::string rest = proc::relative_to(host_path, best->first);
  return rest == "/" ? best->second : best->second + rest;
}

namespace {

// A mount record is untrusted input: its paths must be plain absolute paths, a pseudo mount a
// filesystem without a device, contents only for a tmpfs or the rootfs.
void check_mount_record(const MountRecord& m) {
  fs::check_absolute_path(m.mount_point, "mount point");
  if (static_cast<uint32_t>(m.kind) > static_cast<uint32_t>(MountKind::kPseudo))
    fail("mount {}: unknown kind {}", m.mount_point, static_cast<uint32_t>(m.kind));
  if (m.kind == MountKind::kHostBind || m.kind == MountKind::kContainerBind)
    fs::check_absolute_path(m.host_path, "bind source of " + m.mount_point);
  for (const auto& lower : m.overlay_lower)
    fs::check_absolute_path(lower, "overlay lower layer of " + m.mount_point);
  if (m.kind == MountKind::kPseudo && !records::is_pseudo_fstype(m.fstype))
    fail("mount {}: a {} mount is not a pseudo filesystem ckpt restores", m.mount_point,
         m.fstype);
  if (m.has_contents && m.kind != MountKind::kTmpfs && m.kind != MountKind::kRootfs)
    fail("mount {}: contents stored for a {} mount", m.mount_point, mount_kind_name(m.kind));
}

}  // namespace

MountsRestore::MountsRestore(const image::ImageReader& image, const MountMap& map,
                             const chain::ImageChain* chain)
    : image_(image), chain_(chain) {
  if (!image.has(SectionType::kMounts, 0)) return;
  ns_ = image.get<records::MountNamespace>(SectionType::kMounts, 0);
  for (const auto& m : ns_.mounts) check_mount_record(m);
  std::string missing;
  for (const auto& m : ns_.mounts) {
    if (m.kind != MountKind::kHostBind) continue;
    std::string path = map.map(m.host_path);
    if (!fsys::exists(path))
      missing += fmt::format("{}{} (host path {}{})", missing.empty() ? "" : ", ", m.mount_point,
                             path, path == m.host_path ? "" : ", mapped from " + m.host_path);
    host_sources_[m.id] = path;
  }
  if (!missing.empty())
    fail(ErrorKind::kHostMissing,
         "bind mounts whose host paths are missing (map them with --mount-map OLD=NEW): {}",
         missing);
  find_overlay_lower(map);
}

void MountsRestore::find_overlay_lower(const MountMap& map) {
  for (auto& m : ns_.mounts) {
    for (auto& lower : m.overlay_lower) {
      std::string path = map.map(lower);
      if (!fsys::is_directory(path))
        fail(ErrorKind::kHostMissing,
             "overlay rootfs: lower layer {} is missing{} (map it with --mount-map OLD=NEW)", path,
             path == lower ? "" : ", mapped from " + lower);
      lower = path;
    }
  }
}

const MountRecord* MountsRestore::rootfs() const {
  for (const auto& m : ns_.mounts)
    if (m.kind == MountKind::kRootfs) return &m;
  return nullptr;
}

bool MountsRestore::has_rootfs_contents() const {
  return rootfs() && rootfs()->has_contents;
}

void make_empty_rootfs_dir(const std::string& dir) {
  if (fsys::exists(dir) && !fsys::is_empty(dir))
    fail("restore the rootfs into {}: the directory is not empty", dir);
  fsys::create_directories(dir);
}

std::string rootfs_unpack_dir(const std::string& requested, const std::string& id,
                              bool overlay_upper) {
  auto own_dir = restored_rootfs_dir(id);
  if (overlay_upper) return (own_dir / "upper").string();
  return requested.empty() ? own_dir.string() : fsys::absolute(requested).string();
}

void MountsRestore::unpack_rootfs(const std::string& dir,
                                  const std::vector<std::string>* held) const {
  if (!held) make_empty_rootfs_dir(dir);
  for (const auto& m : ns_.mounts)
    if (m.kind == MountKind::kRootfs) chain::unpack_mount_tree(image_, chain_, m, dir, held);
  spdlog::debug("mounts: rootfs {} into {}", held ? "brought up to date" : "unpacked", dir);
}

void MountsRestore::take_host_binds() {
  for (const auto& [id, path] : host_sources_) trees_[id] = ns::clone_mount_tree(path);
}

namespace {

// The tmpfs mounts the standard set-up makes in a container with a rootfs (ns::setup_dev): the
// only mounts already present whose contents restore may unpack. Any other mount already there
// may be the host's own, seen through a container without a rootfs (the host's /dev, /run): a
// stored tmpfs at such a place gets a fresh tmpfs over it.
bool made_by_setup(const MountRecord& m, bool pivoted) {
  return pivoted && m.kind == MountKind::kTmpfs &&
         (m.mount_point == "/dev" || m.mount_point == "/dev/shm");
}

}  // namespace

void MountsRestore::rebuild(bool pivoted) const {
  std::set<std::string> present;
  for (const auto& m : proc::read_mountinfo()) present.insert(m.mount_point);
  for (const auto& m : ns_.mounts) {
    if (m.kind == MountKind::kHost || m.kind == MountKind::kRootfs) continue;
    // Made by the standard set-up (/proc, /dev, /dev/shm, ...): only the contents are missing.
    if (!present.insert(m.mount_point).second && (!m.has_contents || made_by_setup(m, pivoted))) {
      if (m.has_contents) chain::unpack_mount_tree(image_, chain_, m, m.mount_point);
    } else {
      make_mount(m);
    }
    set_propagation(m);
  }
}

// Right after the mount is made: a bind made later of a shared mount joins its peer group, as
// it did when the container made it.
void MountsRestore::set_propagation(const MountRecord& m) const {
  if (m.peer_group) ns::mount_or_throw(nullptr, m.mount_point, nullptr, MS_SHARED);
  if (m.unbindable) ns::mount_or_throw(nullptr, m.mount_point, nullptr, MS_UNBINDABLE);
}

void MountsRestore::make_mount(const MountRecord& m) const {
  const std::string& target = m.mount_point;
  ns::make_mount_point(target, m.directory);
  switch (m.kind) {
    case MountKind::kHostBind:
      ns::attach_mount_tree(trees_.at(m.id).get(), target);
      ns::set_bind_flags(target, m.flags);
      break;
    case MountKind::kContainerBind:
      ns::mount_or_throw(m.host_path.c_str(), target, nullptr, MS_BIND);
      ns::set_bind_flags(target, m.flags);
      break;
    case MountKind::kTmpfs:
      ns::mount_or_throw("tmpfs", target, "tmpfs", m.flags & ~MS_RDONLY, m.options.c_str());
      if (m.has_contents) chain::unpack_mount_tree(image_, chain_, m, target);
      if (m.flags & MS_RDONLY) ns::mount_or_throw(nullptr, target, nullptr, MS_REMOUNT | m.flags);
      break;
    case MountKind::kPseudo:
      ns::mount_or_throw(m.source.c_str(), target, m.fstype.c_str(), m.flags, m.options.c_str());
      break;
    default:
      break;
  }
  spdlog::debug("mounts: {} {} on {}", records::mount_kind_name(m.kind), m.fstype, target);
}

}  // namespace ckpt::restore
