// One open file description shared across a checkpoint, and the small fds around it. Parent
// and child take turns (token pipes) writing 10-byte records through the same description, so
// each write lands at the offset the other left. Also: a dup with close-on-exec, /dev/null,
// /dev/zero, /dev/urandom, an eventfd (semaphore, count 5), an O_APPEND log, a directory.
// On SIGTERM the parent passes when the records alternate without gap or overlap and ended
// at the shared offset, and every other fd still is what it was.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "zdtm.h"

enum {
  kShared = 3,
  kSharedDup = 4,
  kNull = 5,
  kZero = 6,
  kRandom = 7,
  kEvent = 8,
  kLog = 9,
  kDir = 10,
  kRecord = 10
};

static void place(int fd, int target) {
  if (fd < 0) zdtm_fail("open for fd %d: %s", target, strerror(errno));
  if (fd != target && (dup2(fd, target) != target || close(fd) != 0)) zdtm_fail("dup2 %d", target);
}

static void write_record(char who, uint64_t n) {
  char record[kRecord + 1];
  snprintf(record, sizeof record, "%c%08llu\n", who, (unsigned long long)(n % 100000000));
  if (write(kShared, record, kRecord) != kRecord)
    zdtm_fail("%c: write record %llu", who, (unsigned long long)n);
}

static void take_turns(int in, int out, char who) {
  uint64_t n;
  for (;;) {
    ssize_t r = read(in, &n, sizeof n);
    if (r < 0 && errno == EINTR) continue;
    if (r != sizeof n) _exit(0);
    write_record(who, n);
    if (write(out, &n, sizeof n) != sizeof n) _exit(0);
  }
}

static void check_records(uint64_t rounds) {
  off_t end = lseek(kSharedDup, 0, SEEK_CUR);
  if (end != (off_t)(rounds * 2 * kRecord))
    zdtm_fail("shared offset %lld after %llu rounds", (long long)end, (unsigned long long)rounds);
  struct stat st;
  fstat(kShared, &st);
  if (st.st_size != end)
    zdtm_fail("file size %lld, offset %lld", (long long)st.st_size, (long long)end);
  char record[kRecord + 1], expected[kRecord + 1];
  for (uint64_t i = 0; i < rounds * 2; ++i) {
    if (pread(kShared, record, kRecord, (off_t)(i * kRecord)) != kRecord)
      zdtm_fail("read record %llu", (unsigned long long)i);
    snprintf(expected, sizeof expected, "%c%08llu\n", i % 2 ? 'C' : 'P',
             (unsigned long long)(i / 2 % 100000000));
    if (memcmp(record, expected, kRecord) != 0)
      zdtm_fail("record %llu is %.9s", (unsigned long long)i, record);
  }
}

static void check_small_fds(void) {
  if (fcntl(kShared, F_GETFD) != 0) zdtm_fail("fd %d gained close-on-exec", kShared);
  if (fcntl(kSharedDup, F_GETFD) != FD_CLOEXEC) zdtm_fail("fd %d lost close-on-exec", kSharedDup);
  if (write(kNull, "x", 1) != 1) zdtm_fail("/dev/null not writable");
  char buf[64];
  memset(buf, 1, sizeof buf);
  if (read(kZero, buf, sizeof buf) != sizeof buf || buf[0] != 0 || buf[63] != 0)
    zdtm_fail("/dev/zero");
  if (read(kRandom, buf, sizeof buf) != sizeof buf) zdtm_fail("/dev/urandom");
  uint64_t value;
  for (int i = 0; i < 5; ++i)
    if (read(kEvent, &value, sizeof value) != sizeof value || value != 1)
      zdtm_fail("eventfd read %d", i);
  if (read(kEvent, &value, sizeof value) != -1 || errno != EAGAIN)
    zdtm_fail("eventfd count above 5");
  int flags = fcntl(kLog, F_GETFL);
  if ((flags & O_APPEND) == 0 || (flags & O_ACCMODE) != O_WRONLY) zdtm_fail("log flags 0%o", flags);
  struct stat st;
  if (fstat(kDir, &st) != 0 || !S_ISDIR(st.st_mode)) zdtm_fail("fd %d is no directory", kDir);
  if (write(1, "files_shared: console still works\n", 34) != 34) zdtm_fail("stdout");
}

static void open_small_fds(const char* dir) {
  char path[256];
  snprintf(path, sizeof path, "%.200s/shared", dir);
  place(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), kShared);
  if (fcntl(kShared, F_DUPFD_CLOEXEC, kSharedDup) != kSharedDup) zdtm_fail("dup shared");
  place(open("/dev/null", O_WRONLY), kNull);
  place(open("/dev/zero", O_RDONLY), kZero);
  place(open("/dev/urandom", O_RDONLY), kRandom);
  place(eventfd(5, EFD_NONBLOCK | EFD_SEMAPHORE), kEvent);
  snprintf(path, sizeof path, "%.200s/log", dir);
  place(open(path, O_WRONLY | O_APPEND | O_CREAT, 0644), kLog);
  place(open(dir, O_RDONLY | O_DIRECTORY), kDir);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  open_small_fds(argc > 2 ? argv[2] : "/tmp");
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) zdtm_fail("pipe");
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(to_child[1]);
    close(to_parent[0]);
    take_turns(to_child[0], to_parent[1], 'C');
  }
  close(to_child[0]);
  close(to_parent[1]);
  uint64_t rounds = 0;
  while (!zdtm_stop) {
    write_record('P', rounds);
    if (write(to_child[1], &rounds, sizeof rounds) != sizeof rounds) zdtm_fail("child gone");
    uint64_t back;
    ssize_t r;
    while ((r = read(to_parent[0], &back, sizeof back)) < 0 && errno == EINTR) {
    }
    if (r != sizeof back || back != rounds)
      zdtm_fail("turn %llu not returned", (unsigned long long)rounds);
    if (++rounds == 1) zdtm_ready();
    usleep(5000);
  }
  check_records(rounds);
  check_small_fds();
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  zdtm_report("rounds %llu", (unsigned long long)rounds);
  zdtm_pass();
}
