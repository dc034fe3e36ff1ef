"""State that used to come back silently different, each a ZDTM-style workload as a container's
init: dumped with --leave-running and restored with a strict `--check` (every fact the audit
compares must match, nothing ignored); then the original and the copy each check their own
state.

- signal_actions: every signal action as set (32 and 33 at SIG_DFL: no handler of ckpt's left).
- thread_names: each thread keeps its own name.
- thread_creds: a worker with threads that became nobody: every thread keeps the ids, groups
  and (no) capabilities.
- zombie_sigchld: a parent of a zombie gets no second SIGCHLD from the restore.
- mm_noreserve: a MAP_NORESERVE mapping stays apart from its neighbours, VmFlags nr kept.
- unix_relative: unix sockets bound by relative path names keep them and stay reachable.
- netlink_kinds: netlink sockets of every protocol a network namespace offers.
- mounts_odd: tmpfs mounts at paths with a space, a tab and a backslash, a tmpfs over another,
  /proc/sys remounted read-only, a file bound over /dev/console.
- inotify_removed: inotify watches on a file and a directory removed while held open keep their
  wd and stay on the files the process holds (events on write, chmod and last close).
- fanotify_marks: fanotify groups with inode, mount and filesystem marks and ignored masks
  report exactly the events their marks select.
- aio_ring: an io_setup context with completed events unread: same context id (the ring's
  address), head and tail; the unread events come back, new requests complete.
- mount_propagation: a shared tmpfs with a bind of it in its peer group, an unbindable tmpfs.
- syscall_dispatch: syscall user dispatch on two threads, one in the exclusive and one in the
  inclusive mode, selectors at ALLOW while they wait: each keeps its mode, range and selector
  (its calls are dispatched exactly as before).
- rlimits: soft and hard limits lowered to values of their own come back exactly.
- inotify_queue: watches with every event on a tmpfs directory and a file in it, the queue
  empty: nothing comes back queued that nobody caused (the restore's own making of the tmpfs),
  and new events reach the same wds.
- mce_kill: each thread's machine-check memory error policy (PR_MCE_KILL: early, late, the
  default).
- coredump_filter: a parent's and its child's coredump_filter, each its own.
- pidfd_thread: a PIDFD_THREAD pidfd on a thread of its process (two fds, one description)
  still names that thread, keeps its flags, and signals sent through it reach that thread.
- paths_reused: a named FIFO with data; a FIFO and two unix sockets whose names were removed and
  taken since by a regular file or another socket: each fd keeps its file and name, each name
  keeps what took it (a datagram to the name reaches the socket bound there last).

Run as root: /usr/bin/python3 -m pytest tests/integration/test_restore_exact.py
"""
import pytest

from conftest import (container_info, leave_running_and_two_restores, outcomes,
                      refused_dump_lines, run_ckpt, start_in_tmpfs, text, unique, verdict,
                      wait_until)

WORKLOADS = ["signal_actions", "thread_names", "thread_creds", "zombie_sigchld", "mm_noreserve",
             "unix_relative", "netlink_kinds", "mounts_odd", "inotify_removed",
             "fanotify_marks", "aio_ring", "pidfd_thread", "mount_propagation",
             "syscall_dispatch", "rlimits", "inotify_queue", "mce_kill",
             "coredump_filter", "paths_reused"]


def original_and_copy_outcomes(containers, work, cid, *restore_args):
    """Dumps `cid` with --leave-running, restores a copy (with `restore_args`), tells the
    original and then the copy to check their state; returns the restore and their verdicts."""
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    copy = containers.track(unique("ex"))
    proc = run_ckpt("restore", *restore_args, image, "--name", copy)
    result = work / "result"
    for count, c in enumerate((cid, copy), start=1):
        run_ckpt("kill", c, "TERM")
        wait_until(lambda: len(outcomes(result)) == count, timeout=20, what=f"{c} to report")
    return proc, outcomes(result)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_original_and_copy_keep_the_state_and_the_audit_finds_no_difference(
        containers, work, workload):
    cid = start_in_tmpfs(containers, work, workload)
    proc, verdicts = original_and_copy_outcomes(containers, work, cid, "--check")
    assert "check:" not in proc.stderr, proc.stderr
    assert verdicts == ["PASS", "PASS"]


@pytest.mark.xfail(strict=True, reason="AIO requests in flight are not visible from user space "
                                        "and are lost (README: not kept and not refused)")
