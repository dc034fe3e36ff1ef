#include "migrate/receiver.h"

#include <sys/mman.h>

#include "common/cancel.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "migrate/page_store.h"

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

void receive(restore::RestoreOptions& options, Channel& channel) {
  channel.handshake();
  PageStore store;
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
}

}  // namespace

void receive_container(restore::RestoreOptions options, Channel& channel) {
  CancelOnSignals cancel_on_signals;  // a hang-up of ssh undoes what was made
  try {
    receive(options, channel);
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
