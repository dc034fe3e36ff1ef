"""Event fds of a `ckpt run` container survive dump, removal and restore: the event_fds
workload (epoll over a pipe, an eventfd, timerfds, a signalfd and inotify; a periodic timerfd;
a /proc file and a netlink socket) reports PASS after the test creates a file in the watched
directory and sends SIGUSR1 to the restored container. Also with --leave-running."""
from conftest import run_ckpt, start_workload, text, unique, verdict, wait_until


def poke(work, *cids):
    """What the workload waits for after the restore: a file created, a SIGUSR1."""
    (work / "result.watch" / "after").write_text("")
    for cid in cids:
        run_ckpt("kill", cid, "USR1")


def outcomes(result):
    return [l for l in text(result).splitlines() if l.startswith(("PASS", "FAIL"))]


def dumped_and_restored(containers, work, *dump_options):
    """The workload started, dumped and restored: (original id, restored id)."""
    cid = start_workload(containers, work, "event_fds")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, *dump_options)
    restored = containers.track(unique("ev"))
    run_ckpt("restore", image, "--name", restored)
    return cid, restored


def test_event_fds_pass_after_dump_removal_and_restore(containers, work):
    _, restored = dumped_and_restored(containers, work)
    poke(work, restored)
    assert verdict(restored, work / "result") == "PASS"


def test_event_fds_pass_in_the_original_and_the_restored_with_leave_running(containers, work):
    cid, restored = dumped_and_restored(containers, work, "--leave-running")
    poke(work, cid, restored)
    result = work / "result"
    for count, c in enumerate((cid, restored), start=1):
        run_ckpt("kill", c, "TERM")
        wait_until(lambda: len(outcomes(result)) == count, timeout=20, what=f"{c} to report")
    assert outcomes(result) == ["PASS", "PASS"]


def test_without_the_file_and_the_signal_the_workload_fails(containers, work):
    """The workload's check is real: a restored container that got neither reports FAIL."""
    _, restored = dumped_and_restored(containers, work)
    assert verdict(restored, work / "result").startswith("FAIL")
