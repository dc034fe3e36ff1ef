"""Processes (not threads) sharing their parent's fd table (clone CLONE_FILES) or cwd, root and
umask (CLONE_FS) come back sharing them (issue 15, "an fd table shared by two processes comes
back as two tables"): the `shared_tables` workload checks the sharing itself after the restore
(kcmp, and each side's changes seen by the other); the restores are audited strictly (--check:
every process's fds, flags, cwd, umask as the original's). Sharers that are not parent and child
are refused by pid and the container runs on."""
import os
from pathlib import Path

import pytest

from conftest import (CKPT, container_info, dump_remove_restore, leave_running_and_two_restores,
                      refused_dump_lines, run_ckpt, start_in_tmpfs, start_workload, unique, verdict,
                      verdicts)

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")


def processes(cid):
    """ns pid -> host pid of the container's init and its children."""
    init = container_info(cid)["init_pid"]
    out = {}
    for pid in [init] + [int(c) for c in Path(f"/proc/{init}/task/{init}/children").read_text().split()]:
        nspid = next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if l.startswith("NSpid:"))
        out[int(nspid.split()[-1])] = pid
    return out


def fd_table(pid, cid):
    """fd number -> (kind of its target, fd flags) of process `pid` of container `cid` (its own
    files, such as its console log, named without its id)."""
    table = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}").replace(cid, "ID")
        flags = next(l for l in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines()
                     if l.startswith("flags:"))
        table[int(fd)] = (target.split(":")[0] if ":[" in target else target, flags)
    return table


# "nested": the parent is a child of the container's init, not the restore's root task.
MODES = ["plain", "nested"]


@pytest.mark.parametrize("mode", MODES)
def test_shared_tables_after_dump_removal_and_restore(containers, work, strict_audit, mode):
    cid = start_in_tmpfs(containers, work, "shared_tables", mode)
    restored = dump_remove_restore(containers, work, cid, prefix="st")
    assert verdict(restored, work / "result") == "PASS"


@pytest.mark.parametrize("mode", MODES)
def test_shared_tables_leave_running_and_two_restores(containers, work, strict_audit, mode):
    cid = start_in_tmpfs(containers, work, "shared_tables", mode)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def test_restored_fd_tables_are_the_originals(containers, work, strict_audit):
    """No fd of the restore (its helpers', the tracer's) is left in the shared table: every
    process of the copy has the fds, targets and flags of the original's."""
    cid = start_in_tmpfs(containers, work, "shared_tables")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    restored = containers.track(unique("st"))
    run_ckpt("restore", image, "--name", restored)
    original, copy = processes(cid), processes(restored)
    assert sorted(original) == sorted(copy) and len(original) == 3
    for ns_pid, pid in original.items():
        assert fd_table(copy[ns_pid], restored) == fd_table(pid, cid), f"process {ns_pid}"
    assert verdicts(work / "result", restored, cid) == ["PASS", "PASS"]


def test_siblings_sharing_a_table_their_parent_left_are_refused(containers, work):
    cid = start_workload(containers, work, "shared_tables", "siblings")
    for line in refused_dump_lines(cid, work):
        assert "shares its fd table with process" in line and "CLONE_FILES" in line, line
    assert verdict(cid, work / "result") == "PASS"
