// Signed images: an image comes from disk, a pipe, a backup store or another host, and restore
// runs as root. `dump --sign-key FILE` ends the image with a kSignature section holding the
// HMAC-SHA256, under that key, of every byte before it (preamble, section headers with their
// checksums, payloads); the trailer index that follows can only describe those sections (the
// reader refuses gaps and headers that differ from the index). `restore/verify --verify-key`
// checks it before any record is decoded. A key is a file of at least 32 bytes
// (head -c 32 /dev/urandom > key); /etc/ckpt/image.key is used when no key is given.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace ckpt::image {

class ImageReader;

inline constexpr const char* kDefaultKeyPath = "/etc/ckpt/image.key";
inline constexpr size_t kMacSize = 32;

// The key in `path`: throws naming the file when it is unreadable, shorter than 32 bytes or
// readable by others than its owner.
std::string load_signing_key(const std::string& path);
// The key given, else the default key when that file exists, else none.
std::optional<std::string> pick_signing_key(const std::string& given);

// HMAC-SHA256 computed over bytes as they are written.
class Mac {
 public:
  explicit Mac(const std::string& key);
  ~Mac();
  Mac(const Mac&) = delete;
  Mac& operator=(const Mac&) = delete;
  void update(std::span<const std::byte> bytes);
  std::array<std::byte, kMacSize> final();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Refuses an image that has no signature, or whose signature does not match `key`, naming the
// image; reads only the bytes the signature covers.
void verify_signature(const ImageReader& image, const std::string& key);

}  // namespace ckpt::image
