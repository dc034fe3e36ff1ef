// Every signal action exactly as the process set it, asked by the raw system call (glibc's
// sigaction() hides its own signals 32 and 33): handlers on a few signals with their flags and
// masks, a few ignored, and all others (32 and 33 included) at SIG_DFL. The restore must leave
// none of its own behind.
#include <sys/syscall.h>

#include "zdtm.h"

struct kernel_action {
  unsigned long handler, flags, restorer, mask;
};

static void on_signal(int sig) {
  (void)sig;
}

static const int handled[] = {SIGUSR1, SIGUSR2, SIGHUP, 40, 50};
static const int ignored[] = {SIGPIPE, SIGALRM, 45};

static int is_in(int sig, const int* list, int n) {
  for (int i = 0; i < n; ++i)
    if (list[i] == sig) return 1;
  return 0;
}

static void check(const char* when) {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct kernel_action a;
    if (syscall(SYS_rt_sigaction, sig, NULL, &a, 8) != 0) zdtm_fail("rt_sigaction %d", sig);
    if (sig == SIGTERM) continue;  // zdtm's own handler
    unsigned long want = (unsigned long)SIG_DFL;
    if (is_in(sig, handled, sizeof handled / sizeof *handled)) want = (unsigned long)on_signal;
    if (is_in(sig, ignored, sizeof ignored / sizeof *ignored)) want = (unsigned long)SIG_IGN;
    if (a.handler != want)
      zdtm_fail("%s: signal %d has handler %#lx, wanted %#lx", when, sig, a.handler, want);
    unsigned long mask = 1ul << (SIGINT - 1);
    if (want == (unsigned long)on_signal && (!(a.flags & SA_RESTART) || a.mask != mask))
      zdtm_fail("%s: signal %d has flags %#lx mask %#lx", when, sig, a.flags, a.mask);
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  for (int sig = 1; sig <= 64; ++sig)  // what the starter ignored stays ignored across exec
    if (sig != SIGTERM) signal(sig, SIG_DFL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigaddset(&sa.sa_mask, SIGINT);
  for (size_t i = 0; i < sizeof handled / sizeof *handled; ++i) sigaction(handled[i], &sa, NULL);
  for (size_t i = 0; i < sizeof ignored / sizeof *ignored; ++i) signal(ignored[i], SIG_IGN);
  check("before the checkpoint");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check("after the checkpoint");
  zdtm_pass();
}
