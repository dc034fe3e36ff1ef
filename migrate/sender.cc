#include "migrate/sender.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "ckpt/pages_deferred.h"
#include "ckpt/dump.h"
#include "ckpt/groundwork.h"
#include "common/cancel.h"
#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/hierarchy.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/image/archive.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "migrate/image_stream.h"
#include "migrate/rootfs_prebuild.h"

namespace ckpt::migrate {
namespace {

using Clock = std::chrono::steady_clock;
using proc::kPageSize;

constexpr uint64_t kFrameBytes = 4u << 20;  // pages or image bytes per frame

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double mib(double bytes) {
  return bytes / (1 << 20);
}

// Sends pages and measures the link while doing it.
class PageSender {
 public:
  explicit PageSender(Channel& channel) : channel_(channel) {}

  void send(pid_t pid, const dump::PageCopy& extent) {
    throw_if_cancelled();
    auto start = Clock::now();
    const auto* data = reinterpret_cast<const std::byte*>(extent.data);
    for (uint64_t done = 0; done < extent.pages * kPageSize; done += kFrameBytes) {
      uint64_t size = std::min(kFrameBytes, extent.pages * kPageSize - done);
      std::vector<std::byte> head;
      put_u64(head, static_cast<uint64_t>(pid));
      put_u64(head, extent.address + done);
      put_u64(head, size / kPageSize);
      channel_.send(FrameType::kPages, head, std::span(data + done, size));
      bytes_ += size;
    }
    seconds_ += seconds_since(start);
  }
  // Bytes per second measured so far (0 before anything was sent).
  double link_rate() const { return seconds_ > 0 ? bytes_ / seconds_ : 0; }
  uint64_t bytes() const { return bytes_; }

 private:
  Channel& channel_;
  uint64_t bytes_ = 0;
  double seconds_ = 0;
};

void end_round(Channel& channel, int round) {
  std::vector<std::byte> payload;
  put_u64(payload, static_cast<uint64_t>(round));
  channel.send(FrameType::kRoundEnd, payload);
}

void print_round(const RoundFigures& r, double dirty_rate, double link_rate, double est_ms) {
  std::fprintf(stderr,
               "round %d: %.1f MiB in %.2f s, dirty %.1f MiB/s, link %.0f MiB/s, est. downtime "
               "%.0f ms\n",
               r.round, mib(static_cast<double>(r.bytes)), r.seconds, mib(dirty_rate),
               mib(link_rate), est_ms);
}

// The target's answers to kPrebuild (kPrebuilt, with how long its groundwork took) and, with
// the rootfs sent, to kRootfsEnd (kRootfsBuilt, how long its unpack took), or kFailed, thrown
// with its message (or the end of the channel). Taken between rounds once there (a failed target
// stops the rounds), waited for before the freeze.
class PrebuiltAnswers {
 public:
  PrebuiltAnswers(Channel& channel, bool rootfs) : channel_(channel) {
    if (rootfs) pending_.push_back(FrameType::kRootfsBuilt);
  }
  void take_if_there() {
    while (!pending_.empty() && channel_.readable()) take();
  }
  void wait() {
    while (!pending_.empty()) take();
  }
  double groundwork_ms = 0, rootfs_ms = 0;

