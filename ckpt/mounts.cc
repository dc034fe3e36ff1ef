#include "ckpt/mounts.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <map>

#include <set>

#include "ckpt/files_leased.h"
#include "common/error.h"
#include "common/log.h"
#include "common/ns/in_thread.h"
#include "common/unique_fd.h"
#include "common/overlay.h"
#include "common/proc/maps.h"
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

// The files below `top` of mount `m` (not those under other mount points), into `out`.
tree::PackStats pack_files_into(const std::string& top, const MountRecord& m,
                                const std::set<std::string>& mount_points,
                                image::ImageWriter::Stream& out,
                                const tree::PackOptions& options) {
  std::string prefix = m.mount_point == "/" ? "/" : m.mount_point + "/";
  auto skip = [&](const std::string& rel) { return mount_points.count(prefix + rel) > 0; };
  return tree::pack_tree(top, skip, out, options);
}

// The same as kMountData / m.id.
void pack_files(const std::string& top, MountRecord& m, const std::set<std::string>& mount_points,
                image::ImageWriter& image, PageIndex* index, const tree::FileStamps* held) {
  auto stream = image.open_stream(image::SectionType::kMountData, m.id);
  tree::PackOptions options{.parent = index ? index->parent_files(m) : nullptr, .held = held};
  LeasedFiles leased = LeasedFiles::read();
  options.held_open = [&](const struct stat& st) { return leased.holder_fd(st.st_dev, st.st_ino); };
  auto stats = pack_files_into(top, m, mount_points, *stream, options);
  stream->close();
  spdlog::debug("mounts: {} ({}, from {}): {} entries, {} bytes of data, {} files unchanged "
                "since the parent image",
                m.mount_point, records::mount_kind_name(m.kind), top, stats.entries,
                stats.data_bytes, stats.files_in_parent);
}

// The mounts that hide m's files from its mount point: mounted later on it or on a directory
// above it, not being one of the mounts m sits on. Latest first.
std::vector<const MountRecord*> hiders_of(const MountRecord& m,
                                          const std::vector<MountRecord>& mounts) {
  std::map<uint64_t, const MountRecord*> by_id;
  for (const auto& x : mounts) by_id[x.id] = &x;
  std::set<uint64_t> below_m;  // m and the mounts it sits on
  for (auto at = by_id.find(m.id); at != by_id.end() && below_m.insert(at->first).second;)
    at = by_id.find(at->second->parent_id);
  std::vector<const MountRecord*> out;
  for (const auto& x : mounts)
    if (!below_m.count(x.id) && proc::is_below(m.mount_point, x.mount_point)) out.push_back(&x);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id > b->id; });
  return out;
}

// Reads the files of a hidden mount where they can be seen: in a copy of the container's mount
// namespace (made by a helper thread with a filesystem context of its own, every mount private
// so nothing propagates back) with the mounts that hide it detached. The container's own mounts
// are not touched.
template <class Fn>
void with_hidden_mount_shown(pid_t init_pid, const MountRecord& m, dev_t dev,
                             const std::vector<const MountRecord*>& hiders, Fn&& fn) {
  ns::in_helper_thread(
      [init_pid] {
        UniqueFd mnt(::open(("/proc/" + std::to_string(init_pid) + "/ns/mnt").c_str(),
                            O_RDONLY | O_CLOEXEC));
        if (!mnt) throw_errno("open the mount namespace of {}", init_pid);
        if (::unshare(CLONE_FS) != 0 || ::setns(mnt.get(), CLONE_NEWNS) != 0 ||
            ::unshare(CLONE_NEWNS) != 0)
          throw_errno("copy the container's mount namespace");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
          throw_errno("make the copied mounts private");
      },
      [&] {
        for (const MountRecord* x : hiders)
          if (::umount2(x->mount_point.c_str(), MNT_DETACH) != 0)
            throw_errno("mount {}: detach {} above it in a copy", m.mount_point, x->mount_point);
        struct stat st {};
        if (::stat(m.mount_point.c_str(), &st) != 0 || st.st_dev != dev)
          fail("mount {} ({}): hidden by other mounts, its files cannot be reached",
               m.mount_point, m.fstype);
        fn(m.mount_point);
      });
}

