// Event fds across a checkpoint. A "check" epoll watches, each with its own data: a pipe holding
// one byte (level-triggered), an eventfd (edge-triggered; and level-triggered under an fd
// number closed since and reused by a timerfd), a one-shot timerfd due 1 s after
// start, a signalfd for SIGUSR1 (blocked) and an inotify instance watching <result>.watch for
// IN_CREATE (its wd is 2: wd 1 was removed); a third epoll watches the check epoll. The main loop
// waits on a second epoll for a periodic 20 ms timerfd. Also held: a 1-hour timerfd,
// /proc/self/status read 5 bytes into, a NETLINK_ROUTE socket joined to RTMGRP_LINK. After the
// restore the test creates <result>.watch/after and sends SIGUSR1, then SIGTERM: the periodic timer
// still ticks, the check epoll reports every watch with its data (the eventfd once per write),
// EPOLL_CTL_MOD/DEL work on the watched fd numbers, the signal and the file creation are read, the
// long timer has its remaining time, the /proc file its offset and process, the netlink socket its
// port and answers a dump request.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "zdtm.h"

enum {
  kPipeData = 0x1111,
  kEventData = 0x2222,
  kOnceData = 0x4444,
  kSignalData = 0x6666,
  kInotifyData = 0x7777,
  kClosedFdData = 0x9999,
  kModData = 0x5555
};

static int pipe_fds[2], event_fd, once_fd, long_fd, periodic_fd, signal_fd, inotify_fd, proc_fd,
    netlink_fd, check_ep, loop_ep, outer_ep, watch_wd;
static uint32_t netlink_port;
static char watch_dir[300];

static void watch(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event e = {.events = events, .data.u64 = data};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) zdtm_fail("epoll_ctl add %d: %m", fd);
}

static int timer(int clock, time_t sec, long nsec, time_t interval_ms) {
  int fd = timerfd_create(clock, TFD_NONBLOCK | TFD_CLOEXEC);
  struct itimerspec its = {.it_value = {sec, nsec},
                           .it_interval = {interval_ms / 1000, (interval_ms % 1000) * 1000000}};
  if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) != 0) zdtm_fail("timerfd: %m");
  return fd;
}

static void set_up_inotify(const char* result) {
  snprintf(watch_dir, sizeof watch_dir, "%s.watch", result);
  if (mkdir(watch_dir, 0755) != 0 && errno != EEXIST) zdtm_fail("mkdir %s: %m", watch_dir);
  inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int first = inotify_add_watch(inotify_fd, "/", IN_ATTRIB);
  watch_wd = inotify_add_watch(inotify_fd, watch_dir, IN_CREATE);
  if (first < 0 || watch_wd < 0 || inotify_rm_watch(inotify_fd, first) != 0)
    zdtm_fail("inotify: %m");
  char drain[4096];
  while (read(inotify_fd, drain, sizeof drain) > 0) {
  }
}

static void set_up_netlink(void) {
  netlink_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
  socklen_t len = sizeof addr;
  if (netlink_fd < 0 || bind(netlink_fd, (struct sockaddr*)&addr, sizeof addr) != 0 ||
      getsockname(netlink_fd, (struct sockaddr*)&addr, &len) != 0)
    zdtm_fail("netlink: %m");
  netlink_port = addr.nl_pid;
}

