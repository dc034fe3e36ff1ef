// Unix sockets without root: the unix_diag reply parser, how sockets are linked to their peers
// and listeners (and what is refused), peeking at queues, and restoring sockets from records
// made by hand, all in the test process.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "ckpt/sockets_queue.h"
#include "ckpt/unix_sockets_diag.h"
#include "ckpt/unix_sockets.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "restore/unix_sockets.h"

namespace {

using ckpt::dump::UnixDiagSocket;
using ckpt::dump::UnixDiagTable;
using ckpt::dump::UnixSocketFacts;
using ckpt::records::UnixSocket;
using ckpt::records::UnixSocketState;

// Appends one netlink message of `type` with `payload` to `buffer`.
void add_message(std::string& buffer, uint16_t type, const std::string& payload) {
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(payload.size()));
  header.nlmsg_type = type;
  buffer.append(reinterpret_cast<const char*>(&header), sizeof header);
  buffer.append(payload);
  buffer.resize(NLMSG_ALIGN(buffer.size()), '\0');
}

void add_attribute(std::string& payload, uint16_t type, const std::string& data) {
  rtattr attr{};
  attr.rta_len = static_cast<uint16_t>(RTA_LENGTH(data.size()));
  attr.rta_type = type;
  payload.append(reinterpret_cast<const char*>(&attr), sizeof attr);
  payload.append(data);
  payload.resize(RTA_ALIGN(payload.size()), '\0');
}

template <class T>
std::string bytes_of(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}

std::span<const std::byte> as_span(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

UnixSocketFacts facts(uint64_t id, uint64_t inode, int type = SOCK_STREAM) {
  UnixSocketFacts f;
  f.record.id = id;
  f.record.inode = inode;
  f.record.type = type;
  f.who = "pid 1 fd " + std::to_string(id);
  return f;
}

UnixDiagSocket diag(uint64_t inode, int state, uint64_t peer = 0) {
  UnixDiagSocket d;
  d.inode = inode;
  d.type = SOCK_STREAM;
  d.state = state;
  d.peer = peer;
  return d;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ckpt::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("unix_diag replies are parsed into sockets by inode") {
  unix_diag_msg msg{};
  msg.udiag_family = AF_UNIX;
  msg.udiag_type = SOCK_SEQPACKET;
  msg.udiag_state = TCP_LISTEN;
  msg.udiag_ino = 4242;
  std::string payload = bytes_of(msg);
  add_attribute(payload, UNIX_DIAG_NAME, std::string("\0hidden", 7));
  add_attribute(payload, UNIX_DIAG_PEER, bytes_of(uint32_t{0}));
  add_attribute(payload, UNIX_DIAG_ICONS, bytes_of(uint32_t{77}) + bytes_of(uint32_t{78}));
  add_attribute(payload, UNIX_DIAG_RQLEN, bytes_of(unix_diag_rqlen{2, 16}));
  add_attribute(payload, UNIX_DIAG_SHUTDOWN, std::string(1, '\2'));
  std::string reply;
  add_message(reply, SOCK_DIAG_BY_FAMILY, payload);

  UnixDiagTable table;
  CHECK(ckpt::dump::parse_unix_diag_reply(as_span(reply), table));
  REQUIRE(table.count(4242));
  const UnixDiagSocket& s = table.at(4242);
  CHECK(s.type == SOCK_SEQPACKET);
  CHECK(s.state == TCP_LISTEN);
  CHECK(s.name == std::string("\0hidden", 7));
  CHECK(s.connections == std::vector<uint64_t>{77, 78});
  CHECK(s.receive_queue == 2);
  CHECK(s.send_queue == 16);
  CHECK(s.shutdown == 2);

  std::string done;
  add_message(done, NLMSG_DONE, std::string(4, '\0'));
  CHECK_FALSE(ckpt::dump::parse_unix_diag_reply(as_span(done), table));
}

TEST_CASE("peers, accept queues and orphans are linked by inode") {
  UnixDiagTable table;
  table[10] = diag(10, TCP_ESTABLISHED, 11);  // a socketpair
  table[11] = diag(11, TCP_ESTABLISHED, 10);
  table[20] = diag(20, TCP_LISTEN);
  table[20].connections = {22};
  table[20].send_queue = 9;                  // a listener's backlog
  table[22] = diag(22, TCP_ESTABLISHED, 0);  // waits in the accept queue
  table[30] = diag(30, TCP_ESTABLISHED, 0);  // its peer was closed
  table[30].shutdown = 3;

  auto linked = ckpt::dump::link_unix_sockets(
      {facts(1, 10), facts(2, 11), facts(3, 20), facts(4, 22), facts(5, 30)}, table);
  std::map<uint64_t, UnixSocket> by_id;
  for (const auto& s : linked.state.sockets) by_id[s.id] = s;
  CHECK(by_id[1].state == UnixSocketState::kConnected);
  CHECK(by_id[1].peer == 2);
  CHECK(by_id[2].peer == 1);
  CHECK(by_id[3].state == UnixSocketState::kListening);
  CHECK(by_id[3].backlog == 9);
  CHECK(by_id[3].pending == std::vector<uint64_t>{4});
  CHECK(by_id[4].state == UnixSocketState::kPending);
  CHECK(by_id[4].peer == 3);
  CHECK(by_id[5].state == UnixSocketState::kOrphaned);
}

TEST_CASE("a peer outside the container is refused in one line naming the socket") {
  UnixDiagTable table;
  table[10] = diag(10, TCP_ESTABLISHED, 99);
  std::string why = error_of([&] { ckpt::dump::link_unix_sockets({facts(1, 10)}, table); });
  CHECK(why ==
        "pid 1 fd 1: unix socket:[10] is connected to socket:[99] outside the "
        "container; not supported");
  table[10] = diag(10, TCP_ESTABLISHED, 0);  // not accepted yet by a listener we do not see
  why = error_of([&] { ckpt::dump::link_unix_sockets({facts(1, 10)}, table); });
  CHECK(why.find("waits to be accepted by a listener outside the container") != std::string::npos);
}

TEST_CASE("data sent on a connection not yet accepted is refused") {
  UnixDiagTable table;
  table[20] = diag(20, TCP_LISTEN);
  table[20].connections = {22};
  table[22] = diag(22, TCP_ESTABLISHED, 0);
  table[22].send_queue = 5;
  std::string why = error_of([&] {
    ckpt::dump::link_unix_sockets({facts(3, 20), facts(4, 22)}, table);
  });
  CHECK(why ==
        "pid 1 fd 4: unix socket:[22]: 5 bytes sent on a connection not yet accepted; "
        "not supported");
}

TEST_CASE("peeking keeps datagram boundaries and consumes nothing") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  ckpt::UniqueFd a(sv[0]), b(sv[1]);
  REQUIRE(::send(a.get(), "one", 3, 0) == 3);
  REQUIRE(::send(a.get(), "three", 5, 0) == 5);
  auto queued = ckpt::dump::peek_queue(b.get(), SOCK_DGRAM, "test");
  CHECK(queued.sizes == std::vector<uint32_t>{3, 5});
  CHECK(queued.data == "onethree");
  char buf[8];
  CHECK(::recv(b.get(), buf, sizeof buf, MSG_DONTWAIT) == 3);  // still there, in order
  int offset = 0;
  socklen_t len = sizeof offset;
  ::getsockopt(b.get(), SOL_SOCKET, SO_PEEK_OFF, &offset, &len);
  CHECK(offset == -1);  // put back
}

TEST_CASE("peeking at a stream reads all its bytes as one entry") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  ckpt::UniqueFd a(sv[0]), b(sv[1]);
  REQUIRE(::send(a.get(), "abc", 3, 0) == 3);
  REQUIRE(::send(a.get(), "defg", 4, 0) == 4);
  auto queued = ckpt::dump::peek_queue(b.get(), SOCK_STREAM, "test");
  CHECK(queued.sizes == std::vector<uint32_t>{7});
  CHECK(queued.data == "abcdefg");
}

