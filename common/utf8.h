// UTF-8 checks for text that goes into JSON (state.json, --json outputs): nlohmann::json throws
// on invalid UTF-8 when it writes, so such text is refused where it comes in or replaced.
#pragma once

#include <string_view>

namespace ckpt {

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view text);

// Refuses, naming `what` and the text (bytes shown as \xNN), text that is not UTF-8.
void require_utf8(std::string_view text, std::string_view what);

}  // namespace ckpt
