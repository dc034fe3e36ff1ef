// Reduced credentials: supplementary groups, a bounding set without CAP_SYS_BOOT and CAP_MKNOD,
// effective = permitted = a few capabilities, one inheritable and ambient, SECBIT_KEEP_CAPS and
// SECBIT_NO_CAP_AMBIENT_RAISE (set after the ambient raise). After the checkpoint every set, the
// groups and the securebits must be what they were (compared as /proc/self/status shows them).
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

#define BIT(cap) (1ull << (cap))

static void set_caps(unsigned long long eff, unsigned long long prm, unsigned long long inh) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
      {(unsigned)eff, (unsigned)prm, (unsigned)inh},
      {(unsigned)(eff >> 32), (unsigned)(prm >> 32), (unsigned)(inh >> 32)}};
  if (syscall(SYS_capget, &header, NULL) != 0 || syscall(SYS_capset, &header, data) != 0)
    zdtm_fail("capset: %s", strerror(errno));
}

// The lines of /proc/self/status that hold credentials, concatenated.
static void creds_text(char* out, size_t size) {
  char buf[8192];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  out[0] = 0;
  if (n <= 0) return;
  buf[n] = 0;
  const char* keys[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
                        "CapAmb:", "NoNewPrivs:"};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; ++k) {
    char* at = strstr(buf, keys[k]);
    if (!at) continue;
    char* end = strchr(at, '\n');
    size_t len = end ? (size_t)(end - at) : strlen(at);
    strncat(out, at, size - strlen(out) - 2 < len ? size - strlen(out) - 2 : len);
    strcat(out, ";");
  }
  snprintf(out + strlen(out), size - strlen(out), "securebits=%#x", prctl(PR_GET_SECUREBITS));
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  gid_t groups[] = {4, 24, 100};
  if (setgroups(3, groups) != 0) zdtm_fail("setgroups: %s", strerror(errno));
  if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT) != 0 || prctl(PR_CAPBSET_DROP, CAP_MKNOD) != 0)
    zdtm_fail("PR_CAPBSET_DROP: %s", strerror(errno));
  unsigned long long keep = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_NET_RAW) |
                            BIT(CAP_SETPCAP) | BIT(CAP_DAC_OVERRIDE);
  set_caps(keep, keep, BIT(CAP_NET_BIND_SERVICE));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0)
    zdtm_fail("ambient raise: %s", strerror(errno));
  if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE) != 0)
    zdtm_fail("securebits: %s", strerror(errno));
  // CAP_SETPCAP is needed only to set the securebits: effective drops it (permitted keeps it).
  set_caps(keep & ~BIT(CAP_SETPCAP), keep, BIT(CAP_NET_BIND_SERVICE));
  char before[2048], after[2048];
  creds_text(before, sizeof before);
  zdtm_ready();
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  creds_text(after, sizeof after);
  if (strcmp(before, after) != 0) {
    zdtm_report("credentials were %s", before);
    zdtm_report("credentials are  %s", after);
    zdtm_fail("credentials changed");
  }
  zdtm_pass();
}
