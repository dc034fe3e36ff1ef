"""The ZDTM-style workloads as the init of a `ckpt run` container: dumped (the original is
killed and its cgroups removed), restored under a new name, then told to check their state
(SIGTERM through `ckpt kill`); each must report PASS."""
import pytest

from conftest import (cgroup_dir, dump_remove_restore, leave_running_and_two_restores,
                      start_workload, verdict)

WORKLOADS = [
    ("threads", []),      # four threads, own counters and a shared mutex
    ("signals", []),      # handlers, a blocked and a pending signal, an interval timer
    ("avx", []),          # ymm registers hold their values
    ("sleepers", []),     # nanosleep, a pipe read, futex wait, pthread_join continue
    ("family", []),       # a tree of processes with sessions and groups
    ("sparse", ["200", "4"]),  # 200 MiB touched in a 4 GiB mapping, checksummed
    ("counter", []),      # never restarts, never jumps back
    ("posix_timers", []),  # timer_create timers keep their ids, values and periods
    ("ipc_blocked", []),  # one process blocked in msgrcv, one in semop, both complete
    ("sem_undo", []),     # processes killed after restore have their SEM_UNDO applied
    ("shared_memory", []),  # shared anonymous, memfd, SysV and deleted-file memory, 3 processes
]
LEAVE_RUNNING = WORKLOADS[:3] + [w for w in WORKLOADS if w[0] in ("shared_memory", "sem_undo")]


@pytest.mark.parametrize("name,args", WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_workload_passes_after_dump_removal_and_restore(containers, work, name, args):
    cid = start_workload(containers, work, name, *args)
    restored = dump_remove_restore(containers, work, cid, prefix="wl")
    assert not cgroup_dir("memory", cid).exists()
    assert verdict(restored, work / "result") == "PASS"


@pytest.mark.parametrize("name,args", LEAVE_RUNNING, ids=[w[0] for w in LEAVE_RUNNING])
def test_leave_running_and_two_restores_all_pass(containers, work, name, args):
    cid = start_workload(containers, work, name, *args)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3
