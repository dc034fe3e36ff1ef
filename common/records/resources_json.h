// Files, sockets and IPC objects as JSON for `ckpt inspect --json`: kinds, states and flags by
// name, addresses as text; message and data contents are left out (sizes only).
#pragma once

#include <nlohmann/json.hpp>

#include "common/records/files.h"
#include "common/records/ipc.h"
#include "common/records/sockets.h"
#include "common/records/tcp.h"

namespace ckpt::records {

void to_json(nlohmann::json& j, const FilesState& files);
void to_json(nlohmann::json& j, const UnixSocketsState& sockets);
void to_json(nlohmann::json& j, const UdpSocketsState& sockets);
void to_json(nlohmann::json& j, const TcpConnections& connections);
void to_json(nlohmann::json& j, const IpcNamespace& ipc);

}  // namespace ckpt::records
