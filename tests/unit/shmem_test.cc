#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "ckpt/shmem.h"
#include "ckpt/shmem_contents.h"
#include "common/proc/maps.h"
#include "common/unique_fd.h"
#include "restore/shmem.h"

using ckpt::UniqueFd;
using ckpt::dump::is_shared_object_mapping;
using ckpt::dump::write_present_pages;

namespace {

bool shared_object(const std::string& line) {
  auto maps = ckpt::proc::parse_maps(line + "\n");
  REQUIRE(maps.size() == 1);
  return is_shared_object_mapping(maps[0]);
}

class StringStream : public ckpt::image::ImageWriter::Stream {
 public:
  void write(std::span<const std::byte> data) override {
    bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  void close() override {}
  std::string bytes;
};

void write_page(int fd, uint64_t offset, char fill, size_t size = 4096) {
  std::string page(size, fill);
  REQUIRE(::pwrite(fd, page.data(), page.size(), static_cast<off_t>(offset)) ==
          static_cast<ssize_t>(size));
}

}  // namespace

TEST_CASE("shared anonymous memory, memfds, SysV segments and deleted files are shared objects") {
  CHECK(shared_object("7f00-7f10 rw-s 00000000 00:01 483  /dev/zero (deleted)"));
  CHECK(shared_object("7f00-7f10 rw-s 00000000 00:01 484  /memfd:cache (deleted)"));
  CHECK(shared_object("7f00-7f10 r--p 00000000 00:01 485  /memfd:cache (deleted)"));
  CHECK(shared_object("7f00-7f10 rw-s 00000000 00:01 0    /SYSV00000000 (deleted)"));
  CHECK(shared_object("7f00-7f10 rw-p 00000000 fe:00 77   /tmp/data (deleted)"));
}

TEST_CASE("private memory, files mapped by path and the vdso are not shared objects") {
  CHECK_FALSE(shared_object("7f00-7f10 rw-p 00000000 00:00 0 "));
  CHECK_FALSE(shared_object("7f00-7f10 rw-p 00000000 00:00 0    [heap]"));
  CHECK_FALSE(shared_object("7f00-7f10 r-xp 00000000 00:00 0    [vdso]"));
  CHECK_FALSE(shared_object("7f00-7f10 r-xp 00001000 fe:00 99   /usr/lib/libc.so.6"));
  CHECK_FALSE(shared_object("7f00-7f10 rw-s 00000000 fe:00 99   /dev/shm/psm_1"));
}

TEST_CASE("only pages holding data are stored: holes and zero pages are left out") {
  UniqueFd fd(::memfd_create("ckpt-unit-shmem", MFD_CLOEXEC));
  REQUIRE(fd);
  uint64_t size = (1u << 20) + 100;
  REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(size)) == 0);
  write_page(fd.get(), 0, 'a');
  write_page(fd.get(), 4096, 'b');
  write_page(fd.get(), 64 << 10, '\0');  // data, but zeros
  write_page(fd.get(), 128 << 10, 'c');
  write_page(fd.get(), 1u << 20, 'd', 100);  // the partial last page
  StringStream out;
  auto extents = write_present_pages(fd.get(), size, out);
  REQUIRE(extents.size() == 3);
  CHECK(extents[0].offset == 0);
  CHECK(extents[0].length == 8192);
  CHECK(extents[1].offset == 128u << 10);
  CHECK(extents[1].length == 4096);
  CHECK(extents[2].offset == 1u << 20);
  CHECK(extents[2].length == 100);
  CHECK(out.bytes == std::string(4096, 'a') + std::string(4096, 'b') + std::string(4096, 'c') +
                         std::string(100, 'd'));
}

TEST_CASE("a never-written object stores nothing") {
  UniqueFd fd(::memfd_create("ckpt-unit-shmem", MFD_CLOEXEC));
  REQUIRE(fd);
  REQUIRE(::ftruncate(fd.get(), 64 << 20) == 0);
  StringStream out;
  CHECK(write_present_pages(fd.get(), 64 << 20, out).empty());
  CHECK(out.bytes.empty());
}

TEST_CASE("object fds lie above every restored fd and above the room the descriptions take") {
  ckpt::records::FilesState files;
  ckpt::records::ProcessFiles process;
  process.fds = {{0, 1, false}, {2, 1, false}, {57, 2, true}};
  files.processes.push_back(process);
  files.descriptions.resize(5);
  int first = ckpt::restore::object_fd(files, 1);
  // files_open puts the 5 descriptions from fd 58 on and keeps 64 fds spare above them.
  CHECK(first > 57 + 5 + 64);
  CHECK(ckpt::restore::object_fd(files, 3) == first + 2);
}
