// SO_PEERCRED and SO_PEERGROUPS of unix sockets name the process that made a connection, that
// listened, or that made a pair, with its effective ids and groups then. Set up by processes of
// different ids: a server S (uid 3000) listening at an abstract name and a client C (uid 4000)
// connected and accepted; a connection waiting in S's accept queue; a connection accepted from
// a path listener S closed and unlinked since; a socketpair made by the init (root) shared with
// C; a socketpair made by a process F (uid 5000) that exited since, held by its child G. Each
// process checks what its sockets say before the checkpoint and after it (on SIGUSR1 from the
// init, which collects their verdicts on SIGTERM). argv[2]: a directory for the path name.
#define _GNU_SOURCE
#include "zdtm.h"
#include <grp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_CHECKS 8
struct expect {
  int fd;
  pid_t pid;
  uid_t uid;
  gid_t gid, groups[4];
  int ngroups;
  const char* what;
};
static struct expect checks[MAX_CHECKS];
static int nchecks;
static volatile sig_atomic_t go_check;

static void on_usr1(int sig) { (void)sig; go_check = 1; }

static void expect_peer(int fd, pid_t pid, uid_t uid, gid_t gid, const gid_t* groups, int n,
                        const char* what) {
  struct expect* e = &checks[nchecks++];
  e->fd = fd; e->pid = pid; e->uid = uid; e->gid = gid; e->ngroups = n; e->what = what;
  for (int i = 0; i < n; i++) e->groups[i] = groups[i];
}

// 0 when every socket says what is expected; else writes why.
static int check_all(char* why, size_t size) {
  for (int i = 0; i < nchecks; i++) {
    struct expect* e = &checks[i];
    struct ucred u; socklen_t len = sizeof u;
    if (getsockopt(e->fd, SOL_SOCKET, SO_PEERCRED, &u, &len) != 0) {
      snprintf(why, size, "%s: SO_PEERCRED: %s", e->what, strerror(errno)); return 1;
    }
    if (u.pid != e->pid || u.uid != e->uid || u.gid != e->gid) {
      snprintf(why, size, "%s: peer pid %d uid %u gid %u, was pid %d uid %u gid %u", e->what,
               u.pid, u.uid, u.gid, e->pid, e->uid, e->gid);
      return 1;
    }
    gid_t groups[16]; len = sizeof groups;
    if (getsockopt(e->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
      snprintf(why, size, "%s: SO_PEERGROUPS: %s", e->what, strerror(errno)); return 1;
    }
    int n = len / sizeof(gid_t);
    int same = n == e->ngroups;
    for (int k = 0; same && k < n; k++) same = groups[k] == e->groups[k];
    if (!same) {
      snprintf(why, size, "%s: %d peer groups (first %u), were %d (first %u)", e->what, n,
               n ? groups[0] : 0, e->ngroups, e->ngroups ? e->groups[0] : 0);
      return 1;
    }
  }
  return 0;
}

static void become(uid_t uid, gid_t gid, const gid_t* groups, int n) {
  if (setgroups(n, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
    perror("become"); _exit(2);
  }
}

// Tells the init it is ready, then waits for SIGUSR1 and exits with its verdict.
static void serve_checks(int ready, const char* who) {
  char why[300];
  if (check_all(why, sizeof why)) { zdtm_report("FAIL %s before: %s", who, why); _exit(1); }
  if (write(ready, "r", 1) != 1) _exit(2);
  while (!go_check) pause();
  if (check_all(why, sizeof why)) { zdtm_report("FAIL %s: %s", who, why); _exit(1); }
  _exit(0);
}

static struct sockaddr_un addr_of(const char* name, int abstract, socklen_t* len) {
  struct sockaddr_un a; memset(&a, 0, sizeof a); a.sun_family = AF_UNIX;
  if (abstract) { a.sun_path[0] = 0; strcpy(a.sun_path + 1, name); *len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name); }
  else { strcpy(a.sun_path, name); *len = sizeof a; }
  return a;
}

static int bound_at(const char* name, int abstract) {
  socklen_t len; struct sockaddr_un a = addr_of(name, abstract, &len);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (bind(fd, (struct sockaddr*)&a, len)) { perror("bind"); _exit(2); }
  if (!abstract) chmod(name, 0777);  // any uid may connect
  return fd;
}

static int connect_to(const char* name, int abstract) {
  socklen_t len; struct sockaddr_un a = addr_of(name, abstract, &len);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr*)&a, len)) { perror("connect_to"); _exit(2); }
  return fd;
}

