// A file opened then deleted: 1 MiB + 123 bytes of a pattern written to argv[2]/deleted (or
// /tmp), unlinked while open, offset left at 777. On SIGTERM it passes when the file is still
// deleted (nlink 0, "(deleted)" in /proc/self/fd), the offset is 777 and every byte is intact.
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "zdtm.h"

enum { kSize = (1 << 20) + 123, kOffset = 777 };

static unsigned char pattern(size_t i) {
  return (unsigned char)(i * 31 + (i >> 12));
}

static void check_file(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) zdtm_fail("fstat: %s", strerror(errno));
  if (st.st_nlink != 0) zdtm_fail("file has %lu links again", (unsigned long)st.st_nlink);
  if (st.st_size != kSize) zdtm_fail("size %lld, expected %d", (long long)st.st_size, kSize);
  char link[256];
  ssize_t n = readlink("/proc/self/fd/3", link, sizeof link - 1);
  if (n < 0) zdtm_fail("readlink: %s", strerror(errno));
  link[n] = 0;
  if (!strstr(link, "(deleted)")) zdtm_fail("fd 3 is %.200s, not deleted", link);
  off_t pos = lseek(fd, 0, SEEK_CUR);
  if (pos != kOffset) zdtm_fail("offset %lld, expected %d", (long long)pos, kOffset);
  static unsigned char buf[kSize];
  if (pread(fd, buf, kSize, 0) != kSize) zdtm_fail("short read");
  for (size_t i = 0; i < kSize; ++i)
    if (buf[i] != pattern(i)) zdtm_fail("byte %zu changed", i);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  char path[256];
  snprintf(path, sizeof path, "%s/deleted", argc > 2 ? argv[2] : "/tmp");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
  if (fd < 0 || dup2(fd, 3) != 3) zdtm_fail("open %s: %s", path, strerror(errno));
  if (fd != 3) close(fd);
  static unsigned char buf[kSize];
  for (size_t i = 0; i < kSize; ++i) buf[i] = pattern(i);
  if (write(3, buf, kSize) != kSize) zdtm_fail("write %s", path);
  lseek(3, kOffset, SEEK_SET);
  if (unlink(path) != 0) zdtm_fail("unlink %s: %s", path, strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();
  check_file(3);
  zdtm_pass();
}
