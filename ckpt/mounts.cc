#include "ckpt/mounts.h"

#include <sys/stat.h>

#include <set>

#include "common/error.h"
#include "common/log.h"
#include "common/overlay.h"
#include "common/tree_pack.h"

namespace ckpt::dump {

namespace {

using records::MountKind;
using records::MountRecord;

std::string in_container(pid_t init_pid, const std::string& path) {
  return "/proc/" + std::to_string(init_pid) + "/root" + (path == "/" ? "" : path);
}

// Whether what is mounted at `mount_point` is a directory (else a file: a bind of one file).
bool is_directory_mount(pid_t init_pid, const std::string& mount_point) {
  struct stat st {};
  if (::stat(in_container(init_pid, mount_point).c_str(), &st) != 0)
    throw_errno("stat mount point {}", mount_point);
  return S_ISDIR(st.st_mode);
}

// Where the files of `m` to store are: an overlayfs rootfs with an upper layer stores only that
// (its lower layers are recorded, to be found again on the restoring host); else the mount.
std::string contents_top(pid_t init_pid, MountRecord& m) {
  if (m.kind != MountKind::kRootfs || m.fstype != "overlay" || m.root != "/")
    return in_container(init_pid, m.mount_point);
  auto layers = overlay::parse_options(m.options);
  if (layers.upper.empty()) return in_container(init_pid, m.mount_point);
  struct stat st {};
  if (::stat(layers.upper.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail("overlay rootfs: its upper layer {} is not a directory here", layers.upper);
  m.overlay_lower = layers.lower;
  return layers.upper;
}

// Packs the files of mount `m` (not those under other mount points) as kMountData / m.id.
void pack_contents(pid_t init_pid, MountRecord& m, const std::set<std::string>& mount_points,
                   image::ImageWriter& image, PageIndex* index) {
  std::string top = contents_top(init_pid, m);
  std::string prefix = m.mount_point == "/" ? "/" : m.mount_point + "/";
  auto skip = [&](const std::string& rel) { return mount_points.count(prefix + rel) > 0; };
  auto stream = image.open_stream(image::SectionType::kMountData, m.id);
  auto stats = tree::pack_tree(top, skip, *stream, index ? index->parent_files(m) : nullptr);
  stream->close();
  spdlog::debug("mounts: {} ({}, from {}): {} entries, {} bytes of data, {} files unchanged "
                "since the parent image",
                m.mount_point, records::mount_kind_name(m.kind), top, stats.entries,
                stats.data_bytes, stats.files_in_parent);
}

}  // namespace

void dump_mounts(pid_t init_pid, bool has_rootfs, bool with_rootfs, image::ImageWriter& image,
                 PageIndex* index) {
  if (with_rootfs && !has_rootfs) fail("--with-rootfs: the container has no rootfs");
  auto ns = classify_mounts(proc::read_mountinfo(init_pid), proc::read_mountinfo(), has_rootfs);
  std::set<std::string> mount_points;
  for (const auto& m : ns.mounts) mount_points.insert(m.mount_point);
  for (auto& m : ns.mounts) {
    if (m.kind == MountKind::kHost) continue;
    m.directory = is_directory_mount(init_pid, m.mount_point);
    if (m.kind == MountKind::kRootfs) m.has_contents = with_rootfs;
    if (m.has_contents) pack_contents(init_pid, m, mount_points, image, index);
  }
  image.put(image::SectionType::kMounts, 0, ns);
}

}  // namespace ckpt::dump
