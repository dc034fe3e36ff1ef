// What `ckpt inspect` shows: an image as one JSON document.
#pragma once

#include <nlohmann/json.hpp>

#include "common/image/image.h"

namespace ckpt::image {

// {"header": {...}, "file_size": N,
//  "sections": [{"type", "type_id", "id", "chunks", "raw_size", "stored_size", "offset"}, ...],
//  then one key per known record family present: "config", "uts", "process_tree", "cgroups"}.
// Sections are listed once per (type, id), chunks of a stream summed, in file order.
nlohmann::json describe_image(const ImageReader& reader);

}  // namespace ckpt::image
