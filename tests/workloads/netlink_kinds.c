// Netlink sockets of every protocol the container's network namespace offers (route, generic,
// sock_diag, netfilter, xfrm, audit, uevents, ...), each bound to a port id of its own, some
// joined to multicast groups. After the checkpoint each fd must be a netlink socket of the same
// protocol, port and groups, and the kernel must still answer requests on route, generic and
// sock_diag.
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include "zdtm.h"

struct kind {
  const char* name;
  int protocol;
  unsigned group;  // joined when not 0
  int fd;
  unsigned port;
};

static struct kind kinds[] = {
    {"route", NETLINK_ROUTE, RTNLGRP_LINK, -1, 0},
    {"generic", NETLINK_GENERIC, 0, -1, 0},
    {"sock_diag", NETLINK_SOCK_DIAG, 0, -1, 0},
    {"netfilter", NETLINK_NETFILTER, 0, -1, 0},
    {"xfrm", NETLINK_XFRM, 0, -1, 0},
    {"audit", NETLINK_AUDIT, 0, -1, 0},
    {"uevent", NETLINK_KOBJECT_UEVENT, 1, -1, 0},
    {"connector", NETLINK_CONNECTOR, 0, -1, 0},
    {"fib_lookup", NETLINK_FIB_LOOKUP, 0, -1, 0},
    {"scsitransport", NETLINK_SCSITRANSPORT, 0, -1, 0},
    {"rdma", NETLINK_RDMA, 0, -1, 0},
    {"crypto", NETLINK_CRYPTO, 0, -1, 0},
    {"selinux", NETLINK_SELINUX, 0, -1, 0},
};
#define KINDS (sizeof kinds / sizeof *kinds)

static unsigned port_of(int fd) {
  struct sockaddr_nl a;
  socklen_t len = sizeof a;
  memset(&a, 0, sizeof a);
  if (getsockname(fd, (struct sockaddr*)&a, &len) != 0) return 0;
  return a.nl_pid;
}

static int option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  if (getsockopt(fd, level, name, &value, &len) != 0) return -1;
  return value;
}

static int in_group(int fd, unsigned group) {
  unsigned words[4] = {0};
  socklen_t len = sizeof words;
  if (getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, words, &len) != 0) return 0;
  return (words[(group - 1) / 32] >> ((group - 1) % 32)) & 1;
}

// Sends one request and reads one answer that is not an error.
static const char* ask(int fd, void* request, size_t size) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, request, size, 0, (struct sockaddr*)&kernel, sizeof kernel) != (ssize_t)size)
    return "send failed";
  char reply[16384];
  ssize_t n = recv(fd, reply, sizeof reply, 0);
  if (n < (ssize_t)sizeof(struct nlmsghdr)) return "no reply";
  struct nlmsghdr* h = (struct nlmsghdr*)reply;
  if (h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr*)NLMSG_DATA(h))->error != 0)
    return "error reply";
  // Drain the rest of a dump.
  while (h->nlmsg_type != NLMSG_DONE && (h->nlmsg_flags & NLM_F_MULTI)) {
    n = recv(fd, reply, sizeof reply, 0);
    if (n < (ssize_t)sizeof(struct nlmsghdr)) return "dump cut short";
    for (h = (struct nlmsghdr*)reply; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
      if (h->nlmsg_type == NLMSG_DONE) break;
    if (!NLMSG_OK(h, n)) h = (struct nlmsghdr*)reply;
  }
  return NULL;
}

static const char* exercise(const struct kind* k) {
  if (k->protocol == NETLINK_ROUTE) {
    struct {
      struct nlmsghdr h;
      struct ifinfomsg i;
    } r = {{sizeof r, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {.ifi_family = AF_UNSPEC}};
    return ask(k->fd, &r, sizeof r);
  }
  if (k->protocol == NETLINK_GENERIC) {
    struct {
      struct nlmsghdr h;
      struct genlmsghdr g;
      struct nlattr a;
      char name[8];
    } r = {{sizeof r, GENL_ID_CTRL, NLM_F_REQUEST, 1, 0}, {CTRL_CMD_GETFAMILY, 1, 0},
           {NLA_HDRLEN + 7, CTRL_ATTR_FAMILY_NAME}, "nlctrl"};
    return ask(k->fd, &r, sizeof r);
  }
  if (k->protocol == NETLINK_SOCK_DIAG) {
    struct {
      struct nlmsghdr h;
      struct unix_diag_req u;
    } r = {{sizeof r, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0},
           {.sdiag_family = AF_UNIX, .udiag_states = ~0u}};
    return ask(k->fd, &r, sizeof r);
  }
  return NULL;
}

static void check(const char* when) {
  for (size_t i = 0; i < KINDS; ++i) {
    const struct kind* k = &kinds[i];
    if (k->fd < 0) continue;
    if (option(k->fd, SOL_SOCKET, SO_DOMAIN) != AF_NETLINK ||
        option(k->fd, SOL_SOCKET, SO_PROTOCOL) != k->protocol)
      zdtm_fail("%s: %s: fd %d is not a netlink socket of its protocol", when, k->name, k->fd);
    if (port_of(k->fd) != k->port)
      zdtm_fail("%s: %s: port %u, wanted %u", when, k->name, port_of(k->fd), k->port);
    if (k->group && !in_group(k->fd, k->group))
      zdtm_fail("%s: %s: not in group %u", when, k->name, k->group);
    const char* why = exercise(k);
    if (why) zdtm_fail("%s: %s: %s", when, k->name, why);
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int made = 0;
  for (size_t i = 0; i < KINDS; ++i) {
    struct kind* k = &kinds[i];
    k->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, k->protocol);
    if (k->fd < 0) continue;  // not offered in this namespace or kernel
    struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_pid = 4000 + (unsigned)i};
    if (bind(k->fd, (struct sockaddr*)&a, sizeof a) != 0)
      zdtm_fail("bind %s: %s", k->name, strerror(errno));
    if (k->group &&
        setsockopt(k->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &k->group, sizeof k->group) != 0)
      k->group = 0;  // a group only the init namespace has
    k->port = port_of(k->fd);
    zdtm_report("netlink %s fd %d", k->name, k->fd);
    ++made;
  }
  if (made < 3) zdtm_fail("only %d netlink protocols offered", made);
  check("before the checkpoint");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check("after the checkpoint");
  zdtm_pass();
}
