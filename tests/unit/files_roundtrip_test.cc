// Dump and restore of the files of real processes: a workload and its child set up pipes, a
// shared-offset file, a deleted file, devices, an eventfd, a FIFO and a directory, then stop.
// Their files are collected, opened again in a new pair of processes, installed, and collected
// once more: both collections must describe the same files.
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "ckpt/files.h"
#include "ckpt/files_collect.h"
#include "ckpt/pipes.h"
#include "common/fs.h"
#include "common/image/image.h"
#include "restore/files.h"
#include "tests/unit/files_test_support.h"

namespace {

using ckpt::records::FileKind;
using ckpt::records::FilesState;

constexpr int kReportFd = 100;  // how test processes tell the test a pid; kept by install_fds

void place(int fd, int target) {
  if (fd != target) {
    dup2(fd, target);
    close(fd);
  }
}

void write_text(int fd, const std::string& text) {
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(90);
}

// A full 1 MiB pipe (fds 22, 23), an eventfd above 2^32 (24), an O_PATH fd (25).
void set_up_edge_cases(const std::string& dir) {
  int ends[2];
  if (pipe2(ends, O_NONBLOCK) != 0) _exit(93);
  place(ends[0], 22);
  place(ends[1], 23);
  if (fcntl(23, F_SETPIPE_SZ, 1 << 20) != 1 << 20) _exit(94);
  std::string block(4096, 'x');
  for (int i = 0; i < 256; ++i) {
    block[0] = static_cast<char>('a' + i % 26);
    write_text(23, block);
  }
  place(eventfd(0, 0), 24);
  uint64_t count = (1ull << 40) + 5;
  if (write(24, &count, sizeof count) != sizeof count) _exit(95);
  place(open((dir + "/shared").c_str(), O_PATH), 25);
}

// In the workload process: its fds 0-25 as the test expects them.
void set_up_workload_fds(const std::string& dir) {
  close_range(3, kReportFd - 1, 0);
  close_range(kReportFd + 1, ~0u, 0);
  place(open("/dev/null", O_RDONLY), 0);
  place(open((dir + "/console").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644), 1);
  dup2(1, 2);
  int ends[2];
  if (pipe(ends) != 0) _exit(91);
  place(ends[0], 10);
  place(ends[1], 11);
  fcntl(11, F_SETFD, FD_CLOEXEC);
  write_text(11, "token-123");
  place(open((dir + "/shared").c_str(), O_RDWR | O_CREAT, 0644), 12);
  write_text(12, "0123456789");
  lseek(12, 4, SEEK_SET);
  dup2(12, 13);
  place(open((dir + "/deleted").c_str(), O_RDWR | O_CREAT, 0640), 14);
  write_text(14, "deleted contents");
  lseek(14, 3, SEEK_SET);
  unlink((dir + "/deleted").c_str());
  place(open("/dev/zero", O_RDONLY), 15);
  place(eventfd(7, EFD_NONBLOCK | EFD_SEMAPHORE), 16);
  place(open((dir + "/log").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600), 17);
  mkfifo((dir + "/fifo").c_str(), 0600);
  place(open((dir + "/fifo").c_str(), O_RDWR | O_NONBLOCK), 18);
  write_text(18, "fifo-data");
  place(open((dir + "/fifo").c_str(), O_RDONLY | O_NONBLOCK), 19);
  place(open(dir.c_str(), O_RDONLY | O_DIRECTORY), 20);
  set_up_edge_cases(dir);
}

// Forks a child that shares everything, drops fd 13 and opens `shared` again at fd 21.
// Both report the child's pid on kReportFd, close it and stop.
void fork_child_and_stop(const std::string& dir) {
  pid_t child = fork();
  if (child == 0) {
    close(13);
    place(open((dir + "/shared").c_str(), O_RDONLY), 21);
    close(kReportFd);
    raise(SIGSTOP);
    pause();
    _exit(0);
  }
  write_text(kReportFd, std::to_string(child) + "\n");
  close(kReportFd);
  raise(SIGSTOP);
  pause();
  _exit(0);
}

struct ProcessPair {
  pid_t parent = -1;
  pid_t child = -1;
  ~ProcessPair() {
    if (child > 0) kill(child, SIGKILL);
    if (parent > 0) {
      kill(parent, SIGKILL);
      waitpid(parent, nullptr, 0);
    }
  }
};

// Runs `body` in a forked process whose fd kReportFd is a pipe to us; fills the pair from the
// child's report and waits until both are stopped.
template <typename Body>
void start_pair(ProcessPair& pair, Body body) {
  int report[2];
  REQUIRE(pipe(report) == 0);
  pair.parent = fork();
  REQUIRE(pair.parent >= 0);
  if (pair.parent == 0) {
    close(report[0]);
    place(report[1], kReportFd);
    body();
    _exit(0);
  }
  close(report[1]);
  std::string text;
  char c;
  while (read(report[0], &c, 1) == 1 && c != '\n') text += c;
  close(report[0]);
  INFO("report: " << text);
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.find_first_not_of("0123456789") == std::string::npos);
  pair.child = std::stoi(text);
  for (int i = 0; i < 500 && !(files_test::stopped(pair.parent) && files_test::stopped(pair.child));
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(files_test::stopped(pair.parent));
  REQUIRE(files_test::stopped(pair.child));
}

// The workload pair: set_up_workload_fds, then `extra` in the parent, then the child forked.
void start_workload(ProcessPair& pair, const std::string& dir,
                    const std::function<void()>& extra = {}) {
  start_pair(pair, [&] {
    set_up_workload_fds(dir);
    if (extra) extra();
    fork_child_and_stop(dir);
  });
}

ckpt::dump::CollectedFiles collect(const ProcessPair& pair, const std::string& console) {
  ckpt::dump::FilesContext context{{pair.parent, pair.child}, console, {}, std::nullopt};
  return ckpt::dump::collect_files(context);
}

// Writes the files of the pair into an image at `path` (dump_files, as `ckpt dump` does).
void dump_to_image(const ProcessPair& pair, const std::string& console, const std::string& path) {
  ckpt::image::ImageWriter image(path, ckpt::image::make_header("files-test"));
  ckpt::dump::dump_files({{pair.parent, pair.child}, console, {}, std::nullopt}, image);
  image.finish();
}

std::unique_ptr<ckpt::restore::OpenedFiles> open_from_image(
    const std::string& path, const ckpt::restore::FilesRestoreContext& context) {
  ckpt::image::ImageReader image(path);  // closed before install_fds reuses fd numbers
  return ckpt::restore::open_files(image, context);
}

// In a fresh process: opens everything, forks the child, installs each side's fds, stops.
void restore_pair(const std::string& image, const FilesState& state, const std::string& console) {
  ckpt::restore::FilesRestoreContext context;
  context.console_path = console;
  context.keep_fds = {kReportFd};
  std::unique_ptr<ckpt::restore::OpenedFiles> opened;
  try {
    opened = open_from_image(image, context);
  } catch (const std::exception& e) {
    write_text(kReportFd, std::string("error ") + e.what());
    _exit(1);
  }
  pid_t child = fork();
  pid_t ns_pid = child == 0 ? state.processes[1].ns_pid : state.processes[0].ns_pid;
  try {
    opened->install_fds(ns_pid);
  } catch (const std::exception& e) {
    write_text(kReportFd, std::string("error ") + e.what());
    _exit(1);
  }
  if (child != 0) write_text(kReportFd, std::to_string(child) + "\n");
  close(kReportFd);
  raise(SIGSTOP);
  pause();
  _exit(0);
}

// A description as a user sees it, without ids that differ between dump and restore.
std::string describe(const ckpt::records::FileDescription& d, const FilesState& state) {
  std::string text = fmt::format("kind {} flags 0{:o} pos {} mode 0{:o} deleted {} count {} sem {}",
                                 static_cast<int>(d.kind), d.flags, d.pos, d.mode, d.deleted,
                                 d.eventfd_count, d.eventfd_semaphore);
  if (d.kind != FileKind::kConsole && d.kind != FileKind::kPipe) text += " path " + d.path;
  for (const auto& pipe : state.pipes) {
    if (pipe.id == d.pipe_id)
      text += fmt::format(" pipe capacity {} holding {}", pipe.capacity, pipe.data_size);
  }
  return text;
}

// Per process, per fd: cloexec, the description, and which earlier fd (if any) shares it.
std::vector<std::string> fd_tables(const FilesState& state) {
  std::vector<std::string> lines;
  std::map<uint64_t, std::string> first_fd;
  for (size_t p = 0; p < state.processes.size(); ++p) {
    for (const auto& entry : state.processes[p].fds) {
      const auto& d = state.descriptions.at(entry.description - 1);
      std::string where = fmt::format("process {} fd {}", p, entry.fd);
      auto [it, added] = first_fd.try_emplace(entry.description, where);
      lines.push_back(fmt::format("{} cloexec {} {}{}", where, entry.cloexec, describe(d, state),
                                  added ? "" : " same as " + it->second));
    }
  }
  return lines;
}

}  // namespace

