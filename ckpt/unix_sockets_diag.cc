#include "ckpt/unix_sockets_diag.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"
#include "netns/ns_thread.h"

namespace ckpt::dump {

namespace {

constexpr uint32_t kShow =
    UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN;

struct DumpRequest {
  nlmsghdr header;
  unix_diag_req request;
};

void send_dump_request(int sock) {
  DumpRequest message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = AF_UNIX;
  message.request.udiag_states = ~0u;
  message.request.udiag_show = kShow;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != sizeof message)
    throw_errno("unix_diag: send dump request");
}

void apply_attribute(const rtattr* attr, UnixDiagSocket& socket) {
  const auto* data = static_cast<const std::byte*>(RTA_DATA(attr));
  size_t size = RTA_PAYLOAD(attr);
  auto u32_at = [&](size_t offset) {
    uint32_t value = 0;
    std::memcpy(&value, data + offset, sizeof value);
    return value;
  };
  switch (attr->rta_type) {
    case UNIX_DIAG_NAME:
      socket.name.assign(reinterpret_cast<const char*>(data), size);
      break;
    case UNIX_DIAG_VFS:
      if (size >= sizeof(unix_diag_vfs)) socket.file_inode = u32_at(0);
      break;
    case UNIX_DIAG_PEER:
      if (size >= 4) socket.peer = u32_at(0);
      break;
    case UNIX_DIAG_ICONS:
      for (size_t offset = 0; offset + 4 <= size; offset += 4)
        socket.connections.push_back(u32_at(offset));
      break;
    case UNIX_DIAG_RQLEN:
      if (size < sizeof(unix_diag_rqlen)) break;
      socket.receive_queue = u32_at(0);
      socket.send_queue = u32_at(4);
      break;
    case UNIX_DIAG_SHUTDOWN:
      if (size >= 1) socket.shutdown = std::to_integer<uint32_t>(data[0]);
      break;
    default:
      break;
  }
}

UnixDiagSocket parse_socket(const nlmsghdr* header) {
  if (header->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) fail("unix_diag: short message");
  const auto* msg = static_cast<const unix_diag_msg*>(NLMSG_DATA(header));
  UnixDiagSocket socket;
  socket.inode = msg->udiag_ino;
  socket.type = msg->udiag_type;
  socket.state = msg->udiag_state;
  const char* base = reinterpret_cast<const char*>(header);
  size_t offset = NLMSG_LENGTH(NLMSG_ALIGN(sizeof *msg));
  while (offset + sizeof(rtattr) <= header->nlmsg_len) {
    const auto* attr = reinterpret_cast<const rtattr*>(base + offset);
    if (attr->rta_len < sizeof(rtattr) || offset + attr->rta_len > header->nlmsg_len) break;
    apply_attribute(attr, socket);
    offset += RTA_ALIGN(attr->rta_len);
  }
  return socket;
}

}  // namespace

bool parse_unix_diag_reply(std::span<const std::byte> reply, UnixDiagTable& table) {
  size_t offset = 0;
  while (offset + sizeof(nlmsghdr) <= reply.size()) {
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply.data() + offset);
    if (header->nlmsg_len < sizeof(nlmsghdr) || offset + header->nlmsg_len > reply.size())
      fail("unix_diag: malformed reply");
    if (header->nlmsg_type == NLMSG_DONE) return false;
    if (header->nlmsg_type == NLMSG_ERROR) {
      const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
      errno = -error->error;
      throw_errno("unix_diag dump");
    }
    if (header->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      UnixDiagSocket socket = parse_socket(header);
      table[socket.inode] = std::move(socket);
    }
    offset += NLMSG_ALIGN(header->nlmsg_len);
  }
  return true;
}

UnixDiagTable query_unix_sockets(pid_t pid) {
  UniqueFd netns = netns::open_netns_of(pid);
  // The diag socket answers for the network namespace it was made in.
  UniqueFd sock = netns::in_netns(netns.get(), [] {
    UniqueFd s(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!s) throw_errno("socket(NETLINK_SOCK_DIAG)");
    return s;
  });
  send_dump_request(sock.get());
  UnixDiagTable table;
  std::vector<std::byte> buffer(1 << 16);
  for (;;) {
    ssize_t n = ::recv(sock.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("unix_diag: receive");
    if (!parse_unix_diag_reply({buffer.data(), static_cast<size_t>(n)}, table)) break;
  }
  return table;
}

}  // namespace ckpt::dump
