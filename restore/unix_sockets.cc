#include "restore/unix_sockets.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <span>
#include <string_view>
#include <tuple>

#include "common/error.h"
#include "restore/fd_kinds.h"
#include "restore/unix_sockets_ops.h"
#include "restore/unix_sockets_peer.h"

namespace ckpt::restore {

namespace {

using records::PeerCredentials;
using records::UnixSocket;
using records::UnixSocketState;

// A connection to make through a restored listener, then accept.
struct QueuedAccept {
  const UnixSocket* listener;
  const UnixSocket* client;
  const UnixSocket* accepted;
};

// Makes every socket of the state, in an order that lets each find what it refers to.
class UnixSocketBuilder {
 public:
  UnixSocketBuilder(const records::UnixSocketsState& state, const ReadFileData& read_data)
      : read_data_(read_data) {
    for (const UnixSocket& r : state.sockets) records_[r.id] = &r;
  }

  std::map<uint64_t, UniqueFd> build() {
    for (const auto& [id, r] : records_) {
      if (r->state == UnixSocketState::kListening) make_listener(*r);
    }
    for (const auto& [id, r] : records_) make_unless_made(*r);
    accept_queued();
    for (const auto& [id, r] : records_) connect_datagram(*r);
    for (const auto& [id, r] : records_) {
      if (r->state == UnixSocketState::kListening) reconnect_pending(*r);
    }
    for (const auto& [id, r] : records_) set_unix_options(fd_of(id), *r);
    for (const auto& [id, r] : records_) write_back_queue(*r);
    for (const auto& [id, r] : records_) finish_unix_socket(fd_of(id), *r);
    orphan_ends_.clear();  // their peers now see the peer closed
    close_stand_ins();
    return std::move(made_);
  }

 private:
  const UnixSocket& record(uint64_t id) const {
    auto it = records_.find(id);
    if (it == records_.end()) fail("restore unix socket: no socket record {}", id);
    return *it->second;
  }

  int fd_of(uint64_t id) const { return made_.at(id).get(); }

  // Room for the connections rebuilt through a listener; the real backlog is set at the end.
  int room(const UnixSocket& listener) const {
    return static_cast<int>(records_.size()) + listener.backlog + 16;
  }

  void make_listener(const UnixSocket& r) {
    UniqueFd fd = make_unix_socket(r.type);
    bind_unix_name(fd.get(), r);
    listen_as(r.peer_credentials, fd.get(), room(r), r.name);
    listening_as_[r.id] = r.peer_credentials;
    made_[r.id] = std::move(fd);
  }

  // A client connecting to `listener` copies who listened last: `as`, from its record.
  void listen_for(const UnixSocket& listener, const PeerCredentials& as) {
    if (listening_as_[listener.id] == as) return;
    listen_as(as, fd_of(listener.id), room(listener), listener.name);
    listening_as_[listener.id] = as;
  }

  void make_unless_made(const UnixSocket& r) {
    if (made_.count(r.id) || queued_ids_.count(r.id) || r.state == UnixSocketState::kPending)
      return;
    if (r.state == UnixSocketState::kOrphaned || is_unnamed_with_data(r)) return make_orphan(r);
    if (r.state == UnixSocketState::kConnected && is_pair(r)) return make_connected_pair(r);
    UniqueFd fd = make_unix_socket(r.type);
    bind_unix_name(fd.get(), r);
    made_[r.id] = std::move(fd);
  }

  // A datagram socket holding messages though nothing can name it: its peer (a socketpair's
  // other end) sent them and was closed. Made so again: sends to it fail ECONNREFUSED as before.
  static bool is_unnamed_with_data(const UnixSocket& r) {
    return r.type == SOCK_DGRAM && r.state == UnixSocketState::kUnconnected && r.name.empty() &&
           !r.message_sizes.empty();
  }

