// Virtual time across a checkpoint: every 100 ms reads CLOCK_MONOTONIC and CLOCK_BOOTTIME and
// prints the monotonic one to stdout. On SIGTERM it passes when neither clock ever went
// backwards nor jumped forward by 1 s or more between two readings (a restore that forgot the
// time namespace jumps by the time spent in the image).
#include <time.h>

#include "zdtm.h"

static long long nanos(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const long long limit = 1000000000LL;
  long long last_mono = nanos(CLOCK_MONOTONIC), last_boot = nanos(CLOCK_BOOTTIME);
  long long max_mono = 0, max_boot = 0;
  zdtm_ready();
  while (!zdtm_stop) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    long long mono = nanos(CLOCK_MONOTONIC), boot = nanos(CLOCK_BOOTTIME);
    printf("monotonic %lld.%09lld\n", mono / 1000000000LL, mono % 1000000000LL);
    fflush(stdout);
    if (mono < last_mono) zdtm_fail("CLOCK_MONOTONIC went back from %lld to %lld", last_mono, mono);
    if (boot < last_boot) zdtm_fail("CLOCK_BOOTTIME went back from %lld to %lld", last_boot, boot);
    if (mono - last_mono > max_mono) max_mono = mono - last_mono;
    if (boot - last_boot > max_boot) max_boot = boot - last_boot;
    last_mono = mono;
    last_boot = boot;
  }
  zdtm_report("largest steps: monotonic %lld ms, boottime %lld ms", max_mono / 1000000,
              max_boot / 1000000);
  if (max_mono >= limit) zdtm_fail("CLOCK_MONOTONIC jumped by %lld ms", max_mono / 1000000);
  if (max_boot >= limit) zdtm_fail("CLOCK_BOOTTIME jumped by %lld ms", max_boot / 1000000);
  zdtm_pass();
}
