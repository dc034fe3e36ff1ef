// Processes whose session or group leader, or whose parent, is gone, in one of these cases
// (argv[2]); the init records every process's parent, group, session and state, and after the
// checkpoint compares them (the zombies must still be zombies, then reaped with their status):
//   session     A made a session, forked B (in A's group) and C (own group), and exited
//   zombie_group Z made its own group, forked M into it, and exited: a zombie leading its group
//   zombie_joined W leads a group that zombie Y joined before exiting
//   zombie_orphan helper H forked Q, Q exited, H exited: zombie Q is init's child now
//   subreaper   S (a child subreaper) forked M2, M2 forked K and exited: K is S's child now
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

struct ids {
  pid_t pid, ppid, pgid, sid;
  char state;
};

static struct ids ids_of(pid_t pid) {
  struct ids i = {pid, -1, -1, -1, '?'};
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return i;
  buf[n] = 0;
  char* rest = strrchr(buf, ')');
  if (rest) sscanf(rest + 2, "%c %d %d %d", &i.state, &i.ppid, &i.pgid, &i.sid);
  return i;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void live_forever(void) {
  signal(SIGTERM, SIG_DFL);
  for (;;) pause();
}

static void wait_state(pid_t pid, char state) {
  for (int i = 0; i < 2000 && ids_of(pid).state != state; ++i) sleep_ms(5);
}

// The pids to check, and the zombies among them with their exit codes.
static pid_t watched[8];
static int nwatched = 0;
static pid_t zombies[4];
static int zombie_codes[4];
static int nzombies = 0;

static void watch(pid_t pid) {
  watched[nwatched++] = pid;
}

static void zombie(pid_t pid, int code) {
  wait_state(pid, 'Z');
  zombies[nzombies] = pid;
  zombie_codes[nzombies++] = code;
  watch(pid);
}

static int pid_pipe[2];  // the setup's processes tell their pids through it

// Reads a pid a process of the setup wrote to `fd`.
static pid_t read_pid(int fd) {
  (void)fd;
  pid_t pid = 0;
  if (read(pid_pipe[0], &pid, sizeof pid) != sizeof pid) zdtm_fail("no pid from the setup");
  return pid;
}

static void setup_session(int fd) {
  pid_t a = fork();
  if (a == 0) {
    setsid();
    pid_t b = fork();
    if (b == 0) live_forever();
    pid_t c = fork();
    if (c == 0) {
      setpgid(0, 0);
      live_forever();
    }
    if (write(fd, &b, sizeof b) < 0 || write(fd, &c, sizeof c) < 0) _exit(1);
    _exit(3);
  }
  watch(read_pid(fd));
  watch(read_pid(fd));
  waitpid(a, NULL, 0);
}

static void setup_zombie_group(int fd) {
  pid_t z = fork();
  if (z == 0) {
    setpgid(0, 0);
    pid_t m = fork();
    if (m == 0) live_forever();
    if (write(fd, &m, sizeof m) < 0) _exit(1);
    _exit(5);
  }
  watch(read_pid(fd));
  zombie(z, 5);
}

static void setup_zombie_joined(int fd) {
  (void)fd;
  pid_t w = fork();
  if (w == 0) {
    setpgid(0, 0);
    live_forever();
  }
  setpgid(w, w);
  watch(w);
  pid_t y = fork();
  if (y == 0) {
    setpgid(0, w);
    _exit(6);
  }
  zombie(y, 6);
}

static void setup_zombie_orphan(int fd) {
  pid_t h = fork();
  if (h == 0) {
    pid_t q = fork();
    if (q == 0) _exit(7);
    wait_state(q, 'Z');
    if (write(fd, &q, sizeof q) < 0) _exit(1);
    _exit(0);
  }
  pid_t q = read_pid(fd);
  waitpid(h, NULL, 0);
  zombie(q, 7);
}

static void setup_subreaper(int fd) {
  pid_t s = fork();
  if (s == 0) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t m2 = fork();
    if (m2 == 0) {
      pid_t k = fork();
      if (k == 0) live_forever();
      if (write(fd, &k, sizeof k) < 0) _exit(1);
      _exit(0);
    }
    waitpid(m2, NULL, 0);
    live_forever();
  }
  watch(s);
  pid_t k = read_pid(fd);
  for (int i = 0; i < 2000 && ids_of(k).ppid != s; ++i) sleep_ms(5);
  watch(k);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* mode = argc > 2 ? argv[2] : "session";
  if (pipe(pid_pipe) != 0) zdtm_fail("pipe: %s", strerror(errno));
  int fd = pid_pipe[1];
  if (!strcmp(mode, "session")) setup_session(fd);
  else if (!strcmp(mode, "zombie_group")) setup_zombie_group(fd);
  else if (!strcmp(mode, "zombie_joined")) setup_zombie_joined(fd);
  else if (!strcmp(mode, "zombie_orphan")) setup_zombie_orphan(fd);
  else if (!strcmp(mode, "subreaper")) setup_subreaper(fd);
  else zdtm_fail("unknown case %s", mode);
  sleep_ms(100);
  struct ids before[8];
  for (int i = 0; i < nwatched; ++i) before[i] = ids_of(watched[i]);
  zdtm_ready();
  while (!zdtm_stop) sleep_ms(20);
  for (int i = 0; i < nwatched; ++i) {
    struct ids now = ids_of(watched[i]), was = before[i];
    if (now.ppid != was.ppid || now.pgid != was.pgid || now.sid != was.sid ||
        now.state != was.state)
      zdtm_fail("%s: process %d was %c ppid %d pgid %d sid %d, now %c %d %d %d", mode, was.pid,
                was.state, was.ppid, was.pgid, was.sid, now.state, now.ppid, now.pgid, now.sid);
  }
  for (int i = 0; i < nzombies; ++i) {
    int status = 0;
    if (waitpid(zombies[i], &status, WNOHANG) != zombies[i] || !WIFEXITED(status) ||
        WEXITSTATUS(status) != zombie_codes[i])
      zdtm_fail("%s: zombie %d did not report exit code %d (status %#x)", mode, zombies[i],
                zombie_codes[i], status);
  }
  for (int i = 0; i < nwatched; ++i) kill(watched[i], SIGKILL);
  zdtm_pass();
}
