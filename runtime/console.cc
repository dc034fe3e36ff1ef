#include "runtime/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "common/console/console.h"
#include "common/error.h"
#include "common/ns/devpts.h"
#include "common/scm_rights.h"

namespace ckpt::runtime {

ConsoleSocket make_console_socket() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno("socketpair for the console");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void make_pty_console(int socket) {
  ns::mount_private_devpts();
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw_errno("open(/dev/ptmx)");
  int unlock = 0, index = -1;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) throw_errno("unlockpt");
  if (::ioctl(master.get(), TIOCGPTN, &index) != 0) throw_errno("ioctl(TIOCGPTN)");
  std::string slave_path = std::string(ns::kDevptsDir) + "/" + std::to_string(index);
  UniqueFd slave(::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw_errno("open({})", slave_path);
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_errno("ioctl({}, TIOCSCTTY)", slave_path);
  for (int fd = 0; fd <= 2; ++fd)
    if (::dup2(slave.get(), fd) < 0) throw_errno("dup2 console to fd {}", fd);
  send_fd(socket, master.get());
}

void start_pty_console(const ContainerState& state, int socket, pid_t init_pid) {
  UniqueFd master = receive_fd(socket);
  console::start_keeper(state.dir(), master.get(), init_pid);
}

}  // namespace ckpt::runtime
