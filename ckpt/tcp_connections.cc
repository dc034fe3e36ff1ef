#include "ckpt/tcp_connections.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "ckpt/sockets_options.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/proc/pidfd.h"
#include "common/records/tcp.h"
#include "common/sockaddr_text.h"

namespace ckpt::dump {

namespace {

using records::FileKind;

// One connection to dump: where it is, its socket and what it shows without repair mode.
struct FoundConnection {
  uint64_t id = 0;
  pid_t pid = 0;
  int fd = 0;
  UniqueFd sock;
  TcpSocketFacts facts;
};

std::string state_name(int state) {
  switch (state) {
    case TCP_ESTABLISHED:
      return "ESTABLISHED";
    case TCP_SYN_SENT:
      return "SYN_SENT";
    case TCP_SYN_RECV:
      return "SYN_RECV";
    case TCP_FIN_WAIT1:
      return "FIN_WAIT1";
    case TCP_FIN_WAIT2:
      return "FIN_WAIT2";
    case TCP_TIME_WAIT:
      return "TIME_WAIT";
    case TCP_CLOSE_WAIT:
      return "CLOSE_WAIT";
    case TCP_LAST_ACK:
      return "LAST_ACK";
    case TCP_CLOSING:
      return "CLOSING";
    default:
      return std::to_string(state);
  }
}

// Each kTcpConnection description once, with the first fd that holds it.
std::vector<FoundConnection> find_connections(const records::FilesState& files) {
  std::vector<FoundConnection> found;
  for (const auto& d : files.descriptions) {
    if (d.kind != FileKind::kTcpConnection) continue;
    for (const auto& process : files.processes) {
      auto entry = std::find_if(process.fds.begin(), process.fds.end(),
                                [&](const records::FdEntry& e) { return e.description == d.id; });
      if (entry == process.fds.end()) continue;
      FoundConnection c{
          d.id, process.host_pid, entry->fd, proc::take_fd(process.host_pid, entry->fd), {}};
      auto facts = probe_tcp_connection(c.sock.get());
      if (!facts) fail("pid {} fd {}: no longer a TCP connection", c.pid, c.fd);
      c.facts = *facts;
      c.facts.options = read_socket_options(c.sock.get(), c.pid, c.fd);
      found.push_back(std::move(c));
      break;
    }
  }
  return found;
}

// Established, being made (SYN_SENT: connected again by the restore), or closing from one side
// or both: the peer's FIN received (CLOSE_WAIT), ours sent (FIN_WAIT1, acknowledged: FIN_WAIT2),
// or both with the peer's first (LAST_ACK). Not CLOSING (both FINs crossed, ours not yet
// acknowledged): a moment away from TIME_WAIT, which has no fd.
bool is_dumpable_state(int state) {
  return state == TCP_ESTABLISHED || state == TCP_SYN_SENT || state == TCP_CLOSE_WAIT ||
         state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_LAST_ACK;
}

// Whether the restore can give the peer's FIN of a connection (CLOSE_WAIT, LAST_ACK) again
// (restore/tcp_peer_fin): delivered to its own address, which must take packets while the
// restore holds the links down. An IPv6 address other than ::1 is tentative then (duplicate
// address detection waits for the link), and the kernel drops what comes to it.
bool peer_fin_deliverable(const TcpSocketFacts& facts) {
  if (!records::peer_fin_received(facts.state)) return true;
  if (facts.family != AF_INET6) return true;
  sockaddr_in6 local{};
  std::memcpy(&local, facts.local.data(), std::min(facts.local.size(), sizeof local));
  return IN6_IS_ADDR_LOOPBACK(&local.sin6_addr) || IN6_IS_ADDR_V4MAPPED(&local.sin6_addr);
}

// Throws for the first connection that cannot be dumped, before any is put in repair mode.
void check_dumpable(const std::vector<FoundConnection>& found, const TcpDumpOptions& options) {
  for (const auto& c : found) {
    if (!options.established)
      fail(ErrorKind::kRefused,
           "pid {} fd {}: established TCP connection {} (dump with --tcp-established to keep it)",
           c.pid, c.fd, describe_connection(c.facts));
    if (!is_dumpable_state(c.facts.state))
      fail(ErrorKind::kRefused,
           "pid {} fd {}: TCP connection {} is in state {}; only established, connecting "
           "(SYN_SENT) and closing (CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, LAST_ACK) connections can "
           "be dumped",
           c.pid, c.fd, describe_connection(c.facts), state_name(c.facts.state));
    if (!peer_fin_deliverable(c.facts))
      fail(ErrorKind::kRefused,
           "pid {} fd {}: TCP connection {} is in state {}: its peer's FIN cannot be given again "
           "to a restored IPv6 address while it is tentative (only over IPv4 and ::1)",
           c.pid, c.fd, describe_connection(c.facts), state_name(c.facts.state));
  }
}

bool same_queues(const TcpSnapshot& a, const TcpSnapshot& b) {
  const auto& x = a.record;
  const auto& y = b.record;
  return a.complete() && b.complete() && x.send_seq == y.send_seq && x.recv_seq == y.recv_seq &&
         x.send_queue_len == y.send_queue_len && x.unsent_len == y.unsent_len &&
         x.recv_queue_len == y.recv_queue_len && x.snd_wnd == y.snd_wnd && x.rcv_wnd == y.rcv_wnd &&
         a.queued == b.queued;
}

std::vector<TcpSnapshot> read_all(const std::vector<FoundConnection>& found,
                                  const std::vector<std::unique_ptr<RepairMode>>& repairs) {
  std::vector<TcpSnapshot> snapshots;
  for (size_t i = 0; i < found.size(); ++i)
    snapshots.push_back(read_connection(*repairs[i], found[i].facts));
  return snapshots;
}

// Repair mode does not stop the kernel: a connection whose peer is inside the container too
// (over lo, which no lock holds) still moves bytes to the peer's receive queue and acks them,
// until the frozen reader's buffer is full. Reads until two rounds in a row agree.
std::vector<TcpSnapshot> read_until_settled(
    const std::vector<FoundConnection>& found,
    const std::vector<std::unique_ptr<RepairMode>>& repairs) {
  std::vector<TcpSnapshot> previous = read_all(found, repairs);
  for (int round = 0; round < 200; ++round) {
    std::vector<TcpSnapshot> current = read_all(found, repairs);
    bool settled = std::equal(previous.begin(), previous.end(), current.begin(), same_queues);
    if (settled) return current;
    previous = std::move(current);
    ::usleep(10000);
  }
  fail("TCP connections kept changing for 2 s while the container was frozen");
}

}  // namespace

bool is_tcp_connection(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  return probe_tcp_connection(sock.get()).has_value();
}

DumpedTcpConnections::DumpedTcpConnections(std::vector<std::string> lock_links)
    : lock_(std::move(lock_links)) {}

void DumpedTcpConnections::keep_for_kill() {
  for (auto& repair : repairs_) repair->keep_repairing();
  lock_.keep_down();
}

bool has_tcp_connections(const records::FilesState& files) {
  return std::any_of(files.descriptions.begin(), files.descriptions.end(),
                     [](const auto& d) { return d.kind == FileKind::kTcpConnection; });
}

void check_tcp_connections(const records::FilesState& files, bool established) {
  check_dumpable(find_connections(files), {established, {}, nullptr});
}

std::unique_ptr<DumpedTcpConnections> dump_tcp_connections(const records::FilesState& files,
                                                           const TcpDumpOptions& options,
                                                           image::ImageWriter& image) {
  std::vector<FoundConnection> found = find_connections(files);
  if (found.empty()) return nullptr;
  check_dumpable(found, options);
  records::TcpConnections record;
  // Those still in their handshake first, without repair mode: what the restore needs of them
  // does not change.
  auto connecting_end = std::stable_partition(found.begin(), found.end(), [](const auto& c) {
    return c.facts.state == TCP_SYN_SENT;
  });
  for (auto it = found.begin(); it != connecting_end; ++it) {
    record.connections.push_back(read_connecting(it->sock.get(), it->facts));
    record.connections.back().id = it->id;
  }
  found.erase(found.begin(), connecting_end);
  if (options.marks) {
    std::vector<std::pair<pid_t, int>> sockets;
    for (const auto& c : found) sockets.emplace_back(c.pid, c.fd);
    options.marks->note_tcp_lock(options.lock_links, sockets);
  }
  auto dumped = std::make_unique<DumpedTcpConnections>(options.lock_links);
  for (auto& c : found) dumped->add(std::make_unique<RepairMode>(std::move(c.sock)));
  std::vector<TcpSnapshot> snapshots = read_until_settled(found, dumped->repairs());
  for (size_t i = 0; i < found.size(); ++i) {
    TcpSnapshot& snapshot = snapshots[i];
    snapshot.record.id = found[i].id;
    if (!snapshot.queued.empty())
      image.put_bytes(image::SectionType::kSocketData, found[i].id, snapshot.queued);
    spdlog::debug("tcp: {} (send queue {}, receive queue {})", describe_connection(found[i].facts),
                  snapshot.record.send_queue_len, snapshot.record.recv_queue_len);
    record.connections.push_back(std::move(snapshot.record));
  }
  image.put(image::SectionType::kTcpConnections, 0, record);
  spdlog::info("dumped {} TCP connections", record.connections.size());
  return dumped;
}

}  // namespace ckpt::dump
