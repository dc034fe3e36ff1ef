#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <utility>
#include <vector>

#include "common/proc/pagemap.h"
#include "common/unique_fd.h"

using namespace ckpt;
using proc::kPageSize;
using Runs = std::vector<std::pair<uint64_t, uint64_t>>;  // (page index, pages)

namespace {

struct Mapping {
  explicit Mapping(size_t pages, int flags = MAP_PRIVATE | MAP_ANONYMOUS, int fd = -1)
      : size(pages * kPageSize),
        base(static_cast<char*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, fd, 0))) {
    REQUIRE(base != MAP_FAILED);
  }
  ~Mapping() { ::munmap(base, size); }
  uint64_t start() const { return reinterpret_cast<uint64_t>(base); }
  size_t size;
  char* base;
};

UniqueFd own_pagemap() {
  UniqueFd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  return fd;
}

Runs runs_of(const Mapping& m, proc::PageKind kind, bool scan) {
  UniqueFd pagemap = own_pagemap();
  Runs runs;
  auto add = [&](uint64_t start, uint64_t pages) {
    runs.emplace_back((start - m.start()) / kPageSize, pages);
  };
  if (scan) {
    // Before kernel 6.7 the scan declines and the dump reads entries instead.
    if (!proc::scan_saved_runs(pagemap.get(), m.start(), m.start() + m.size, kind, add))
      proc::read_saved_runs(pagemap.get(), m.start(), m.start() + m.size, kind, add);
  } else {
    proc::read_saved_runs(pagemap.get(), m.start(), m.start() + m.size, kind, add);
  }
  return runs;
}

}  // namespace

TEST_CASE("saved runs of anonymous memory: written pages, merged into runs") {
  Mapping m(64);
  for (int page : {3, 4, 5, 10, 63}) m.base[page * kPageSize] = 1;
  volatile char sink = m.base[20 * kPageSize];  // a read maps the shared zero page
  (void)sink;
  bool scan = GENERATE(true, false);
  Runs runs = runs_of(m, proc::PageKind::kAnonymous, scan);
  if (scan)
    CHECK(runs == Runs{{3, 3}, {10, 1}, {63, 1}});
  else  // pagemap entries do not tell the zero page apart: it is kept, and restores as zeros
    CHECK(runs == Runs{{3, 3}, {10, 1}, {20, 1}, {63, 1}});
}

TEST_CASE("saved runs of a private file mapping: only the pages written since") {
  char path[] = "/tmp/ckpt-pagemap-XXXXXX";
  UniqueFd file(::mkstemp(path));
  REQUIRE(file);
  ::unlink(path);
  std::vector<char> data(16 * kPageSize, 'x');
  REQUIRE(::write(file.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  Mapping m(16, MAP_PRIVATE, file.get());
  for (int page = 0; page < 16; ++page) {
    volatile char sink = m.base[page * kPageSize];  // every page cached and mapped
    (void)sink;
  }
  for (int page : {2, 7, 8}) m.base[page * kPageSize] = 'y';
  bool scan = GENERATE(true, false);
  CHECK(runs_of(m, proc::PageKind::kPrivateFile, scan) == Runs{{2, 1}, {7, 2}});
}

TEST_CASE("saved runs of a sparse 64 GiB mapping cost what is touched") {
  Mapping m(16ull << 20, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
  std::memset(m.base + (1ull << 35), 1, 3 * kPageSize);
  CHECK(runs_of(m, proc::PageKind::kAnonymous, true) == Runs{{(1ull << 35) / kPageSize, 3}});
}
