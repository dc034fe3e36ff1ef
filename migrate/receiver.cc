#include "migrate/receiver.h"

#include <sys/mman.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "common/cancel.h"
#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/hierarchy.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/image/archive.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "migrate/page_store.h"
#include "migrate/rootfs_prebuild.h"
#include "restore/groundwork.h"
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

// A kKeep or kLazy frame: a process and runs of its pages.
std::pair<uint64_t, std::vector<records::PageRun>> runs_of(std::span<const std::byte> payload) {
  uint64_t pid = get_u64(payload, 0);
  if ((payload.size() - 8) % 16) fail("runs frame of process {}: {} bytes", pid, payload.size());
  std::vector<records::PageRun> runs;
  for (size_t at = 8; at < payload.size(); at += 16)
    runs.push_back({get_u64(payload, at), get_u64(payload, at + 8)});
  return {pid, std::move(runs)};
}

// Pages that were to come after the resume (--lazy), to the post-copy.
void feed(restore::PostCopy& post_copy, std::span<const std::byte> payload) {
  uint64_t pid = get_u64(payload, 0), address = get_u64(payload, 8), pages = get_u64(payload, 16);
  auto data = payload.subspan(24);
  if (data.size() != pages * 4096)
    fail("pages frame of process {} says {} pages and holds {} bytes", pid, pages, data.size());
  post_copy.arrived(pid, address, data);
}

// With --lazy, from the final state on: the channel read on a thread of its own, so that the
// pages the post-copy asks for arrive while the restore runs (a process may fault on one while
// it is rebuilt); the other frames wait for expect().
class FeedingReader {
 public:
  FeedingReader(Channel& channel, restore::PostCopy& post_copy)
      : shared_(std::make_shared<Shared>()) {
    shared_->post_copy = &post_copy;
    std::thread([&channel, shared = shared_] { read(channel, *shared); }).detach();
  }
  // The thread may stay in a read of the channel until the source closes it; it feeds nothing
  // any more.
  ~FeedingReader() {
    std::lock_guard lock(shared_->mutex);
    shared_->post_copy = nullptr;
  }
  FeedingReader(const FeedingReader&) = delete;
  FeedingReader& operator=(const FeedingReader&) = delete;

  // The next frame other than pages, which must be of `type` (as Channel::expect).
  void expect(Channel& channel, FrameType type) {
    std::unique_lock lock(shared_->mutex);
    shared_->changed.wait(lock, [&] { return !shared_->frames.empty() || !shared_->error.empty(); });
    if (shared_->frames.empty()) fail("{}", shared_->error);
    auto [got, payload] = std::move(shared_->frames.front());
    shared_->frames.pop_front();
    channel.expect(Frame{got, payload}, type);
  }

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    restore::PostCopy* post_copy = nullptr;
    std::deque<std::pair<FrameType, std::vector<std::byte>>> frames;
    std::string error;
  };

  static void read(Channel& channel, Shared& shared) {
    try {
      for (;;) {
        Frame frame = channel.receive();
        std::lock_guard lock(shared.mutex);
        if (frame.type == FrameType::kPages) {
          if (shared.post_copy) feed(*shared.post_copy, frame.payload);
          continue;
        }
        shared.frames.emplace_back(frame.type, std::vector<std::byte>(frame.payload.begin(),
                                                                      frame.payload.end()));
        shared.changed.notify_all();
        if (frame.type == FrameType::kLazyEnd) return;
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(shared.mutex);
      shared.error = e.what();
      shared.changed.notify_all();
    }
  }

  std::shared_ptr<Shared> shared_;
};

// A container whose memory cannot be completed: its processes are killed rather than left to
// wait on their faults for ever (or to read zeros).
void kill_lost_container(const std::string& id) {
  try {
    auto state = ContainerState::load(id);
    cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
    for (pid_t pid : cgroup.all_procs()) ::kill(pid, SIGKILL);
  } catch (const Error& e) {
    spdlog::error("killing the processes of {}: {}", id, e.what());
  }
}

