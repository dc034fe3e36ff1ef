// IPC objects for the ipc dump/restore tests.
//   ipc_objects setup   creates SysV shm/msg/sem and POSIX queues with non-default modes,
//                       owners, creators, gaps in the ids and data, prints "ready", sleeps.
//   ipc_objects blocked-sender  fills POSIX queue /ckpt_busy and leaves a child blocked in
//                       mq_send on it, prints "ready", sleeps.
//   ipc_objects notify  POSIX queue /ckpt_note holding one message, with an mq_notify
//                       registration; prints "ready", sleeps.
//   ipc_objects show    prints every object of the current ipc namespace in a canonical text
//                       form (POSIX queues are drained and refilled to read them).
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void write_sysctl(const char* path, const char* value) {
  FILE* f = fopen(path, "w");
  if (!f || fputs(value, f) < 0 || fclose(f) != 0) die(path);
}

static void chown_ipc(int kind, int id, uid_t uid, gid_t gid) {
  if (kind == 0) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) ||
        (ds.shm_perm.uid = uid, ds.shm_perm.gid = gid, shmctl(id, IPC_SET, &ds)))
      die("shm chown");
  } else {
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) ||
        (ds.msg_perm.uid = uid, ds.msg_perm.gid = gid, msgctl(id, IPC_SET, &ds)))
      die("msg chown");
  }
}

static void fill_shm(int id, size_t from, size_t len, int seed) {
  unsigned char* p = shmat(id, NULL, 0);
  if (p == (void*)-1) die("shmat");
  for (size_t i = 0; i < len; ++i) p[from + i] = (unsigned char)((i * 31 + seed) % 251);
  shmdt(p);
}

static void send_msg(int q, long type, const char* text, size_t len) {
  char buf[sizeof(long) + 9000];
  memcpy(buf, &type, sizeof type);
  memcpy(buf + sizeof(long), text, len);
  if (msgsnd(q, buf, len, IPC_NOWAIT)) die("msgsnd");
}

static void setup_sysv(void) {
  write_sysctl("/proc/sys/kernel/msgmax", "9000");
  write_sysctl("/proc/sys/kernel/msgmnb", "32768");
  write_sysctl("/proc/sys/kernel/sem", "250 32000 64 200");
  // A removed segment leaves a gap: later ids reuse the index with a higher sequence number.
  int gone = shmget(IPC_PRIVATE, 4096, 0600);
  if (gone < 0 || shmctl(gone, IPC_RMID, NULL)) die("shm gap");
  int a = shmget(0x1001, 3 * 4096, IPC_CREAT | 0640);
  int b = shmget(0x1002, 100000, IPC_CREAT | 0600);
  int c = shmget(IPC_PRIVATE, 1 << 20, 0604);
  if (a < 0 || b < 0 || c < 0) die("shmget");
  fill_shm(a, 0, 3 * 4096, 1);
  fill_shm(b, 4096 * 5, 100000 - 4096 * 5, 2);  // pages 0-4 never touched
  fill_shm(c, 512 * 1024, 4096, 3);
  chown_ipc(0, a, 1000, 1000);
  if (shmctl(b, SHM_LOCK, NULL)) die("SHM_LOCK");

  int q1 = msgget(0x2001, IPC_CREAT | 0620);
  int q2 = msgget(IPC_PRIVATE, 0666);
  int q3 = msgget(0x2003, IPC_CREAT | 0600);
  if (q1 < 0 || q2 < 0 || q3 < 0) die("msgget");
  send_msg(q1, 1, "first", 5);
  send_msg(q1, 5, "second\0binary", 13);
  send_msg(q1, 2, "", 0);
  send_msg(q1, 5, "fourth", 6);
  char big[8500];
  for (size_t i = 0; i < sizeof big; ++i) big[i] = (char)(i % 97);
  send_msg(q2, 7, big, sizeof big);
  struct msqid_ds ds;
  if (msgctl(q3, IPC_STAT, &ds)) die("msgctl");
  ds.msg_qbytes = 5000;
  if (msgctl(q3, IPC_SET, &ds)) die("msgctl IPC_SET");
  chown_ipc(1, q2, 1001, 1002);

  int s1 = semget(0x3001, 3, IPC_CREAT | 0660);
  int s2 = semget(0x3002, 5, IPC_CREAT | 0400);
  if (s1 < 0 || s2 < 0) die("semget");
  unsigned short v1[3] = {1, 0, 42}, v2[5] = {5, 4, 3, 2, 32767};
  union semun arg = {.array = v1};
  if (semctl(s1, 0, SETALL, arg)) die("SETALL");
  arg.array = v2;
  if (semctl(s2, 0, SETALL, arg)) die("SETALL");
  // Created by another user: cuid/cgid 2000.
  pid_t child = fork();
  if (child == 0) {
    if (setegid(2000) || seteuid(2000)) die("seteuid");
    _exit(semget(0x3003, 2, IPC_CREAT | 0600) < 0 || msgget(0x2004, IPC_CREAT | 0644) < 0);
  }
  int status;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status)) die("creating as uid 2000");
  // Segments whose creator is gone are destroyed: ours stay (this process lives on).
  write_sysctl("/proc/sys/kernel/shm_rmid_forced", "1");
}

