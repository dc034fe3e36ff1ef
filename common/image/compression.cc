#include "common/image/compression.h"

#include <fmt/format.h>
#include <zstd.h>

#include <memory>

#include "common/error.h"

namespace ckpt::image {
namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context per thread: contexts are not thread-safe and costly to create per chunk.
ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) fail("zstd: cannot create a compression context");
  return cctx.get();
}

ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) fail("zstd: cannot create a decompression context");
  return dctx.get();
}

}  // namespace

uint32_t compress_payload(std::span<const std::byte> raw, int level, size_t min_size, Buffer& out) {
  if (level == 0 || raw.size() < min_size) return 0;
  out.resize(ZSTD_compressBound(raw.size()));
  size_t n =
      ZSTD_compressCCtx(thread_cctx(), out.data(), out.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) fail("zstd compression failed: {}", ZSTD_getErrorName(n));
  if (n >= raw.size()) return 0;
  out.resize(n);
  return kCompressed;
}

std::string decompress_payload(std::span<const std::byte> stored, uint64_t raw_size, Buffer& out) {
  unsigned long long declared = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return "zstd: not a zstd frame";
  if (declared != raw_size) {
    return fmt::format("zstd frame holds {} bytes, section header says {}", declared, raw_size);
  }
  out.resize(raw_size);
  size_t n =
      ZSTD_decompressDCtx(thread_dctx(), out.data(), out.size(), stored.data(), stored.size());
  if (ZSTD_isError(n)) return fmt::format("zstd: {}", ZSTD_getErrorName(n));
  if (n != raw_size) return fmt::format("decompressed to {} bytes, expected {}", n, raw_size);
  return {};
}

}  // namespace ckpt::image