TEST_CASE("an fd in flight is refused") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  ckpt::UniqueFd a(sv[0]), b(sv[1]);
  int passed = STDIN_FILENO;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  char byte = 'x';
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &passed, sizeof passed);
  REQUIRE(::sendmsg(a.get(), &msg, 0) == 1);
  std::string why = error_of([&] { ckpt::dump::peek_queue(b.get(), SOCK_STREAM, "pid 1 fd 4"); });
  CHECK(why == "pid 1 fd 4: file descriptors in flight (SCM_RIGHTS) are not supported");
}

TEST_CASE("a restored datagram pair gets its queued messages back, boundaries kept") {
  UnixSocket left, right;
  left.id = 1;
  right.id = 2;
  left.type = right.type = SOCK_DGRAM;
  left.state = right.state = UnixSocketState::kConnected;
  left.peer = 2;
  right.peer = 1;
  right.message_sizes = {2, 4};
  ckpt::records::UnixSocketsState state{{left, right}};
  auto read = [](uint64_t id, const ckpt::restore::DataConsumer& consume) {
    REQUIRE(id == 2);
    std::string data = "hiyou!";
    consume(as_span(data));
  };
  ckpt::restore::RestoredUnixSockets restored(state, read);
  ckpt::records::FileDescription d;
  d.id = 2;
  ckpt::UniqueFd b = restored.take(d);
  d.id = 1;
  ckpt::UniqueFd a = restored.take(d);
  char buf[16];
  CHECK(::recv(b.get(), buf, sizeof buf, MSG_DONTWAIT) == 2);
  CHECK(::recv(b.get(), buf, sizeof buf, MSG_DONTWAIT) == 4);
  CHECK(std::string(buf, 4) == "you!");
  CHECK(::send(b.get(), "x", 1, 0) == 1);
  CHECK(::recv(a.get(), buf, sizeof buf, MSG_DONTWAIT) == 1);
}