std::string link_of(pid_t pid, int fd) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/fd/" +
                                       std::to_string(fd));
}

std::vector<std::string> pipe_contents(const ckpt::dump::CollectedFiles& collected) {
  std::vector<std::string> contents;
  for (const auto& [id, data] : collected.pipe_data) contents.push_back(data);
  std::sort(contents.begin(), contents.end());
  return contents;
}

TEST_CASE("files of two stopped processes come back the same in two new processes", "[root]") {
  if (files_test::skip_unless_root()) return;
  files_test::TempDir dir("ckpt-files-test");
  ProcessPair original;
  start_workload(original, dir.path);
  auto collected = collect(original, dir.path + "/console");
  auto pipes = pipe_contents(collected);
  REQUIRE(pipes.size() == 3);
  CHECK(pipes[0].size() == 1 << 20);
  CHECK(pipes[1] == "fifo-data");
  CHECK(pipes[2] == "token-123");
  CHECK(ckpt::dump::peek_pipe(original.parent, 10, false).data == "token-123");  // not consumed

  std::string new_console = dir.path + "/console2";
  ckpt::fs::write_file_atomic(new_console, "", 0644);
  std::string image = dir.path + "/image.ckpt";
  dump_to_image(original, dir.path + "/console", image);
  ProcessPair restored;
  start_pair(restored, [&] { restore_pair(image, collected.state, new_console); });
  auto again = collect(restored, new_console);

  auto before = fd_tables(collected.state);
  auto after = fd_tables(again.state);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == before[i]);
  CHECK(pipe_contents(again) == pipe_contents(collected));
  CHECK(link_of(restored.parent, 14) == dir.path + "/deleted (deleted)");
  CHECK(ckpt::fs::read_file("/proc/" + std::to_string(restored.parent) + "/fd/14") ==
        "deleted contents");
  CHECK(link_of(restored.parent, 1) == new_console);
  CHECK_FALSE(std::filesystem::exists(dir.path + "/deleted"));
}

