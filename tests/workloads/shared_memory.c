// Memory shared between a parent and two forked children, of every kind ckpt restores:
//  - a 4 MiB MAP_SHARED | MAP_ANONYMOUS region (first page: each process's counter, which it
//    keeps incrementing and checks against its private copy; a marked page at 2 MiB; the rest
//    never touched),
//  - a memfd "ckpt-shm" mapped shared by the parent and child 1, also held as fd 10 with seals
//    and offset 1234,
//  - a SysV segment attached by all three (inherited), and once more read-only by child 2;
//    another one removed (IPC_RMID) while attached by all three,
//  - a private mapping of a file deleted while mapped (one page written, so a private copy),
//    made next to the result file argv[1],
//  - a file deleted while both mapped shared (by all three) and held as fd 11 (offset 777) by
//    the parent: the fd and the mappings are one file, before and after restore.
// On SIGTERM to the parent every process checks its view; writes made after the restore by one
// process must be seen by the others through each kind of shared memory.
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

enum { kRegion = 4 << 20, kMemfdSize = 64 << 10, kShmSize = 64 << 10, kFilePages = 3 };
enum { kMemfdFd = 10, kMemfdOffset = 1234, kHeldFd = 11, kHeldOffset = 777 };
enum { kSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL };

struct board {
  volatile long counter[3];  // each process's own counter
  volatile int phase;        // 1: check (set by the parent after SIGTERM), 2: exit
  volatile long token;       // written by the parent during the check
  volatile long echo[3];     // copied from token by each child through the anonymous region
  volatile int verdict[3];   // 1 pass, 2 fail
  char why[3][200];
};

static struct board* board;
static unsigned char *memfd_map, *shm_map, *removed_map, *file_map, *held_map;
static int shm_id, removed_id;

