// Resource limits: soft and hard limits lowered to values of their own (a hard limit can only be
// lowered without CAP_SYS_RESOURCE), the others left as inherited. After the checkpoint every
// one of the 16 limits must be exactly as it was, soft and hard: a restorer that cannot give a
// hard limit back (its own is lower, or RLIMIT_NOFILE's above its fs.nr_open) must fail the
// restore, never leave a lower one.
#define _GNU_SOURCE
#include <sys/resource.h>

#include "zdtm.h"

static const struct {
  int resource;
  rlim_t soft, hard;
} kSet[] = {
    {RLIMIT_NOFILE, 1000, 2000},        {RLIMIT_CORE, 0, 12345678},
    {RLIMIT_MSGQUEUE, 100000, 200000},  {RLIMIT_SIGPENDING, 300, 400},
    {RLIMIT_LOCKS, 5000, 6000},         {RLIMIT_FSIZE, 1 << 30, RLIM_INFINITY},
};

static struct rlimit before[RLIM_NLIMITS];

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  for (size_t i = 0; i < sizeof kSet / sizeof kSet[0]; ++i) {
    struct rlimit now;
    getrlimit(kSet[i].resource, &now);
    struct rlimit want = {kSet[i].soft, kSet[i].hard};
    if (want.rlim_max > now.rlim_max) want.rlim_max = now.rlim_max;  // cannot rise here
    if (want.rlim_cur > want.rlim_max) want.rlim_cur = want.rlim_max;
    if (setrlimit(kSet[i].resource, &want) != 0)
      zdtm_fail("setrlimit %d: %s", kSet[i].resource, strerror(errno));
  }
  for (int r = 0; r < RLIM_NLIMITS; ++r) getrlimit(r, &before[r]);
  zdtm_ready();
  while (!zdtm_stop) pause();
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    struct rlimit now;
    getrlimit(r, &now);
    if (now.rlim_cur != before[r].rlim_cur || now.rlim_max != before[r].rlim_max)
      zdtm_fail("limit %d is %llu:%llu, was %llu:%llu", r, (unsigned long long)now.rlim_cur,
                (unsigned long long)now.rlim_max, (unsigned long long)before[r].rlim_cur,
                (unsigned long long)before[r].rlim_max);
  }
  zdtm_pass();
}