TEST_CASE("an unsupported fd fails the collection and leaves the process as it was", "[root]") {
  if (files_test::skip_unless_root()) return;
  files_test::TempDir dir("ckpt-files-test");
  ProcessPair original;
  start_workload(original, dir.path, [] {
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);  // a kind ckpt does not dump
    if (raw < 0) _exit(92);
    place(raw, 30);
  });
  std::string expected = fmt::format("pid {} fd 30: unsupported file type {}", original.parent,
                                     link_of(original.parent, 30));
  std::string image = dir.path + "/image.ckpt";
  CHECK_THROWS_WITH(dump_to_image(original, dir.path + "/console", image), expected);
  CHECK_FALSE(std::filesystem::exists(image));
  CHECK(ckpt::dump::peek_pipe(original.parent, 10, false).data == "token-123");
}

TEST_CASE("a file that no longer exists fails the restore naming it", "[root]") {
  if (files_test::skip_unless_root()) return;
  files_test::TempDir dir("ckpt-files-test");
  ProcessPair original;
  start_workload(original, dir.path);
  std::string image = dir.path + "/image.ckpt";
  dump_to_image(original, dir.path + "/console", image);
  std::filesystem::remove(dir.path + "/log");
  ckpt::restore::FilesRestoreContext context;
  context.console_path = dir.path + "/console";
  CHECK_THROWS_WITH(open_from_image(image, context),
                    "restore files: " + dir.path + "/log no longer exists");
}
