#include "ckpt/unix_sockets.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstddef>
#include <filesystem>
#include <map>

#include "ckpt/sockets_holders.h"
#include "ckpt/sockets_queue.h"
#include "ckpt/sockets.h"
#include "ckpt/sockets_options.h"
#include "ckpt/unix_sockets_peer.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/mountinfo.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

using records::UnixSocket;
using records::UnixSocketState;

// sun_path as bound: path names without their trailing NULs, abstract names exactly.
std::string bound_name(int fd, const std::string& who) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname({})", who);
  size_t size = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
  std::string name(addr.sun_path, size);
  if (!name.empty() && name[0] != '\0') name.resize(name.find('\0'));
  return name;
}

std::string proc_link(pid_t pid, const char* name) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/" + name).string();
}

// A relative path name was bound in the holder's working directory at the time: taken to be
// its working directory now, which link() checks holds this very socket's file.
void find_relative_name(UnixSocketFacts& facts, pid_t pid) {
  facts.record.directory = proc::path_in_root(proc_link(pid, "cwd"), proc_link(pid, "root"));
}

// The socket file at a path name, as the holder sees it (mode 0 when there is none; link()
// clears it again when the file there is another socket's).
void read_socket_file(UnixSocketFacts& facts, pid_t pid) {
  UnixSocket& record = facts.record;
  if (record.name.empty() || record.name[0] == '\0') return;
  std::string path = "/proc/" + std::to_string(pid) + "/root" +
                     (record.directory.empty() ? "" : record.directory + "/") + record.name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;
  facts.file_inode = static_cast<uint32_t>(st.st_ino);  // as unix_diag shows it
  record.file_mode = st.st_mode;
  record.file_uid = st.st_uid;
  record.file_gid = st.st_gid;
}

// `sock` is ckpt's copy of the socket, kept for what is read of all sockets at once.
UnixSocketFacts read_unix_socket(uint64_t id, SocketHolder holder, UniqueFd& sock_copy) {
  UnixSocketFacts facts;
  facts.who = "pid " + std::to_string(holder.pid) + " fd " + std::to_string(holder.fd);
  sock_copy = proc::take_fd(holder.pid, holder.fd);
  int sock = sock_copy.get();
  struct stat st {};
  if (::fstat(sock, &st) != 0) throw_errno("fstat({})", facts.who);
  UnixSocket& r = facts.record;
  r.id = id;
  r.inode = st.st_ino;
  r.type = socket_int_option(sock, SOL_SOCKET, SO_TYPE);
  r.name = bound_name(sock, facts.who);
  if (!r.name.empty() && r.name[0] != '\0' && r.name[0] != '/')
    find_relative_name(facts, holder.pid);
  r.send_buffer = socket_int_option(sock, SOL_SOCKET, SO_SNDBUF);
  r.receive_buffer = socket_int_option(sock, SOL_SOCKET, SO_RCVBUF);
  r.peek_offset = socket_int_option(sock, SOL_SOCKET, SO_PEEK_OFF);
  r.pass_credentials = socket_int_option(sock, SOL_SOCKET, SO_PASSCRED) != 0;
  r.options = read_socket_options(sock, holder.pid, holder.fd);
  read_socket_file(facts, holder.pid);
  if (!socket_int_option(sock, SOL_SOCKET, SO_ACCEPTCONN)) {
    QueuedMessages queued = peek_queue(sock, r.type, facts.who + " (unix socket)");
    r.message_sizes = std::move(queued.sizes);
    facts.queued = std::move(queued.data);
    facts.queued_with_senders = queued.with_senders;
  }
  return facts;
}

std::string describe(const UnixSocketFacts& s) {
  return fmt::format("{}: unix socket:[{}]", s.who, s.record.inode);
}

constexpr uint32_t kShutdownBoth = 3;

class Linker {
 public:
  Linker(const std::vector<UnixSocketFacts>& sockets, const UnixDiagTable& diag) : diag_(diag) {
    for (const auto& s : sockets) id_by_inode_[s.record.inode] = s.record.id;
    for (const auto& [inode, entry] : diag_) {
      for (uint64_t client : entry.connections) listener_of_client_[client] = inode;
    }
  }