def test_an_aio_poll_in_flight_completes_in_the_copy(containers, work):
    """An IOCB_CMD_POLL waiting on an empty pipe, beside a completed read left unread: the unread
    event comes back, the poll does not (the copy waits 5 s for it, then fails). No kernel
    interface shows a request in flight, nor the ring slots it holds, so the dump cannot refuse
    it either: this test pins the known loss, and fails once it is fixed."""
    cid = start_in_tmpfs(containers, work, "aio_inflight")
    assert original_and_copy_outcomes(containers, work, cid)[1] == ["PASS", "PASS"]


def test_completed_aio_events_left_unread_come_back_beside_a_poll_in_flight(containers, work):
    """The part of aio_inflight ckpt keeps: the read completed before the dump and left unread
    is the copy's first event too."""
    cid = start_in_tmpfs(containers, work, "aio_inflight")
    verdicts = original_and_copy_outcomes(containers, work, cid)[1]
    assert verdicts[0] == "PASS"
    assert text(work / "result").splitlines().count("unread event back") == 2


def test_a_thread_with_credentials_of_its_own_keeps_them(containers, work):
    """A thread that changed its own ids (raw setresuid: nobody, no capabilities) beside a root
    main thread: each thread gets its own credentials back (it was refused, and before that
    every thread came back with the process's)."""
    cid = start_in_tmpfs(containers, work, "thread_own_uid")
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def refused_dump_line(containers, work, workload, *args):
    """Starts `workload` (with `args`), checks a --leave-running dump of it is refused (exit 5,
    no image) and the container runs on untouched to PASS; returns the dump's last line."""
    cid = start_in_tmpfs(containers, work, workload, *args)
    pid = container_info(cid)["init_pid"]
    proc = run_ckpt("dump", cid, "-o", work / "image.ckpt", "--leave-running", check=False)
    assert proc.returncode == 5, proc.stderr
    assert not (work / "image.ckpt").exists()
    assert container_info(cid)["init_pid"] == pid
    assert verdict(cid, work / "result") == "PASS"
    return proc.stderr.strip().splitlines()[-1]


def test_an_inotify_watch_on_a_removed_directory_held_only_as_cwd_is_refused_by_name(
        containers, work):
    """A watch on a removed inode comes back on the restored file of an fd on it; one whose inode
    only the working directory holds has none, and the dump says so."""
    line = refused_dump_line(containers, work, "inotify_removed", "cwd")
    assert "inotify wd 3: watches removed inode" in line and "no open file" in line, line


@pytest.mark.parametrize("mode,says", [
    ("queued", "fanotify group has 24 bytes of events queued unread"),
    ("permission", "fanotify group of a permission class (flags 5)"),
])
def test_fanotify_state_a_restore_cannot_bring_back_is_refused_by_name(containers, work, mode,
                                                                     says):
    """Events queued unread and a group whose permission events a process may wait on cannot be
    made again: the dump names the fd and why, and the container runs on. The permission group
    asks to allow each open of the tmpfs: it is refused before the dump opens any file (its own
    open waited for good for the frozen process to answer)."""
    line = refused_dump_line(containers, work, "fanotify_marks", mode)
    assert says in line and "pid " in line and " fd " in line, line


def test_inotify_events_queued_unread_are_refused_by_name(containers, work):
    """An IN_CREATE left unread: the copy came back with an empty queue and its reader never
    heard of the file. They can only be read by taking them from the original, and not queued
    again: the dump names the fd and the container runs on to read its event."""
    line = refused_dump_line(containers, work, "inotify_queue", "queued")
    assert "inotify instance has 96 bytes of events queued unread" in line, line  # 3 events
    assert "pid " in line and " fd " in line, line


def test_a_process_whose_main_thread_exited_is_refused_by_name(containers, work):
    """pthread_exit in main while another thread runs on (a child of the container's init):
    every call on a process goes through its main thread; the dump refuses it by name, and the
    container runs on."""
    cid = start_in_tmpfs(containers, work, "main_thread_exited", "child")
    for line in refused_dump_lines(cid, work):
        assert "its main thread has exited while 1 other threads run" in line, line
    assert verdict(cid, work / "result") == "PASS"


def test_an_mq_notify_registration_is_refused_by_name(containers, work):
    """No call shows a registration's sigevent (its signal and value); the copy came back
    without it. The dump names the queue and the process, and the container runs on to get its
    notification."""
    line = refused_dump_line(containers, work, "mq_notify")
    assert "has an mq_notify registration (pid " in line and "/ckpt-notify-" in line, line


def test_a_pidfd_on_a_thread_of_another_process_is_refused_by_name(containers, work):
    """A pidfd on a thread is opened again by the thread's own process once its threads are
    made; a child holding one on its parent's thread cannot be, and the dump says so."""
    line = refused_dump_line(containers, work, "pidfd_thread", "other")
    assert "pidfd of thread" in line and "of another process" in line, line