static unsigned char pattern(size_t i, int salt) {
  return (unsigned char)(i * 13 + salt + (i >> 12));
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int check_pattern(const unsigned char* p, size_t from, size_t to, int salt) {
  for (size_t i = from; i < to; ++i)
    if (p[i] != pattern(i, salt)) return 0;
  return 1;
}

// The perms column of /proc/self/maps for the mapping at `addr` ("" when none).
static const char* perms_at(const void* addr, char* line, size_t size) {
  FILE* f = fopen("/proc/self/maps", "r");
  line[0] = 0;
  while (f && fgets(line, (int)size, f)) {
    unsigned long start;
    if (sscanf(line, "%lx-", &start) == 1 && start == (unsigned long)addr) break;
    line[0] = 0;
  }
  if (f) fclose(f);
  return line;
}

// kFilePages pages of pattern(., salt) written to `fd` (the file at `path`).
static void write_pattern(int fd, int salt, const char* path) {
  static unsigned char page[4096];
  for (int p = 0; p < kFilePages; ++p) {
    for (size_t i = 0; i < 4096; ++i) page[i] = pattern(p * 4096 + i, salt);
    if (write(fd, page, 4096) != 4096) zdtm_fail("write %s", path);
  }
}

static void set_up(const char* result) {
  board = mmap(NULL, kRegion, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (board == MAP_FAILED) zdtm_fail("mmap shared anonymous");
  memset((char*)board + (2 << 20), 0x5a, 4096);

  int fd = memfd_create("ckpt-shm", MFD_ALLOW_SEALING);
  if (fd < 0 || dup2(fd, kMemfdFd) != kMemfdFd) zdtm_fail("memfd_create: %s", strerror(errno));
  close(fd);
  if (ftruncate(kMemfdFd, kMemfdSize) != 0) zdtm_fail("ftruncate memfd");
  memfd_map = mmap(NULL, kMemfdSize, PROT_READ | PROT_WRITE, MAP_SHARED, kMemfdFd, 0);
  if (memfd_map == MAP_FAILED) zdtm_fail("mmap memfd");
  for (size_t i = 0; i < kMemfdSize / 2; ++i) memfd_map[i] = pattern(i, 1);
  if (fcntl(kMemfdFd, F_ADD_SEALS, kSeals) != 0) zdtm_fail("F_ADD_SEALS: %s", strerror(errno));
  lseek(kMemfdFd, kMemfdOffset, SEEK_SET);

  shm_id = shmget(IPC_PRIVATE, kShmSize, IPC_CREAT | 0600);
  shm_map = shm_id < 0 ? (void*)-1 : shmat(shm_id, NULL, 0);
  if (shm_map == (void*)-1) zdtm_fail("shmget/shmat: %s", strerror(errno));
  for (size_t i = 0; i < kShmSize / 2; ++i) shm_map[i] = pattern(i, 2);
  removed_id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  removed_map = removed_id < 0 ? (void*)-1 : shmat(removed_id, NULL, 0);
  if (removed_map == (void*)-1) zdtm_fail("shmget/shmat: %s", strerror(errno));
  for (size_t i = 0; i < 8192; ++i) removed_map[i] = pattern(i, 4);
  if (shmctl(removed_id, IPC_RMID, NULL) != 0) zdtm_fail("IPC_RMID: %s", strerror(errno));

  char path[256];
  snprintf(path, sizeof path, "%s.mapped-then-deleted", result);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) zdtm_fail("open %s: %s", path, strerror(errno));
  write_pattern(fd, 3, path);
  file_map = mmap(NULL, kFilePages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (file_map == MAP_FAILED) zdtm_fail("mmap %s", path);
  close(fd);
  unlink(path);
  memset(file_map + 4096, 0xa5, 4096);  // the private copy of page 1

  snprintf(path, sizeof path, "%s.held-then-deleted", result);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || dup2(fd, kHeldFd) != kHeldFd) zdtm_fail("open %s: %s", path, strerror(errno));
  close(fd);
  write_pattern(kHeldFd, 5, path);
  held_map = mmap(NULL, kFilePages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kHeldFd, 0);
  if (held_map == MAP_FAILED) zdtm_fail("mmap %s", path);
  unlink(path);
  lseek(kHeldFd, kHeldOffset, SEEK_SET);
}

// Checks what every process sees; returns NULL or why it failed.
static const char* check_common(void) {
  static char why[200];
  unsigned char* untouched = (unsigned char*)board + (1 << 20);
  for (size_t i = 0; i < 4096; ++i)
    if (untouched[i]) return "a never-touched page of the anonymous region is not zero";
  if (((unsigned char*)board)[(2 << 20) + 100] != 0x5a) return "the marked page changed";
  if (!check_pattern(memfd_map, 0, kMemfdSize / 2, 1)) return "memfd contents changed";
  if (!check_pattern(shm_map, 0, kShmSize / 2, 2)) return "SysV contents changed";
  if (!check_pattern(removed_map, 0, 8192, 4)) return "removed SysV segment's contents changed";
  if (!check_pattern(file_map, 0, 4096, 3) || !check_pattern(file_map, 8192, 12288, 3))
    return "deleted file's pages changed";
  if (file_map[4096] != 0xa5 || file_map[8191] != 0xa5) return "private copy of page 1 lost";
  if (!check_pattern(held_map, 0, 2 * 4096, 5)) return "held deleted file's pages changed";
  char line[512];
  if (!strstr(perms_at(file_map, line, sizeof line), "(deleted)")) {
    snprintf(why, sizeof why, "deleted file mapping is now: %.150s", line);
    return why;
  }
  return NULL;
}

// Child 1 echoes the token through the memfd and the SysV segment too; child 2 checks its
// read-only attachment.
static const char* check_child(int i, const unsigned char* ro_shm) {
  const char* why = check_common();
  if (why) return why;
  for (int tries = 0; tries < 500 && !board->token; ++tries) pause_ms(10);
  long token = board->token;
  if (!token) return "no token from the parent";
  board->echo[i] = token;
  if (i == 1) {
    memcpy(memfd_map + kMemfdSize - 8, &token, 8);
    memcpy(shm_map + kShmSize - 8, &token, 8);
    memcpy(held_map + kFilePages * 4096 - 8, &token, 8);
  }
  if (i == 2) {
    char line[512];
    if (!strstr(perms_at(ro_shm, line, sizeof line), " r--s ")) return "read-only attach lost";
    if (!check_pattern(ro_shm, 0, kShmSize / 2, 2)) return "read-only attach differs";
  }
  return NULL;
}

static void child(int i) {
  const unsigned char* ro_shm = NULL;
  if (i == 2 && (ro_shm = shmat(shm_id, NULL, SHM_RDONLY)) == (void*)-1) _exit(3);
  long mine = 0;
  while (board->phase == 0) {
    if (board->counter[i] != mine) {
      snprintf(board->why[i], sizeof board->why[i], "counter %ld, expected %ld", board->counter[i],
               mine);
      board->verdict[i] = 2;
      _exit(1);
    }
    board->counter[i] = ++mine;
    pause_ms(1);
  }
  const char* why = check_child(i, ro_shm);
  if (why) snprintf(board->why[i], sizeof board->why[i], "%s", why);
  board->verdict[i] = why ? 2 : 1;
  while (board->phase != 2) pause_ms(5);
  _exit(0);
}

static void check_memfd_fd(void) {
  char link[256];
  ssize_t n = readlink("/proc/self/fd/10", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  if (!strstr(link, "memfd:ckpt-shm")) zdtm_fail("fd 10 is %s", link);
  int seals = fcntl(kMemfdFd, F_GET_SEALS);
  if (seals != kSeals) zdtm_fail("seals %#x, expected %#x", seals, kSeals);
  if (lseek(kMemfdFd, 0, SEEK_CUR) != kMemfdOffset) zdtm_fail("memfd offset changed");
  if (lseek(kMemfdFd, 0, SEEK_END) != kMemfdSize) zdtm_fail("memfd size changed");
  unsigned char byte = 0x77;
  if (pwrite(kMemfdFd, &byte, 1, kMemfdSize - 100) != 1) zdtm_fail("write memfd");
  if (memfd_map[kMemfdSize - 100] != 0x77) zdtm_fail("memfd fd and mapping are not one object");
  if (ftruncate(kMemfdFd, 0) == 0) zdtm_fail("memfd can shrink: seals lost");
}

// The deleted file held as fd 11 and mapped: a write through either is seen through the other.
static void check_held_fd(void) {
  char link[256];
  ssize_t n = readlink("/proc/self/fd/11", link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  if (!strstr(link, "held-then-deleted (deleted)")) zdtm_fail("fd 11 is %s", link);
  if (lseek(kHeldFd, 0, SEEK_CUR) != kHeldOffset) zdtm_fail("held file offset changed");
  unsigned char byte = 0x66;
  if (pwrite(kHeldFd, &byte, 1, 2 * 4096 + 10) != 1) zdtm_fail("write held file");
  if (held_map[2 * 4096 + 10] != 0x66) zdtm_fail("held file's fd and mapping are not one file");
  held_map[2 * 4096 + 20] = 0x55;
  if (pread(kHeldFd, &byte, 1, 2 * 4096 + 20) != 1 || byte != 0x55)
    zdtm_fail("a write to the held file's mapping is not read through its fd");
}

static void check_parent(long mine) {
  if (board->counter[0] != mine)
    zdtm_fail("own counter %ld, expected %ld", board->counter[0], mine);
  long before[3] = {board->counter[0], board->counter[1], board->counter[2]};
  pause_ms(300);
  if (board->counter[1] <= before[1] || board->counter[2] <= before[2])
    zdtm_fail("children's counters stand still: %ld %ld", board->counter[1], board->counter[2]);
  const char* why = check_common();
  if (why) zdtm_fail("parent: %s", why);
  check_memfd_fd();
  check_held_fd();
  struct shmid_ds ds;
  if (shmctl(shm_id, IPC_STAT, &ds) != 0 || ds.shm_nattch != 4)
    zdtm_fail("SysV segment has %lu attachments, expected 4", (unsigned long)ds.shm_nattch);
  if (shmctl(removed_id, IPC_STAT, &ds) != 0 || ds.shm_nattch != 3 ||
      !(ds.shm_perm.mode & SHM_DEST))
    zdtm_fail("removed SysV segment: %lu attachments, mode %#o", (unsigned long)ds.shm_nattch,
              ds.shm_perm.mode);
  long token = (long)time(NULL) * 1000 + getpid();
  board->phase = 1;
  board->token = token;
  for (int i = 1; i <= 2; ++i) {
    for (int tries = 0; tries < 1000 && !board->verdict[i]; ++tries) pause_ms(10);
    if (board->verdict[i] != 1) zdtm_fail("child %d: %s", i, board->why[i]);
    if (board->echo[i] != token) zdtm_fail("child %d's write not seen", i);
  }
  long echoed1, echoed2;
  memcpy(&echoed1, memfd_map + kMemfdSize - 8, 8);
  memcpy(&echoed2, shm_map + kShmSize - 8, 8);
  if (echoed1 != token) zdtm_fail("child 1's write to the memfd not seen");
  if (echoed2 != token) zdtm_fail("child 1's write to the SysV segment not seen");
  long echoed3 = 0;
  if (pread(kHeldFd, &echoed3, 8, kFilePages * 4096 - 8) != 8 || echoed3 != token)
    zdtm_fail("child 1's write to the held deleted file not read through fd 11");
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  set_up(argc > 1 ? argv[1] : "/tmp/shared_memory");
  pid_t kids[3] = {0};
  for (int i = 1; i <= 2; ++i)
    if ((kids[i] = fork()) == 0) child(i);
  pause_ms(100);
  zdtm_ready();
  long mine = 0;
  while (!zdtm_stop) {
    if (board->counter[0] != mine) zdtm_fail("counter %ld, expected %ld", board->counter[0], mine);
    board->counter[0] = ++mine;
    for (int i = 1; i <= 2; ++i)
      if (board->verdict[i] == 2) zdtm_fail("child %d: %s", i, board->why[i]);
    pause_ms(1);
  }
  check_parent(mine);
  board->phase = 2;
  for (int i = 1; i <= 2; ++i) {
    int status;
    if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
      zdtm_fail("child %d did not end well", i);
  }
  shmctl(shm_id, IPC_RMID, NULL);
  zdtm_pass();
}
