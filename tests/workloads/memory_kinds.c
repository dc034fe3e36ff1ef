// Private memory of every kind restore fills: a large read-write anonymous area (pattern in
// most pages, some never touched), an anonymous area made read-only after it was written, an
// anonymous area split by a PROT_NONE guard, two anonymous areas side by side that never merge
// (the upper one MAP_GROWSDOWN; the page stream joins their pages in one run), a private mapping of
// a file (argv[2], created here) with some pages written (copied on write) and the rest still the
// file's, and an anonymous area made PROT_NONE after it was written (its pages are kept: only the
// process cannot read them). On SIGTERM every page is checked, then untouched anonymous pages and read-write pages are
// written and read back (memory behaves normally after restore).
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE 4096ul
#define ANON_PAGES 4096ul  // 16 MiB, every 8th page left untouched
#define RO_PAGES 256ul
#define GUARDED_PAGES 64ul  // then one PROT_NONE page, then as many again
#define FILE_PAGES 1024ul   // 4 MiB, the even pages written
#define SIDE_PAGES 64ul     // each of the two areas side by side
#define HIDDEN_PAGES 32ul   // written, then PROT_NONE

static uint64_t value(uint64_t area, uint64_t page, uint64_t word) {
  return (area << 56) ^ (page * 0x9e3779b97f4a7c15ull) ^ word;
}

static void fill(unsigned char* at, uint64_t area, uint64_t page) {
  uint64_t* words = (uint64_t*)(at + page * PAGE);
  memset(words, 0, PAGE);
  for (uint64_t w = 0; w < PAGE / 8; w += 3) words[w] = value(area, page, w);
}

static int holds(const unsigned char* at, uint64_t area, uint64_t page) {
  const uint64_t* words = (const uint64_t*)(at + page * PAGE);
  for (uint64_t w = 0; w < PAGE / 8; ++w)
    if (words[w] != (w % 3 ? 0 : value(area, page, w))) return 0;
  return 1;
}

static int all_zero(const unsigned char* at, uint64_t page) {
  for (uint64_t i = 0; i < PAGE; ++i)
    if (at[page * PAGE + i]) return 0;
  return 1;
}

static unsigned char* anon(uint64_t pages) {
  void* p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  return p;
}

// The file: page i holds byte (i + 1) mod 256 everywhere.
static unsigned char* private_file(const char* path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) zdtm_fail("open %s: %s", path, strerror(errno));
  unsigned char page[PAGE];
  for (uint64_t i = 0; i < FILE_PAGES; ++i) {
    memset(page, (unsigned char)(i + 1), PAGE);
    if (write(fd, page, PAGE) != (ssize_t)PAGE) zdtm_fail("write %s", path);
  }
  void* p = mmap(NULL, FILE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) zdtm_fail("mmap %s: %s", path, strerror(errno));
  close(fd);
  return p;
}

// A plain area with a MAP_GROWSDOWN one right above it: two VMAs the kernel keeps apart.
static unsigned char* side_by_side(void) {
  unsigned char* low = anon(2 * SIDE_PAGES);
  void* high = mmap(low + SIDE_PAGES * PAGE, SIDE_PAGES * PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
  if (high == MAP_FAILED) zdtm_fail("mmap MAP_GROWSDOWN: %s", strerror(errno));
  return low;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: memory_kinds RESULT FILE");
  unsigned char* rw = anon(ANON_PAGES);
  unsigned char* ro = anon(RO_PAGES);
  unsigned char* guarded = anon(2 * GUARDED_PAGES + 1);
  unsigned char* file = private_file(argv[2]);
  unsigned char* side = side_by_side();
  unsigned char* hidden = anon(HIDDEN_PAGES);
  for (uint64_t p = 0; p < ANON_PAGES; ++p)
    if (p % 8) fill(rw, 1, p);
  for (uint64_t p = 0; p < RO_PAGES; ++p) fill(ro, 2, p);
  for (uint64_t p = 0; p < 2 * GUARDED_PAGES + 1; ++p)
    if (p != GUARDED_PAGES) fill(guarded, 3, p);
  for (uint64_t p = 0; p < FILE_PAGES; p += 2) fill(file, 4, p);
  for (uint64_t p = 0; p < 2 * SIDE_PAGES; ++p) fill(side, 5, p);
  for (uint64_t p = 0; p < HIDDEN_PAGES; ++p) fill(hidden, 6, p);
  if (mprotect(ro, RO_PAGES * PAGE, PROT_READ) ||
      mprotect(guarded + GUARDED_PAGES * PAGE, PAGE, PROT_NONE) ||
      mprotect(hidden, HIDDEN_PAGES * PAGE, PROT_NONE))
    zdtm_fail("mprotect: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();

  for (uint64_t p = 0; p < ANON_PAGES; ++p)
    if (p % 8 ? !holds(rw, 1, p) : !all_zero(rw, p)) zdtm_fail("anonymous page %lu", p);
  for (uint64_t p = 0; p < RO_PAGES; ++p)
    if (!holds(ro, 2, p)) zdtm_fail("read-only page %lu", p);
  for (uint64_t p = 0; p < 2 * GUARDED_PAGES + 1; ++p)
    if (p != GUARDED_PAGES && !holds(guarded, 3, p)) zdtm_fail("guarded area page %lu", p);
  for (uint64_t p = 0; p < 2 * SIDE_PAGES; ++p)
    if (!holds(side, 5, p)) zdtm_fail("page %lu of the areas side by side", p);
  if (mprotect(hidden, HIDDEN_PAGES * PAGE, PROT_READ)) zdtm_fail("mprotect: %s", strerror(errno));
  for (uint64_t p = 0; p < HIDDEN_PAGES; ++p)
    if (!holds(hidden, 6, p)) zdtm_fail("page %lu of the area made PROT_NONE", p);
  for (uint64_t p = 0; p < FILE_PAGES; ++p) {
    if (p % 2 == 0 && !holds(file, 4, p)) zdtm_fail("written file page %lu", p);
    if (p % 2 &&
        (file[p * PAGE] != (unsigned char)(p + 1) || file[p * PAGE + PAGE - 1] != file[p * PAGE]))
      zdtm_fail("unwritten file page %lu", p);
  }
  for (uint64_t p = 0; p < ANON_PAGES; ++p) {  // the untouched pages fault in as usual
    rw[p * PAGE + 5] = (unsigned char)p | 1;
    if (rw[p * PAGE + 5] != ((unsigned char)p | 1)) zdtm_fail("rewriting page %lu", p);
  }
  for (uint64_t p = 1; p < FILE_PAGES; p += 2) file[p * PAGE] = 0;
  zdtm_pass();
}
