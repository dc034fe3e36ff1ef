#include "common/console/console.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/error.h"
#include "common/fs.h"
#include "common/unique_fd.h"

namespace ckpt::console {

namespace {

namespace fsys = std::filesystem;

fsys::path index_path(const fsys::path& state_dir) {
  return state_dir / "console.pty";
}

UniqueFd listen_on(const fsys::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path)
    fail("console socket path {} is too long", path.string());
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket(AF_UNIX)");
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind({})", path.string());
  ::chmod(path.c_str(), 0600);
  if (::listen(fd.get(), 16) != 0) throw_errno("listen({})", path.string());
  return fd;
}

// In the grandchild: the keeper's fds at their fixed numbers, nothing else, then exec.
[[noreturn]] void exec_keeper(const int (&fds)[4], const std::string& socket) {
  int moved[4];
  for (int i = 0; i < 4; ++i) moved[i] = ::fcntl(fds[i], F_DUPFD, 64);
  for (int i = 0; i < 4; ++i)
    if (moved[i] < 0 || ::dup2(moved[i], kMaster + i) < 0) ::_exit(127);
  ::close_range(kLog + 1, ~0U, 0);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    if (null_fd > 2) ::close(null_fd);
  }
  const char* argv[] = {"ckpt", "console-keeper", socket.c_str(), nullptr};
  ::execv("/proc/self/exe", const_cast<char* const*>(argv));
  ::_exit(127);
}

}  // namespace

fsys::path socket_path(const fsys::path& state_dir) {
  return state_dir / "console.sock";
}

std::optional<int> read_pty_index(const fsys::path& state_dir) {
  auto text = fs::try_read_file(index_path(state_dir));
  if (!text) return std::nullopt;
  return std::stoi(fs::trim(*text));
}

void start_keeper(const fsys::path& state_dir, int master, pid_t init_pid) {
  int index = -1;
  if (::ioctl(master, TIOCGPTN, &index) != 0) throw_errno("ioctl(console master, TIOCGPTN)");
  fs::write_file_atomic(index_path(state_dir), std::to_string(index) + "\n");
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, init_pid, 0)));
  if (!pidfd) throw_errno("pidfd_open(container init {})", init_pid);
  fsys::path socket = socket_path(state_dir);
  UniqueFd listener = listen_on(socket);
  fsys::path log_path = state_dir / "console.log";
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) throw_errno("open({})", log_path.string());
  const int fds[4] = {master, pidfd.get(), listener.get(), log.get()};
  std::string socket_arg = socket.string();
  pid_t child = ::fork();
  if (child < 0) throw_errno("fork the console keeper");
  if (child == 0) {
    ::setsid();
    pid_t keeper = ::fork();
    if (keeper == 0) exec_keeper(fds, socket_arg);
    ::_exit(keeper < 0 ? 1 : 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("starting the console keeper failed");
  spdlog::debug("console keeper started for pty {} on {}", index, socket_arg);
}

}  // namespace ckpt::console
