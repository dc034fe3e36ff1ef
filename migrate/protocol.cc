#include "migrate/protocol.h"

#include <poll.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "common/writev_all.h"

namespace ckpt::migrate {
namespace {

constexpr uint32_t kFrameMagic = 0x464d4b43;  // "CKMF"
constexpr size_t kFrameHeaderSize = 32;
constexpr uint64_t kMaxPayload = 64u << 20;

template <typename T>
void store(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof value);
}
template <typename T>
T load(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

uint64_t payload_checksum(std::span<const std::byte> head, std::span<const std::byte> body) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                  &XXH3_freeState);
  if (!state) fail("out of memory for a checksum");
  XXH3_64bits_reset(state.get());
  XXH3_64bits_update(state.get(), head.data(), head.size());
  XXH3_64bits_update(state.get(), body.data(), body.size());
  return XXH3_64bits_digest(state.get());
}

// The version this ckpt says it speaks: CKPT_MIGRATE_PROTOCOL overrides it, so that tests can
// play a peer of another version.
uint32_t announced_version() {
  const char* env = std::getenv("CKPT_MIGRATE_PROTOCOL");
  return env ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : kProtocolVersion;
}

}  // namespace

const char* frame_name(FrameType type) {
  switch (type) {
    case FrameType::kHello: return "hello";
    case FrameType::kPages: return "pages";
    case FrameType::kRoundEnd: return "round-end";
    case FrameType::kImage: return "image";
    case FrameType::kKeep: return "keep";
    case FrameType::kStateEnd: return "state-end";
    case FrameType::kRootfsBegin: return "rootfs-begin";
    case FrameType::kRootfs: return "rootfs";
    case FrameType::kRootfsEnd: return "rootfs-end";
    case FrameType::kRootfsBuilt: return "rootfs-built";
    case FrameType::kRebuilt: return "rebuilt";
    case FrameType::kFailed: return "failed";
    case FrameType::kCommit: return "commit";
    case FrameType::kAbort: return "abort";
    case FrameType::kResumed: return "resumed";
    case FrameType::kFilling: return "filling";
    case FrameType::kFilled: return "filled";
    case FrameType::kLazy: return "lazy";
    case FrameType::kFetch: return "fetch";
    case FrameType::kLazyEnd: return "lazy-end";
    case FrameType::kPrebuild: return "prebuild";
    case FrameType::kPrebuilt: return "prebuilt";
  }
  return "unknown";
}

Channel::Channel(int in_fd, int out_fd, std::string peer, std::chrono::milliseconds timeout)
    : in_fd_(in_fd), out_fd_(out_fd), peer_(std::move(peer)), timeout_(timeout) {}

bool Channel::readable() const {
  pollfd p{in_fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

void Channel::send(FrameType type, std::span<const std::byte> head,
                   std::span<const std::byte> body) {
  std::lock_guard lock(send_mutex_);
  std::array<std::byte, kFrameHeaderSize> header{};
  store<uint32_t>(header.data(), kFrameMagic);
  store<uint32_t>(header.data() + 4, static_cast<uint32_t>(type));
  store<uint64_t>(header.data() + 8, head.size() + body.size());
  store<uint64_t>(header.data() + 16, payload_checksum(head, body));
  store<uint64_t>(header.data() + 24, XXH3_64bits(header.data(), 24));
  iovec iov[3] = {{header.data(), header.size()},
                  {const_cast<std::byte*>(head.data()), head.size()},
                  {const_cast<std::byte*>(body.data()), body.size()}};
  bytes_sent_ += writev_all(out_fd_, iov, fmt::format("a {} frame to {}", frame_name(type), peer_));
}

void Channel::read_exact(std::byte* data, size_t size) {
  while (size > 0) {
    pollfd p{in_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll the channel from {}", peer_);
    }
    if (ready == 0) fail("{} said nothing for {} s: the channel is taken as broken", peer_,
                         timeout_.count() / 1000);
    ssize_t n = ::read(in_fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read from {}", peer_);
    }
    if (n == 0) fail("{} closed the channel", peer_);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

Frame Channel::receive() {
  std::array<std::byte, kFrameHeaderSize> header{};
  read_exact(header.data(), header.size());
  if (load<uint32_t>(header.data()) != kFrameMagic)
    fail("{} is not a ckpt migration peer (no frame magic)", peer_);
  if (load<uint64_t>(header.data() + 24) != XXH3_64bits(header.data(), 24))
    fail("{}: damaged frame header (checksum mismatch)", peer_);
  auto type = static_cast<FrameType>(load<uint32_t>(header.data() + 4));
  uint64_t size = load<uint64_t>(header.data() + 8);
  if (size > kMaxPayload)
    fail("{}: {} frame of {} bytes exceeds the limit of {}", peer_, frame_name(type), size,
         kMaxPayload);
  buffer_.resize(size);
  read_exact(buffer_.data(), size);
  if (payload_checksum(buffer_, {}) != load<uint64_t>(header.data() + 16))
    fail("{}: damaged {} frame (payload checksum mismatch)", peer_, frame_name(type));
  return {type, std::span(buffer_)};
}

Frame Channel::expect(FrameType type) {
  return expect(receive(), type);
}

Frame Channel::expect(Frame frame, FrameType type) {
  if (frame.type == type) return frame;
  std::string said(reinterpret_cast<const char*>(frame.payload.data()), frame.payload.size());
  if (frame.type == FrameType::kFailed) fail("{}: {}", peer_, said);
  if (frame.type == FrameType::kAbort) fail("{} aborted the migration", peer_);
  fail("{} sent a {} frame where a {} frame was due", peer_, frame_name(frame.type),
       frame_name(type));
}

void Channel::handshake() {
  std::vector<std::byte> hello;
  put_u64(hello, announced_version());
  send(FrameType::kHello, hello);
  Frame frame = receive();
  if (frame.type != FrameType::kHello)
    fail("{} sent a {} frame where a hello was due", peer_, frame_name(frame.type));
  uint64_t version = get_u64(frame.payload, 0);
  if (version != kProtocolVersion)
    fail("{} speaks migration protocol version {}, this ckpt speaks {}: use the same ckpt "
         "version on both hosts",
         peer_, version, kProtocolVersion);
}

void put_u64(std::vector<std::byte>& out, uint64_t value) {
  size_t at = out.size();
  out.resize(at + 8);
  store<uint64_t>(out.data() + at, value);
}

uint64_t get_u64(std::span<const std::byte> in, size_t offset) {
  if (offset + 8 > in.size()) fail("migration frame too short ({} bytes)", in.size());
  return load<uint64_t>(in.data() + offset);
}

}  // namespace ckpt::migrate
