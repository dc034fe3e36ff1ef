// Socket options across a checkpoint (issue 15): an IPv4 UDP socket bound to 127.0.0.1 with
// receive ancillary options (SO_TIMESTAMPNS, IP_PKTINFO, IP_RECVTTL, ...), busy polling,
// SO_BINDTODEVICE lo, IP_UNICAST_IF, receive and send timeouts, a classic BPF filter locked with
// SO_LOCK_FILTER, and three multicast groups on lo (a plain join, one with a source blocked, one
// source-specific); an IPv6 UDP socket with the IPv6 counterparts (IPV6_RECVPKTINFO, ...,
// IPV6_AUTOFLOWLABEL off, IPV6_MULTICAST_IF lo, SO_TIMESTAMPING) and two IPv6 groups (a plain
// join, one source-specific); an unbound TCP socket with TCP_WINDOW_CLAMP, TCP_SAVE_SYN, TCP_INQ,
// TCP_TX_DELAY, SO_ZEROCOPY and the fast open client options; a TCP listener with TCP_FASTOPEN; a unix datagram socketpair with
// SO_PASSSEC, SO_TIMESTAMP, a timeout and a filter. On SIGTERM every option, filter and group
// (with its source filter) reads back as it did before. With "ebpf" as the second argument, a
// UDP socket also holds an eBPF filter (SO_ATTACH_BPF), which a dump must refuse.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "zdtm.h"
#include "zdtm_sockopt.h"

struct membership {
  int fd, family;
  struct sockaddr_storage group;
  uint32_t mode, sources;
  struct sockaddr_storage source;  // the first source, if any
  const char* what;
};
static struct membership memberships[8];
static int membership_count;

static struct sockaddr_storage v4(const char* text) {
  struct sockaddr_storage s = {0};
  struct sockaddr_in* in = (struct sockaddr_in*)&s;
  in->sin_family = AF_INET;
  inet_pton(AF_INET, text, &in->sin_addr);
  return s;
}

static struct sockaddr_storage v6(const char* text) {
  struct sockaddr_storage s = {0};
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)&s;
  in6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &in6->sin6_addr);
  return s;
}

static int level_of(int family) {
  return family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
}

// The socket's source filter of `group` on lo: mode, count and first source; -1 if not joined.
static int read_msfilter(int fd, int family, const struct sockaddr_storage* group, uint32_t* mode,
                         uint32_t* count, struct sockaddr_storage* first) {
  struct sockaddr_storage room[8];
  struct group_filter* f = (struct group_filter*)room;
  memset(room, 0, sizeof room);
  f->gf_interface = if_nametoindex("lo");
  f->gf_group = *group;
  f->gf_numsrc = 2;
  socklen_t len = GROUP_FILTER_SIZE(2);
  if (getsockopt(fd, level_of(family), MCAST_MSFILTER, f, &len) != 0) return -1;
  *mode = f->gf_fmode;
  *count = f->gf_numsrc;
  memcpy(first, (char*)f + offsetof(struct group_filter, gf_slist), sizeof *first);
  return 0;
}

static void record_membership(int fd, int family, struct sockaddr_storage group, const char* what) {
  struct membership* m = &memberships[membership_count++];
  m->fd = fd, m->family = family, m->group = group, m->what = what;
  if (read_msfilter(fd, family, &group, &m->mode, &m->sources, &m->source) != 0)
    zdtm_fail("%s not joined: %m", what);
}

static void join(int fd, int family, struct sockaddr_storage group, const char* what) {
  struct group_req r = {.gr_interface = if_nametoindex("lo"), .gr_group = group};
  if (setsockopt(fd, level_of(family), MCAST_JOIN_GROUP, &r, sizeof r) != 0)
    zdtm_fail("join %s: %m", what);
}

