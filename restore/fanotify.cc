// Restore of fanotify groups: fanotify_init with the recorded flags, each mark added again by its
// path (never following a last symlink: the path names the marked inode or mount itself), its
// mask and its ignored mask in a call of their own, as fanotify_mark takes them.
#include <fcntl.h>
#include <sys/fanotify.h>

#include "common/error.h"
#include "restore/event_files.h"

namespace ckpt::restore {

namespace {

using On = records::FanotifyMark::On;

unsigned int on_flag(On on) {
  switch (on) {
    case On::kMount:
      return FAN_MARK_MOUNT;
    case On::kFilesystem:
      return FAN_MARK_FILESYSTEM;
    default:
      return 0;
  }
}

void mark(int fd, const records::FanotifyMark& m, unsigned int flags, uint64_t mask) {
  flags |= FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW | on_flag(m.on) | (m.mflags & FAN_MARK_EVICTABLE);
  if (::fanotify_mark(fd, flags, mask, AT_FDCWD, m.path.c_str()) != 0)
    throw_errno("fanotify_mark({}, flags {:x}, mask {:x})", m.path, flags, mask);
}

// FAN_MARK_IGNORE (its ignored mask may hold FAN_ONDIR, FAN_EVENT_ON_CHILD) or the older
// FAN_MARK_IGNORED_MASK, as the mark was made; FAN_MARK_IGNORED_SURV_MODIFY kept.
void add_mark(int fd, const records::FanotifyMark& m) {
  if (m.mask != 0) mark(fd, m, 0, m.mask);
  if (m.ignored_mask == 0) return;
  unsigned int ignore = (m.mflags & FAN_MARK_IGNORE) ? FAN_MARK_IGNORE : FAN_MARK_IGNORED_MASK;
  mark(fd, m, ignore | (m.mflags & FAN_MARK_IGNORED_SURV_MODIFY), m.ignored_mask);
}

}  // namespace

UniqueFd open_fanotify(const records::FanotifyGroup& group, uint32_t flags) {
  // The flags exactly as recorded (FAN_CLOEXEC too, which fdinfo shows): the fd is moved to a
  // close-on-exec number at once.
  UniqueFd fd(::fanotify_init(group.flags, group.event_flags));
  if (!fd) throw_errno("fanotify_init(flags {:x}, event flags {:x})", group.flags, group.event_flags);
  for (const records::FanotifyMark& m : group.marks) add_mark(fd.get(), m);
  int status = static_cast<int>(flags) & O_NONBLOCK;
  if (::fcntl(fd.get(), F_SETFL, status) != 0) throw_errno("fcntl(fanotify, flags)");
  return fd;
}

}  // namespace ckpt::restore