  bool is_pair(const UnixSocket& r) const {
    return r.state == UnixSocketState::kConnected && records_.count(r.peer) &&
           record(r.peer).state == UnixSocketState::kConnected && record(r.peer).peer == r.id;
  }

  // The listener `r` was accepted from: a restored listener of its type with its name.
  const UnixSocket* listener_named_as(const UnixSocket& r) const {
    if (r.name.empty() || r.type == SOCK_DGRAM) return nullptr;
    for (const auto& [id, other] : records_) {
      if (other->state == UnixSocketState::kListening && other->type == r.type &&
          other->name == r.name && other->directory == r.directory)
        return other;
    }
    return nullptr;
  }

  bool name_is_unique(const UnixSocket& r) const {
    return std::count_if(records_.begin(), records_.end(),
                         [&](const auto& e) {
                           return e.second->name == r.name && e.second->directory == r.directory;
                         }) == 1;
  }

  void make_connected_pair(const UnixSocket& a) {
    const UnixSocket& b = record(a.peer);
    if (const UnixSocket* listener = listener_named_as(a)) return accept_pair(*listener, b, a);
    if (const UnixSocket* listener = listener_named_as(b)) return accept_pair(*listener, a, b);
    if (a.peer_credentials != b.peer_credentials) {
      if (can_stand_in_for(a, b)) return accept_through_stand_in(b, a);
      if (can_stand_in_for(b, a)) return accept_through_stand_in(a, b);
      spdlog::warn("restore unix socket {}: its SO_PEERCRED (pid {}) is not kept", b.id,
                   b.peer_credentials.pid);
    }
    auto [fd_a, fd_b] = socketpair_as(a.peer_credentials, a.type);
    if (name_is_unique(a)) bind_unix_name(fd_a.get(), a);
    if (name_is_unique(b)) bind_unix_name(fd_b.get(), b);
    made_[a.id] = std::move(fd_a);
    made_[b.id] = std::move(fd_b);
  }

  void accept_pair(const UnixSocket& listener, const UnixSocket& client,
                   const UnixSocket& accepted) {
    UniqueFd fd = make_unix_socket(client.type);
    bind_unix_name(fd.get(), client);
    made_[client.id] = std::move(fd);
    queued_.push_back({&listener, &client, &accepted});
    queued_ids_.insert({client.id, accepted.id});
  }

  // The connections accept_pair queued, made by as few processes as there are connecting ones
  // (a child each costs a fork): those of one connecting process connect together, then each is
  // accepted in that order (every accept queue is empty in between). A client that saw its
  // listener listen as another process than the listener's own last listen connects alone.
  void accept_queued() {
    std::map<PeerCredentials, std::vector<const QueuedAccept*>> by_connector;
    for (const QueuedAccept& q : queued_) {
      if (q.client->peer_credentials == listening_as_[q.listener->id])
        by_connector[q.accepted->peer_credentials].push_back(&q);
      else
        accept_alone(q);
    }
    for (const auto& [connector, group] : by_connector) {
      std::vector<std::pair<int, std::string>> connects;
      for (const QueuedAccept* q : group)
        connects.emplace_back(fd_of(q->client->id), reachable_name(*q->listener));
      connect_all_as(connector, connects);
      for (const QueuedAccept* q : group)
        made_[q->accepted->id] = accept_one(fd_of(q->listener->id), q->listener->name);
    }
    queued_.clear();
  }

  void accept_alone(const QueuedAccept& q) {
    listen_for(*q.listener, q.client->peer_credentials);
    connect_as(q.accepted->peer_credentials, fd_of(q.client->id), reachable_name(*q.listener));
    made_[q.accepted->id] = accept_one(fd_of(q.listener->id), q.listener->name);
  }

