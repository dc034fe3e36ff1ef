#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/proc/pagemap.h"
#include "common/proc/pagemap_scan.h"
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

// Whether the kernel reports page `page` of `m` as the shared zero page. Some kernels never map
// it on a read fault (each read of untouched anonymous memory gets a frame of its own); and
// before kernel 6.7 there is no PAGEMAP_SCAN to ask.
bool maps_zero_page(const Mapping& m, uint64_t page) {
  UniqueFd pagemap = own_pagemap();
  uint64_t at = m.start() + page * kPageSize;
  try {
    return !proc::scan_pages(pagemap.get(), at, at + kPageSize, {proc::kPagePfnZero, 0, 0})
                .empty();
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

TEST_CASE("saved runs of anonymous memory: written pages, merged into runs") {
  Mapping m(64);
  for (int page : {3, 4, 5, 10, 63}) m.base[page * kPageSize] = 1;
  volatile char sink = m.base[20 * kPageSize];  // a read: the zero page, or a frame of its own
  (void)sink;
  bool scan = GENERATE(true, false);
  Runs runs = runs_of(m, proc::PageKind::kAnonymous, scan);
  // Written pages are in, untouched ones out, on every kernel. The page only read is kept
  // unless the scan saw it map the zero page (pagemap entries do not tell the zero page apart,
  // so the read path keeps it: it restores as zeros either way).
  bool zero_page = maps_zero_page(m, 20);
  INFO("scan " << scan << ", the read mapped the zero page: " << zero_page);
  if (scan && zero_page)
    CHECK(runs == Runs{{3, 3}, {10, 1}, {63, 1}});
  else
    CHECK(runs == Runs{{3, 3}, {10, 1}, {20, 1}, {63, 1}});
}

TEST_CASE("the scan is the path used where the kernel has PAGEMAP_SCAN") {
  Mapping m(8);
  m.base[2 * kPageSize] = 1;
  UniqueFd pagemap = own_pagemap();
  bool have_scan = true;
  try {
    proc::scan_pages(pagemap.get(), m.start(), m.start() + m.size, {proc::kPagePresent, 0, 0});
  } catch (const Error&) {
    have_scan = false;  // before kernel 6.7
  }
  Runs runs;
  bool scanned = proc::scan_saved_runs(pagemap.get(), m.start(), m.start() + m.size,
                                       proc::PageKind::kAnonymous, [&](uint64_t start, uint64_t n) {
                                         runs.emplace_back((start - m.start()) / kPageSize, n);
                                       });
  CHECK(scanned == have_scan);
  if (scanned) CHECK(runs == Runs{{2, 1}});
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
