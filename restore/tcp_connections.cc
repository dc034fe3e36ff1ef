#include "restore/tcp_connections.h"

#include <fcntl.h>

#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "common/sockaddr_text.h"
#include "restore/tcp_peer_fin.h"
#include "restore/tcp_repair.h"

namespace ckpt::restore {

namespace {

using image::SectionType;

void set_status_flags(int sock, uint32_t flags) {
  if (::fcntl(sock, F_SETFL, static_cast<int>(flags) & O_NONBLOCK) != 0)
    throw_errno("fcntl(F_SETFL) on a TCP connection");
}

}  // namespace

bool has_tcp_connections(const image::ImageReader& image) {
  return image.has(SectionType::kTcpConnections, 0);
}

TcpConnectionsRestore::TcpConnectionsRestore(const image::ImageReader& image,
                                             bool close_connections)
    : close_(close_connections) {
  if (!has_tcp_connections(image)) return;
  connections_ = image.get<records::TcpConnections>(SectionType::kTcpConnections, 0);
  for (const auto& c : connections_.connections) {
    if (image.has(SectionType::kSocketData, c.id))
      queued_[c.id] = image.get_bytes(SectionType::kSocketData, c.id);
  }
}

const records::TcpConnection& TcpConnectionsRestore::record_of(uint64_t id) const {
  auto it = std::find_if(connections_.connections.begin(), connections_.connections.end(),
                         [&](const records::TcpConnection& c) { return c.id == id; });
  if (it == connections_.connections.end())
    fail("restore files: TCP connection {} has no record in the image", id);
  return *it;
}

std::string_view TcpConnectionsRestore::queued_of(uint64_t id) const {
  auto it = queued_.find(id);
  return it == queued_.end() ? std::string_view() : std::string_view(it->second);
}

UniqueFd TcpConnectionsRestore::open(const records::FileDescription& d) {
  const records::TcpConnection& c = record_of(d.id);
  if (close_) {
    UniqueFd sock = closed_connection(c);
    set_status_flags(sock.get(), d.flags);
    return sock;
  }
  UniqueFd sock;
  try {
    if (c.state == TCP_SYN_SENT) {
      sock = reconnect(c);
      set_status_flags(sock.get(), d.flags);
      return sock;
    }
    sock = repair_connection(c, queued_of(d.id));
  } catch (const Error& e) {
    fail("restore TCP connection {}: {}", describe_connection(c), e.what());
  }
  UniqueFd copy(::fcntl(sock.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) throw_errno("dup TCP connection {}", describe_connection(c));
  repairing_.push_back({&c, d.flags, std::move(copy)});
  return sock;
}

void TcpConnectionsRestore::finish() {
  for (auto& r : repairing_) {
    try {
      finish_repair(r.sock.get(), *r.record, queued_of(r.record->id));
    } catch (const Error& e) {
      fail("restore TCP connection {}: {}", describe_connection(*r.record), e.what());
    }
    set_status_flags(r.sock.get(), r.flags);
  }
  // Once every connection is out of repair (a peer inside the container may send its FIN
  // again): the peer's FIN, then ours, the order of a LAST_ACK.
  for (auto& r : repairing_) {
    try {
      if (records::peer_fin_received(r.record->state)) deliver_peer_fin(r.sock.get(), *r.record);
      send_own_fin(r.sock.get(), *r.record);
    } catch (const Error& e) {
      fail("restore TCP connection {}: {}", describe_connection(*r.record), e.what());
    }
  }
  if (!repairing_.empty()) spdlog::debug("tcp: {} connections repaired", repairing_.size());
  repairing_.clear();
}

}  // namespace ckpt::restore
