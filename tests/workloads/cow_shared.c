// Memory a parent and its forked child still share copy-on-write: the parent fills argv[2] MiB
// (default 32) of private anonymous memory, forks, and neither writes it again (nginx-style
// master and worker). On SIGTERM the parent has the child check its copy (SIGUSR1), checks its
// own, and reports. How much memory the pair takes is measured from outside (smaps_rollup Pss).
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

static volatile sig_atomic_t check_now = 0;

static void on_usr1(int sig) {
  (void)sig;
  check_now = 1;
}

static uint64_t word_at(size_t i) {
  return i * 0x9e3779b97f4a7c15ull + 1;
}

static int holds(const uint64_t* words, size_t count) {
  for (size_t i = 0; i < count; i += 8)
    if (words[i] != word_at(i)) return 0;
  return 1;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  size_t mib = argc > 2 ? (size_t)atoi(argv[2]) : 32;
  size_t count = mib * (1u << 20) / 8;
  uint64_t* words = mmap(NULL, count * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (words == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  for (size_t i = 0; i < count; ++i) words[i] = i % 8 ? 0 : word_at(i);
  signal(SIGUSR1, on_usr1);
  pid_t child = fork();
  if (child == 0) {
    signal(SIGTERM, SIG_IGN);
    while (!check_now) pause();
    _exit(holds(words, count) ? 0 : 1);
  }
  zdtm_ready();
  while (!zdtm_stop) pause();

  kill(child, SIGUSR1);
  int status = 0;
  if (waitpid(child, &status, 0) != child) zdtm_fail("waitpid: %s", strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) zdtm_fail("the child's copy changed");
  if (!holds(words, count)) zdtm_fail("the parent's copy changed");
  zdtm_pass();
}
