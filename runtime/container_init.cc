#include "runtime/container_init.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <filesystem>

#include "runtime/console.h"
#include "common/error.h"
#include "common/keyring.h"
#include "common/ns/container_mounts.h"

namespace ckpt::runtime {

namespace {

[[noreturn]] void report_and_exit(int fd, const std::string& message) {
  ssize_t ignored = ::write(fd, message.data(), message.size());
  (void)ignored;
  ::_exit(127);
}

}  // namespace

void container_init(const records::ContainerConfig& config,
                    const std::vector<ns::ExtraMount>& mounts, const InitPipes& pipes) {
  try {
    char go;
    if (::read(pipes.go_read, &go, 1) != 1) ::_exit(126);  // the runtime gave up on us
    ::close(pipes.go_read);
    if (!config.hostname.empty() &&
        ::sethostname(config.hostname.data(), config.hostname.size()) != 0)
      throw_errno("sethostname({})", config.hostname);
    ns::setup_container_mounts(config.rootfs, mounts);
    ::setsid();
    join_new_session_keyring();
    if (pipes.console_socket >= 0) make_pty_console(pipes.console_socket);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0) throw_errno("open(/dev/null)");
    if (pipes.console_socket < 0 &&
        (::dup2(null_fd, 0) < 0 || ::dup2(pipes.console, 1) < 0 || ::dup2(pipes.console, 2) < 0))
      throw_errno("dup2 console");
    if (null_fd > 2) ::close(null_fd);
    ::close(pipes.console);
    // Nothing of ckpt's (or of the shell that ran it) leaks into the container; the error pipe
    // stays open until exec succeeds.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) throw_errno("close_range");
    std::vector<char*> argv;
    for (const auto& arg : config.command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    throw_errno("exec {}", config.command.front());
  } catch (const std::exception& e) {
    report_and_exit(pipes.error_write, e.what());
  }
  ::_exit(127);
}

}  // namespace ckpt::runtime