static void source_option(int fd, int family, int name, struct sockaddr_storage group,
                          struct sockaddr_storage source, const char* what) {
  struct group_source_req r = {
      .gsr_interface = if_nametoindex("lo"), .gsr_group = group, .gsr_source = source};
  if (setsockopt(fd, level_of(family), name, &r, sizeof r) != 0) zdtm_fail("%s: %m", what);
}

static struct sock_filter udp_filter[] = {
    {BPF_LD | BPF_W | BPF_LEN, 0, 0, 0},
    {BPF_JMP | BPF_JGT | BPF_K, 0, 1, 4},
    {BPF_RET | BPF_K, 0, 0, 0xffff},
    {BPF_RET | BPF_K, 0, 0, 0},
};
static struct sock_filter unix_filter[] = {{BPF_RET | BPF_K, 0, 0, 4096}};

static void attach_filter(int fd, struct sock_filter* code, unsigned short len) {
  struct sock_fprog program = {len, code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0)
    zdtm_fail("SO_ATTACH_FILTER: %m");
}

static void check_filter(int fd, const struct sock_filter* code, socklen_t len, const char* what) {
  struct sock_filter got[8];
  socklen_t count = 8;
  if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, got, &count) != 0) zdtm_fail("%s: %m", what);
  if (count != len || memcmp(got, code, len * sizeof *code) != 0)
    zdtm_fail("%s: %u instructions, had %u", what, count, len);
}

struct timeout {
  int fd, name;
  struct timeval value;  // as read back (the kernel keeps it in jiffies)
  const char* what;
};
static struct timeout timeouts[4];
static int timeout_count;

static void set_timeout(int fd, int name, long sec, long usec, const char* what) {
  struct timeval tv = {sec, usec};
  if (setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv) != 0) zdtm_fail("set %s: %m", what);
  struct timeout* t = &timeouts[timeout_count++];
  socklen_t len = sizeof t->value;
  if (getsockopt(fd, SOL_SOCKET, name, &t->value, &len) != 0) zdtm_fail("get %s: %m", what);
  t->fd = fd, t->name = name, t->what = what;
}

static void check_timeouts(void) {
  for (int i = 0; i < timeout_count; ++i) {
    const struct timeout* t = &timeouts[i];
    struct timeval tv = {0};
    socklen_t len = sizeof tv;
    if (getsockopt(t->fd, SOL_SOCKET, t->name, &tv, &len) != 0) zdtm_fail("%s: %m", t->what);
    if (tv.tv_sec != t->value.tv_sec || tv.tv_usec != t->value.tv_usec)
      zdtm_fail("%s is %ld.%06ld, was %ld.%06ld", t->what, (long)tv.tv_sec, (long)tv.tv_usec,
                (long)t->value.tv_sec, (long)t->value.tv_usec);
  }
}

static int make(int family, int type) {
  int fd = socket(family, type, 0);
  if (fd < 0) zdtm_fail("socket: %m");
  return fd;
}

static int udp4, udp6, tcp, listener, unix_pair[2];

