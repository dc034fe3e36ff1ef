// Private file mappings split by mprotect: a file (argv[2], made here) mapped MAP_PRIVATE
// read-write, some pages written (copied on write), then its middle made read-only and a later
// part PROT_NONE (one mapping, four VMAs, three protections); and the same file mapped again
// read-only, as ld.so maps a library, with a large middle part made writable and written. On
// SIGTERM: each part has its protection (/proc/self/maps), written pages hold what was written,
// the others the file's bytes, and the writable parts can be written again.
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE 4096ul
#define PAGES 48ul  // [0,16) rw, [16,32) r, [32,40) none, [40,48) rw
#define BIG_PAGES 512ul  // the read-only mapping: [128,384) made rw and written

static unsigned char file_byte(size_t page) {  // as zdtm_page_file writes it
  return (unsigned char)(page + 1);
}

static unsigned char written_byte(size_t page) {
  return (unsigned char)(0xa0 + page);
}

static int is_written(size_t page) {
  return page % 3 == 0;
}

// The permissions maps shows for the VMA holding `at` ("rw-p", "r--p", "---p").
static int perms_of(unsigned char* at, char out[5]) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  char line[512];
  unsigned long start, end;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%lx-%lx %4s", &start, &end, out) == 3 && start <= (unsigned long)at &&
        (unsigned long)at < end) {
      fclose(f);
      return 0;
    }
  fclose(f);
  return -1;
}

static void expect_perms(unsigned char* at, const char* want) {
  char perms[5] = {0};
  if (perms_of(at, perms) != 0) zdtm_fail("no mapping at %p", (void*)at);
  if (strcmp(perms, want) != 0) zdtm_fail("mapping at %p is %s, not %s", (void*)at, perms, want);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: mprotect_file RESULT FILE");
  int fd = zdtm_page_file(argv[2], BIG_PAGES);
  unsigned char* map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  unsigned char* lib = mmap(NULL, BIG_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED || lib == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  close(fd);
  if (mprotect(lib + 128 * PAGE, 256 * PAGE, PROT_READ | PROT_WRITE) != 0)
    zdtm_fail("mprotect rw: %s", strerror(errno));
  for (size_t i = 128; i < 384; ++i) memset(lib + i * PAGE, written_byte(i), PAGE);
  for (size_t i = 0; i < PAGES; ++i)
    if (is_written(i)) memset(map + i * PAGE, written_byte(i), PAGE);
  if (mprotect(map + 16 * PAGE, 16 * PAGE, PROT_READ) != 0) zdtm_fail("mprotect r: %s", strerror(errno));
  if (mprotect(map + 32 * PAGE, 8 * PAGE, PROT_NONE) != 0) zdtm_fail("mprotect none: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();

  expect_perms(map, "rw-p");
  expect_perms(map + 16 * PAGE, "r--p");
  expect_perms(map + 32 * PAGE, "---p");
  expect_perms(map + 40 * PAGE, "rw-p");
  if (mprotect(map + 32 * PAGE, 8 * PAGE, PROT_READ) != 0) zdtm_fail("mprotect back: %s", strerror(errno));
  for (size_t i = 0; i < PAGES; ++i) {
    unsigned char want = is_written(i) ? written_byte(i) : file_byte(i);
    for (size_t b = 0; b < PAGE; b += 256)
      if (map[i * PAGE + b] != want)
        zdtm_fail("page %zu byte %zu: %#x, not %#x", i, b, map[i * PAGE + b], want);
  }
  expect_perms(lib, "r--p");
  expect_perms(lib + 128 * PAGE, "rw-p");
  expect_perms(lib + 384 * PAGE, "r--p");
  for (size_t i = 0; i < BIG_PAGES; ++i) {
    unsigned char want = i >= 128 && i < 384 ? written_byte(i) : file_byte(i);
    if (lib[i * PAGE + 99] != want) zdtm_fail("read-only mapping page %zu: %#x", i, lib[i * PAGE + 99]);
  }
  for (size_t i = 128; i < 384; ++i) lib[i * PAGE] = 0x5a;
  for (size_t i = 0; i < 16; ++i) map[i * PAGE + 7] = 0x5a;
  for (size_t i = 40; i < PAGES; ++i) map[i * PAGE + 7] = 0x5a;
  zdtm_pass();
}
