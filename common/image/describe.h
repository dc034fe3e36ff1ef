// What `ckpt inspect` shows: an image as one JSON document.
#pragma once

#include <nlohmann/json.hpp>

#include "common/image/image.h"

namespace ckpt::image {

// The shape of the document; raised when a key changes meaning or goes away (new keys do not).
inline constexpr int kInspectSchema = 1;

// {"schema": kInspectSchema, "header": {...}, "file_size": N,
//  "sections": [{"type", "type_id", "id", "chunks", "raw_size", "stored_size", "offset"}, ...],
//  then one key per known record family present: "config", "uts", "process_tree", "cgroups",
//  "net" (names, only each link kind's attributes), "time", "mounts", "cpu", "files",
//  "unix_sockets", "udp_sockets", "tcp_connections", "ipc"; and "memory" (bytes stored: all,
//  private, shared, SysV, per process)}.
// Sections are listed once per (type, id), chunks of a stream summed, in file order.
nlohmann::json describe_image(const ImageReader& reader);

}  // namespace ckpt::image
