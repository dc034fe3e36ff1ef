// 200 MiB touched inside a 4 GiB sparse mapping (argv[2]/argv[3] override: MiB touched, GiB
// mapped). Pages hold a pattern of their index; on SIGTERM every page is checked, and the untouched
// part must still read as zeros.
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  uint64_t touched = (argc > 2 ? strtoull(argv[2], NULL, 0) : 200) << 20;
  uint64_t mapped = (argc > 3 ? strtoull(argv[3], NULL, 0) : 4) << 30;
  unsigned char* area = mmap(NULL, mapped, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) zdtm_fail("mmap");
  uint64_t pages = touched / 4096, stride = (mapped / 4096) / pages;
  for (uint64_t i = 0; i < pages; ++i) {
    uint64_t* page = (uint64_t*)(area + i * stride * 4096);
    for (int w = 0; w < 512; w += 8) page[w] = i * 0x9e3779b97f4a7c15ull + w;
  }
  zdtm_ready();
  while (!zdtm_stop) pause();
  for (uint64_t i = 0; i < pages; ++i) {
    uint64_t* page = (uint64_t*)(area + i * stride * 4096);
    for (int w = 0; w < 512; ++w) {
      uint64_t want = (w % 8) ? 0 : i * 0x9e3779b97f4a7c15ull + w;
      if (page[w] != want) zdtm_fail("page %lu word %d", (unsigned long)i, w);
    }
    if (stride > 1 && ((uint64_t*)(area + (i * stride + 1) * 4096))[7] != 0)
      zdtm_fail("untouched page");
  }
  zdtm_pass();
}