static void set_up_udp4(void) {
  udp4 = make(AF_INET, SOCK_DGRAM);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(udp4, (struct sockaddr*)&a, sizeof a) != 0) zdtm_fail("bind: %m");
  zdtm_set_int(udp4, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
  zdtm_set_int(udp4, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL");
  zdtm_set_int(udp4, SOL_SOCKET, SO_SELECT_ERR_QUEUE, 1, "SO_SELECT_ERR_QUEUE");
  zdtm_set_int(udp4, SOL_SOCKET, SO_BUSY_POLL, 50, "SO_BUSY_POLL");
  zdtm_set_int(udp4, SOL_SOCKET, SO_MARK, 77, "SO_MARK");
  zdtm_set_int(udp4, SOL_SOCKET, SO_ZEROCOPY, 1, "udp SO_ZEROCOPY");
  zdtm_set_int(udp4, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
  zdtm_set_int(udp4, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
  zdtm_set_int(udp4, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS");
  zdtm_set_int(udp4, IPPROTO_IP, IP_RECVOPTS, 1, "IP_RECVOPTS");
  zdtm_set_int(udp4, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
  zdtm_set_int(udp4, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, "IP_BIND_ADDRESS_NO_PORT");
  zdtm_set_int(udp4, IPPROTO_IP, IP_RECVORIGDSTADDR, 1, "IP_RECVORIGDSTADDR");
  zdtm_set_int(udp4, IPPROTO_IP, IP_UNICAST_IF, (int)htonl(if_nametoindex("lo")), "IP_UNICAST_IF");
  zdtm_set_int(udp4, IPPROTO_UDP, UDP_SEGMENT, 1000, "UDP_SEGMENT");
  zdtm_set_int(udp4, SOL_SOCKET, SO_PRIORITY, 5, "SO_PRIORITY");
  set_timeout(udp4, SO_RCVTIMEO, 7, 500000, "SO_RCVTIMEO");
  set_timeout(udp4, SO_SNDTIMEO, 3, 0, "SO_SNDTIMEO");
  if (setsockopt(udp4, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) != 0) zdtm_fail("bind lo: %m");
  attach_filter(udp4, udp_filter, 4);
  zdtm_set_int(udp4, SOL_SOCKET, SO_LOCK_FILTER, 1, "SO_LOCK_FILTER");
  join(udp4, AF_INET, v4("239.1.2.3"), "239.1.2.3");
  record_membership(udp4, AF_INET, v4("239.1.2.3"), "group 239.1.2.3");
  join(udp4, AF_INET, v4("239.1.2.4"), "239.1.2.4");
  source_option(udp4, AF_INET, MCAST_BLOCK_SOURCE, v4("239.1.2.4"), v4("127.0.0.9"), "block a source");
  record_membership(udp4, AF_INET, v4("239.1.2.4"), "group 239.1.2.4 (a source blocked)");
  source_option(udp4, AF_INET, MCAST_JOIN_SOURCE_GROUP, v4("232.1.1.1"), v4("127.0.0.5"), "join a source");
  record_membership(udp4, AF_INET, v4("232.1.1.1"), "group 232.1.1.1 (one source)");
}

static void set_up_udp6(void) {
  udp6 = make(AF_INET6, SOCK_DGRAM);
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, 1, "IPV6_RECVORIGDSTADDR");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_RECVPATHMTU, 1, "IPV6_RECVPATHMTU");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, 0, "IPV6_AUTOFLOWLABEL");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_DONTFRAG, 1, "IPV6_DONTFRAG");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL");
  zdtm_set_int(udp6, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)if_nametoindex("lo"), "IPV6_MULTICAST_IF");
  zdtm_set_int(udp6, IPPROTO_IP, IP_RECVTOS, 1, "IPv6 socket IP_RECVTOS");
  int stamps = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  zdtm_set_int(udp6, SOL_SOCKET, SO_TIMESTAMPING, stamps, "SO_TIMESTAMPING");
  join(udp6, AF_INET6, v6("ff15::1234"), "ff15::1234");
  record_membership(udp6, AF_INET6, v6("ff15::1234"), "group ff15::1234");
  source_option(udp6, AF_INET6, MCAST_JOIN_SOURCE_GROUP, v6("ff35::5"), v6("::1"),
                "join an IPv6 source");
  record_membership(udp6, AF_INET6, v6("ff35::5"), "group ff35::5 (one source)");
}

