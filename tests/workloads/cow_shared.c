// Memory a parent and its two forked children still share copy-on-write (nginx-style master
// and workers): the parent fills argv[2] MiB (default 32) of private anonymous memory and forks.
// With argv[3], the memory is instead a private mapping of that file (made here, argv[2] MiB,
// as zdtm_page_file writes it), of which the parent writes the first half before the fork: the
// written pages are anonymous copies the three share, the other half stays the file's pages
// (a library's data: relocated, and never written parts).
// After the fork each changes a little of it, so that shared, own and dropped pages sit side by
// side: each child rewrites pages [0, 16), the parent pages [16, 32), and each child drops pages
// [32, 48) (MADV_DONTNEED: zeros for it, or the file's bytes again; the parent keeps its copy);
// nobody touches the rest. On SIGTERM the parent has the children check their copies (SIGUSR1),
// checks its own, and reports. How much memory they take is measured from outside
// (smaps_rollup Pss).
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

enum { kPageWords = 4096 / 8, kChildWrites = 0, kParentWrites = 16, kChildDrops = 32, kSpan = 16 };
enum { kChildren = 2 };

static volatile sig_atomic_t check_now = 0;
static size_t written_words;  // [0, written_words) was written before the fork: all, or half
static int file_backed;

static void on_usr1(int sig) {
  (void)sig;
  check_now = 1;
}

static uint64_t word_at(size_t i) {
  return i * 0x9e3779b97f4a7c15ull + 1;
}

// Word i of the file as zdtm_page_file made it (each byte of page p is p + 1), or 0 without one.
static uint64_t file_word(size_t i) {
  return file_backed ? 0x0101010101010101ull * (uint8_t)(i / kPageWords + 1) : 0;
}

static int in_pages(size_t i, size_t first) {
  return i >= first * kPageWords && i < (first + kSpan) * kPageWords;
}

// The value word i should hold, for a child or the parent.
static uint64_t expected(size_t i, int child) {
  if (child && in_pages(i, kChildWrites)) return ~word_at(i);
  if (!child && in_pages(i, kParentWrites)) return word_at(i) ^ 0x5555;
  if (child && in_pages(i, kChildDrops)) return file_word(i);
  if (i >= written_words) return file_word(i);
  return i % 8 ? 0 : word_at(i);
}

static int holds(const uint64_t* words, size_t count, int child) {
  for (size_t i = 0; i < count; ++i)
    if (words[i] != expected(i, child)) return 0;
  return 1;
}

static void rewrite(uint64_t* words, int child) {
  size_t first = child ? kChildWrites : kParentWrites;
  for (size_t i = first * kPageWords; i < (first + kSpan) * kPageWords; ++i)
    words[i] = expected(i, child);
}

static uint64_t* map_memory(size_t bytes, const char* path) {
  int fd = -1;
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  if (path) {
    fd = zdtm_page_file(path, bytes / 4096);
    flags = MAP_PRIVATE;
  }
  uint64_t* words = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (words == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  if (fd >= 0) close(fd);
  return words;
}

static void run_child(uint64_t* words, size_t count, int changed) {
  signal(SIGTERM, SIG_IGN);
  rewrite(words, 1);
  if (madvise(words + kChildDrops * kPageWords, kSpan * 4096, MADV_DONTNEED) != 0) _exit(2);
  if (write(changed, "c", 1) != 1) _exit(2);
  while (!check_now) pause();
  _exit(holds(words, count, 1) ? 0 : 1);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  size_t mib = argc > 2 ? (size_t)atoi(argv[2]) : 32;
  if (mib < 1) zdtm_fail("needs at least 1 MiB");
  file_backed = argc > 3;
  size_t count = mib * (1u << 20) / 8;
  uint64_t* words = map_memory(count * 8, file_backed ? argv[3] : NULL);
  written_words = file_backed ? count / 2 : count;
  for (size_t i = 0; i < written_words; ++i) words[i] = i % 8 ? 0 : word_at(i);
  signal(SIGUSR1, on_usr1);
  int changed[2];
  if (pipe(changed) != 0) zdtm_fail("pipe: %s", strerror(errno));
  pid_t children[kChildren];
  for (int c = 0; c < kChildren; ++c) {
    children[c] = fork();
    if (children[c] < 0) zdtm_fail("fork: %s", strerror(errno));
    if (children[c] == 0) run_child(words, count, changed[1]);
  }
  rewrite(words, 0);
  for (int c = 0; c < kChildren; ++c) {
    char done;
    if (read(changed[0], &done, 1) != 1) zdtm_fail("a child did not change its copy");
  }
  zdtm_ready();
  while (!zdtm_stop) pause();

  for (int c = 0; c < kChildren; ++c) kill(children[c], SIGUSR1);
  for (int c = 0; c < kChildren; ++c) {
    int status = 0;
    if (waitpid(children[c], &status, 0) != children[c]) zdtm_fail("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) zdtm_fail("a child's copy changed");
  }
  if (!holds(words, count, 0)) zdtm_fail("the parent's copy changed");
  zdtm_pass();
}
