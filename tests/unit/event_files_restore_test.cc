// EventFiles::open on records made by hand: timerfds armed with their time left and pending
// expirations, signalfd masks, inotify watches with their wd numbers, which /proc paths wait
// for their process.
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "common/fs.h"
#include "common/proc/fdinfo_events.h"
#include "restore/event_files.h"

using namespace ckpt;
using records::FileKind;

namespace {

records::FileDescription description(uint64_t id, FileKind kind, uint32_t flags = 02) {
  records::FileDescription d;
  d.id = id;
  d.kind = kind;
  d.flags = flags;
  return d;
}

std::string fdinfo(int fd) {
  return fs::read_file("/proc/self/fdinfo/" + std::to_string(fd));
}

}  // namespace

TEST_CASE("a timerfd comes back with its time left, interval and pending expirations") {
  records::EventFilesState state;
  state.timerfds.push_back({1, CLOCK_MONOTONIC, 0, 5'000'000'000, 1'000'000'000, 3, 0});
  records::FilesState files;
  files.descriptions.push_back(description(1, FileKind::kTimerfd, 04002));
  restore::EventFiles events(files, state);
  UniqueFd fd = events.open(files.descriptions[0]);
  itimerspec left{};
  REQUIRE(timerfd_gettime(fd.get(), &left) == 0);
  CHECK(left.it_value.tv_sec >= 4);
  CHECK(left.it_value.tv_sec <= 5);
  CHECK(left.it_interval.tv_sec == 1);
  uint64_t ticks = 0;
  REQUIRE(read(fd.get(), &ticks, sizeof ticks) == sizeof ticks);
  CHECK(ticks == 3);
  CHECK((fcntl(fd.get(), F_GETFL) & O_NONBLOCK) != 0);
}

TEST_CASE("a signalfd keeps its mask") {
  records::EventFilesState state;
  state.signalfds.push_back({2, (1u << (SIGUSR1 - 1)) | (1u << (SIGHUP - 1))});
  records::FilesState files;
  files.descriptions.push_back(description(2, FileKind::kSignalfd));
  UniqueFd fd = restore::EventFiles(files, state).open(files.descriptions[0]);
  CHECK(proc::parse_signalfd_mask(fdinfo(fd.get())) == state.signalfds[0].mask);
}

TEST_CASE("inotify watches get their wd numbers and leave no IN_IGNORED behind") {
  auto dir = std::filesystem::temp_directory_path() / ("ckpt-inotify-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "sub");
  records::EventFilesState state;
  state.inotifies.push_back(
      {3, {{2, IN_CREATE, dir.string()}, {5, IN_DELETE, (dir / "sub").string()}}});
  records::FilesState files;
  files.descriptions.push_back(description(3, FileKind::kInotify, 04000));
  UniqueFd fd = restore::EventFiles(files, state).open(files.descriptions[0]);
  auto marks = proc::parse_inotify_marks(fdinfo(fd.get()));
  std::vector<std::pair<int, uint32_t>> got;
  for (const auto& m : marks) got.emplace_back(m.wd, m.mask);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::pair<int, uint32_t>>{{2, IN_CREATE}, {5, IN_DELETE}});
  char buffer[1024];
  CHECK(read(fd.get(), buffer, sizeof buffer) < 0);
  CHECK(errno == EAGAIN);
  std::filesystem::remove_all(dir);
}

TEST_CASE("only /proc/<pid>/... files wait for the process that holds them") {
  CHECK(restore::is_pid_proc_path("/proc/7/status"));
  CHECK(restore::is_pid_proc_path("/proc/12"));
  CHECK_FALSE(restore::is_pid_proc_path("/proc/meminfo"));
  CHECK_FALSE(restore::is_pid_proc_path("/proc/"));
  CHECK_FALSE(restore::is_pid_proc_path("/sys/kernel/mm"));
  records::FilesState files;
  files.descriptions.push_back(description(4, FileKind::kProcFile, 0));
  files.descriptions[0].path = "/proc/999999/status";
  CHECK_FALSE(restore::EventFiles(files, {}).open(files.descriptions[0]));
  files.descriptions[0].path = "/proc/self/status";
  files.descriptions[0].pos = 4;
  UniqueFd fd = restore::EventFiles(files, {}).open(files.descriptions[0]);
  REQUIRE(fd);
  CHECK(lseek(fd.get(), 0, SEEK_CUR) == 4);
}
