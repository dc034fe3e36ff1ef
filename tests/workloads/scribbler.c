// Keeps writing memory while it is checkpointed (the pre-copy of a --leave-running dump sees
// pages change under it), and checks that its memory is one consistent snapshot.
// argv[2] MiB (default 64) are split in two: static pages, filled once, and scribbled pages,
// rewritten in a sweep: step k writes the value k into every word of page k % n, then records
// `last = k`. Between steps, page p holds the largest k <= last with k % n == p (0 if none):
// a restored copy that mixes pages from different moments breaks that. Checked on SIGTERM.
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "zdtm.h"

#define WORDS (4096 / 8)

static uint64_t expected(uint64_t last, uint64_t n, uint64_t page) {
  if (last < page) return 0;
  return last - (last - page) % n;
}

static void check(const uint64_t* area, uint64_t n, uint64_t last, const uint64_t* fixed,
                  uint64_t fixed_pages) {
  for (uint64_t p = 0; p < n; ++p)
    for (int w = 0; w < WORDS; ++w)
      if (area[p * WORDS + w] != expected(last, n, p))
        zdtm_fail("page %lu word %d holds %lu, expected %lu (last step %lu)", p, w,
                  area[p * WORDS + w], expected(last, n, p), last);
  for (uint64_t p = 0; p < fixed_pages; ++p)
    for (int w = 0; w < WORDS; ++w)
      if (fixed[p * WORDS + w] != (p << 9 | (uint64_t)w) * 2654435761u)
        zdtm_fail("static page %lu word %d changed", p, w);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  uint64_t pages = (argc > 2 ? strtoull(argv[2], NULL, 0) : 64) << 8;
  uint64_t fixed_pages = pages / 2, n = pages - fixed_pages;
  uint64_t* fixed =
      mmap(NULL, fixed_pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t* area = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fixed == MAP_FAILED || area == MAP_FAILED) zdtm_fail("mmap");
  for (uint64_t p = 0; p < fixed_pages; ++p)
    for (int w = 0; w < WORDS; ++w) fixed[p * WORDS + w] = (p << 9 | (uint64_t)w) * 2654435761u;
  volatile uint64_t last = 0;
  for (uint64_t p = 1; p < n; ++p) {  // steps 1 .. n-1; page 0 holds 0 (no step yet)
    for (int w = 0; w < WORDS; ++w) area[p * WORDS + w] = p;
    last = p;
  }
  memset(area, 0, 4096);
  zdtm_ready();
  struct timespec nap = {0, 200000};
  while (!zdtm_stop) {
    for (int i = 0; i < 256 && !zdtm_stop; ++i) {
      uint64_t k = last + 1, p = k % n;
      for (int w = 0; w < WORDS; ++w) area[p * WORDS + w] = k;
      last = k;
    }
    nanosleep(&nap, NULL);  // leaves the CPU to the dump now and then
  }
  check(area, n, last, fixed, fixed_pages);
  zdtm_pass();
}
