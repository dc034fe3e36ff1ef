#include "common/cgroup/freezer.h"

#include <thread>

#include "common/cgroup/cgroup_file.h"
#include "common/error.h"
#include "common/fs.h"

namespace ckpt::cgroup {

namespace fsys = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string_view to_string(FreezerState state) {
  switch (state) {
    case FreezerState::kThawed:
      return "running";
    case FreezerState::kFreezing:
      return "freezing";
    case FreezerState::kFrozen:
      return "frozen";
  }
  return "unknown";
}

namespace {

// Polls `done` until true or `timeout`; returns whether it became true.
template <typename Pred>
bool wait_for(Pred done, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  while (!done()) {
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, milliseconds(10));
  }
  return true;
}

class V1Freezer : public Freezer {
 public:
  explicit V1Freezer(fsys::path dir) : dir_(std::move(dir)), state_(dir_ / "freezer.state") {}

  void freeze(milliseconds timeout) override {
    // Writing FROZEN again makes the kernel retry tasks that escaped the first pass (forked or
    // exec'ing at that moment), which otherwise leave the cgroup FREEZING.
    auto last_write = steady_clock::now() - milliseconds(100);
    auto frozen = [&] {
      if (state() == FreezerState::kFrozen) return true;
      if (steady_clock::now() - last_write >= milliseconds(20)) {
        state_.write("FROZEN");
        last_write = steady_clock::now();
      }
      return false;
    };
    if (wait_for(frozen, timeout)) return;
    thaw();
    fail("freezer {} stayed FREEZING for {} ms (a task in uninterruptible sleep?); thawed again",
         dir_.string(), timeout.count());
  }

  void thaw() override { state_.write("THAWED"); }

  FreezerState state() const override {
    auto s = state_.read();
    if (!s) fail("{} does not exist", state_.path().string());
    if (*s == "FROZEN") return FreezerState::kFrozen;
    if (*s == "FREEZING") return FreezerState::kFreezing;
    return FreezerState::kThawed;
  }

  bool is_v2() const override { return false; }
  const fsys::path& dir() const override { return dir_; }

 private:
  fsys::path dir_;
  CgroupFile state_;
};

class V2Freezer : public Freezer {
 public:
  explicit V2Freezer(fsys::path dir)
      : dir_(std::move(dir)), freeze_(dir_ / "cgroup.freeze"), events_(dir_ / "cgroup.events") {}

  void freeze(milliseconds timeout) override {
    freeze_.write("1");
    if (wait_for([&] { return frozen_event(); }, timeout)) return;
    thaw();
    fail("cgroup {} did not report frozen within {} ms; thawed again", dir_.string(),
         timeout.count());
  }

  void thaw() override { freeze_.write("0"); }

  FreezerState state() const override {
    auto requested = freeze_.read();
    if (!requested) fail("{} does not exist", freeze_.path().string());
    if (*requested != "1") return FreezerState::kThawed;
    return frozen_event() ? FreezerState::kFrozen : FreezerState::kFreezing;
  }

  bool is_v2() const override { return true; }
  const fsys::path& dir() const override { return dir_; }

 private:
  // "frozen 1" in cgroup.events.
  bool frozen_event() const {
    auto text = fs::try_read_file(events_.path());
    return text && text->find("frozen 1") != std::string::npos;
  }

  fsys::path dir_;
  CgroupFile freeze_;
  CgroupFile events_;
};

}  // namespace

std::unique_ptr<Freezer> make_v1_freezer(fsys::path dir) {
  return std::make_unique<V1Freezer>(std::move(dir));
}

std::unique_ptr<Freezer> make_v2_freezer(fsys::path dir) {
  return std::make_unique<V2Freezer>(std::move(dir));
}

std::unique_ptr<Freezer> container_freezer(const ContainerCgroup& cgroup) {
  const auto& h = cgroup.hierarchies();
  if (const Hierarchy* v1 = h.find("freezer"); v1 && !v1->v2)
    return make_v1_freezer(cgroup.dir(*v1));
  if (h.v2) return make_v2_freezer(cgroup.dir(*h.v2));
  fail("no freezer: neither a v1 freezer hierarchy nor cgroup2 is mounted");
}

FreezeGuard::FreezeGuard(Freezer& freezer, bool keep_frozen)
    : freezer_(freezer), keep_frozen_(keep_frozen) {
  freezer_.freeze();
}

FreezeGuard::~FreezeGuard() {
  if (!active_) return;
  try {
    end();
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", keep_frozen_ ? "freezing" : "thawing",
                  freezer_.dir().string(), e.what());
  }
}

void FreezeGuard::thaw() {
  if (!active_) return;
  active_ = keep_frozen_;
  freezer_.thaw();
}

void FreezeGuard::refreeze() {
  freezer_.freeze();
  active_ = true;
}

void FreezeGuard::end() {
  if (!active_) return;
  active_ = false;
  keep_frozen_ ? freezer_.freeze() : freezer_.thaw();
}

}  // namespace ckpt::cgroup
