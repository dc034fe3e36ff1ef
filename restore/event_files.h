// Restore of event and special fds (records/event_files.h), in the two steps of restore/files.h:
//  - in the root task, open() makes each description: epoll instances empty, timerfds armed with
//    their remaining time, signalfds, inotify instances with their watches (same wd numbers),
//    netlink sockets bound in the restored network namespace, /proc and /sys files reopened;
//    a /proc/<pid>/... file is left to the processes that hold it (open() returns no fd), since
//    that pid exists only once the tree is forked;
//  - in each forked process, open_late() opens those /proc files (one description per process)
//    before its fds are installed, and add_epoll_watches() adds the epoll watches once its fds
//    are in place, with the fd numbers the process used (the kernel keys a watch by file and
//    fd number, so a later EPOLL_CTL_MOD/DEL of the program finds it).
#pragma once

#include <cstdint>
#include <map>

#include "common/records/event_files.h"
#include "common/records/files.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

class EventFiles {
 public:
  EventFiles(const records::FilesState& files, records::EventFilesState state);

  static bool handles(records::FileKind kind);
  // The description, or no fd when open_late() opens it in the processes that hold it.
  // `opened`: the descriptions opened so far, whose files inotify watches of removed inodes are
  // added on.
  UniqueFd open(const records::FileDescription& d,
                const std::map<uint64_t, UniqueFd>& opened = {}) const;
  // In the forked process `process`, before its fds are installed: adds to `high` (description
  // id -> fd) the descriptions open() left, at fd numbers above every fd the process uses.
  void open_late(const records::ProcessFiles& process, std::map<uint64_t, UniqueFd>& high) const;
  // In the forked process, its fds installed and `high` still open.
  void add_epoll_watches(const records::ProcessFiles& process,
                         const std::map<uint64_t, UniqueFd>& high) const;

 private:
  const records::FileDescription& description(uint64_t id) const;

  std::map<uint64_t, records::FileDescription> descriptions_;  // of the kinds handled here
  std::map<uint64_t, int32_t> first_holder_;  // epoll id -> first process holding it (ns pid)
  records::EventFilesState state_;
};

// Per kind (restore/epoll.cc, inotify.cc, netlink.cc).
UniqueFd open_epoll(const records::FileDescription& d);
UniqueFd open_fanotify(const records::FanotifyGroup& group, uint32_t flags);
UniqueFd open_inotify(const records::InotifyInstance& inotify, uint32_t flags,
                      const std::map<uint64_t, UniqueFd>& opened);
UniqueFd open_netlink(const records::NetlinkSocket& socket, uint32_t flags);
// A /proc/<pid>/... path: opened by the processes that hold it.
bool is_pid_proc_path(const std::string& path);

}  // namespace ckpt::restore
