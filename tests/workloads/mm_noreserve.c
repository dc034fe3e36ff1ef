// Anonymous memory mapped with MAP_NORESERVE between two ordinary mappings (the kernel keeps
// them apart by that flag alone): after the checkpoint the middle one must still be a mapping
// of its own with VmFlags "nr", its neighbours without it, and every page as written.
#include <sys/mman.h>

#include "zdtm.h"

#define PAGES 4
#define SIZE (PAGES * 4096)

// Whether the VMA starting at `start` ends at `end` and has the VmFlags word "nr"; -1: none.
static int noreserve_at(char* start, char* end) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int found = -1;
  unsigned long lo = 0, hi = 0;
  int ours = 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      ours = lo == (unsigned long)start;
      if (ours && hi != (unsigned long)end) break;  // merged or split
      continue;
    }
    if (ours && strncmp(line, "VmFlags:", 8) == 0) {
      found = strstr(line, " nr") != NULL;
      break;
    }
  }
  fclose(f);
  return found;
}

static void check(char* base, const char* when) {
  for (int i = 0; i < 3 * SIZE; i += 4096)
    if (base[i] != (char)(i / 4096 + 1)) zdtm_fail("%s: page %d differs", when, i / 4096);
  for (int part = 0; part < 3; ++part) {
    int nr = noreserve_at(base + part * SIZE, base + (part + 1) * SIZE);
    if (nr < 0) zdtm_fail("%s: mapping %d is not one VMA of its own", when, part);
    if (nr != (part == 1)) zdtm_fail("%s: mapping %d has nr %d", when, part, nr);
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  // Between two PROT_NONE guards: nothing else merges with the outer mappings.
  char* guarded = mmap(NULL, 5 * SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (guarded == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  char* base = guarded + SIZE;
  if (mmap(base, 3 * SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
           0) == MAP_FAILED)
    zdtm_fail("mmap: %s", strerror(errno));
  if (mmap(base + SIZE, SIZE, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
    zdtm_fail("mmap MAP_NORESERVE: %s", strerror(errno));
  for (int i = 0; i < 3 * SIZE; i += 4096) base[i] = (char)(i / 4096 + 1);
  check(base, "before the checkpoint");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check(base, "after the checkpoint");
  zdtm_pass();
}