  // `accepted` was accepted from a listener that is gone: the one named end of a pair whose
  // ends name different processes, its name held by no other socket but accepted ones.
  bool can_stand_in_for(const UnixSocket& accepted, const UnixSocket& client) const {
    if (accepted.name.empty() || !client.name.empty() || accepted.type == SOCK_DGRAM) return false;
    return std::all_of(records_.begin(), records_.end(), [&](const auto& e) {
      const UnixSocket& other = *e.second;
      bool same_name = other.name == accepted.name && other.directory == accepted.directory;
      return !same_name || other.state == UnixSocketState::kConnected ||
             other.state == UnixSocketState::kOrphaned;
    });
  }

  // Connects the pair again through a stand-in for the gone listener, at the accepted end's
  // name: the client sees the listener's process, the accepted end the connecting one.
  void accept_through_stand_in(const UnixSocket& client, const UnixSocket& accepted) {
    int listener = stand_in_for(accepted, client.peer_credentials);
    UniqueFd fd = make_unix_socket(client.type);
    connect_as(accepted.peer_credentials, fd.get(), reachable_name(accepted));
    made_[client.id] = std::move(fd);
    made_[accepted.id] = accept_one(listener, accepted.name);
  }

  struct StandIn {
    UniqueFd fd;
    PeerCredentials listening_as;
    std::string remove;  // the socket file to remove at the end (none at dump time)
  };

  int stand_in_for(const UnixSocket& accepted, const PeerCredentials& as) {
    auto key = std::make_tuple(accepted.name, accepted.directory, accepted.type);
    StandIn& s = stand_ins_[key];
    if (!s.fd) {
      UnixSocket bound = accepted;
      if (bound.file_mode == 0 && !bound.name.empty() && bound.name[0] != '\0') {
        bound.file_mode = S_IFSOCK | 0600;  // reachable until the connections are made
        s.remove = reachable_name(accepted);
      }
      s.fd = make_unix_socket(accepted.type);
      bind_unix_name(s.fd.get(), bound);
    } else if (s.listening_as == as) {
      return s.fd.get();
    }
    listen_as(as, s.fd.get(), static_cast<int>(records_.size()) + 16, accepted.name);
    s.listening_as = as;
    return s.fd.get();
  }

  void close_stand_ins() {
    for (auto& [key, s] : stand_ins_) {
      if (!s.remove.empty() && ::unlink(s.remove.c_str()) != 0)
        throw_errno("restore unix socket: unlink({})", s.remove);
    }
    stand_ins_.clear();
  }

  void make_orphan(const UnixSocket& r) {
    auto [fd, other] = socketpair_as(r.peer_credentials, r.type);
    if (name_is_unique(r)) bind_unix_name(fd.get(), r);
    made_[r.id] = std::move(fd);
    orphan_ends_[r.id] = std::move(other);
  }

  void connect_datagram(const UnixSocket& r) {
    if (r.type != SOCK_DGRAM || r.state != UnixSocketState::kConnected || is_pair(r)) return;
    const UnixSocket& peer = record(r.peer);
    if (peer.name.empty()) {
      spdlog::warn("restore unix socket {}: its peer has no name; left unconnected", r.id);
      return;
    }
    connect_unix_name(fd_of(r.id), reachable_name(peer));
  }

  // Clients that waited in the accept queue connect again, in their order, and wait again.
  void reconnect_pending(const UnixSocket& listener) {
    for (uint64_t client_id : listener.pending) {
      const UnixSocket& client = record(client_id);
      listen_for(listener, client.peer_credentials);
      UniqueFd fd = make_unix_socket(client.type);
      bind_unix_name(fd.get(), client);
      connect_unix_name(fd.get(), reachable_name(listener));
      made_[client_id] = std::move(fd);
    }
    listen_as(listener.peer_credentials, fd_of(listener.id), listener.backlog, listener.name);
  }

  std::string read_queue(const UnixSocket& r) const {
    std::string data;
    read_data_(r.id, [&](std::span<const std::byte> chunk) {
      data.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    });
    return data;
  }

