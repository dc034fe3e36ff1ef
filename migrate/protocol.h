// The migration protocol between `ckpt migrate` (the source) and `ckpt receive` (the target),
// spoken over any byte channel (ssh, a pipe): a sequence of frames, each typed, sized and
// checksummed like the image's sections:
//
//   frame := u32 magic "CKMF" | u32 type | u64 payload size | u64 xxh3(payload)
//            | u64 xxh3(the 24 bytes before) | payload
//
// All integers little-endian. A conversation:
//
//   source                               target
//   kHello (version) ->                  <- kHello (version)          either side refuses another
//   kPrebuild (the groundwork's records) ->
//                                        <- kPrebuilt (made while the rounds run) or kFailed
//   --with-rootfs: kRootfsBegin kRootfs* kRootfsEnd (the rootfs, read while the container
//   runs) ->                             <- kRootfsBuilt (unpacked where the restore wants it)
//   kPages* kRoundEnd (round 1: every page, later rounds: pages written since), ...
//   kImage* (the final image: all other state, pages written since the last round)
//   kKeep* (per process: the pre-copied pages the target keeps), kStateEnd
//                                        <- kRebuilt (every process rebuilt, not running)
//                                                or kFailed (message): it removed what it made
//   kCommit ->                           <- kResumed (its restore's figures)
//                                                                     the source is removed
//                                        <- kFilling* kFilled (the held pages filled after
//                                                the resume)                the source may go
//   --lazy: kLazy* before kStateEnd; from then on the target may send kFetch at any time, the
//   source answers with kPages. After kResumed the source sends every kLazy page (kPages*,
//   kLazyEnd) before the target's kFilling* kFilled.
//   (or kAbort, or a closed or silent channel: the target removes what it made, the source runs)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace ckpt::migrate {

// 2: kPrebuild, kPrebuilt; 3: kRootfsBegin, kRootfs, kRootfsEnd, kRootfsBuilt; 4: kFilling,
// kFilled without --lazy too (the held pages filled after the resume)
inline constexpr uint32_t kProtocolVersion = 4;

enum class FrameType : uint32_t {
  kHello = 1,      // u64 protocol version
  kPages = 2,      // u64 pid | u64 address | u64 pages | the pages
  kRoundEnd = 3,   // u32 round
  kImage = 4,      // bytes of the final image, in order
  kKeep = 5,       // u64 pid | (u64 start | u64 pages)*: pre-copied pages that are current
  kStateEnd = 6,   // nothing more comes before the target's answer
  kRebuilt = 7,    // target: every process rebuilt, waiting for kCommit
  kFailed = 8,     // target: a message; it removed everything it made
  kCommit = 9,     // source: resume there
  kAbort = 10,     // source: remove everything made there
  kResumed = 11,   // target: the container runs there; JSON of its restore's figures
  kFilling = 12,   // target: u64 bytes of held pages filled so far after the resume (each second)
  kFilled = 13,    // target: every page is in: u64 bytes filled after the resume | u64
                   // microseconds that took (both 0: filled before it); the source may go
  kLazy = 14,      // --lazy: u64 pid | (u64 start | u64 pages)*: pages sent after the resume
  kFetch = 15,     // target, --lazy: u64 pid | u64 address: that page of kLazy, now please
  kLazyEnd = 16,   // --lazy: every page of kLazy was sent (as kPages)
  kPrebuild = 17,  // records::GroundworkRecords read from the running container (boost binary)
  kPrebuilt = 18,  // target: u64 microseconds it took to make the groundwork of kPrebuild
  kRootfsBegin = 19,  // u64 1 if the rootfs is an overlay's upper layer, else 0
  kRootfs = 20,       // bytes of the packed rootfs tree (common/tree_entry.h), in order
  kRootfsEnd = 21,    // the packed tree is complete
  kRootfsBuilt = 22,  // target: u64 microseconds from kRootfsBegin to the tree unpacked
};

const char* frame_name(FrameType type);

struct Frame {
  FrameType type{};
  std::span<const std::byte> payload;  // valid until the next receive()
};

// One end of a conversation: frames written to `out_fd`, read from `in_fd` (not owned).
class Channel {
 public:
  // `peer` names the other side in errors; `timeout`: how long the peer may stay silent.
  Channel(int in_fd, int out_fd, std::string peer, std::chrono::milliseconds timeout);

  // Sends `head` and `body` as one frame's payload (from any thread).
  void send(FrameType type, std::span<const std::byte> head = {},
            std::span<const std::byte> body = {});
  // The next frame; throws on end of channel, silence past the timeout, damage.
  Frame receive();
  // Receives a frame that must be of `type` (kFailed from the target becomes its message).
  Frame expect(FrameType type);
  // `frame` (received) if it is of `type`; else as expect(type) throws.
  Frame expect(Frame frame, FrameType type);

  // Hellos in both directions; refuses a peer of another protocol version in one line.
  void handshake();
  // Whether a frame (or the end of the channel) is there to receive now.
  bool readable() const;

  uint64_t bytes_sent() const { return bytes_sent_; }
  const std::string& peer() const { return peer_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  void read_exact(std::byte* data, size_t size);

  int in_fd_;
  int out_fd_;
  std::string peer_;
  std::chrono::milliseconds timeout_;
  std::vector<std::byte> buffer_;  // the last frame's payload
  uint64_t bytes_sent_ = 0;
  std::mutex send_mutex_;
};

// Little-endian fields of payloads.
void put_u64(std::vector<std::byte>& out, uint64_t value);
uint64_t get_u64(std::span<const std::byte> in, size_t offset);  // throws past the end

}  // namespace ckpt::migrate
