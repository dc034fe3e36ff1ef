"""The pre-copy of --leave-running dumps: memory is copied while the process runs and keeps
writing it, then only the pages written since are read with the process stopped. The `scribbler`
workload rewrites its pages all the time and checks that its memory is one consistent snapshot:
the restored copy must pass that check, and the original must carry on untouched.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_precopy.py
"""
import os
import signal
from pathlib import Path

from conftest import run_ckpt, start_workload, text, unique, wait_until
from test_processes import Workload, cleanup, dump, restore, restored_process  # noqa: F401


def uffd_flags_left(pid):
    """VMAs of `pid` still registered with a userfaultfd ('uw' in VmFlags)."""
    smaps = Path(f"/proc/{pid}/smaps").read_text()
    return [l for l in smaps.splitlines() if l.startswith("VmFlags:") and " uw" in l]


def test_restored_copy_of_memory_written_during_the_dump_is_consistent(tmp_path, cleanup):
    work = Workload(tmp_path, "scribbler", 64)
    pid = work.proc.pid
    cleanup.append(pid)
    figures = dump(pid, tmp_path / "image", leave_running=True)
    assert int(figures["precopied_pages"]) >= 64 * 256 // 2, "the memory was pre-copied"
    assert int(figures["final_round_pages"]) > 0, "pages written during the pre-copy are read again"
    assert not uffd_flags_left(pid), "the original keeps no userfaultfd registration"
    fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    assert not any("userfaultfd" in f for f in fds), "the original holds no userfaultfd"

    host = restored_process(restore(tmp_path / "image", cleanup), pid)
    os.kill(host, signal.SIGTERM)
    assert work.outcome() == "PASS"
    work.result.write_text("")
    os.kill(pid, signal.SIGTERM)
    assert work.outcome() == "PASS", "the original must be unchanged"
    assert work.proc.wait(timeout=10) == 0


def test_container_dumped_while_scribbling_restores_consistent(containers, work):
    cid = start_workload(containers, work, "scribbler", "64")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    restored = containers.track(unique("scr"))
    run_ckpt("restore", image, "--name", restored)
    result = work / "result"
    for count, c in enumerate((restored, cid), start=1):
        run_ckpt("kill", c, "TERM")
        wait_until(lambda: len([l for l in text(result).splitlines()
                                if l.startswith(("PASS", "FAIL"))]) == count,
                   timeout=20, what=f"{c} to report")
    verdicts = [l for l in text(result).splitlines() if l.startswith(("PASS", "FAIL"))]
    assert verdicts == ["PASS", "PASS"]
