#include "migrate/receiver.h"

#include <sys/mman.h>

#include <chrono>
#include <memory>

#include "common/cancel.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "migrate/page_store.h"
#include "restore/pages_post_copy.h"

namespace ckpt::migrate {
namespace {

void add_pages(PageStore& store, std::span<const std::byte> payload) {
  uint64_t pid = get_u64(payload, 0), address = get_u64(payload, 8), pages = get_u64(payload, 16);
  auto data = payload.subspan(24);
  if (data.size() != pages * 4096)
    fail("pages frame of process {} says {} pages and holds {} bytes", pid, pages, data.size());
  store.add(pid, address, data);
}

void add_keep(PageStore& store, std::span<const std::byte> payload) {
  uint64_t pid = get_u64(payload, 0);
  if ((payload.size() - 8) % 16) fail("keep frame of process {}: {} bytes", pid, payload.size());
  std::vector<records::PageRun> runs;
  for (size_t at = 8; at < payload.size(); at += 16)
    runs.push_back({get_u64(payload, at), get_u64(payload, at + 8)});
  store.keep(pid, std::move(runs));
}

// Reads the rounds and the final state, up to kStateEnd.
void receive_state(Channel& channel, PageStore& store, int image_fd) {
  uint64_t image_bytes = 0;
  for (;;) {
    throw_if_cancelled();
    Frame frame = channel.receive();
    switch (frame.type) {
      case FrameType::kPages:
        add_pages(store, frame.payload);
        break;
      case FrameType::kRoundEnd:
        spdlog::info("round {}: {} MiB of pages held", get_u64(frame.payload, 0),
                     store.bytes() >> 20);
        break;
      case FrameType::kImage:
        fs::write_all(image_fd, frame.payload, "the final image to memory");
        image_bytes += frame.payload.size();
        break;
      case FrameType::kKeep:
        add_keep(store, frame.payload);
        break;
      case FrameType::kStateEnd:
        spdlog::info("final state: {} KiB of image", image_bytes >> 10);
        return;
      case FrameType::kAbort:
        fail("{} aborted the migration", channel.peer());
      default:
        fail("{} sent an unexpected {} frame", channel.peer(), frame_name(frame.type));
    }
  }
}

// The container runs here: its held pages go in while the source hears how far (kFilling each
// second) and when they are all in (kFilled). A broken channel does not stop the fill.
void finish_post_copy(restore::PostCopy& post_copy, Channel& channel) {
  post_copy.start_filling();
  bool channel_up = true;
  auto tell = [&](FrameType type) {
    if (!channel_up) return;
    std::vector<std::byte> payload;
    put_u64(payload, post_copy.bytes_filled());
    try {
      channel.send(type, payload);
    } catch (const Error& e) {
      channel_up = false;
      spdlog::warn("the post-copy goes on without the source: {}", e.what());
    }
  };
  while (!post_copy.wait_filled(std::chrono::seconds(1))) tell(FrameType::kFilling);
  tell(FrameType::kFilled);
}

void receive(restore::RestoreOptions& options, Channel& channel, bool lazy) {
  channel.handshake();
  PageStore store;
  std::unique_ptr<restore::PostCopy> post_copy;  // serves the processes while it lives
  if (lazy) {
    post_copy = std::make_unique<restore::PostCopy>(store);
    options.post_copy = post_copy.get();
  }
  UniqueFd image(::memfd_create("ckpt-migration-image", MFD_CLOEXEC));
  if (!image) throw_errno("memfd_create");
  receive_state(channel, store, image.get());
  options.input = "/proc/self/fd/" + std::to_string(image.get());
  options.held_pages = &store;
  options.migration = true;
  options.before_resume = [&channel] {
    channel.send(FrameType::kRebuilt);
    channel.expect(FrameType::kCommit);
  };
  auto report = restore::restore_container(options);
  channel.send(FrameType::kResumed);
  for (const auto& [stage, seconds] : report.stage_seconds)
    spdlog::info("restore stage {}: {:.1f} ms", stage, 1000 * seconds);
  if (post_copy) finish_post_copy(*post_copy, channel);
}

}  // namespace

void receive_container(restore::RestoreOptions options, Channel& channel, bool lazy) {
  CancelOnSignals cancel_on_signals;  // a hang-up of ssh undoes what was made
  try {
    receive(options, channel, lazy);
  } catch (const Error& e) {
    try {
      std::string what = e.what();
      channel.send(FrameType::kFailed, std::as_bytes(std::span(what.data(), what.size())));
    } catch (const Error&) {  // the channel is what broke
    }
    throw;
  }
}

}  // namespace ckpt::migrate
