// What one image of a chain holds, for `inspect`, `verify` and `backup --list`: its identity,
// its parent, its size, and how much of its memory it stores itself.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/image/image.h"

namespace ckpt::chain {

struct LinkSummary {
  std::string path;
  std::string uuid;
  std::string parent;  // the parent's name as recorded; empty for a full image
  int64_t created_unix = 0;
  uint64_t file_size = 0;
  uint64_t memory_bytes = 0;  // of every process's pages, wherever stored
  uint64_t stored_bytes = 0;  // of those, the pages in this image's own streams (raw)
};

LinkSummary summarize(const image::ImageReader& image, const std::string& path);

void to_json(nlohmann::json& j, const LinkSummary& s);

}  // namespace ckpt::chain
