#include "runtime/console_keeper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "common/console/console.h"
#include "common/error.h"
#include "common/scm_rights.h"
#include "common/unique_fd.h"

namespace ckpt::runtime {

namespace {

using console::KeeperFd;

// Writes all of `data` to a blocking or non-blocking fd; false when the fd failed.
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

struct Client {
  UniqueFd fd;
  bool gone = false;  // disconnected or failed: removed after this round
};

class Keeper {
 public:
  Keeper() { ::fcntl(KeeperFd::kMaster, F_SETFL, O_NONBLOCK); }

  // One round of poll; false once the container's init exited.
  bool step() {
    std::vector<pollfd> fds = {{KeeperFd::kInitPidfd, POLLIN, 0}, {KeeperFd::kListener, POLLIN, 0}};
    // After a hang-up (no slave open, e.g. for a moment during a restore) the master is
    // polled again only on the next timeout, so that poll does not spin on POLLHUP.
    if (!hung_up_) fds.push_back({KeeperFd::kMaster, POLLIN, 0});
    for (const Client& client : clients_) fds.push_back({client.fd.get(), POLLIN, 0});
    int ready = ::poll(fds.data(), fds.size(), hung_up_ ? 100 : -1);
    if (ready < 0 && errno == EINTR) return true;
    hung_up_ = false;
    if (fds[0].revents) {
      drain_master();
      return false;
    }
    if (fds[1].revents & POLLIN) accept_client();
    size_t first_client = 2;
    if (fds.size() > 2 && fds[2].fd == KeeperFd::kMaster) {
      first_client = 3;
      if (fds[2].revents) drain_master();
    }
    for (size_t i = first_client; i < fds.size(); ++i)
      if (fds[i].revents) serve_client(clients_[i - first_client]);
    std::erase_if(clients_, [](const Client& c) { return c.gone; });
    return true;
  }

 private:
  void drain_master() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(KeeperFd::kMaster, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EIO) hung_up_ = true;
      if (n <= 0) return;
      publish(buf, static_cast<size_t>(n));
    }
  }

  void publish(const char* data, size_t size) {
    write_all(KeeperFd::kLog, data, size);
    for (Client& client : clients_) {
      // A client that does not keep up loses output rather than stalling the container.
      if (::send(client.fd.get(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
        client.gone = true;
    }
  }

  // A client first gets the master (with one byte), to set the console's window size.
  void accept_client() {
    UniqueFd client(::accept4(KeeperFd::kListener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) return;
    try {
      send_fd(client.get(), KeeperFd::kMaster);
    } catch (const Error&) {
      return;  // gone already
    }
    clients_.push_back({std::move(client), false});
  }

  void serve_client(Client& client) {
    char buf[4096];
    ssize_t n = ::read(client.fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0 || !write_all(KeeperFd::kMaster, buf, static_cast<size_t>(n))) client.gone = true;
  }

  std::vector<Client> clients_;
  bool hung_up_ = false;
};

}  // namespace

void run_console_keeper(const std::string& socket_path) {
  ::signal(SIGPIPE, SIG_IGN);
  Keeper keeper;
  while (keeper.step()) {
  }
  ::unlink(socket_path.c_str());
}

}  // namespace ckpt::runtime
