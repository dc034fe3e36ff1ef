#include "ckpt/sockets_holders.h"

#include <map>

namespace ckpt::dump {

std::vector<std::pair<uint64_t, SocketHolder>> socket_holders(const records::FilesState& files,
                                                              records::FileKind kind) {
  std::map<uint64_t, SocketHolder> first_holder;
  for (const auto& process : files.processes) {
    for (const auto& entry : process.fds)
      first_holder.try_emplace(entry.description, SocketHolder{process.host_pid, entry.fd});
  }
  std::vector<std::pair<uint64_t, SocketHolder>> holders;
  for (const auto& d : files.descriptions) {
    if (d.kind == kind) holders.emplace_back(d.id, first_holder.at(d.id));
  }
  return holders;
}

}  // namespace ckpt::dump
