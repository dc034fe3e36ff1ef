#include "common/image/signing.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "common/image/image.h"

namespace ckpt::image {

struct Mac::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~State() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

Mac::Mac(const std::string& key) : state_(std::make_unique<State>()) {
  state_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (state_->mac) state_->ctx = EVP_MAC_CTX_new(state_->mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!state_->ctx ||
      EVP_MAC_init(state_->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1)
    fail("HMAC-SHA256 is not available from OpenSSL");
}

Mac::~Mac() = default;

void Mac::update(std::span<const std::byte> bytes) {
  if (EVP_MAC_update(state_->ctx, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size()) != 1)
    fail("HMAC-SHA256 update failed");
}

std::array<std::byte, kMacSize> Mac::final() {
  std::array<std::byte, kMacSize> out{};
  size_t size = 0;
  if (EVP_MAC_final(state_->ctx, reinterpret_cast<unsigned char*>(out.data()), &size,
                    out.size()) != 1 ||
      size != kMacSize)
    fail("HMAC-SHA256 final failed");
  return out;
}

std::string load_signing_key(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("signing key {}", path);
  if (st.st_mode & 077)
    fail("signing key {} is readable by others (mode {:o}): chmod 600 it", path,
         st.st_mode & 07777);
  std::string key = fs::read_file(path);
  if (key.size() < 32)
    fail("signing key {} has {} bytes; use at least 32 (head -c 32 /dev/urandom > {})", path,
         key.size(), path);
  return key;
}

std::optional<std::string> pick_signing_key(const std::string& given) {
  if (!given.empty()) return load_signing_key(given);
  std::error_code ec;
  if (std::filesystem::exists(kDefaultKeyPath, ec)) return load_signing_key(kDefaultKeyPath);
  return std::nullopt;
}

void verify_signature(const ImageReader& image, const std::string& key) {
  const auto& sections = image.sections();
  if (sections.empty() || sections.back().type != SectionType::kSignature)
    fail("image is not signed (restore and verify require a signature when a key is given or "
         "{} exists)",
         kDefaultKeyPath);
  const SectionInfo& sig = sections.back();
  std::string stored = image.get_bytes(SectionType::kSignature, 0);
  Mac mac(key);
  uint64_t covered = sig.offset;
  std::vector<std::byte> buf(4u << 20);
  for (uint64_t at = 0; at < covered;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), covered - at));
    image.read_raw(at, std::span(buf.data(), want));
    mac.update(std::span(buf.data(), want));
    at += want;
  }
  auto computed = mac.final();
  if (stored.size() != kMacSize || CRYPTO_memcmp(stored.data(), computed.data(), kMacSize) != 0)
    fail("image signature does not match the key: the image was changed or signed with another "
         "key");
}

}  // namespace ckpt::image
