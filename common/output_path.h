// The check of an image's output path (`-o`), made before anything is frozen or written.
#pragma once

#include <string>

namespace ckpt {

// Throws ErrorKind::kUsage for an output an image cannot go to: "-" while stdout is a
// terminal, an existing directory, or a path whose directory does not exist.
void check_output_path(const std::string& output);

// Throws ErrorKind::kRefused when `output` exists (an image is not replaced without --force).
void refuse_existing_output(const std::string& output);

}  // namespace ckpt
