#include "migrate/transport.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/log.h"

namespace ckpt::migrate {
namespace {

// How long a transport may take to end once its channel is closed: the target removes what it
// made (a rebuilt container with its memory) before it exits.
constexpr auto kEndGrace = std::chrono::seconds(60);

}  // namespace

SshDestination parse_destination(const std::string& dest) {
  std::string rest = dest.starts_with("ssh://") ? dest.substr(6) : dest;
  if (rest.empty() || rest.find('/') != std::string::npos)
    fail("destination '{}' is not [ssh://][user@]host[:port]", dest);
  SshDestination out;
  auto colon = rest.rfind(':');
  if (colon != std::string::npos) {
    out.port = rest.substr(colon + 1);
    rest.resize(colon);
    if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos)
      fail("destination '{}': port '{}' is not a number", dest, out.port);
  }
  if (rest.empty() || rest.back() == '@') fail("destination '{}' names no host", dest);
  out.user_host = rest;
  return out;
}

std::vector<std::string> ssh_command(const SshDestination& dest,
                                     const std::vector<std::string>& ssh_options,
                                     const std::string& remote_command) {
  std::vector<std::string> argv = {"ssh", "-o", "BatchMode=yes"};
  for (const auto& option : ssh_options) {
    argv.push_back("-o");
    argv.push_back(option);
  }
  if (!dest.port.empty()) {
    argv.push_back("-p");
    argv.push_back(dest.port);
  }
  argv.push_back("--");
  argv.push_back(dest.user_host);
  argv.push_back(remote_command);
  return argv;
}

std::string shell_line(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& arg : args) {
    if (!line.empty()) line += ' ';
    line += '\'';
    for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

Transport::Transport(const std::vector<std::string>& argv) {
  int down[2], up[2];  // down: we write, the command reads; up: the other way
  if (::pipe2(down, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd down_r(down[0]), down_w(down[1]);
  if (::pipe2(up, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd up_r(up[0]), up_w(up[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw_errno("fork for {}", argv[0]);
  if (pid_ == 0) {
    if (::dup2(down_r.get(), STDIN_FILENO) < 0 || ::dup2(up_w.get(), STDOUT_FILENO) < 0) _exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  to_child_ = std::move(down_w);
  from_child_ = std::move(up_r);
  spdlog::debug("transport: {} (pid {})", shell_line(argv), pid_);
}

int Transport::finish() {
  to_child_.reset();
  from_child_.reset();
  if (pid_ < 0) return 0;
  auto deadline = std::chrono::steady_clock::now() + kEndGrace;
  int status = 0;
  for (;;) {
    pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == pid_ || (got < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      spdlog::warn("transport (pid {}) did not end; killed", pid_);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return status;
}

Transport::~Transport() {
  finish();
}

}  // namespace ckpt::migrate
