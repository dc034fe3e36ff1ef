// Per-mm and per-mapping kernel settings: THP disabled for the process (prctl PR_SET_THP_DISABLE)
// and an anonymous area whose parts carry each madvise(2) advice smaps shows (DONTFORK,
// DONTDUMP, HUGEPAGE, NOHUGEPAGE, MERGEABLE when the kernel has KSM, WIPEONFORK), every part
// filled with its own pattern. On SIGTERM: the prctl answers as before, smaps shows each part's
// flag again, every page holds its pattern, and a child forked now sees the WIPEONFORK part
// zeroed and has no DONTFORK part.
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "zdtm.h"

#define PAGE 4096ul
#define PART_PAGES 16ul

struct part {
  int advice;
  const char* word;  // smaps VmFlags
};

static const struct part parts[] = {
    {MADV_DONTFORK, "dc"},  {MADV_DONTDUMP, "dd"},  {MADV_HUGEPAGE, "hg"},
    {MADV_NOHUGEPAGE, "nh"}, {MADV_MERGEABLE, "mg"}, {MADV_WIPEONFORK, "wf"},
};
#define NPARTS (sizeof parts / sizeof parts[0])

static int has_ksm(void) {
  return access("/sys/kernel/mm/ksm/run", F_OK) == 0;
}

// The part i lies at base + (2 i + 1) parts: a plain part between two advised ones keeps their
// VMAs apart.
static unsigned char* part_at(unsigned char* base, size_t i) {
  return base + (2 * i + 1) * PART_PAGES * PAGE;
}

static unsigned char pattern(size_t part, size_t page) {
  return (unsigned char)(0x40 + part * 16 + page);
}

// The VmFlags line of the mapping starting at `at`, in smaps.
static int vmflags_of(unsigned char* at, char* out, size_t size) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int found = 0;
  unsigned long start, end;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      found = start <= (unsigned long)at && (unsigned long)at < end;
      continue;
    }
    if (found && strncmp(line, "VmFlags:", 8) == 0) {
      size_t n = strlen(line + 8) < size - 1 ? strlen(line + 8) : size - 1;
      memcpy(out, line + 8, n);
      out[n] = 0;
      fclose(f);
      return 0;
    }
  }
  fclose(f);
  return -1;
}

static int has_word(const char* flags, const char* word) {
  char padded[8];
  snprintf(padded, sizeof padded, " %s ", word);
  char line[270];
  snprintf(line, sizeof line, " %s ", flags);
  for (char* nl = strchr(line, '\n'); nl; nl = strchr(line, '\n')) *nl = ' ';
  return strstr(line, padded) != NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) zdtm_fail("PR_SET_THP_DISABLE: %s", strerror(errno));
  size_t total = (2 * NPARTS + 1) * PART_PAGES * PAGE;
  unsigned char* base =
      mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  for (size_t i = 0; i < NPARTS; ++i) {
    for (size_t p = 0; p < PART_PAGES; ++p) memset(part_at(base, i) + p * PAGE, pattern(i, p), PAGE);
    if (parts[i].advice == MADV_MERGEABLE && !has_ksm()) continue;
    if (madvise(part_at(base, i), PART_PAGES * PAGE, parts[i].advice) != 0)
      zdtm_fail("madvise %s: %s", parts[i].word, strerror(errno));
  }
  zdtm_ready();
  while (!zdtm_stop) pause();

  int thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  if (thp != 1) zdtm_fail("PR_GET_THP_DISABLE is %d, not 1", thp);
  for (size_t i = 0; i < NPARTS; ++i) {
    char flags[256];
    if (vmflags_of(part_at(base, i), flags, sizeof flags) != 0)
      zdtm_fail("no smaps entry for part %s", parts[i].word);
    int want = parts[i].advice != MADV_MERGEABLE || has_ksm();
    if (has_word(flags, parts[i].word) != want)
      zdtm_fail("part %s: VmFlags%s", parts[i].word, flags);
    for (size_t p = 0; p < PART_PAGES; ++p)
      for (size_t b = 0; b < PAGE; b += 512)
        if (part_at(base, i)[p * PAGE + b] != pattern(i, p))
          zdtm_fail("part %s page %zu lost its contents", parts[i].word, p);
  }
  // What the advice does: a child sees the WIPEONFORK part zeroed and has no DONTFORK part.
  pid_t child = fork();
  if (child == 0) {
    unsigned char* wiped = part_at(base, 5);
    if (wiped[0] != 0 || wiped[PAGE * 3] != 0) _exit(2);
    if (msync(part_at(base, 0), PAGE, MS_ASYNC) == 0 || errno != ENOMEM) _exit(3);
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    zdtm_fail("forked child: status %#x (2: WIPEONFORK part not wiped, 3: DONTFORK part there)",
              status);
  zdtm_pass();
}
