// File times and holes across a checkpoint. In directory argv[2] (a tmpfs of the container): a
// file "old" and a directory "olddir" (holding "inner") whose access times are older than their
// modification times (so any read by the dump would move them: relatime), set to fixed past
// times; and a sparse file deleted while open (fd 3): 1 GiB + 123 bytes with 4 KiB of data at 0
// and at 512 MiB, offset 4242, with past times. On SIGTERM it passes when the times of all three
// are the ones set (nanoseconds included), the deleted file is still deleted, has its size, its
// holes (SEEK_DATA/SEEK_HOLE show the same two data ranges, few blocks allocated), offset and data.
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/stat.h>

#include "zdtm.h"

enum { kChunk = 4096 };
static const off_t kSize = (1ll << 30) + 123, kSecond = 512ll << 20, kOffset = 4242;
static const struct timespec kTimes[2] = {{978307200, 123456789}, {1009843200, 987654321}};
static char dir[256];

static void path_of(char* out, size_t size, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void set_times(const char* name) {
  char path[320];
  path_of(path, sizeof path, name);
  if (utimensat(AT_FDCWD, path, kTimes, 0) != 0) zdtm_fail("utimensat %s: %m", path);
}

static void check_times(const char* what, const struct stat* st) {
  if (st->st_atim.tv_sec != kTimes[0].tv_sec || st->st_atim.tv_nsec != kTimes[0].tv_nsec)
    zdtm_fail("%s: atime %lld.%09ld, expected %lld.%09ld", what, (long long)st->st_atim.tv_sec,
              st->st_atim.tv_nsec, (long long)kTimes[0].tv_sec, kTimes[0].tv_nsec);
  if (st->st_mtim.tv_sec != kTimes[1].tv_sec || st->st_mtim.tv_nsec != kTimes[1].tv_nsec)
    zdtm_fail("%s: mtime %lld.%09ld, expected %lld.%09ld", what, (long long)st->st_mtim.tv_sec,
              st->st_mtim.tv_nsec, (long long)kTimes[1].tv_sec, kTimes[1].tv_nsec);
}

static void check_named(const char* name) {
  char path[320];
  path_of(path, sizeof path, name);
  struct stat st;
  if (stat(path, &st) != 0) zdtm_fail("stat %s: %m", path);
  check_times(path, &st);
}

static void fill(char* buf, char seed) {
  for (int i = 0; i < kChunk; ++i) buf[i] = (char)(seed + i * 7);
}

static void check_data(off_t at, char seed) {
  char want[kChunk], got[kChunk];
  fill(want, seed);
  if (pread(3, got, kChunk, at) != kChunk) zdtm_fail("read at %lld: %m", (long long)at);
  if (memcmp(want, got, kChunk) != 0) zdtm_fail("data at %lld changed", (long long)at);
}

static void check_sparse(void) {
  struct stat st;
  if (fstat(3, &st) != 0) zdtm_fail("fstat: %m");
  if (st.st_nlink != 0) zdtm_fail("the deleted file has %lu links", (unsigned long)st.st_nlink);
  if (st.st_size != kSize) zdtm_fail("size %lld, expected %lld", (long long)st.st_size, (long long)kSize);
  if (st.st_blocks * 512 > 1 << 20)
    zdtm_fail("%lld bytes allocated: the holes were filled", (long long)st.st_blocks * 512);
  check_times("the deleted file", &st);
  if (lseek(3, 0, SEEK_CUR) != kOffset) zdtm_fail("offset moved");
  off_t data = lseek(3, 0, SEEK_DATA), hole = lseek(3, 0, SEEK_HOLE);
  off_t second = lseek(3, kChunk, SEEK_DATA);
  if (data != 0 || hole != kChunk || second != kSecond || lseek(3, kSecond, SEEK_HOLE) != kSecond + kChunk)
    zdtm_fail("data ranges moved: data %lld hole %lld next data %lld", (long long)data,
              (long long)hole, (long long)second);
  check_data(0, 'a');
  check_data(kSecond, 'q');
  char byte;
  if (pread(3, &byte, 1, kSize - 1) != 1 || byte != 0) zdtm_fail("last byte not a zero of a hole");
}

static void make_sparse(void) {
  char path[320], buf[kChunk];
  path_of(path, sizeof path, "sparse");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || dup2(fd, 3) != 3) zdtm_fail("open %s: %m", path);
  if (fd != 3) close(fd);
  fill(buf, 'a');
  if (pwrite(3, buf, kChunk, 0) != kChunk) zdtm_fail("write: %m");
  fill(buf, 'q');
  if (pwrite(3, buf, kChunk, kSecond) != kChunk || ftruncate(3, kSize) != 0) zdtm_fail("write: %m");
  if (futimens(3, kTimes) != 0) zdtm_fail("futimens: %m");
  if (unlink(path) != 0) zdtm_fail("unlink: %m");
  lseek(3, kOffset, SEEK_SET);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  snprintf(dir, sizeof dir, "%s", argc > 2 ? argv[2] : "/tmp");
  char path[320];
  path_of(path, sizeof path, "old");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "contents\n", 9) != 9) zdtm_fail("write %s: %m", path);
  close(fd);
  path_of(path, sizeof path, "olddir");
  if (mkdir(path, 0755) != 0) zdtm_fail("mkdir %s: %m", path);
  path_of(path, sizeof path, "olddir/inner");
  if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0) zdtm_fail("create %s: %m", path);
  close(fd);
  set_times("olddir/inner");
  set_times("old");
  set_times("olddir");
  make_sparse();
  zdtm_ready();
  while (!zdtm_stop) pause();
  check_named("old");
  check_named("olddir");
  check_named("olddir/inner");
  check_sparse();
  zdtm_pass();
}
