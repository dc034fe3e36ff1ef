// Memory a parent and its forked child still share copy-on-write: the parent fills argv[2] MiB
// (default 32) of private anonymous memory and forks (nginx-style master and worker). After the
// fork each changes a little of it, so that shared, own and dropped pages sit side by side: the
// child rewrites pages [0, 16), the parent pages [16, 32), and the child drops pages [32, 48)
// (MADV_DONTNEED: zeros for it, the parent keeps its copy); nobody touches the rest. On SIGTERM
// the parent has the child check its copy (SIGUSR1), checks its own, and reports. How much
// memory the pair takes is measured from outside (smaps_rollup Pss).
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

enum { kPageWords = 4096 / 8, kChildWrites = 0, kParentWrites = 16, kChildDrops = 32, kSpan = 16 };

static volatile sig_atomic_t check_now = 0;

static void on_usr1(int sig) {
  (void)sig;
  check_now = 1;
}

static uint64_t word_at(size_t i) {
  return i * 0x9e3779b97f4a7c15ull + 1;
}

static int in_pages(size_t i, size_t first) {
  return i >= first * kPageWords && i < (first + kSpan) * kPageWords;
}

// The value word i should hold, for the child or the parent.
static uint64_t expected(size_t i, int child) {
  if (child && in_pages(i, kChildWrites)) return ~word_at(i);
  if (!child && in_pages(i, kParentWrites)) return word_at(i) ^ 0x5555;
  if (child && in_pages(i, kChildDrops)) return 0;
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

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  size_t mib = argc > 2 ? (size_t)atoi(argv[2]) : 32;
  if (mib < 1) zdtm_fail("needs at least 1 MiB");
  size_t count = mib * (1u << 20) / 8;
  uint64_t* words = mmap(NULL, count * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (words == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  for (size_t i = 0; i < count; ++i) words[i] = i % 8 ? 0 : word_at(i);
  signal(SIGUSR1, on_usr1);
  int changed[2];
  if (pipe(changed) != 0) zdtm_fail("pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child == 0) {
    signal(SIGTERM, SIG_IGN);
    rewrite(words, 1);
    if (madvise(words + kChildDrops * kPageWords, kSpan * 4096, MADV_DONTNEED) != 0) _exit(2);
    if (write(changed[1], "c", 1) != 1) _exit(2);
    while (!check_now) pause();
    _exit(holds(words, count, 1) ? 0 : 1);
  }
  rewrite(words, 0);
  char c;
  if (read(changed[0], &c, 1) != 1) zdtm_fail("the child did not change its copy");
  zdtm_ready();
  while (!zdtm_stop) pause();

  kill(child, SIGUSR1);
  int status = 0;
  if (waitpid(child, &status, 0) != child) zdtm_fail("waitpid: %s", strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) zdtm_fail("the child's copy changed");
  if (!holds(words, count, 0)) zdtm_fail("the parent's copy changed");
  zdtm_pass();
}
