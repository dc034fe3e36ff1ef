#include "migrate/rootfs_prebuild.h"

#include <filesystem>
#include <vector>

#include "ckpt/mounts.h"
#include "common/error.h"
#include "common/log.h"
#include "common/rootfs_store.h"

namespace ckpt::migrate {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunk = 4u << 20;  // bytes of the packed tree per frame

// A packed tree written to the channel as kRootfs frames.
class FrameStream : public image::ImageWriter::Stream {
 public:
  explicit FrameStream(Channel& channel) : channel_(channel) { buffer_.reserve(kChunk); }
  using image::ImageWriter::Stream::write;
  void write(std::span<const std::byte> data) override {
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    if (buffer_.size() >= kChunk) flush();
  }
  void close() override { flush(); }
  uint64_t bytes() const { return bytes_; }

 private:
  void flush() {
    if (buffer_.empty()) return;
    channel_.send(FrameType::kRootfs, buffer_);
    bytes_ += buffer_.size();
    buffer_.clear();
  }
  Channel& channel_;
  std::vector<std::byte> buffer_;
  uint64_t bytes_ = 0;
};

}  // namespace

SentRootfs send_rootfs(Channel& channel, pid_t init_pid) {
  auto start = Clock::now();
  auto files = dump::find_rootfs_files(init_pid);
  std::vector<std::byte> begin;
  put_u64(begin, files.overlay_upper() ? 1 : 0);
  channel.send(FrameType::kRootfsBegin, begin);
  SentRootfs sent;
  FrameStream stream(channel);
  auto stats = dump::pack_rootfs(files, stream, {.stamps = &sent.stamps});
  stream.close();
  channel.send(FrameType::kRootfsEnd);
  sent.bytes = stream.bytes();
  sent.entries = stats.entries;
  sent.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  spdlog::info("rootfs sent while the container runs: {} entries, {:.1f} MiB in {:.0f} ms "
               "({} files stamped)",
               sent.entries, static_cast<double>(sent.bytes) / (1 << 20), 1000 * sent.seconds,
               sent.stamps.size());
  return sent;
}

RootfsPrebuild::~RootfsPrebuild() {
  unpacker_.reset();
  if (made_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(made_, ec);
  if (ec) spdlog::error("removing the prebuilt rootfs {} failed: {}", made_, ec.message());
}

void RootfsPrebuild::begin(std::span<const std::byte> payload, const std::string& requested,
                           const std::string& id) {
  if (unpacker_ || done_) fail("a second rootfs came");
  start_ = Clock::now();
  bool overlay_upper = get_u64(payload, 0) != 0;
  rootfs_.dir = restore::rootfs_unpack_dir(requested, id, overlay_upper);
  auto layers = restored_rootfs_dir(id);
  if (overlay_upper && std::filesystem::exists(layers))
    fail("prebuild the rootfs layers into {}: it exists", layers.string());
  restore::make_empty_rootfs_dir(rootfs_.dir);  // refuses a directory that is not empty
  made_ = overlay_upper ? layers.string() : rootfs_.dir;
  unpacker_ = std::make_unique<tree::TreeUnpacker>(rootfs_.dir);
}

void RootfsPrebuild::add(std::span<const std::byte> payload) {
  if (!unpacker_) fail("rootfs data came without its beginning");
  unpacker_->feed(payload);
}

void RootfsPrebuild::end(Channel& channel) {
  if (!unpacker_) fail("the end of a rootfs came without its beginning");
  unpacker_->finish();
  rootfs_.paths = unpacker_->paths();
  unpacker_.reset();
  done_ = true;
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
  spdlog::info("rootfs prebuilt in {} ({} entries) in {:.1f} ms", rootfs_.dir,
               rootfs_.paths.size(), took.count() / 1000.0);
  std::vector<std::byte> answer;
  put_u64(answer, static_cast<uint64_t>(took.count()));
  channel.send(FrameType::kRootfsBuilt, answer);
}

}  // namespace ckpt::migrate
