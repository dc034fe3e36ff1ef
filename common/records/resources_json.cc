#include "common/records/resources_json.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "common/sockaddr_text.h"

namespace ckpt::records {

namespace {

using nlohmann::json;

// "rdwr", "wronly append nonblock": the access mode and the status flags set.
std::string open_flags(uint32_t flags) {
  int mode = static_cast<int>(flags & O_ACCMODE);
  std::string out = mode == O_RDONLY ? "rdonly" : mode == O_WRONLY ? "wronly" : "rdwr";
  constexpr std::pair<uint32_t, const char*> kFlags[] = {
      {O_APPEND, "append"}, {O_NONBLOCK, "nonblock"}, {O_SYNC, "sync"},
      {O_DSYNC, "dsync"},   {O_DIRECT, "direct"},     {O_NOATIME, "noatime"},
      {O_PATH, "path"},     {O_ASYNC, "async"},       {O_LARGEFILE, "largefile"}};
  for (const auto& [bit, name] : kFlags)
    if (flags & bit) out += std::string(" ") + name;
  return out;
}

const char* socket_type(int32_t type) {
  switch (type) {
    case SOCK_STREAM:
      return "stream";
    case SOCK_DGRAM:
      return "dgram";
    case SOCK_SEQPACKET:
      return "seqpacket";
  }
  return "other";
}

const char* family_name(int32_t family) {
  return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" : "other";
}

const char* unix_state(UnixSocketState state) {
  switch (state) {
    case UnixSocketState::kUnconnected:
      return "unconnected";
    case UnixSocketState::kListening:
      return "listening";
    case UnixSocketState::kConnected:
      return "connected";
    case UnixSocketState::kPending:
      return "pending";
    case UnixSocketState::kOrphaned:
      return "orphaned";
  }
  return "?";
}

// "@name" for abstract names, the path otherwise.
std::string unix_name(const std::string& name) {
  if (!name.empty() && name[0] == '\0') return "@" + name.substr(1);
  return name;
}

json perm_json(const IpcPerm& p) {
  return {{"key", p.key}, {"id", p.id}, {"uid", p.uid}, {"gid", p.gid}, {"mode", p.mode}};
}

json description_json(const FileDescription& d) {
  json j = {{"id", d.id}, {"kind", file_kind_name(d.kind)}, {"flags", open_flags(d.flags)}};
  if (!d.path.empty()) j["path"] = d.path;
  switch (d.kind) {
    case FileKind::kRegular:
    case FileKind::kDirectory:
    case FileKind::kProcFile:
      j["pos"] = d.pos;
      j["size"] = d.size;
      if (d.deleted) j["deleted"] = true;
      break;
    case FileKind::kPipe:
    case FileKind::kFifo:
      j["pipe"] = d.pipe_id;
      break;
    case FileKind::kEventfd:
      j["count"] = d.eventfd_count;
      j["semaphore"] = d.eventfd_semaphore;
      break;
    case FileKind::kTcpListen:
    case FileKind::kTcpSocket:
      j["family"] = family_name(d.socket.family);
      j["address"] = describe_sockaddr(d.socket.address);
      j["backlog"] = d.socket.backlog;
      break;
    case FileKind::kPidfd:
      j["pid"] = d.target_pid;
      break;
    default:
      break;
  }
  return j;
}

}  // namespace

void to_json(json& j, const FilesState& files) {
  json descriptions = json::array();
  for (const auto& d : files.descriptions) descriptions.push_back(description_json(d));
  json pipes = json::array();
  for (const auto& p : files.pipes) {
    json pipe = {{"id", p.id}, {"capacity", p.capacity}, {"buffered", p.data_size}};
    if (!p.fifo_path.empty()) pipe["fifo"] = p.fifo_path;
    pipes.push_back(pipe);
  }
  json processes = json::array();
  for (const auto& p : files.processes) {
    json fds = json::array();
    for (const auto& fd : p.fds)
      fds.push_back({{"fd", fd.fd}, {"description", fd.description}, {"cloexec", fd.cloexec}});
    processes.push_back({{"pid", p.ns_pid}, {"host_pid", p.host_pid}, {"fds", fds}});
  }
  j = {{"descriptions", descriptions}, {"pipes", pipes}, {"processes", processes}};
}

void to_json(json& j, const UnixSocketsState& state) {
  j = json::array();
  for (const auto& s : state.sockets) {
    json socket = {{"id", s.id}, {"type", socket_type(s.type)}, {"state", unix_state(s.state)}};
    if (!s.name.empty()) socket["name"] = unix_name(s.name);
    if (s.peer) socket["peer"] = s.peer;
    if (s.state == UnixSocketState::kListening) {
      socket["backlog"] = s.backlog;
      socket["pending"] = s.pending;
    }
    uint64_t queued = 0;
    for (uint32_t size : s.message_sizes) queued += size;
    if (queued) socket["queued_bytes"] = queued;
    j.push_back(socket);
  }
}

void to_json(json& j, const UdpSocketsState& state) {
  j = json::array();
  for (const auto& s : state.sockets) {
    json socket = {{"id", s.id}, {"family", family_name(s.family)}};
    if (!s.local.empty()) socket["local"] = describe_sockaddr(s.local);
    if (!s.peer.empty()) socket["peer"] = describe_sockaddr(s.peer);
    j.push_back(socket);
  }
}

void to_json(json& j, const TcpConnections& state) {
  j = json::array();
  for (const auto& c : state.connections)
    j.push_back({{"id", c.id},
                 {"family", family_name(c.family)},
                 {"local", describe_sockaddr(c.local)},
                 {"peer", describe_sockaddr(c.peer)},
                 {"unacknowledged_bytes", c.send_queue_len},
                 {"unread_bytes", c.recv_queue_len}});
}

void to_json(json& j, const IpcNamespace& ipc) {
  json shm = json::array(), msg = json::array(), sem = json::array(), mq = json::array();
  for (const auto& s : ipc.shm)
    shm.push_back({{"perm", perm_json(s.perm)}, {"size", s.size}, {"destroyed", s.destroyed}});
  for (const auto& q : ipc.msg)
    msg.push_back({{"perm", perm_json(q.perm)}, {"messages", q.messages.size()}});
  for (const auto& s : ipc.sem) sem.push_back({{"perm", perm_json(s.perm)}, {"values", s.values}});
  for (const auto& q : ipc.mqueues)
    mq.push_back({{"name", "/" + q.name}, {"mode", q.mode}, {"messages", q.messages.size()}});
  j = {{"shm", shm}, {"msg", msg}, {"sem", sem}, {"mqueues", mq}, {"sysctls", ipc.sysctls}};
}

}  // namespace ckpt::records