// Packs the files of mount `m`; those of a mount hidden by others are read in a copy of the
// namespace without them.
void pack_contents(pid_t init_pid, MountRecord& m, const std::set<std::string>& mount_points,
                   const std::vector<MountRecord>& mounts, dev_t dev, image::ImageWriter& image,
                   PageIndex* index, const tree::FileStamps* rootfs_held) {
  auto hiders = hiders_of(m, mounts);
  if (!hiders.empty() && m.kind != MountKind::kRootfs) {
    with_hidden_mount_shown(init_pid, m, dev, hiders, [&](const std::string& top) {
      pack_files(top, m, mount_points, image, index, nullptr);
    });
    return;
  }
  const auto* held = m.kind == MountKind::kRootfs ? rootfs_held : nullptr;
  pack_files(contents_top(init_pid, m), m, mount_points, image, index, held);
}

std::set<std::string> mount_points_of(const records::MountNamespace& ns) {
  std::set<std::string> out;
  for (const auto& m : ns.mounts) out.insert(m.mount_point);
  return out;
}

}  // namespace

RootfsFiles find_rootfs_files(pid_t init_pid) {
  auto ns = classify_mounts(proc::read_mountinfo(init_pid), proc::read_mountinfo(), true);
  for (auto& m : ns.mounts)
    if (m.kind == MountKind::kRootfs) {
      RootfsFiles rootfs;
      rootfs.top = contents_top(init_pid, m);
      rootfs.mount = m;
      rootfs.mount_points = mount_points_of(ns);
      return rootfs;
    }
  fail("--with-rootfs: the container has no rootfs");
}

tree::FileStamps without_shared_writable_maps(const tree::FileStamps& held,
                                              const std::vector<pid_t>& pids) {
  std::set<uint64_t> mapped;  // inodes (of any device: leaving out more is only slower)
  for (pid_t pid : pids)
    for (const auto& map : proc::read_maps(pid))
      if (map.shared && map.write && map.inode != 0) mapped.insert(map.inode);
  tree::FileStamps out;
  for (const auto& [path, stamp] : held)
    if (!mapped.count(stamp.ino)) out.emplace(path, stamp);
  if (out.size() != held.size())
    spdlog::debug("mounts: {} rootfs files mapped shared and writable go again",
                  held.size() - out.size());
  return out;
}

tree::PackStats pack_rootfs(const RootfsFiles& rootfs, image::ImageWriter::Stream& out,
                            const tree::PackOptions& options) {
  return pack_files_into(rootfs.top, rootfs.mount, rootfs.mount_points, out, options);
}

void dump_mounts(pid_t init_pid, bool has_rootfs, bool with_rootfs, image::ImageWriter& image,
                 PageIndex* index, const tree::FileStamps* rootfs_held) {
  if (with_rootfs && !has_rootfs) fail("--with-rootfs: the container has no rootfs");
  auto mountinfo = proc::read_mountinfo(init_pid);
  auto ns = classify_mounts(mountinfo, proc::read_mountinfo(), has_rootfs);
  std::map<uint64_t, dev_t> dev_of;
  for (const auto& info : mountinfo)
    dev_of[static_cast<uint64_t>(info.id)] = makedev(info.major, info.minor);
  auto mount_points = mount_points_of(ns);
  for (auto& m : ns.mounts) {
    if (m.kind == MountKind::kHost) continue;
    m.directory = is_directory_mount(init_pid, m.mount_point);
    if (m.kind == MountKind::kRootfs) m.has_contents = with_rootfs;
    if (m.has_contents)
      pack_contents(init_pid, m, mount_points, ns.mounts, dev_of[m.id], image, index,
                    rootfs_held);
  }
  image.put(image::SectionType::kMounts, 0, ns);
}

}  // namespace ckpt::dump