// The groundwork of a kPrebuild frame (the container's cgroups and network), made while the
// source runs its rounds; kPrebuilt tells it how long that took.
std::unique_ptr<restore::Groundwork> prebuild(Channel& channel, std::span<const std::byte> payload,
                                              const restore::RestoreOptions& options) {
  auto start = std::chrono::steady_clock::now();
  auto records = image::from_bytes<records::GroundworkRecords>(
      std::string(reinterpret_cast<const char*>(payload.data()), payload.size()), "groundwork");
  auto groundwork = restore::prebuild_groundwork(std::move(records), options);
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  spdlog::info("groundwork (cgroups, network) prebuilt in {:.1f} ms", took.count() / 1000.0);
  std::vector<std::byte> answer;
  put_u64(answer, static_cast<uint64_t>(took.count()));
  channel.send(FrameType::kPrebuilt, answer);
  return groundwork;
}

// Reads the groundwork's records, the rootfs, the rounds and the final state, up to kStateEnd;
// makes the groundwork (`groundwork`) as soon as its records come, unpacks the rootfs as it comes.
void receive_state(Channel& channel, PageStore& store, int image_fd,
                   const restore::RestoreOptions& options,
                   std::unique_ptr<restore::Groundwork>& groundwork, RootfsPrebuild& rootfs) {
  uint64_t image_bytes = 0;
  for (;;) {
    throw_if_cancelled();
    Frame frame = channel.receive();
    switch (frame.type) {
      case FrameType::kPrebuild:
        if (groundwork) fail("{} sent a second prebuild frame", channel.peer());
        groundwork = prebuild(channel, frame.payload, options);
        break;
      case FrameType::kRootfsBegin:
        if (!groundwork) fail("{} sent the rootfs before the groundwork", channel.peer());
        rootfs.begin(frame.payload, options.rootfs, groundwork->state.id);
        break;
      case FrameType::kRootfs:
        rootfs.add(frame.payload);
        break;
      case FrameType::kRootfsEnd:
        rootfs.end(channel);
        break;
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
      case FrameType::kKeep: {
        auto [pid, runs] = runs_of(frame.payload);
        store.keep(pid, std::move(runs));
        break;
      }
      case FrameType::kLazy: {
        auto [pid, runs] = runs_of(frame.payload);
        store.post_copy(pid, std::move(runs));
        break;
      }
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

// The held pages are filled after the resume (restore/pages_post_copy.h), with --lazy as
// without; CKPT_MIGRATE_FILL_BEFORE_RESUME=1 fills them before it, inside the downtime (as
// before), for tools/bench to compare (not with --lazy).
bool fill_after_resume(bool lazy) {
  const char* env = std::getenv("CKPT_MIGRATE_FILL_BEFORE_RESUME");
  return lazy || !(env && std::string_view(env) == "1");
}

// While the container's memory is filled, it lives on this process: the OOM killer (which would
// pick it, holding the pre-copied pages) is asked to leave it alone.
void keep_from_the_oom_killer() {
  try {
    fs::write_file("/proc/self/oom_score_adj", "-1000");
  } catch (const Error& e) {  // without CAP_SYS_RESOURCE
    spdlog::debug("the fill after the resume may be chosen by the OOM killer: {}", e.what());
  }
}

// The container runs here: with --lazy, the pages still on the source come (up to kLazyEnd;
// `reader`); a channel that breaks before loses the container. The held pages go in
// meanwhile, and the source hears how far (kFilling each second) and when they are all in
// (kFilled); a channel that breaks then does not stop the fill. A fill that fails loses the
// container: there is nothing to go back to (the source is gone).
void finish_post_copy(restore::PostCopy& post_copy, FeedingReader* reader, Channel& channel,
                      const std::string& id) {
  auto start = std::chrono::steady_clock::now();
  keep_from_the_oom_killer();
  post_copy.start_filling();
  if (reader) {
    try {
      reader->expect(channel, FrameType::kLazyEnd);
    } catch (const Error& e) {
      kill_lost_container(id);
      fail("container {} is lost (killed): the source's channel broke before it sent every page "
           "the container had not got: {}",
           id, e.what());
    }
  }
  bool channel_up = true;
  auto tell = [&](FrameType type) {
    if (!channel_up) return;
    std::vector<std::byte> payload;
    put_u64(payload, post_copy.bytes_filled());
    if (type == FrameType::kFilled)
      put_u64(payload, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count()));
    try {
      channel.send(type, payload);
    } catch (const Error& e) {
      channel_up = false;
      spdlog::warn("the fill after the resume goes on without the source: {}", e.what());
    }
  };
  try {
    while (!post_copy.wait_filled(std::chrono::seconds(1))) tell(FrameType::kFilling);
  } catch (const Error& e) {
    kill_lost_container(id);
    fail("container {} is lost (killed): filling its memory after the resume failed, and the "
         "source is gone: {}",
         id, e.what());
  }
  spdlog::info("memory filled {:.2f} s after the resume ({} MiB of held pages in the background)",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
               post_copy.bytes_filled() >> 20);
  tell(FrameType::kFilled);
}

// kResumed's payload: whether the prebuilt groundwork was used, the time of each stage.
std::string restore_figures(const restore::RestoreReport& report) {
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [stage, seconds] : report.stage_seconds) stages[stage] = 1000 * seconds;
  nlohmann::ordered_json figures = {{"groundwork_prebuilt", report.groundwork_prebuilt},
                                    {"stage_ms", stages}};
  return figures.dump();
}

void receive(restore::RestoreOptions& options, Channel& channel, bool lazy) {
  channel.handshake();
  PageStore store;
  std::unique_ptr<restore::PostCopy> post_copy;  // serves the processes while it lives
  if (fill_after_resume(lazy)) {  // without --lazy, nothing is fetched: every page is here
    post_copy = std::make_unique<restore::PostCopy>(store, [&channel](uint64_t pid, uint64_t at) {
      std::vector<std::byte> payload;
      put_u64(payload, pid);
      put_u64(payload, at);
      try {
        channel.send(FrameType::kFetch, payload);
      } catch (const Error& e) {  // the main thread hears of it too
        spdlog::warn("post-copy: asking {} for page {:#x}: {}", channel.peer(), at, e.what());
      }
    });
    options.post_copy = post_copy.get();
  }
  UniqueFd image(::memfd_create("ckpt-migration-image", MFD_CLOEXEC));
  if (!image) throw_errno("memfd_create");
  options.input = "/proc/self/fd/" + std::to_string(image.get());
  options.held_pages = &store;
  options.migration = true;
  RootfsPrebuild rootfs;  // removed on any failure, as is
  std::unique_ptr<restore::Groundwork> groundwork;
  receive_state(channel, store, image.get(), options, groundwork, rootfs);
  options.prebuilt_rootfs = rootfs.prebuilt();
  std::unique_ptr<FeedingReader> reader;  // with --lazy: reads the channel from now on
  if (lazy) reader = std::make_unique<FeedingReader>(channel, *post_copy);
  options.before_resume = [&] {
    channel.send(FrameType::kRebuilt);
    if (reader)
      reader->expect(channel, FrameType::kCommit);  // fetched pages fed meanwhile
    else
      channel.expect(FrameType::kCommit);
  };
  auto report = restore::restore_container(options, std::move(groundwork));
  rootfs.release();  // the container's now
  std::string figures = restore_figures(report);
  channel.send(FrameType::kResumed, std::as_bytes(std::span(figures.data(), figures.size())));
  for (const auto& [stage, seconds] : report.stage_seconds)
    spdlog::info("restore stage {}: {:.1f} ms", stage, 1000 * seconds);
  if (post_copy)
    finish_post_copy(*post_copy, reader.get(), channel, report.id);
  else
    channel.send(FrameType::kFilled, std::vector<std::byte>(16));  // every page went in before
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