static void set_up(const char* result) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  signal_fd = signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC);
  check_ep = epoll_create1(0);
  if (pipe(pipe_fds) != 0 || write(pipe_fds[1], "x", 1) != 1) zdtm_fail("pipe: %m");
  event_fd = eventfd(0, EFD_NONBLOCK);
  // A watch of the eventfd under an fd number closed since and reused by the next timerfd.
  int closed = dup(event_fd);
  watch(check_ep, closed, EPOLLIN, kClosedFdData);
  close(closed);
  once_fd = timer(CLOCK_MONOTONIC, 1, 0, 0);
  long_fd = timer(CLOCK_BOOTTIME, 3600, 0, 0);
  periodic_fd = timer(CLOCK_MONOTONIC, 0, 20000000, 20);
  set_up_inotify(result);
  set_up_netlink();
  char head[5];
  proc_fd = open("/proc/self/status", O_RDONLY);
  if (signal_fd < 0 || event_fd < 0 || proc_fd < 0 || read(proc_fd, head, 5) != 5)
    zdtm_fail("set up: %m");
  watch(check_ep, pipe_fds[0], EPOLLIN, kPipeData);
  watch(check_ep, event_fd, EPOLLIN | EPOLLET, kEventData);
  watch(check_ep, once_fd, EPOLLIN, kOnceData);
  watch(check_ep, signal_fd, EPOLLIN, kSignalData);
  watch(check_ep, inotify_fd, EPOLLIN, kInotifyData);
  outer_ep = epoll_create1(0);  // nested: ready whenever the check epoll is
  watch(outer_ep, check_ep, EPOLLIN, 0x8888);
  loop_ep = epoll_create1(EPOLL_CLOEXEC);
  watch(loop_ep, periodic_fd, EPOLLIN, 0x3333);
}

// The data of every ready watch of the check epoll, as a bit set of the kinds above.
static unsigned ready_watches(int timeout_ms) {
  struct epoll_event events[16];
  int n = epoll_wait(check_ep, events, 16, timeout_ms);
  unsigned seen = 0;
  for (int i = 0; i < n; ++i) {
    switch (events[i].data.u64) {
      case kPipeData:
        seen |= 1;
        break;
      case kEventData:
        seen |= 2;
        break;
      case kOnceData:
        seen |= 4;
        break;
      case kSignalData:
        seen |= 8;
        break;
      case kInotifyData:
        seen |= 16;
        break;
      case kModData:
        seen |= 32;
        break;
      case kClosedFdData:
        seen |= 64;
        break;
      default:
        zdtm_fail("epoll data %llx unknown", (unsigned long long)events[i].data.u64);
    }
  }
  return seen;
}

static uint64_t periodic_ticks(void) {
  uint64_t ticks = 0;
  if (read(periodic_fd, &ticks, sizeof ticks) != sizeof ticks && errno != EAGAIN)
    zdtm_fail("read periodic timerfd: %m");
  return ticks;
}

static void check_periodic(void) {
  uint64_t total = 0;
  for (int i = 0; i < 50 && total < 5; ++i) {
    struct epoll_event e;
    int n = epoll_wait(loop_ep, &e, 1, 100);
    if (n == 1 && e.data.u64 != 0x3333)
      zdtm_fail("loop epoll data %llx", (unsigned long long)e.data.u64);
    if (n == 1) total += periodic_ticks();
  }
  if (total < 5) zdtm_fail("periodic timerfd: %llu ticks in 5 s", (unsigned long long)total);
}

static void check_epoll(void) {
  struct epoll_event nested;
  if (epoll_wait(outer_ep, &nested, 1, 1000) != 1 || nested.data.u64 != 0x8888)
    zdtm_fail("the epoll watching the check epoll reports nothing");
  unsigned seen = 0;
  for (int i = 0; i < 300 && (seen & 29) != 29; ++i) {  // the pipe is always ready: poll 3 s
    seen |= ready_watches(0);
    usleep(10000);
  }
  if ((seen & 29) != 29)
    zdtm_fail("check epoll reported %x, want pipe, timer, signal, inotify", seen);
  if (seen & (2 | 64)) zdtm_fail("eventfd reported before it was written");
  uint64_t one = 1, expirations = 0;
  if (write(event_fd, &one, sizeof one) != sizeof one) zdtm_fail("write eventfd: %m");
  unsigned written = ready_watches(1000);
  if ((written & (2 | 64)) != (2 | 64)) zdtm_fail("eventfd write reported as %x", written);
  if (ready_watches(100) & 2) zdtm_fail("edge-triggered eventfd reported twice");
  if (read(once_fd, &expirations, sizeof expirations) != 8 || expirations != 1)
    zdtm_fail("one-shot timerfd: %llu expirations", (unsigned long long)expirations);
  struct epoll_event mod = {.events = EPOLLIN, .data.u64 = kModData};
  if (epoll_ctl(check_ep, EPOLL_CTL_MOD, pipe_fds[0], &mod) != 0) zdtm_fail("EPOLL_CTL_MOD: %m");
  if (epoll_ctl(check_ep, EPOLL_CTL_DEL, event_fd, NULL) != 0) zdtm_fail("EPOLL_CTL_DEL: %m");
  unsigned after = ready_watches(1000);
  if (!(after & 32) || (after & 1)) zdtm_fail("after EPOLL_CTL_MOD the pipe reports %x", after);
  char byte;
  if (read(pipe_fds[0], &byte, 1) != 1 || byte != 'x') zdtm_fail("pipe byte lost");
}