static void set_up_tcp(void) {
  tcp = make(AF_INET, SOCK_STREAM);
  zdtm_set_int(tcp, IPPROTO_TCP, TCP_WINDOW_CLAMP, 20000, "TCP_WINDOW_CLAMP");
  zdtm_set_int(tcp, IPPROTO_TCP, TCP_SAVE_SYN, 1, "TCP_SAVE_SYN");
  zdtm_set_int(tcp, IPPROTO_TCP, TCP_INQ, 1, "TCP_INQ");
  zdtm_set_int(tcp, IPPROTO_TCP, TCP_TX_DELAY, 100, "TCP_TX_DELAY");
  zdtm_set_int(tcp, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1, "TCP_FASTOPEN_CONNECT");
  zdtm_set_int(tcp, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, 1, "TCP_FASTOPEN_NO_COOKIE");
  zdtm_set_int(tcp, SOL_SOCKET, SO_ZEROCOPY, 1, "tcp SO_ZEROCOPY");
  zdtm_set_int(tcp, SOL_SOCKET, SO_TIMESTAMP, 1, "SO_TIMESTAMP");
  listener = make(AF_INET6, SOCK_STREAM);
  zdtm_set_int(listener, IPPROTO_TCP, TCP_FASTOPEN, 5, "TCP_FASTOPEN");
  zdtm_set_int(listener, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "listener IPV6_RECVTCLASS");
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (bind(listener, (struct sockaddr*)&a, sizeof a) != 0) zdtm_fail("bind6: %m");
  if (listen(listener, 4) != 0) zdtm_fail("listen: %m");
}

static void set_up_unix(void) {
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, unix_pair) != 0) zdtm_fail("socketpair: %m");
  zdtm_set_int(unix_pair[0], SOL_SOCKET, SO_PASSSEC, 1, "unix SO_PASSSEC");
  zdtm_set_int(unix_pair[0], SOL_SOCKET, SO_TIMESTAMP, 1, "unix SO_TIMESTAMP");
  set_timeout(unix_pair[0], SO_RCVTIMEO, 2, 250000, "unix SO_RCVTIMEO");
  attach_filter(unix_pair[0], unix_filter, 1);
}

// A socket filter program that accepts every packet whole: r0 = 0xffff; exit.
static void attach_ebpf(void) {
  struct bpf_insn code[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0xffff},
      {.code = BPF_JMP | BPF_EXIT},
  };
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = (uint64_t)(uintptr_t)code;
  attr.insn_cnt = 2;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (prog < 0) zdtm_fail("BPF_PROG_LOAD: %m");
  int fd = make(AF_INET, SOCK_DGRAM);
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof prog) != 0)
    zdtm_fail("SO_ATTACH_BPF: %m");
  close(prog);
}

static void check_memberships(void) {
  for (int i = 0; i < membership_count; ++i) {
    const struct membership* m = &memberships[i];
    uint32_t mode = 0, sources = 0;
    struct sockaddr_storage first;
    if (read_msfilter(m->fd, m->family, &m->group, &mode, &sources, &first) != 0)
      zdtm_fail("%s: no longer joined (%m)", m->what);
    if (mode != m->mode || sources != m->sources)
      zdtm_fail("%s: mode %u with %u sources, was %u with %u", m->what, mode, sources, m->mode,
                m->sources);
    if (sources != 0 && memcmp(&first, &m->source, sizeof first) != 0)
      zdtm_fail("%s: another source", m->what);
  }
}

static void check(void) {
  zdtm_check_ints();
  check_timeouts();
  char device[IFNAMSIZ] = {0};
  socklen_t len = sizeof device;
  if (getsockopt(udp4, SOL_SOCKET, SO_BINDTODEVICE, device, &len) != 0 || strcmp(device, "lo"))
    zdtm_fail("SO_BINDTODEVICE is '%s'", device);
  check_filter(udp4, udp_filter, 4, "udp filter");
  check_filter(unix_pair[0], unix_filter, 1, "unix filter");
  check_memberships();
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  set_up_udp4();
  set_up_udp6();
  set_up_tcp();
  set_up_unix();
  if (argc > 2 && strcmp(argv[2], "ebpf") == 0) attach_ebpf();
  zdtm_ready();
  while (!zdtm_stop) pause();
  check();
  zdtm_pass();
}
