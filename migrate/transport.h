// How the source reaches `ckpt receive` on the target: a command whose stdin and stdout are the
// channel. `ssh [options] [-p PORT] [USER@]HOST ckpt receive ...` (ckpt has no crypto of its
// own), or any command given with --via (`sh -c CMD`).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace ckpt::migrate {

// DEST = [ssh://][user@]host[:port]
struct SshDestination {
  std::string user_host;  // [user@]host
  std::string port;       // empty: ssh's default
};
SshDestination parse_destination(const std::string& dest);

// argv of ssh running `remote_command` (one shell line) at `dest`.
std::vector<std::string> ssh_command(const SshDestination& dest,
                                     const std::vector<std::string>& ssh_options,
                                     const std::string& remote_command);

// `args` as one shell line, each quoted.
std::string shell_line(const std::vector<std::string>& args);

// The transport command, run with its stdin and stdout on pipes of ours (stderr is ours).
class Transport {
 public:
  explicit Transport(const std::vector<std::string>& argv);
  // Closes the channel and waits for the command to end (killed if it lingers).
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int read_fd() const { return from_child_.get(); }
  int write_fd() const { return to_child_.get(); }
  // Closes the channel, waits for the command; returns its exit status (as waitpid's).
  int finish();

 private:
  pid_t pid_ = -1;
  UniqueFd to_child_;
  UniqueFd from_child_;
};

}  // namespace ckpt::migrate