 private:
  void take() {
    FrameType type = pending_.front();
    pending_.erase(pending_.begin());
    try {
      Frame frame = channel_.expect(type);
      double ms = static_cast<double>(get_u64(frame.payload, 0)) / 1000;
      (type == FrameType::kPrebuilt ? groundwork_ms : rootfs_ms) = ms;
      spdlog::info("the target prebuilt the {} in {:.1f} ms",
                   type == FrameType::kPrebuilt ? "cgroups and network" : "rootfs", ms);
    } catch (const Error&) {
      pending_.clear();  // once: a kFailed is not read over by the end after it
      throw;
    }
  }
  Channel& channel_;
  std::vector<FrameType> pending_{FrameType::kPrebuilt};
};

// The pre-copy rounds, the container running; `pages` tracks its writes from the first one on.
// `link_rate`: the rate the pages went at.
std::vector<RoundFigures> precopy_rounds(const MigrateOptions& options, dump::DeferredPages& pages,
                                         Channel& channel, PrebuiltAnswers& prebuilt,
                                         Clock::time_point start, double& link_rate) {
  PageSender sender(channel);
  auto send = [&](pid_t pid, const dump::PageCopy& e) { sender.send(pid, e); };
  std::vector<RoundFigures> rounds;
  pages.for_each_copied(send);  // the first round copied everything already
  end_round(channel, 1);
  prebuilt.take_if_there();
  rounds.push_back({1, sender.bytes(), seconds_since(start)});
  if (options.progress) print_round(rounds.back(), 0, sender.link_rate(), 0);
  for (int round = 2; round <= options.max_rounds; ++round) {
    auto round_start = Clock::now();
    uint64_t before = sender.bytes();
    pages.recopy_written(send);
    end_round(channel, round);
    prebuilt.take_if_there();
    RoundFigures figures{round, sender.bytes() - before, seconds_since(round_start)};
    RoundFigures previous = rounds.back();
    rounds.push_back(figures);
    // What the next round (or the final one) sends is about what this one did, or less.
    double rate = sender.link_rate();
    double est_ms = rate > 0 ? 1000.0 * static_cast<double>(figures.bytes) / rate : 0;
    double dirty_rate = static_cast<double>(figures.bytes) / std::max(previous.seconds, 1e-6);
    if (options.progress) print_round(figures, dirty_rate, rate, est_ms);
    if (est_ms <= options.max_downtime_ms) break;
    if (round > 2 && figures.bytes >= previous.bytes) break;  // no longer shrinking
  }
  link_rate = sender.link_rate();
  return rounds;
}

// The final image is compressed in the freeze, its stream sent as it is written: on a link
// faster than zstd level 1 compresses (~400 MiB/s on one CPU here, about what the rounds
// measure between two processes on one host) the frozen container would wait for the
// compression rather than for the link, so the image is stored; on a slower one (or with no
// round to measure it: pure post-copy) it is compressed. The rounds' rate is a lower bound of
// the link's (their pages go raw, and the sending is all that is timed).
constexpr double kStoreFinalImageAbove = 400.0 * (1 << 20);

int final_image_level(int asked, double link_rate) {
  if (asked >= 0) return asked;
  return link_rate >= kStoreFinalImageAbove ? 0 : 1;
}

void send_runs(Channel& channel, FrameType type, pid_t pid,
               const std::vector<records::PageRun>& runs) {
  if (runs.empty()) return;
  std::vector<std::byte> payload;
  put_u64(payload, static_cast<uint64_t>(pid));
  for (const auto& run : runs) {
    put_u64(payload, run.start);
    put_u64(payload, run.pages);
  }
  channel.send(type, payload);
}

// For each process, the pre-copied pages the target holds current (kKeep) and, with --lazy,
// those it gets after the resume (kLazy).
void send_keeps(Channel& channel, const dump::DeferredPages& pages) {
  for (pid_t pid : pages.pids_taken()) {
    send_runs(channel, FrameType::kKeep, pid, pages.kept(pid));
    std::vector<records::PageRun> lazy;
    for (const auto& e : pages.post_copied(pid)) lazy.push_back({e.address, e.pages});
    send_runs(channel, FrameType::kLazy, pid, lazy);
  }
}

// Which post-copied pages went already: each goes once, fetched or streamed.
struct PostCopySent {
  std::set<std::pair<pid_t, uint64_t>> fetched;  // (pid, address): the stream skips them
  std::map<pid_t, uint64_t> streamed_to;         // by pid: the stream sent what lies below
  bool streamed(pid_t pid, uint64_t address) const {
    auto it = streamed_to.find(pid);
    return it != streamed_to.end() && address < it->second;
  }
};

// A kFetch answered: the page asked for, from the final round's copies.
void answer_fetch(Channel& channel, const dump::DeferredPages& pages,
                  std::span<const std::byte> payload, PostCopySent& sent) {
  auto pid = static_cast<pid_t>(get_u64(payload, 0));
  uint64_t address = get_u64(payload, 8);
  auto page = pages.post_copied_at(pid, address, 1);
  if (page.pages == 0)
    fail("{} asked for page {:#x} of process {}, which is not post-copied", channel.peer(),
         address, pid);
  if (sent.streamed(pid, address)) return;  // on its way
  if (sent.fetched.insert({pid, address}).second) PageSender(channel).send(pid, page);
}

// The next frame but kFetch ones (answered meanwhile), which must be of `type`.
Frame expect_answering(Channel& channel, FrameType type, const dump::DeferredPages& pages,
                       PostCopySent& sent) {
  for (;;) {
    Frame frame = channel.receive();
    if (frame.type != FrameType::kFetch) return channel.expect(frame, type);
    answer_fetch(channel, pages, frame.payload, sent);
  }
}

// `piece` (post-copied pages of `pid`) but the pages the target fetched already.
void send_unfetched(PageSender& sender, const dump::DeferredPages& pages, pid_t pid,
                    const dump::PageCopy& piece, PostCopySent& sent) {
  uint64_t at = piece.address, end = piece.address + piece.pages * kPageSize;
  auto send_to = [&](uint64_t stop) {
    if (stop > at) sender.send(pid, pages.post_copied_at(pid, at, (stop - at) / kPageSize));
  };
  for (auto it = sent.fetched.lower_bound({pid, at});
       it != sent.fetched.end() && it->first == pid && it->second < end; ++it) {
    send_to(it->second);
    at = it->second + kPageSize;
  }
  send_to(end);
  sent.streamed_to[pid] = end;
}

// The target's word that every page is in (kFilling each second before; with --lazy its
// fetches, answered by then), counted from `resumed`. Without --lazy (`pages_all_there`) the
// target fills the held pages from its own memory: a channel that breaks meanwhile does not
// stop that, only its end goes unheard; a target that says its fill failed (the container is
// lost there) is an error either way.
void await_filled(Channel& channel, Clock::time_point resumed, MigrationReport& report,
                  bool pages_all_there) {
  for (;;) {
    std::optional<Frame> frame;
    try {
      frame = channel.receive();
    } catch (const Error& e) {
      if (!pages_all_there) throw;
      spdlog::warn("the target fills the container's memory from its own (every page is there), "
                   "but its end was not heard: {}",
                   e.what());
      return;
    }
    if (frame->type == FrameType::kFilled) {
      report.filled_after_resume_bytes = get_u64(frame->payload, 0);
      report.fill_after_resume_ms = get_u64(frame->payload, 8) / 1000.0;
      break;
    }
    if (frame->type != FrameType::kFilling && frame->type != FrameType::kFetch)
      channel.expect(*frame, FrameType::kFilled);  // throws
  }
  report.post_copy_seconds = seconds_since(resumed);
}

// --lazy, the container running on the target: every post-copied page it did not fetch yet
// goes, its fetches answered between frames (each page is sent once); then the target's word
// that every page is in.
void post_copy(Channel& channel, const dump::DeferredPages& pages, PostCopySent& sent,
               Clock::time_point resumed, MigrationReport& report) {
  PageSender sender(channel);
  for (pid_t pid : pages.pids_taken())
    for (const auto& extent : pages.post_copied(pid)) {
      for (uint64_t done = 0; done < extent.pages;) {
        while (channel.readable())
          answer_fetch(channel, pages, channel.expect(FrameType::kFetch).payload, sent);
        auto piece = pages.post_copied_at(pid, extent.address + done * kPageSize,
                                          kFrameBytes / kPageSize);
        send_unfetched(sender, pages, pid, piece, sent);
        done += piece.pages;
      }
    }
  channel.send(FrameType::kLazyEnd);
  report.post_copied_bytes = sender.bytes() + sent.fetched.size() * kPageSize;
  await_filled(channel, resumed, report, /*pages_all_there=*/false);
}

ContainerState running_container(const std::string& id) {
  auto state = ContainerState::load(id);
  if (!state.init_alive())
    fail("container {} is not running (init pid {} is gone)", id, state.init_pid);
  return state;
}

// What the target's groundwork is made from (its cgroups and network), read while the
// container runs: the target makes it while the rounds run.
void send_groundwork(Channel& channel, const ContainerState& state) {
  std::string bytes = image::to_bytes(dump::read_groundwork_records(state));
  channel.send(FrameType::kPrebuild, std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// With --with-rootfs, whether the rootfs goes while the container runs (migrate/rootfs_prebuild.h);
// CKPT_MIGRATE_ROOTFS_PREBUILD=0 leaves all of it to the final image, for tools/bench to compare.
bool prebuild_rootfs(const MigrateOptions& options) {
  const char* env = std::getenv("CKPT_MIGRATE_ROOTFS_PREBUILD");
  return options.with_rootfs && !(env && std::string_view(env) == "0");
}

std::vector<pid_t> container_pids(const ContainerState& state) {
  const auto& id = state.id;
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists()) fail("container {} has no cgroup {}", id, state.cgroup_path);
  auto pids = cgroup.all_procs();
  if (!dump::DeferredPages::fits_in_memory(pids))
    fail("container {}: its memory does not fit twice in this host's available memory, which "
         "the pre-copy needs",
         id);
  return pids;
}

// The dump's stages inside the downtime: from the freeze to the final image written.
std::vector<std::pair<std::string, double>> frozen_stages(const dump::DumpReport& dumped) {
  std::vector<std::pair<std::string, double>> stages;
  bool frozen = false;
  for (const auto& [name, seconds] : dumped.stage_seconds) {
    frozen = frozen || name == dump::stage_name(dump::Stage::kFreeze);
    if (name == dump::stage_name(dump::Stage::kKill)) break;  // the handover's wait, and after
    if (frozen) stages.emplace_back(name, seconds);
  }
  return stages;
}

void migrate(const MigrateOptions& options, Channel& channel, MigrationReport& report,
             const std::function<void()>& on_resumed) {
  auto start = Clock::now();
  channel.handshake();
  auto state = running_container(options.container_id);
  send_groundwork(channel, state);
  PrebuiltAnswers prebuilt(channel, prebuild_rootfs(options));
  auto hearing_target = [&](auto step) {
    try {
      return step();
    } catch (const Error&) {
      prebuilt.take_if_there();  // a target whose prebuild failed: its message instead
      throw;
    }
  };
  std::optional<SentRootfs> rootfs;
  if (prebuild_rootfs(options))
    rootfs = hearing_target([&] { return send_rootfs(channel, state.init_pid); });
  auto pids = container_pids(state);
  dump::DeferredPages pages(pids, /*precopy=*/true);  // round 1's copy; tracking from here on
  if (options.max_rounds > 0)  // else pure post-copy: every page goes after the resume
    report.rounds =
        hearing_target([&] {
          return precopy_rounds(options, pages, channel, prebuilt, start, report.link_rate);
        });
  prebuilt.wait();  // before the freeze: it is not in the downtime
  report.target_prebuild_ms = prebuilt.groundwork_ms;
  if (rootfs) {
    report.rootfs_prebuild.bytes = rootfs->bytes;
    report.rootfs_prebuild.entries = rootfs->entries;
    report.rootfs_prebuild.send_ms = 1000 * rootfs->seconds;
    report.rootfs_prebuild.target_ms = prebuilt.rootfs_ms;
  }
  pages.leave_unchanged_out();
  if (options.lazy && options.max_rounds == 0)
    pages.post_copy_all();
  else if (options.lazy)
    pages.post_copy_changed();

  uint64_t before_final = channel.bytes_sent();
  ImageStream image(channel);  // sent while it is written
  dump::DumpOptions dump;
  dump.container_id = options.container_id;
  dump.output = image.output();
  dump.tcp_established = options.tcp_established;
  dump.with_rootfs = options.with_rootfs;
  dump.rootfs_held = rootfs ? &rootfs->stamps : nullptr;
  report.final_zstd_level = final_image_level(options.zstd_level, report.link_rate);
  dump.zstd_level = report.final_zstd_level;
  dump.sign_key = options.sign_key;
  dump.precopied = &pages;
  dump.audit = false;  // the target does not check: not worth its time in the freeze
  auto frozen = Clock::now(), resumed_at = frozen;
  PostCopySent sent;
  dump.on_frozen = [&frozen] { frozen = Clock::now(); };
  dump.handover = [&] {
    image.finish();
    send_keeps(channel, pages);
    channel.send(FrameType::kStateEnd);
    report.final_bytes = channel.bytes_sent() - before_final;
    report.final_sent_ms = 1000 * seconds_since(frozen);
    spdlog::info("final round: {:.1f} MiB in {:.0f} ms; waiting for the target", mib(report.final_bytes),
                 report.final_sent_ms);
    auto sent_at = Clock::now();
    expect_answering(channel, FrameType::kRebuilt, pages, sent);
    report.rebuilt_wait_ms = 1000 * seconds_since(sent_at);
    auto commit_at = Clock::now();
    channel.send(FrameType::kCommit);
    Frame resumed = expect_answering(channel, FrameType::kResumed, pages, sent);
    report.resumed_wait_ms = 1000 * seconds_since(commit_at);
    report.target_restore.assign(reinterpret_cast<const char*>(resumed.payload.data()),
                                 resumed.payload.size());
    resumed_at = Clock::now();
    report.downtime_ms = std::chrono::duration<double, std::milli>(resumed_at - frozen).count();
    report.resumed = true;
  };
  // The dump kills the processes once the target runs them; what is left goes too, under the
  // dump's marks, so that a kill -9 of the migration then leaves nothing frozen for good.
  dump.after_kill = on_resumed;
  report.source_stage_seconds = frozen_stages(dump::dump_container(dump));
  if (options.lazy)
    post_copy(channel, pages, sent, resumed_at, report);
  else
    await_filled(channel, resumed_at, report, /*pages_all_there=*/true);
  report.total_seconds = seconds_since(start);
  report.bytes_sent = channel.bytes_sent();
}

}  // namespace

void migrate_container(const MigrateOptions& options, Channel& channel, MigrationReport& report,
                       const std::function<void()>& on_resumed) {
  CancelOnSignals cancel_on_signals;  // the rounds stop at the next batch; tracking is undone
  try {
    migrate(options, channel, report, on_resumed);
  } catch (const Error&) {
    if (report.resumed) throw;  // nothing to abort: the container runs there
    try {
      channel.send(FrameType::kAbort);  // the target removes what it made (or is gone already)
    } catch (const Error&) {
    }
    throw;
  }
}

}  // namespace ckpt::migrate
