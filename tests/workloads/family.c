// A tree of ten processes with sessions and process groups:
//   root (session leader) -> a, b, c;  a -> a1, a2;  b (own group) -> b1 (in b's group), b2;
//   c (new session) -> c1 (in c's session, own group)
// Each remembers its pid, parent, group and session; on SIGTERM to the root every process checks
// them (and that its children are still its children), reporting through the root.
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

struct ids {
  pid_t pid, ppid, pgid, sid;
};

static struct ids mine(void) {
  struct ids i = {getpid(), getppid(), getpgid(0), getsid(0)};
  return i;
}

// Runs until SIGTERM, then exits 0 when nothing changed.
static int child_loop(int check_parent) {
  struct ids before = mine();
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  struct ids after = mine();
  if (!check_parent) after.ppid = before.ppid;  // the root's parent is outside the tree
  if (memcmp(&before, &after, sizeof before) != 0) {
    zdtm_report("child %d: ids were %d/%d/%d now %d/%d/%d", before.pid, before.ppid, before.pgid,
                before.sid, after.ppid, after.pgid, after.sid);
    return 1;
  }
  return 0;
}

static pid_t kids_of_child[4];

static void nothing(void) {}
static void own_group(void) {
  setpgid(0, 0);
}
static void new_session(void) {
  setsid();
}

// Forks a process running `setup` then forking `n` children (each with its own setup).
static pid_t spawn(void (*setup)(void), int n, void (**child_setups)(void), pid_t* kids) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setup();
  for (int i = 0; i < n; ++i) kids[i] = spawn(child_setups[i], 0, NULL, NULL);
  int bad = child_loop(1);
  for (int i = 0; i < n; ++i) {
    kill(kids[i], SIGTERM);
    int status;
    if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
      bad = 1;
  }
  exit(bad);
}

static void join_parent_group(void) {
  setpgid(0, getppid());
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (getsid(0) != getpid()) setsid();
  void (*a_kids[])(void) = {nothing, nothing};
  void (*b_kids[])(void) = {join_parent_group, nothing};
  void (*c_kids[])(void) = {own_group};
  pid_t kids[3];
  kids[0] = spawn(nothing, 2, a_kids, kids_of_child);
  kids[1] = spawn(own_group, 2, b_kids, kids_of_child);
  kids[2] = spawn(new_session, 1, c_kids, kids_of_child);
  struct timespec settle = {0, 200 * 1000 * 1000};
  nanosleep(&settle, NULL);
  zdtm_ready();
  int bad = child_loop(0);
  for (int i = 0; i < 3; ++i) {
    kill(kids[i], SIGTERM);
    int status;
    if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
      bad = 1;
  }
  if (bad) zdtm_fail("a process of the tree changed");
  zdtm_pass();
}