static void setup_posix(void) {
  struct mq_attr attr = {.mq_maxmsg = 5, .mq_msgsize = 64};
  mqd_t a = mq_open("/ckpt_a", O_CREAT | O_WRONLY, 0640, &attr);
  attr.mq_maxmsg = 3;
  attr.mq_msgsize = 16;
  mqd_t b = mq_open("/ckpt_b", O_CREAT | O_WRONLY, 0600, &attr);
  mqd_t c = mq_open("/ckpt_full", O_CREAT | O_WRONLY, 0666, &attr);
  if (a < 0 || b < 0 || c < 0) die("mq_open");
  if (mq_send(a, "low one", 7, 1) || mq_send(a, "high", 4, 9) || mq_send(a, "low two", 7, 1) ||
      mq_send(a, "mid", 3, 3) || mq_send(c, "x", 1, 0) || mq_send(c, "y", 1, 2) ||
      mq_send(c, "z", 1, 0))
    die("mq_send");
  if (fchown(b, 1000, 1000)) die("fchown mq");
}

// Each queue of a private mqueue mount, drained and refilled.
static void show_posix(void) {
  if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
      mount("mqueue", "/tmp", "mqueue", 0, NULL))
    die("mount mqueue");
  struct dirent** names;
  int n = scandir("/tmp", &names, NULL, alphasort);
  for (int i = 0; i < n; ++i) {
    if (names[i]->d_name[0] == '.') continue;
    char path[300], name[300];
    snprintf(path, sizeof path, "/tmp/%s", names[i]->d_name);
    snprintf(name, sizeof name, "/%s", names[i]->d_name);
    struct stat st;
    if (stat(path, &st)) die("stat mq");
    mqd_t q = mq_open(name, O_RDWR | O_NONBLOCK);
    struct mq_attr attr;
    if (q < 0 || mq_getattr(q, &attr)) die("mq_open show");
    printf("mq %s mode=%o uid=%d gid=%d maxmsg=%ld msgsize=%ld\n", name, st.st_mode & 07777,
           st.st_uid, st.st_gid, attr.mq_maxmsg, attr.mq_msgsize);
    if (getenv("IPC_SHOW_NO_DRAIN")) {  // receiving could let a blocked sender in
      printf("  curmsgs=%ld\n", attr.mq_curmsgs);
      mq_close(q);
      continue;
    }
    char msgs[64][1024];
    unsigned prios[64];
    ssize_t lens[64];
    long count = 0;
    while (count < 64 && (lens[count] = mq_receive(q, msgs[count], 1024, &prios[count])) >= 0)
      ++count;
    for (long m = 0; m < count; ++m) {
      printf("  prio=%u text=%.*s\n", prios[m], (int)lens[m], msgs[m]);
      if (mq_send(q, msgs[m], lens[m], prios[m])) die("mq_send back");
    }
    mq_close(q);
  }
}

