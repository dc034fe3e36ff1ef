// Dump of netlink sockets: type, protocol, bound port id and multicast groups, read from a copy
// of the socket taken with pidfd_getfd. Recognised by their inode in /proc/PID/net/netlink.
#include <linux/netlink.h>
#include <sys/socket.h>

#include <sstream>

#include "ckpt/event_files.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

int int_option(int fd, int level, int name, const char* what) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) throw_errno("getsockopt({})", what);
  return value;
}

std::vector<uint32_t> joined_groups(int fd) {
  std::vector<uint32_t> words(4);
  socklen_t len = static_cast<socklen_t>(words.size() * sizeof(uint32_t));
  if (::getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, words.data(), &len) != 0)
    throw_errno("getsockopt(NETLINK_LIST_MEMBERSHIPS)");
  if (len > words.size() * sizeof(uint32_t)) {
    words.resize(len / sizeof(uint32_t) + 1);
    if (::getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, words.data(), &len) != 0)
      throw_errno("getsockopt(NETLINK_LIST_MEMBERSHIPS)");
  }
  std::vector<uint32_t> groups;
  for (size_t bit = 0; bit < len * 8; ++bit) {
    if (words[bit / 32] & (1u << (bit % 32))) groups.push_back(static_cast<uint32_t>(bit + 1));
  }
  return groups;
}

}  // namespace

bool is_netlink_socket(pid_t pid, ino_t ino) {
  auto table = fs::try_read_file("/proc/" + std::to_string(pid) + "/net/netlink");
  if (!table) return false;
  std::istringstream in(*table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    size_t last = line.find_last_not_of(" \t");
    if (last == std::string::npos) continue;
    size_t start = line.find_last_of(" \t", last);
    std::string inode = line.substr(start == std::string::npos ? 0 : start + 1, last - start);
    if (inode == std::to_string(ino)) return true;
  }
  return false;
}

records::NetlinkSocket collect_netlink(uint64_t id, const HeldFd& at) {
  UniqueFd sock = proc::take_fd(at.host_pid, at.fd);
  records::NetlinkSocket n;
  n.id = id;
  n.type = int_option(sock.get(), SOL_SOCKET, SO_TYPE, "SO_TYPE");
  n.protocol = int_option(sock.get(), SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL");
  sockaddr_nl addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname(netlink)");
  n.port_id = addr.nl_pid;
  n.groups = joined_groups(sock.get());
  return n;
}

}  // namespace ckpt::dump
