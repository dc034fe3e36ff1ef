// Benchmark memory: argv[2] MiB of pages, each 2 KiB of random bytes then 2 KiB of zeros.
// Sleeps until SIGTERM, then checks a checksum of it all.
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

static uint64_t sum(const uint64_t* p, size_t words) {
  uint64_t s = 0;
  for (size_t i = 0; i < words; ++i) s = s * 31 + p[i];
  return s;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  size_t size = (argc > 2 ? strtoull(argv[2], NULL, 0) : 256) << 20;
  uint64_t* area =
      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (area == MAP_FAILED) zdtm_fail("mmap");
  uint64_t x = 88172645463325252ull;
  for (size_t page = 0; page < size / 4096; ++page)
    for (size_t w = 0; w < 256; ++w) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      area[page * 512 + w] = x;
    }
  uint64_t before = sum(area, size / 8);
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (sum(area, size / 8) != before) zdtm_fail("memory changed");
  zdtm_pass();
}
