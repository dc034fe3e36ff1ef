// Pipes across a checkpoint: a ring of ten processes (the parent and nine relays) passes a
// token through pipes (each hop adds one; the parent checks every round trip), and a pipe of
// 256 KiB capacity holds 200 KiB that nobody reads until the end. On SIGTERM the parent passes
// when every round trip added exactly ten, the held pipe still has its capacity and exactly its
// data, in order.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

enum { kRing = 10, kHeldCapacity = 256 << 10, kHeldSize = 200 << 10 };

static unsigned char pattern(size_t i) {
  return (unsigned char)(i * 13 + (i >> 10));
}

// Relays tokens from `in` to `out`, adding one; exits when the ring breaks.
static void relay(int in, int out) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  uint64_t token, last = 0;
  for (;;) {
    ssize_t n = read(in, &token, sizeof token);
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof token) _exit(0);
    if (token <= last)
      zdtm_fail("relay %d: token went from %llu to %llu", getpid(), (unsigned long long)last,
                (unsigned long long)token);
    last = ++token;
    if (write(out, &token, sizeof token) != sizeof token) _exit(0);
  }
}

static void check_held(int held_read) {
  int capacity = fcntl(held_read, F_GETPIPE_SZ);
  if (capacity != kHeldCapacity)
    zdtm_fail("held pipe capacity %d, expected %d", capacity, kHeldCapacity);
  int buffered = 0;
  ioctl(held_read, FIONREAD, &buffered);
  if (buffered != kHeldSize) zdtm_fail("held pipe has %d bytes, expected %d", buffered, kHeldSize);
  static unsigned char buf[kHeldSize];
  if (read(held_read, buf, kHeldSize) != kHeldSize) zdtm_fail("short read of held pipe");
  for (size_t i = 0; i < kHeldSize; ++i)
    if (buf[i] != pattern(i)) zdtm_fail("held pipe byte %zu changed", i);
}

static int make_held_pipe(int* held_write) {
  int ends[2];
  if (pipe2(ends, O_NONBLOCK) != 0) zdtm_fail("pipe2");
  if (fcntl(ends[1], F_SETPIPE_SZ, kHeldCapacity) != kHeldCapacity) zdtm_fail("F_SETPIPE_SZ");
  static unsigned char buf[kHeldSize];
  for (size_t i = 0; i < kHeldSize; ++i) buf[i] = pattern(i);
  if (write(ends[1], buf, kHeldSize) != kHeldSize) zdtm_fail("fill held pipe");
  *held_write = ends[1];
  return ends[0];
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int ring[kRing][2];  // ring[i]: from hop i to hop i+1 (hop 0 is the parent)
  for (int i = 0; i < kRing; ++i)
    if (pipe(ring[i]) != 0) zdtm_fail("pipe");
  pid_t relays[kRing - 1];
  for (int i = 1; i < kRing; ++i) {
    relays[i - 1] = fork();
    if (relays[i - 1] == 0) {
      for (int j = 0; j < kRing; ++j) {
        if (j != i - 1) close(ring[j][0]);
        if (j != i) close(ring[j][1]);
      }
      relay(ring[i - 1][0], ring[i][1]);
    }
  }
  for (int i = 0; i < kRing; ++i) {
    if (i != kRing - 1) close(ring[i][0]);
    if (i != 0) close(ring[i][1]);
  }
  int held_write;
  int held_read = make_held_pipe(&held_write);
  uint64_t token = 1, rounds = 0;
  while (!zdtm_stop) {
    if (write(ring[0][1], &token, sizeof token) != sizeof token) break;
    uint64_t back;
    ssize_t n;
    while ((n = read(ring[kRing - 1][0], &back, sizeof back)) < 0 && errno == EINTR) {
    }
    if (n != sizeof back) zdtm_fail("ring broken after %llu rounds", (unsigned long long)rounds);
    if (back != token + kRing - 1)
      zdtm_fail("token %llu came back as %llu", (unsigned long long)token,
                (unsigned long long)back);
    token = back + 1;
    if (++rounds == 1) zdtm_ready();
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  check_held(held_read);
  for (int i = 0; i < kRing - 1; ++i) kill(relays[i], SIGKILL);
  while (wait(NULL) > 0) {
  }
  zdtm_report("rounds %llu", (unsigned long long)rounds);
  zdtm_pass();
}
