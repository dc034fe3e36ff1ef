// Dump of fanotify groups: the fanotify_init flags and every mark (fdinfo "fanotify" lines), each
// by the path restore marks again: the watched inode's (ckpt/watched_inode.h), the mount point of
// a mount mark, a mount point of a filesystem mark's filesystem. What a restore could not bring
// back refuses the dump: a group of a permission class (events that a process may be waiting
// on an answer for), events queued unread, a mark on a removed inode or on a mount that is not
// the one its path shows.
#include <sys/fanotify.h>

#include "ckpt/event_files.h"
#include "ckpt/watched_inode.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/fdinfo.h"
#include "common/proc/fdinfo_events.h"
#include "common/proc/mountinfo.h"

namespace ckpt::dump {

namespace {

using On = records::FanotifyMark::On;



// The mount point of mount `id` (hexadecimal in fdinfo), as the process sees it; refused when a
// later mount hides it (marking the path again would mark that one).
std::string mount_mark_path(pid_t pid, int id) {
  auto mounts = proc::read_mountinfo(pid);
  for (size_t i = 0; i < mounts.size(); ++i) {
    if (mounts[i].id != id) continue;
    for (size_t j = i + 1; j < mounts.size(); ++j)
      if (mounts[j].mount_point == mounts[i].mount_point)
        fail(ErrorKind::kRefused, "fanotify mark on mount {} at {}, which another mount hides", id,
             mounts[i].mount_point);
    return mounts[i].mount_point;
  }
  fail(ErrorKind::kRefused, "fanotify mark on mount {}, which is not in the container", id);
}

std::string inode_mark_path(pid_t pid, const proc::FanotifyMarkInfo& m) {
  std::string what = fmt::format("fanotify mark on inode {}", m.inode.ino);
  std::string path = watched_inode(pid, m.inode, what).path;
  if (path.empty()) fail(ErrorKind::kRefused, "{}: the inode was removed", what);
  return path;
}

records::FanotifyMark mark_of(pid_t pid, const proc::FanotifyMarkInfo& m) {
  records::FanotifyMark mark;
  mark.mflags = m.mflags;
  mark.mask = m.mask;
  mark.ignored_mask = m.ignored_mask;
  switch (m.on) {
    case proc::FanotifyMarkInfo::On::kInode:
      mark.on = On::kInode;
      mark.path = inode_mark_path(pid, m);
      break;
    case proc::FanotifyMarkInfo::On::kMount:
      mark.on = On::kMount;
      mark.path = mount_mark_path(pid, m.mnt_id);
      break;
    case proc::FanotifyMarkInfo::On::kFilesystem:
      mark.on = On::kFilesystem;
      mark.path = mount_point_of(pid, m.inode.sdev, "fanotify filesystem mark");
      break;
  }
  return mark;
}

}  // namespace

void refuse_permission_class(uint32_t flags) {
  if (flags & (FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT))
    fail(ErrorKind::kRefused,
         "fanotify group of a permission class (flags {:x}): its permission events cannot be "
         "kept",
         flags);
}

records::FanotifyGroup collect_fanotify(uint64_t id, const HeldFd& at,
                                        const proc::FdinfoTexts& fdinfo_before) {
  proc::FanotifyInfo info =
      proc::parse_fanotify(proc::read_fdinfo_text(at.host_pid, at.fd, fdinfo_before));
  refuse_permission_class(info.flags);
  records::FanotifyGroup group;
  group.id = id;
  group.flags = info.flags;
  group.event_flags = info.event_flags;
  for (const proc::FanotifyMarkInfo& m : info.marks) group.marks.push_back(mark_of(at.host_pid, m));
  return group;
}

}  // namespace ckpt::dump