static void check_signal_and_inotify(void) {
  struct signalfd_siginfo info;
  if (read(signal_fd, &info, sizeof info) != sizeof info || info.ssi_signo != SIGUSR1)
    zdtm_fail("signalfd: no SIGUSR1 (%m)");
  char buf[4096] __attribute__((aligned(8)));
  ssize_t n = read(inotify_fd, buf, sizeof buf);
  if (n < (ssize_t)sizeof(struct inotify_event)) zdtm_fail("inotify: no event (%m)");
  struct inotify_event* ev = (struct inotify_event*)buf;
  if (ev->wd != watch_wd || !(ev->mask & IN_CREATE) || strcmp(ev->name, "after") != 0)
    zdtm_fail("inotify event wd %d mask %x name %.64s", ev->wd, ev->mask, ev->len ? ev->name : "");
}

static void check_timers_proc_netlink(void) {
  struct itimerspec left;
  if (timerfd_gettime(long_fd, &left) != 0 || left.it_value.tv_sec < 3000 ||
      left.it_value.tv_sec >= 3600)
    zdtm_fail("1-hour timerfd has %ld s left", (long)left.it_value.tv_sec);
  if (lseek(proc_fd, 0, SEEK_CUR) != 5) zdtm_fail("/proc/self/status offset lost");
  char status[4096], want[64];
  ssize_t n = pread(proc_fd, status, sizeof status - 1, 0);
  status[n > 0 ? n : 0] = 0;
  snprintf(want, sizeof want, "\nPid:\t%d\n", getpid());
  if (!strstr(status, want)) zdtm_fail("/proc/self/status fd is another process's");
  struct sockaddr_nl addr;
  socklen_t len = sizeof addr;
  if (getsockname(netlink_fd, (struct sockaddr*)&addr, &len) != 0 || addr.nl_pid != netlink_port)
    zdtm_fail("netlink port %u, was %u", addr.nl_pid, netlink_port);
  struct {
    struct nlmsghdr h;
    struct rtgenmsg g;
  } req = {{sizeof req, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {AF_UNSPEC}};
  char reply[8192];
  if (send(netlink_fd, &req, sizeof req, 0) != sizeof req) zdtm_fail("netlink send: %m");
  for (;;) {  // link notifications may come first; find the answer to the request
    n = recv(netlink_fd, reply, sizeof reply, 0);
    if (n < (ssize_t)sizeof(struct nlmsghdr)) zdtm_fail("netlink recv: %m");
    struct nlmsghdr* h = (struct nlmsghdr*)reply;
    if (h->nlmsg_seq == 1 && h->nlmsg_type == RTM_NEWLINK) break;
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 2) zdtm_fail("usage: event_fds RESULT");
  set_up(argv[1]);
  zdtm_ready();
  while (!zdtm_stop) {
    struct epoll_event e;
    if (epoll_wait(loop_ep, &e, 1, 1000) == 1) periodic_ticks();
  }
  check_periodic();
  check_epoll();
  check_signal_and_inotify();
  check_timers_proc_netlink();
  zdtm_pass();
}