  void link(UnixSocketFacts& s) {
    auto it = diag_.find(s.record.inode);
    if (it == diag_.end())
      fail(ErrorKind::kRefused, "{} is not in the container's network namespace; not supported",
           describe(s));
    const UnixDiagSocket& entry = it->second;
    if (!s.record.directory.empty() && (entry.file_inode == 0 || entry.file_inode != s.file_inode))
      fail(ErrorKind::kRefused,
           "{}: unix socket bound to the relative path {}, whose directory is not found (not "
           "its process's working directory); not supported",
           describe(s), s.record.name);
    if (entry.file_inode != s.file_inode) s.record.file_mode = 0;  // removed, maybe taken since
    s.record.shutdown = entry.shutdown;
    if (entry.state == TCP_LISTEN) return link_listener(s, entry);
    if (listener_of_client_.count(s.record.inode)) return link_pending(s, entry);
    if (entry.peer != 0) return link_peer(s, entry.peer);
    bool connection = s.record.type != SOCK_DGRAM && entry.state == TCP_ESTABLISHED;
    if (!connection) {
      s.record.state = UnixSocketState::kUnconnected;
    } else if (entry.shutdown == kShutdownBoth) {
      s.record.state = UnixSocketState::kOrphaned;  // its peer was closed
    } else {
      fail(ErrorKind::kRefused,
           "{} waits to be accepted by a listener outside the container; not supported",
           describe(s));
    }
  }

 private:
  void link_listener(UnixSocketFacts& s, const UnixDiagSocket& entry) {
    s.record.state = UnixSocketState::kListening;
    s.record.backlog = static_cast<int32_t>(entry.send_queue);
    for (uint64_t client : entry.connections) {
      auto it = id_by_inode_.find(client);
      if (it == id_by_inode_.end())
        fail(ErrorKind::kRefused,
             "{}: a connection waiting to be accepted comes from outside the container",
             describe(s));
      s.record.pending.push_back(it->second);
    }
  }

  void link_pending(UnixSocketFacts& s, const UnixDiagSocket& entry) {
    uint64_t listener = listener_of_client_.at(s.record.inode);
    if (!id_by_inode_.count(listener))
      fail(ErrorKind::kRefused,
           "{} waits to be accepted by a listener outside the container; not supported",
           describe(s));
    // What the client sent stays charged to it until read: unread by the waiting socket.
    if (entry.send_queue != 0)
      fail(ErrorKind::kRefused, "{}: {} bytes sent on a connection not yet accepted; not supported",
           describe(s), entry.send_queue);
    s.record.state = UnixSocketState::kPending;
    s.record.peer = id_by_inode_.at(listener);
  }

  void link_peer(UnixSocketFacts& s, uint64_t peer) {
    auto it = id_by_inode_.find(peer);
    if (it == id_by_inode_.end())
      fail(ErrorKind::kRefused,
           "{} is connected to socket:[{}] outside the container; not supported", describe(s),
           peer);
    s.record.state = UnixSocketState::kConnected;
    s.record.peer = it->second;
  }

  const UnixDiagTable& diag_;
  std::map<uint64_t, uint64_t> id_by_inode_;
  std::map<uint64_t, uint64_t> listener_of_client_;  // client inode -> listener inode
};

}  // namespace

CollectedUnixSockets link_unix_sockets(std::vector<UnixSocketFacts> sockets,
                                       const UnixDiagTable& diag) {
  Linker linker(sockets, diag);
  CollectedUnixSockets collected;
  for (auto& s : sockets) {
    linker.link(s);
    if (!s.queued.empty()) collected.data.emplace_back(s.record.id, std::move(s.queued));
    collected.state.sockets.push_back(std::move(s.record));
  }
  return collected;
}

CollectedUnixSockets collect_unix_sockets(const records::FilesState& files, pid_t netns_pid) {
  std::vector<UnixSocketFacts> sockets;
  std::vector<UniqueFd> copies;
  for (const auto& [id, holder] : socket_holders(files, records::FileKind::kUnixSocket))
    sockets.push_back(read_unix_socket(id, holder, copies.emplace_back()));
  if (sockets.empty()) return {};
  read_peer_credentials(sockets, copies, netns_pid);
  read_message_senders(sockets, copies, netns_pid);
  return link_unix_sockets(std::move(sockets), query_unix_sockets(netns_pid));
}

}  // namespace ckpt::dump