static void wait_byte(int fd) { char c; if (read(fd, &c, 1) != 1) _exit(2); }

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  zdtm_handle(SIGUSR1, on_usr1);
  char abstract_name[64], gone_path[256];
  snprintf(abstract_name, sizeof abstract_name, "peercred-%d", getpid());
  snprintf(gone_path, sizeof gone_path, "%s/peercred-%d.sock", argc > 2 ? argv[2] : "/tmp", getpid());
  static const gid_t s_groups[] = {3001, 3002}, c_groups[] = {4001}, f_groups[] = {5001};
  gid_t root_groups[4]; int root_n = getgroups(4, root_groups);
  int ready[2]; if (pipe(ready)) return 2;
  int step_s[2], step_c[2]; if (pipe(step_s) || pipe(step_c)) return 2;  // S listening; C connected
  int pair[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, pair);  // made by the init, C gets pair[1]
  pid_t init = getpid(), kids[4]; int nkids = 0;

  pid_t s = fork();
  if (!s) {  // S: listens, accepts one of two connections, accepts one from a listener it closes
    int l = bound_at(abstract_name, 1), gone = bound_at(gone_path, 0);  // root's directory
    become(3000, 3000, s_groups, 2);
    if (listen(l, 8) || listen(gone, 8)) { perror("listen"); _exit(2); }
    if (write(step_s[1], "l", 1) != 1) _exit(2);
    wait_byte(step_c[0]);
    int a1 = accept(l, NULL, NULL), a3 = accept(gone, NULL, NULL);
    close(gone); unlink(gone_path);
    pid_t c; if (read(step_c[0], &c, sizeof c) != sizeof c) _exit(2);
    expect_peer(a1, c, 4000, 4000, c_groups, 1, "S accepted from its listener");
    expect_peer(a3, c, 4000, 4000, c_groups, 1, "S accepted from the gone listener");
    serve_checks(ready[1], "S");
  }
  kids[nkids++] = s;
  pid_t c = fork();
  if (!c) {  // C: connects three times (one waits in S's queue), holds one end of the init's pair
    become(4000, 4000, c_groups, 1);
    wait_byte(step_s[0]);
    int c1 = connect_to(abstract_name, 1), c3 = connect_to(gone_path, 0);
    int c2 = connect_to(abstract_name, 1);  // accepted by nobody
    if (write(step_c[1], "c", 1) != 1) _exit(2);
    pid_t me = getpid(); if (write(step_c[1], &me, sizeof me) != sizeof me) _exit(2);
    expect_peer(c1, s, 3000, 3000, s_groups, 2, "C connected to S's listener");
    expect_peer(c2, s, 3000, 3000, s_groups, 2, "C waiting in S's accept queue");
    expect_peer(c3, s, 3000, 3000, s_groups, 2, "C connected to the gone listener");
    expect_peer(pair[1], init, 0, 0, root_groups, root_n, "C's end of the init's pair");
    serve_checks(ready[1], "C");
  }
  kids[nkids++] = c;
  int g_pid[2]; if (pipe(g_pid)) return 2;
  pid_t f = fork();
  if (!f) {  // F: makes a pair, forks G which keeps both ends, exits
    become(5000, 5000, f_groups, 1);
    int fp[2]; socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fp);
    pid_t me = getpid(), g = fork();
    if (!g) {
      expect_peer(fp[0], me, 5000, 5000, f_groups, 1, "G's pair made by F (gone)");
      expect_peer(fp[1], me, 5000, 5000, f_groups, 1, "G's other end");
      serve_checks(ready[1], "G");
    }
    if (write(g_pid[1], &g, sizeof g) != sizeof g) _exit(2);
    _exit(0);
  }
  pid_t g; if (read(g_pid[0], &g, sizeof g) != sizeof g) return 2;
  waitpid(f, NULL, 0);
  kids[nkids++] = g;  // reparented to the init
  expect_peer(pair[0], init, 0, 0, root_groups, root_n, "the init's end of its pair");
  for (int i = 0; i < nkids; i++) wait_byte(ready[0]);
  char why[300];
  if (check_all(why, sizeof why)) zdtm_fail("init before: %s", why);
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (check_all(why, sizeof why)) zdtm_fail("init: %s", why);
  int failed = 0;
  for (int i = 0; i < nkids; i++) {
    kill(kids[i], SIGUSR1);
    int status = 0;
    if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status)) failed = 1;
  }
  if (failed) zdtm_fail("a child failed its check (see above)");
  zdtm_pass();
}
