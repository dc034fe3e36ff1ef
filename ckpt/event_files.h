// Dump of event and special fds: epoll, timerfd, signalfd, inotify, fanotify, netlink sockets and /proc or
// /sys files held open. Their descriptions are in the files record like every other; their
// state goes into section kEventFiles (records/event_files.h), keyed by description id.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "ckpt/fd_kinds.h"
#include "common/image/image.h"
#include "common/proc/fdinfo.h"
#include "common/records/event_files.h"
#include "common/records/files.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// One fd of one process of the container, with the description it refers to.
struct HeldFd {
  pid_t host_pid = 0;
  pid_t ns_pid = 0;
  int fd = 0;
  uint64_t description = 0;
};

// Every fd of every process in `state`, in the order of its fd tables.
std::vector<HeldFd> held_fds(const records::FilesState& state);

// The state of every event fd description in `state`, read from the seized processes (an
// inotify fd's fdinfo from `fdinfo_before` when it is there: ckpt/event_files_muted).
records::EventFilesState collect_event_files(const records::FilesState& state,
                                             const proc::FdinfoTexts& fdinfo_before);

// Writes section kEventFiles (id 0) when the container holds any event fd.
void write_event_files(const records::FilesState& state, const proc::FdinfoTexts& fdinfo_before,
                       image::ImageWriter& image);

// Per kind (ckpt/epoll.cc, inotify.cc, fanotify.cc, netlink.cc), from one fd `at` of the
// description.
records::EpollInstance collect_epoll(uint64_t id, const HeldFd& at, const std::vector<HeldFd>& fds);
records::InotifyInstance collect_inotify(uint64_t id, const HeldFd& at,
                                         const std::vector<HeldFd>& fds,
                                         const proc::FdinfoTexts& fdinfo_before);
records::NetlinkSocket collect_netlink(uint64_t id, const HeldFd& at);
records::FanotifyGroup collect_fanotify(uint64_t id, const HeldFd& at,
                                        const proc::FdinfoTexts& fdinfo_before);
// An inotify or fanotify fd of a live process of the container.
enum class NotifyKind { kInotify, kFanotify };
struct NotifyFd {
  pid_t pid = 0;  // host pid
  int fd = 0;
  NotifyKind kind = NotifyKind::kInotify;
};
std::vector<NotifyFd> notify_fds(const records::ProcessTree& tree);

// Refuses the dump, naming pid and fd, when an inotify instance or a fanotify group of the
// frozen container has events queued unread: they cannot be read without being taken from the
// original, nor queued again in a copy. Called before the dump reads the container's files
// (its own opens and reads would queue events in instances watching them).
// Also a fanotify group of a permission class, before the dump opens any file: its own open of
// a file such a group marks would wait for good for the frozen container to allow it.
void refuse_queued_notify_events(const std::vector<NotifyFd>& fds);
// Throws for fanotify_init flags of a permission class (FAN_CLASS_CONTENT, PRE_CONTENT): the
// permission events a process may be waiting on an answer for cannot be kept.
void refuse_permission_class(uint32_t flags);
bool is_netlink_socket(pid_t pid, ino_t ino);

}  // namespace ckpt::dump