static uint32_t fnv(const unsigned char* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

static int read_rmid_forced(void) {
  FILE* f = fopen("/proc/sys/kernel/shm_rmid_forced", "r");
  int v = 0;
  if (!f || fscanf(f, "%d", &v) != 1) die("shm_rmid_forced");
  fclose(f);
  return v;
}

static void show_sysv(void) {
  // Our shmdt would destroy every segment under shm_rmid_forced = 1.
  int rmid_forced = read_rmid_forced();
  write_sysctl("/proc/sys/kernel/shm_rmid_forced", "0");
  struct shm_info si;
  int max = shmctl(0, SHM_INFO, (struct shmid_ds*)&si);
  for (int i = 0; i <= max; ++i) {
    struct shmid_ds ds;
    int id = shmctl(i, SHM_STAT, &ds);
    if (id < 0) continue;
    unsigned char* p = shmat(id, NULL, SHM_RDONLY);
    if (p == (void*)-1) die("shmat show");
    printf("shm id=%d key=%#x uid=%d gid=%d cuid=%d cgid=%d mode=%o size=%zu fnv=%08x\n", id,
           ds.shm_perm.__key, ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.cuid, ds.shm_perm.cgid,
           ds.shm_perm.mode, ds.shm_segsz, fnv(p, ds.shm_segsz));
    shmdt(p);
  }
  write_sysctl("/proc/sys/kernel/shm_rmid_forced", rmid_forced ? "1" : "0");
  struct msginfo mi;
  max = msgctl(0, MSG_INFO, (struct msqid_ds*)&mi);
  for (int i = 0; i <= max; ++i) {
    struct msqid_ds ds;
    int id = msgctl(i, MSG_STAT, &ds);
    if (id < 0) continue;
    printf("msg id=%d key=%#x uid=%d gid=%d cuid=%d cgid=%d mode=%o qbytes=%lu qnum=%lu\n", id,
           ds.msg_perm.__key, ds.msg_perm.uid, ds.msg_perm.gid, ds.msg_perm.cuid, ds.msg_perm.cgid,
           ds.msg_perm.mode, ds.msg_qbytes, ds.msg_qnum);
    static char buf[sizeof(long) + 65536];
    for (unsigned long m = 0; m < ds.msg_qnum; ++m) {
      ssize_t n = msgrcv(id, buf, 65536, (long)m, IPC_NOWAIT | MSG_COPY);
      if (n < 0) die("MSG_COPY");
      long type;
      memcpy(&type, buf, sizeof type);
      printf("  type=%ld len=%zd fnv=%08x\n", type, n,
             fnv((unsigned char*)buf + sizeof(long), (size_t)n));
    }
  }
  struct seminfo smi;
  union semun arg = {.array = (unsigned short*)&smi};
  max = semctl(0, 0, SEM_INFO, arg);
  for (int i = 0; i <= max; ++i) {
    struct semid_ds ds;
    arg.buf = &ds;
    int id = semctl(i, 0, SEM_STAT, arg);
    if (id < 0) continue;
    printf("sem id=%d key=%#x uid=%d gid=%d cuid=%d cgid=%d mode=%o nsems=%lu values=", id,
           ds.sem_perm.__key, ds.sem_perm.uid, ds.sem_perm.gid, ds.sem_perm.cuid, ds.sem_perm.cgid,
           ds.sem_perm.mode, ds.sem_nsems);
    unsigned short values[256];
    arg.array = values;
    if (semctl(id, 0, GETALL, arg)) die("GETALL");
    for (unsigned long v = 0; v < ds.sem_nsems; ++v) printf("%s%u", v ? "," : "", values[v]);
    printf("\n");
  }
}

static void show_sysctls(void) {
  const char* names[] = {"kernel/msgmax", "kernel/msgmnb",          "kernel/sem",
                         "kernel/shmmni", "kernel/shm_rmid_forced", "fs/mqueue/msg_max"};
  for (size_t i = 0; i < sizeof names / sizeof *names; ++i) {
    char path[100], value[200] = "";
    snprintf(path, sizeof path, "/proc/sys/%s", names[i]);
    FILE* f = fopen(path, "r");
    if (f && fgets(value, sizeof value, f)) printf("sysctl %s=%s", names[i], value);
    if (f) fclose(f);
  }
}

static void setup_blocked_sender(void) {
  struct mq_attr attr = {.mq_maxmsg = 2, .mq_msgsize = 8};
  mqd_t q = mq_open("/ckpt_busy", O_CREAT | O_WRONLY, 0600, &attr);
  if (q < 0 || mq_send(q, "one", 3, 0) || mq_send(q, "two", 3, 0)) die("mq busy");
  if (fork() == 0) {
    mq_send(q, "three", 5, 0);  // blocks: the queue is full
    for (;;) pause();
  }
}

static void setup_notify(void) {
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 8};
  mqd_t q = mq_open("/ckpt_note", O_CREAT | O_RDWR, 0600, &attr);
  struct sigevent ev = {.sigev_notify = SIGEV_NONE};
  if (q < 0 || mq_send(q, "one", 3, 0) || mq_notify(q, &ev)) die("mq notify");
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "setup") == 0) {
    setup_sysv();
    setup_posix();
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (argc == 2 && strcmp(argv[1], "blocked-sender") == 0) {
    setup_blocked_sender();
    usleep(200 * 1000);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (argc == 2 && strcmp(argv[1], "notify") == 0) {
    setup_notify();
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (argc == 2 && strcmp(argv[1], "show") == 0) {
    show_sysctls();
    show_sysv();
    fflush(stdout);
    show_posix();
    return 0;
  }
  fprintf(stderr, "usage: ipc_objects setup|blocked-sender|notify|show\n");
  return 2;
}
