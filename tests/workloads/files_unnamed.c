// Files without a name and pipes with boundaries, across a checkpoint. argv[2] is a directory
// (the test's work dir). A file opened with O_TMPFILE there (never named: its fd shows
// "DIR/#INODE (deleted)"), with data, a hole and an offset, and a second description of it
// (through /proc/self/fd); a pipe in packet mode (pipe2 O_DIRECT) with three packets queued, of
// which a short read must take only the first (and drop its rest). After the restore the file
// must still be unnamed with O_TMPFILE in its flags, its data, hole, size and offsets as they
// were, and each read of the pipe must give one packet.
#define _GNU_SOURCE
#include <sys/stat.h>

#include "zdtm.h"

static const char* kPackets[] = {"first packet", "2nd", "the third packet"};

static void check_file(int fd, int other, const char* when) {
  int flags = fcntl(fd, F_GETFL);
  if ((flags & O_TMPFILE) != O_TMPFILE) zdtm_fail("%s: flags %#o lack O_TMPFILE", when, flags);
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_nlink != 0) zdtm_fail("%s: the file has a name", when);
  if (st.st_size != 3 * 4096 + 5) zdtm_fail("%s: size %ld", when, (long)st.st_size);
  char buf[8] = {0};
  if (pread(fd, buf, 5, 0) != 5 || memcmp(buf, "head!", 5)) zdtm_fail("%s: head %s", when, buf);
  if (pread(fd, buf, 5, 3 * 4096) != 5 || memcmp(buf, "tail!", 5)) zdtm_fail("%s: tail", when);
  if (lseek(fd, 0, SEEK_CUR) != 7 || lseek(other, 0, SEEK_CUR) != 11)
    zdtm_fail("%s: offsets %ld %ld", when, (long)lseek(fd, 0, SEEK_CUR), (long)lseek(other, 0, SEEK_CUR));
  if (lseek(fd, 0, SEEK_DATA) != 0 || lseek(fd, 0, SEEK_HOLE) != 4096)
    zdtm_fail("%s: the hole at 4096 is gone", when);
  lseek(fd, 7, SEEK_SET);  // (SEEK_DATA and SEEK_HOLE move the offset)
  // the same file: a write through one shows through the other
  if (pwrite(other, "X", 1, 1) != 1 || pread(fd, buf, 1, 1) != 1 || buf[0] != 'X')
    zdtm_fail("%s: the two descriptions are not one file", when);
  pwrite(other, "e", 1, 1);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* dir = argc > 2 ? argv[2] : "/tmp";
  int fd = open(dir, O_TMPFILE | O_RDWR, 0640);
  if (fd < 0) zdtm_fail("O_TMPFILE in %s: %s", dir, strerror(errno));
  if (pwrite(fd, "head!", 5, 0) != 5 || pwrite(fd, "tail!", 5, 3 * 4096) != 5) zdtm_fail("write");
  lseek(fd, 7, SEEK_SET);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int other = open(path, O_RDWR);
  if (other < 0) zdtm_fail("reopen: %s", strerror(errno));
  lseek(other, 11, SEEK_SET);
  check_file(fd, other, "before");

  int p[2];
  if (pipe2(p, O_DIRECT) != 0) zdtm_fail("pipe2(O_DIRECT): %s", strerror(errno));
  for (int i = 0; i < 3; ++i)
    if (write(p[1], kPackets[i], strlen(kPackets[i])) != (ssize_t)strlen(kPackets[i])) zdtm_fail("write packet");
  zdtm_ready();
  while (!zdtm_stop) pause();

  check_file(fd, other, "after");
  char buf[64] = {0};
  if (read(p[0], buf, 5) != 5 || memcmp(buf, "first", 5)) zdtm_fail("short read of packet 1: %s", buf);
  for (int i = 1; i < 3; ++i) {
    memset(buf, 0, sizeof buf);
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n != (ssize_t)strlen(kPackets[i]) || memcmp(buf, kPackets[i], n))
      zdtm_fail("packet %d: read %zd bytes '%s'", i + 1, n, buf);
  }
  zdtm_pass();
}