  // Who writes into r's receive queue: its stream peer, or a datagram socket connected to it.
  int sender_for(const UnixSocket& r) const {
    if (auto it = orphan_ends_.find(r.id); it != orphan_ends_.end()) return it->second.get();
    if (r.type != SOCK_DGRAM) return r.state == UnixSocketState::kConnected ? fd_of(r.peer) : -1;
    for (const auto& [id, other] : records_) {
      if (other->state == UnixSocketState::kConnected && other->peer == r.id) return fd_of(id);
    }
    return -1;
  }

  // r's messages sent on `sender`: each run of messages from one process by that process,
  // when they came with their senders' credentials.
  void send_queue(const UnixSocket& r, int sender, const std::string& name,
                  std::string_view data) {
    std::span<const uint32_t> sizes = r.message_sizes;
    if (r.message_senders.empty()) return send_messages(sender, name, r.type, sizes, data);
    if (r.message_senders.size() != sizes.size())
      fail("restore unix socket {}: {} queued messages but {} senders", r.id, sizes.size(),
           r.message_senders.size());
    size_t first = 0, offset = 0;
    while (first < sizes.size()) {
      size_t end = first, bytes = 0;
      while (end < sizes.size() && r.message_senders[end] == r.message_senders[first])
        bytes += sizes[end++];
      send_messages_as(r.message_senders[first], sender, name, r.type,
                       sizes.subspan(first, end - first), data.substr(offset, bytes));
      first = end;
      offset += bytes;
    }
  }

  void write_back_queue(const UnixSocket& r) {
    if (r.message_sizes.empty()) return;
    std::string data = read_queue(r);
    uint64_t expected = 0;
    for (uint32_t size : r.message_sizes) expected += size;
    if (data.size() != expected)
      fail("restore unix socket {}: image holds {} queued bytes, expected {}", r.id, data.size(),
           expected);
    int sender = sender_for(r);
    if (sender >= 0) return send_queue(r, sender, {}, data);
    if (r.type == SOCK_DGRAM && !r.name.empty()) {
      UniqueFd unnamed = make_unix_socket(SOCK_DGRAM);
      return send_queue(r, unnamed.get(), reachable_name(r), data);
    }
    spdlog::warn("restore unix socket {}: nothing can send to it; {} queued bytes dropped", r.id,
                 data.size());
  }

  std::map<uint64_t, const UnixSocket*> records_;
  const ReadFileData& read_data_;
  std::map<uint64_t, UniqueFd> made_;
  std::map<uint64_t, UniqueFd> orphan_ends_;  // the closed peers of orphaned sockets, for now
  std::map<uint64_t, PeerCredentials> listening_as_;  // by listener id: who listened last
  std::vector<QueuedAccept> queued_;                  // connections to make, then accept
  std::set<uint64_t> queued_ids_;                     // their clients' and accepted ends' ids
  // Stand-ins for gone listeners, by name, directory and type, until every socket is made.
  std::map<std::tuple<std::string, std::string, int32_t>, StandIn> stand_ins_;
};

}  // namespace

RestoredUnixSockets::RestoredUnixSockets(const records::UnixSocketsState& state,
                                         const ReadFileData& read_data)
    : sockets_(UnixSocketBuilder(state, read_data).build()) {
  if (!sockets_.empty()) spdlog::debug("restored {} unix sockets", sockets_.size());
}

UniqueFd RestoredUnixSockets::take(const records::FileDescription& d) {
  auto it = sockets_.find(d.id);
  if (it == sockets_.end() || !it->second)
    fail("restore files: unix socket description {} has no socket record", d.id);
  UniqueFd fd = std::move(it->second);
  int status = static_cast<int>(d.flags) & (O_NONBLOCK | O_ASYNC);
  if (::fcntl(fd.get(), F_SETFL, status) != 0) throw_errno("fcntl(F_SETFL) on a unix socket");
  return fd;
}

}  // namespace ckpt::restore
