// Restore of the ptys of the container's devpts (section kTtys, records/ttys.h), in steps:
//  1. create_in_namespaces(), in the root task after the mounts: a private devpts is mounted and
//     every pty made again with its index (ptmx opened until the index matches; the others are
//     closed again), its settings, window size, packet mode and slave owner; the console's
//     master is sent out to the restorer. Masters and one slave of each stay open, inherited by
//     every forked process until it installs its own fds.
//  2. open_description(), while the files are opened: a master description is that master, a
//     slave description a new open of /dev/pts/N.
//  3. take_terminal(), in each forked process before it forks its children: a session leader
//     makes its pty its controlling terminal (so the session's processes have it); the leader
//     of the foreground process group makes its group the foreground one.
//  4. In the restorer: receive_console() once the root task is set up; start_console() once
//     the tree runs, giving the console to a new console keeper.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>

#include "common/image/image.h"
#include "common/records/files.h"
#include "common/records/ttys.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

class TtysRestore {
 public:
  explicit TtysRestore(const image::ImageReader& image);

  bool empty() const { return state_.ptys.empty(); }
  void create_in_namespaces();
  UniqueFd open_description(const records::FileDescription& d) const;
  void take_terminal(pid_t ns_pid) const;
  void receive_console();
  void start_console(const std::filesystem::path& state_dir, pid_t init_pid);

 private:
  void configure(const records::Pty& pty, int slave);
  const records::PtyFile& file_of(uint64_t description) const;

  records::TtysState state_;
  std::map<int, UniqueFd> masters_, slaves_;  // by index, in the root task and its children
  UniqueFd console_out_, console_in_;         // socketpair: root task -> restorer
  UniqueFd console_master_;                   // in the restorer
};

}  // namespace ckpt::restore
