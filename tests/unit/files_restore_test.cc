// open_files_from on records made by hand: what it refuses, and deleted files whose name has
// been taken again. Runs in the test process (no install_fds here: that closes every fd).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "restore/files_open.h"
#include "tests/unit/files_test_support.h"

namespace {

using ckpt::records::FileDescription;
using ckpt::records::FileKind;
using ckpt::records::FilesState;

// One process (ns pid 1) with one fd 3 on `d`.
FilesState one_fd(FileDescription d) {
  FilesState state;
  d.id = 1;
  state.descriptions.push_back(d);
  state.processes.push_back({1000, 1, {{3, 1, false}}});
  return state;
}

ckpt::restore::ReadFileData no_data = [](uint64_t id, const ckpt::restore::DataConsumer&) {
  FAIL("no data expected, asked for " << id);
};

auto open_state(const FilesState& state, const ckpt::restore::ReadFileData& read = no_data,
                std::vector<int> keep = {}, int console_fd = -1) {
  ckpt::restore::FilesRestoreContext context;
  context.keep_fds = std::move(keep);
  context.console_fd = console_fd;
  return ckpt::restore::open_files_from(state, read, context);
}

// One of our fds whose /proc link starts and ends so; -1 if none.
int fd_linked_to(const std::string& prefix, const std::string& suffix) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    std::string link = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && link.starts_with(prefix) && link.ends_with(suffix))
      return std::stoi(entry.path().filename().string());
  }
  return -1;
}

}  // namespace

TEST_CASE("a device that is now another device is refused") {
  FileDescription d;
  d.kind = FileKind::kDevice;
  d.path = "/dev/null";
  d.mode = S_IFCHR | 0666;
  d.rdev = makedev(1, 5);
  d.flags = O_RDONLY;
  CHECK_THROWS_WITH(open_state(one_fd(d)), "restore files: /dev/null is now device 1:3, was 1:5");
}

TEST_CASE("a directory that became a file is refused") {
  files_test::TempDir dir("ckpt-files-restore-test");
  ckpt::fs::write_file_atomic(dir.path + "/x", "data");
  FileDescription d;
  d.kind = FileKind::kDirectory;
  d.path = dir.path + "/x";
  d.mode = S_IFDIR | 0755;
  CHECK_THROWS_WITH(open_state(one_fd(d)),
                    "restore files: " + d.path + " is no longer of the same file type");
}

TEST_CASE("a FIFO that no longer exists is refused naming it") {
  FileDescription d;
  d.kind = FileKind::kFifo;
  d.path = "/nonexistent-ckpt-fifo";
  d.pipe_id = 5;
  auto state = one_fd(d);
  state.pipes.push_back({5, 65536, 0, 0, d.path, {}});
  CHECK_THROWS_WITH(open_state(state), "restore files: /nonexistent-ckpt-fifo no longer exists");
}

TEST_CASE("installing over an fd the restorer keeps is refused") {
  FileDescription d;
  d.kind = FileKind::kDevice;
  d.path = "/dev/null";
  d.mode = S_IFCHR | 0666;
  d.rdev = makedev(1, 3);
  auto opened = open_state(one_fd(d), no_data, {3});
  CHECK_THROWS_WITH(opened->install_fds(1), Catch::Contains("pid 1 fd 3"));
  CHECK_THROWS_WITH(opened->install_fds(2), "restore files: no fd table for pid 2");
}

TEST_CASE("a deleted file whose name was taken again comes back under a temporary name") {
  files_test::TempDir dir("ckpt-files-restore-test");
  std::string path = dir.path + "/data";
  ckpt::fs::write_file_atomic(path, "someone else's");
  FileDescription d;
  d.kind = FileKind::kRegular;
  d.path = path;
  d.deleted = true;
  d.data_id = 1;
  d.size = 8;
  d.pos = 2;
  d.flags = O_RDWR;
  d.uid = getuid();
  d.gid = getgid();
  d.mode = S_IFREG | 0600;
  std::string contents = "restored";
  ckpt::restore::ReadFileData read = [&](uint64_t, const ckpt::restore::DataConsumer& consume) {
    consume(std::as_bytes(std::span(contents.data(), contents.size())));
  };
  auto opened = open_state(one_fd(d), read);
  CHECK(ckpt::fs::read_file(path) == "someone else's");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 1);
  int restored = fd_linked_to(path + ".ckpt-deleted-", " (deleted)");
  REQUIRE(restored >= 0);
  CHECK(lseek(restored, 0, SEEK_CUR) == 2);
  char buf[16] = {};
  CHECK(pread(restored, buf, sizeof buf, 0) == 8);
  CHECK(std::string(buf) == "restored");
}

TEST_CASE("console descriptions use the console fd given, with their status flags") {
  files_test::TempDir dir("ckpt-files-console-test");
  std::string console = dir.path + "/console.log";
  ckpt::UniqueFd console_fd(open(console.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  FileDescription d;
  d.kind = FileKind::kConsole;
  d.flags = O_WRONLY | O_APPEND;
  d.pos = 1234;  // of the old console: meaningless for the new one
  auto opened = open_state(one_fd(d), no_data, {}, console_fd.get());
  int restored = -1;
  for (int fd = console_fd.get() + 1; fd < 1024 && restored < 0; ++fd) {
    std::error_code ec;
    if (std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec) == console)
      restored = fd;
  }
  REQUIRE(restored >= 0);
  CHECK((fcntl(restored, F_GETFL) & O_APPEND) != 0);
  CHECK(lseek(restored, 0, SEEK_CUR) == 0);
}
