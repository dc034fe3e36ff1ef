#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/pagemap.h"
#include "common/unique_fd.h"
#include "restore/cow_shared.h"

using namespace ckpt;
using proc::kPageSize;

namespace {

std::vector<uint64_t> own_frames(uint64_t start, uint64_t pages) {
  UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  REQUIRE(pagemap);
  return proc::read_frames(pagemap.get(), start, pages);
}

records::Vma anonymous_vma(uint64_t start, uint64_t end) {
  records::Vma vma;
  vma.start = start;
  vma.end = end;
  vma.prot = PROT_READ | PROT_WRITE;
  vma.flags = MAP_PRIVATE;
  return vma;
}

records::Vma file_vma(uint64_t start, uint64_t end) {
  records::Vma vma = anonymous_vma(start, end);
  vma.kind = records::VmaKind::kFile;
  vma.name = "/usr/lib/libexample.so";
  vma.offset = 0x3000;
  vma.dev = 0x801;
  vma.inode = 1234;
  vma.file_size = 0x40000;
  vma.mtime_ns = 1700000000000000000;
  return vma;
}

records::ProcessTree parent_and_child() {
  records::ProcessTree tree;
  tree.processes.push_back({100, 1, 0, 1, 1, {}, "parent", {}, false, 0});
  tree.processes.push_back({101, 2, 1, 1, 1, {}, "child", {}, false, 0});
  return tree;
}

ErrorKind refusal_of(const std::map<int32_t, records::MmState>& mms) {
  try {
    restore::CowRegions regions(parent_and_child(), mms, [](const auto&) {
      return std::vector<chain::PageSource>{};
    });
  } catch (const Error& e) {
    return kind_of(e);
  }
  FAIL("not refused");
  return ErrorKind::kFailure;
}

}  // namespace

TEST_CASE("a forked child reads the parent's frames until it writes", "[cow_shared]") {
  char* base = static_cast<char*>(
      ::mmap(nullptr, 2 * kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(base != MAP_FAILED);
  std::memset(base, 7, 2 * kPageSize);
  uint64_t start = reinterpret_cast<uint64_t>(base);
  auto parent = own_frames(start, 2);
  if (parent[0] == 0) {
    ::munmap(base, 2 * kPageSize);
    WARN("page frames are shown to CAP_SYS_ADMIN only: not checked");
    return;
  }
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  if (child == 0) {
    base[kPageSize] = 8;  // a copy of its own
    auto frames = own_frames(start, 2);
    ssize_t wrote = ::write(pipe_fds[1], frames.data(), 16);
    ::_exit(wrote == 16 ? 0 : 1);
  }
  uint64_t child_frames[2] = {};
  REQUIRE(::read(pipe_fds[0], child_frames, 16) == 16);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  CHECK(child_frames[0] == parent[0]);
  CHECK(child_frames[1] != parent[1]);
  CHECK(child_frames[1] != 0);
  ::munmap(base, 2 * kPageSize);
}

TEST_CASE("shared pages an image places outside a mapping both processes have are refused",
          "[cow_shared]") {
  std::map<int32_t, records::MmState> mms;
  mms[1].vmas = {anonymous_vma(0x10000, 0x20000)};
  mms[2].vmas = {anonymous_vma(0x10000, 0x20000)};
  SECTION("outside every mapping of the child") {
    mms[2].shared_with_parent = {{0x30000, 0x31000}};
    CHECK(refusal_of(mms) == ErrorKind::kImage);
  }
  SECTION("in a mapping the parent has otherwise") {
    mms[1].vmas = {anonymous_vma(0x10000, 0x18000)};
    mms[2].shared_with_parent = {{0x10000, 0x11000}};
    CHECK(refusal_of(mms) == ErrorKind::kImage);
  }
  SECTION("unaligned, empty or out of order") {
    mms[2].shared_with_parent = {{0x10800, 0x11000}};
    CHECK(refusal_of(mms) == ErrorKind::kImage);
    mms[2].shared_with_parent = {{0x11000, 0x11000}};
    CHECK(refusal_of(mms) == ErrorKind::kImage);
    mms[2].shared_with_parent = {{0x12000, 0x13000}, {0x10000, 0x11000}};
    CHECK(refusal_of(mms) == ErrorKind::kImage);
  }
  SECTION("in a mapping of which the parent shares pages with its own parent") {
    mms[1].shared_with_parent = {{0x10000, 0x11000}};
    mms[2].shared_with_parent = {{0x12000, 0x13000}};
    CHECK(refusal_of(mms) == ErrorKind::kImage);
  }
}

TEST_CASE("written pages of a private file mapping are shared only where the child maps the same "
          "file at the same offset, privately",
          "[cow_shared]") {
  records::Vma parent = file_vma(0x10000, 0x20000);
  records::Vma child = parent;
  CHECK(records::can_share_copy_on_write(child, parent));
  child.offset += kPageSize;
  CHECK_FALSE(records::can_share_copy_on_write(child, parent));
  child = parent;
  child.inode += 1;
  CHECK_FALSE(records::can_share_copy_on_write(child, parent));
  child = parent;
  child.mtime_ns += 1;
  CHECK_FALSE(records::can_share_copy_on_write(child, parent));
  CHECK_FALSE(records::can_share_copy_on_write(anonymous_vma(0x10000, 0x20000), parent));
  CHECK_FALSE(records::can_share_copy_on_write(parent, anonymous_vma(0x10000, 0x20000)));
  child = parent;
  child.flags = parent.flags = MAP_SHARED;
  CHECK_FALSE(records::can_share_copy_on_write(child, parent));
}
