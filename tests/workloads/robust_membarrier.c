// Kernel registrations of threads and of the mm: each of two threads sets its own robust futex
// list (set_robust_list) with a lock held on it, and the process registers for private
// expedited membarrier. On SIGTERM: get_robust_list answers each thread's own head, the private
// expedited barrier works (it fails with EPERM unregistered), and the helper thread exits
// holding its robust lock, which the kernel must then mark FUTEX_OWNER_DIED (owner cleared).
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "zdtm.h"

struct robust_lock {
  struct robust_list list;  // first: the list entries point here
  uint32_t futex;
};

struct thread_list {
  struct robust_list_head head;
  struct robust_lock lock;
};

static struct thread_list lists[2];
static volatile int helper_registered = 0;
static volatile int helper_checked = 0;
static volatile int helper_result = -1;

static int set_own_list(struct thread_list* l) {
  l->head.list.next = &l->lock.list;  // one entry held, then back to the head
  l->lock.list.next = &l->head.list;
  l->head.futex_offset = offsetof(struct robust_lock, futex) - offsetof(struct robust_lock, list);
  l->head.list_op_pending = NULL;
  l->lock.futex = (uint32_t)syscall(SYS_gettid);  // held by this thread
  return (int)syscall(SYS_set_robust_list, &l->head, sizeof l->head);
}

static int holds_own_list(struct thread_list* l) {
  struct robust_list_head* head = NULL;
  size_t size = 0;
  if (syscall(SYS_get_robust_list, 0, &head, &size) != 0) return 0;
  return head == &l->head && size == sizeof l->head;
}

static void* helper(void* arg) {
  (void)arg;
  if (set_own_list(&lists[1]) != 0) return NULL;
  helper_registered = 1;
  while (!helper_checked) usleep(1000);
  helper_result = holds_own_list(&lists[1]);
  return NULL;  // exits holding its robust lock
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (set_own_list(&lists[0]) != 0) zdtm_fail("set_robust_list: %s", strerror(errno));
  if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0)
    zdtm_fail("membarrier register: %s", strerror(errno));
  pthread_t thread;
  if (pthread_create(&thread, NULL, helper, NULL) != 0) zdtm_fail("pthread_create");
  while (!helper_registered) usleep(1000);
  zdtm_ready();
  while (!zdtm_stop) pause();

  if (!holds_own_list(&lists[0])) zdtm_fail("main thread's robust list is lost");
  if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
    zdtm_fail("membarrier private expedited: %s (registration lost)", strerror(errno));
  helper_checked = 1;
  pthread_join(thread, NULL);
  if (helper_result != 1) zdtm_fail("helper thread's robust list is lost");
  if (lists[1].lock.futex != FUTEX_OWNER_DIED)  // the kernel walked its list at exit
    zdtm_fail("helper's lock after its exit: %#x, not FUTEX_OWNER_DIED", lists[1].lock.futex);
  zdtm_pass();
}
