#include "restore/files_open.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "restore/files_deleted.h"
#include "restore/event_files.h"
#include "restore/fd_kinds.h"
#include "restore/files_fd_room.h"
#include "restore/files_locks.h"
#include "restore/pidfds.h"
#include "restore/pipes.h"

namespace ckpt::restore {

namespace {

using records::FileDescription;
using records::FileKind;

// Closes every fd not in `keep` (sorted, unique).
void close_all_but(const std::set<int>& keep) {
  unsigned first = 0;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > first) ::close_range(first, static_cast<unsigned>(fd) - 1, 0);
    first = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(first, ~0u, 0);
}

class InheritedFiles : public OpenedFiles {
 public:
  InheritedFiles(records::FilesState state, std::vector<int> keep_fds, EventFiles events,
                 records::FileLocksState locks)
      : state_(std::move(state)),
        pidfds_(state_),
        keep_fds_(std::move(keep_fds)),
        events_(std::move(events)),
        locks_(std::move(locks)) {}

  const EventFiles& events() const { return events_; }
  const std::map<uint64_t, UniqueFd>& opened() const { return high_; }

  void add(uint64_t description, UniqueFd fd) { high_.emplace(description, std::move(fd)); }

  // Once every description is open.
  void take_description_locks() const { restore::take_description_locks(locks_, high_); }

  void install_fds(pid_t ns_pid) override {
    const records::ProcessFiles& process = process_of(ns_pid);
    std::set<int> keep(keep_fds_.begin(), keep_fds_.end());
    for (const records::FdEntry& entry : process.fds) {
      if (keep.count(entry.fd))
        fail("restore files: pid {} fd {} is also a restorer fd to keep", ns_pid, entry.fd);
    }
    events_.open_late(process, high_);
    for (const records::FdEntry& entry : process.fds) {
      if (description(entry.description).kind != FileKind::kPidfd) install_one(ns_pid, entry);
    }
    events_.add_epoll_watches(process, high_);
    for (const records::FdEntry& entry : process.fds) keep.insert(entry.fd);
    close_all_but(keep);
    for (auto& [id, fd] : high_) fd.release();  // closed above
    take_process_locks(locks_, ns_pid);  // after the closes, which would drop them
  }

  void install_shared_fds(pid_t ns_pid) override { take_process_locks(locks_, ns_pid); }

  void open_late_fds(pid_t ns_pid) override { pidfds_.open_own(process_of(ns_pid)); }
  void take_shared_late_fds(pid_t ns_pid) override { pidfds_.take_shared(process_of(ns_pid)); }

 private:
  const records::ProcessFiles& process_of(pid_t ns_pid) const {
    for (const auto& process : state_.processes) {
      if (process.ns_pid == ns_pid) return process;
    }
    fail("restore files: no fd table for pid {}", ns_pid);
  }

  void install_one(pid_t ns_pid, const records::FdEntry& entry) {
    auto it = high_.find(entry.description);
    if (it == high_.end())
      fail("restore files: pid {} fd {}: description {} not opened", ns_pid, entry.fd,
           entry.description);
    int flags = entry.cloexec ? O_CLOEXEC : 0;
    if (::dup3(it->second.get(), entry.fd, flags) < 0)
      throw_errno("dup3 pid {} fd {}", ns_pid, entry.fd);
    if (description(entry.description).flags & O_ASYNC) set_async(ns_pid, entry.fd);
  }

  const FileDescription& description(uint64_t id) const {
    for (const auto& d : state_.descriptions)
      if (d.id == id) return d;
    fail("restore files: no description {}", id);
  }

  // O_ASYNC (which open() ignores) set by the process itself, off first if an opener set it: the
  // signal reports the fd number of the last setter.
  static void set_async(pid_t ns_pid, int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_ASYNC) != 0 ||
        ::fcntl(fd, F_SETFL, flags | O_ASYNC) != 0)
      throw_errno("restore files: pid {} fd {}: O_ASYNC", ns_pid, fd);
  }

  records::FilesState state_;
  RestoredPidfds pidfds_;
  std::vector<int> keep_fds_;
  EventFiles events_;
  records::FileLocksState locks_;
  std::map<uint64_t, UniqueFd> high_;  // description id -> fd above every target fd
};

// Opening order: inotify instances after the files their watches of removed inodes are added
// on; TCP connections last, as they bind to ports their listeners hold.
std::vector<const FileDescription*> opening_order(const records::FilesState& state) {
  std::vector<const FileDescription*> order;
  for (const auto& d : state.descriptions) order.push_back(&d);
  auto later = std::stable_partition(order.begin(), order.end(), [](const FileDescription* d) {
    return d->kind != FileKind::kTcpConnection && d->kind != FileKind::kInotify;
  });
  std::stable_partition(later, order.end(), [](const FileDescription* d) {
    return d->kind == FileKind::kInotify;
  });
  return order;
}

}  // namespace

std::unique_ptr<OpenedFiles> open_files_from(const records::FilesState& state,
                                             const ReadFileData& read_data,
                                             const FilesRestoreContext& context,
                                             const records::EventFilesState& events) {
  int base = first_description_fd(state);
  auto opened =
      std::make_unique<InheritedFiles>(state, context.keep_fds, EventFiles(state, events),
                                       context.locks);
  RestoredPipes pipes(state, read_data);
  DeletedFiles deleted(read_data);
  OpenSources sources{pipes, deleted, opened->events(), context, opened->opened()};
  for (const FileDescription* d : opening_order(state)) {
    if (d->kind == FileKind::kInotify) deleted.remove_names();  // every other file is open
    UniqueFd fd = open_description(*d, sources);
    if (!fd) continue;  // opened by its holders: /proc/<pid> files (EventFiles::open_late), pidfds
    UniqueFd high(::fcntl(fd.get(), F_DUPFD_CLOEXEC, base));
    if (!high) throw_errno("restore files: move description {} above fd {}", d->id, base);
    opened->add(d->id, std::move(high));
  }
  opened->take_description_locks();
  spdlog::debug("files: opened {} descriptions above fd {}", state.descriptions.size(), base);
  return opened;
}

}  // namespace ckpt::restore
