#include "runtime/attach.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "common/console/console.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/scm_rights.h"
#include "common/unique_fd.h"

namespace ckpt::runtime {

namespace {

constexpr char kCtrlP = 0x10, kCtrlQ = 0x11;

UniqueFd connect_console(const ContainerState& state) {
  std::string path = console::socket_path(state.dir()).string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket(AF_UNIX)");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT)
      fail("container {} has no console to attach to (run it with -t)", state.id);
    throw_errno("connect to the console of {} ({})", state.id, path);
  }
  return fd;
}

// Raw mode on a terminal stdin until destruction.
class RawTerminal {
 public:
  RawTerminal() {
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) active_ = true;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// The console takes the window size of a terminal stdin, now and at each SIGWINCH (read from
// a signalfd, blocked meanwhile). Without a terminal, nothing.
class WindowSizeFollower {
 public:
  explicit WindowSizeFollower(UniqueFd master) : master_(std::move(master)) {
    if (!::isatty(STDIN_FILENO)) return;
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    if (::sigprocmask(SIG_BLOCK, &winch, &saved_mask_) != 0) return;
    blocked_ = true;
    signals_.reset(::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK));
    copy_size();
  }
  ~WindowSizeFollower() {
    if (blocked_) ::sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
  }
  WindowSizeFollower(const WindowSizeFollower&) = delete;
  WindowSizeFollower& operator=(const WindowSizeFollower&) = delete;

  int fd() const { return signals_ ? signals_.get() : -1; }
  void on_signal() {
    signalfd_siginfo info;
    while (::read(signals_.get(), &info, sizeof info) == sizeof info) {
    }
    copy_size();
  }

 private:
  void copy_size() const {
    winsize size{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(master_.get(), TIOCSWINSZ, &size);
  }

  UniqueFd master_;
  UniqueFd signals_;
  sigset_t saved_mask_{};
  bool blocked_ = false;
};

}  // namespace

std::string DetachKeys::filter(std::string_view chunk) {
  std::string out;
  for (char c : chunk) {
    if (detached_) break;
    if (pending_ctrl_p_) {
      pending_ctrl_p_ = false;
      if (c == kCtrlQ) {
        detached_ = true;
        break;
      }
      out += kCtrlP;
    }
    if (c == kCtrlP)
      pending_ctrl_p_ = true;
    else
      out += c;
  }
  return out;
}

AttachEnd attach_console(const AttachOptions& options) {
  ContainerState state = ContainerState::load(options.container_id);
  UniqueFd console = connect_console(state);
  WindowSizeFollower window(receive_fd(console.get()));
  RawTerminal raw;
  DetachKeys keys;
  bool input_open = true;
  char buf[16384];
  for (;;) {
    pollfd fds[3] = {{console.get(), POLLIN, 0},
                     {input_open ? STDIN_FILENO : -1, POLLIN, 0},
                     {window.fd(), POLLIN, 0}};
    int ready = ::poll(fds, 3, input_open ? -1 : options.linger_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_errno("poll");
    if (ready == 0) return AttachEnd::kInputDone;  // input ended and the output went quiet
    if (fds[2].revents) window.on_signal();
    if (fds[0].revents) {
      ssize_t n = ::read(console.get(), buf, sizeof buf);
      if (n <= 0) return AttachEnd::kContainerExited;
      if (!fs::try_write_all(STDOUT_FILENO, {buf, static_cast<size_t>(n)}))
        return AttachEnd::kInputDone;
    }
    if (fds[1].revents) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        input_open = false;
        continue;
      }
      std::string forward = keys.filter({buf, static_cast<size_t>(n)});
      if (!forward.empty() && !fs::try_write_all(console.get(), forward))
        return AttachEnd::kContainerExited;
      if (keys.detached()) return AttachEnd::kDetached;
    }
  }
}

}  // namespace ckpt::runtime
