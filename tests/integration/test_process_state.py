"""Process-level state through `ckpt dump` -> `ckpt restore` of a container running a ZDTM-style
workload: seccomp (filters and strict mode), credentials, scheduling, a job stopped by SIGTSTP,
a worker that dropped root, per-thread tuning, memory-deny-write-execute. Each workload checks itself after the restore (PASS/FAIL); with
--leave-running the original and two copies must all pass."""
import ctypes
import os
import re
import resource
import subprocess
from pathlib import Path

import pytest

from conftest import (CGROUP_ROOT, CKPT, cgroup_dir, container_info, dump_remove_restore, leave_running_and_two_restores,
                      refused_dump_lines,
                      outcomes, run_ckpt, start_workload, text, unique, verdict, wait_until)

WORKLOADS = [
    "seccomp_filter",  # two filters under no_new_privs, shared by two threads
    "seccomp_strict",  # a child in strict mode waiting in read(): survives, still strict
    "creds",           # groups, capability sets (bounding, ambient), securebits
    "sched",           # nice, SCHED_BATCH/IDLE (and FIFO where allowed) per thread
    "tstp",            # a child stopped by SIGTSTP stays stopped by SIGTSTP
    "unprivileged",    # a worker that became nobody: ids, groups, limits, mlock()ed memory
    "task_tuning",     # per-thread affinity, ioprio, timer slack, TSC; dumpable, loginuid,
                       # mlockall(MCL_FUTURE) with a locked PROT_NONE guard page
    "mdwe",            # prctl(PR_SET_MDWE): dumped without a writable executable page, kept
    "blocking_calls",  # twelve blocking calls (sleeps, waits, polls) each left only by a signal
]


@pytest.mark.parametrize("name", WORKLOADS)
def test_process_state_after_dump_removal_and_restore(containers, work, name):
    cid = start_workload(containers, work, name)
    restored = dump_remove_restore(containers, work, cid, prefix="ps")
    assert verdict(restored, work / "result") == "PASS"


@pytest.mark.parametrize("name", WORKLOADS)
def test_process_state_leave_running_and_two_restores(containers, work, name):
    cid = start_workload(containers, work, name)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def status_field(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].split()
    raise AssertionError(f"no {key} in /proc/{pid}/status")


def host_pid_of(init_pid, ns_pid):
    """Host pid of the process whose innermost pid is `ns_pid`, below `init_pid`."""
    todo = [init_pid]
    while todo:
        pid = todo.pop()
        if int(status_field(pid, "NSpid")[-1]) == ns_pid:
            return pid
        for task in Path(f"/proc/{pid}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    raise AssertionError(f"pid {ns_pid} not below {init_pid}")


def test_strict_mode_process_survives_a_dump_that_leaves_it_running(containers, work):
    """The dump injects system calls into every process: a strict-mode one is only spared when
    its seccomp is suspended; it must still be alive and strict afterwards."""
    cid = start_workload(containers, work, "seccomp_strict")
    init = container_info(cid)["init_pid"]
    child = [int(c) for c in Path(f"/proc/{init}/task/{init}/children").read_text().split()][0]
    run_ckpt("dump", cid, "-o", work / "image.ckpt", "--leave-running")
    assert status_field(child, "Seccomp") == ["1"]
    assert status_field(child, "State")[0] == "S"
    assert verdict(cid, work / "result") == "PASS"


def test_unprivileged_worker_is_nobody_after_restore(containers, work):
    cid = start_workload(containers, work, "unprivileged")
    worker = int(re.search(r"worker (\d+)", text(work / "result")).group(1))
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("ps"))
    run_ckpt("restore", image, "--name", restored)
    host = host_pid_of(container_info(restored)["init_pid"], worker)
    assert status_field(host, "Uid") == ["65534"] * 4
    assert status_field(host, "Gid") == ["65534"] * 4
    assert status_field(host, "Groups") == ["5", "65534"]
    assert verdict(restored, work / "result") == "PASS"


ORPHANS = [
    "session",        # members of a session whose leader exited (one in the leader's group)
    "zombie_group",   # a zombie leading a group with a live member
    "zombie_joined",  # a zombie in another process's group
    "zombie_orphan",  # a zombie reparented to init when its parent exited
    "subreaper",      # a child subreaper's reparented grandchild
]


@pytest.mark.parametrize("case", ORPHANS)
def test_orphans_keep_parent_group_and_session(containers, work, case):
    cid = start_workload(containers, work, "orphans", case)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("ps"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


@pytest.mark.parametrize("case", ORPHANS)
def test_orphans_leave_running_and_two_restores(containers, work, case):
    cid = start_workload(containers, work, "orphans", case)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def test_threads_with_different_seccomp_filters_are_refused(containers, work):
    """A filter one thread installed for itself cannot be shared on restore: the dump refuses
    it by pid and the container runs on untouched."""
    cid = start_workload(containers, work, "seccomp_filter", "per_thread")
    init = container_info(cid)["init_pid"]
    proc = run_ckpt("dump", cid, "-o", work / "image.ckpt", "--leave-running", check=False)
    assert proc.returncode == 5, proc.stderr  # refused
    assert f"process {init}" in proc.stderr and "different seccomp" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (work / "image.ckpt").exists()
    assert verdict(cid, work / "result") == "PASS"


def test_a_stopped_process_of_a_container_its_user_froze_is_dumped_and_stays_stopped(
        containers, work):
    # Frozen by the v1 freezer while in its group stop, the process cannot be seized as it is
    # (PTRACE_SEIZE would wait for good for it to re-trap): the dump seizes it after the thaw.
    cid = start_workload(containers, work, "tstp")
    run_ckpt("freeze", cid)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running", timeout=60)
    assert container_info(cid)["state"] == "frozen", "its user's freeze is kept"
    run_ckpt("thaw", cid)
    restored = containers.track(unique("ps"))
    run_ckpt("restore", image, "--name", restored)
    result = work / "result"
    for count, c in enumerate((cid, restored), start=1):
        run_ckpt("kill", c, "TERM")
        wait_until(lambda: len(outcomes(result)) == count, timeout=20, what=f"{c} to report")
    assert outcomes(result) == ["PASS", "PASS"]


@pytest.mark.parametrize("case,words", [("traced", "is traced by process"),
                                        ("vfork", "waits in vfork()")])
def test_a_process_ckpt_cannot_trace_is_refused_by_name(containers, work, case, words):
    """A child traced by its parent, or waiting in vfork() for a grandchild that never execs:
    both dumps (plain and --leave-running) refuse it in one line naming it (exit 5; before, one
    failed with 'PTRACE_SEIZE: Operation not permitted' after a 2 s wait, the other after 10 s),
    and the container runs on."""
    cid = start_workload(containers, work, "untraceable", case)
    for line in refused_dump_lines(cid, work):
        assert words in line, line
    assert verdict(cid, work / "result") == "PASS"


def test_a_key_in_the_session_keyring_is_refused_by_name(containers, work):
    """A key's id is the kernel's to choose: both dumps refuse a process with a key in its session
    keyring in one line (before, the copy came back without it), and the container runs on with
    its key."""
    cid = start_workload(containers, work, "keyrings")
    for line in refused_dump_lines(cid, work):
        assert "session keyring holds 1 keys" in line, line
    assert verdict(cid, work / "result") == "PASS"


def test_a_container_has_a_session_keyring_of_its_own(containers, work):
    """`ckpt run` and `ckpt restore` give the container a new, empty session keyring (as runc
    does), not the one of the shell that ran ckpt: a key the caller holds is not the container's,
    before or after a restore."""
    libc = ctypes.CDLL(None, use_errno=True)
    sys_add_key, sys_keyctl, session, keyctl_unlink = 248, 250, -3, 9
    key = libc.syscall(ctypes.c_long(sys_add_key), b"user", unique("caller-key").encode(), b"x",
                       ctypes.c_long(1), ctypes.c_long(session))
    assert key > 0, os.strerror(ctypes.get_errno())
    try:
        cid = start_workload(containers, work, "keyrings", "empty")
        assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3
    finally:
        libc.syscall(ctypes.c_long(sys_keyctl), ctypes.c_long(keyctl_unlink), ctypes.c_long(key),
                     ctypes.c_long(session))


def test_a_thread_whose_injected_calls_would_be_dispatched_is_refused_and_runs_on(containers,
                                                                                 work):
    """Syscall user dispatch on without a selector: every call from outside its exempt range
    raises SIGSYS, the calls ckpt injects too. Both dumps refuse it in one line naming the process
    and the thread (exit 5), before any call is injected; the original still dispatches its
    calls exactly as before (before, the dump's "probe" was the ptrace request that *sets* the
    configuration, and turned dispatch off in every thread it looked at)."""
    cid = start_workload(containers, work, "syscall_dispatch", "block")
    init = container_info(cid)["init_pid"]
    blocker = sorted(int(t.name) for t in Path(f"/proc/{init}/task").iterdir())[-1]
    for extra in ([], ["--leave-running"]):
        proc = run_ckpt("dump", cid, "-o", work / "image.ckpt", *extra, check=False)
        assert proc.returncode == 5, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        line = proc.stderr.strip()
        assert f"process {init} (thread {blocker}) has syscall user dispatch on" in line, line
        assert "without a selector" in line, line
        assert not (work / "image.ckpt").exists()
    assert container_info(cid)["init_pid"] == init
    assert verdict(cid, work / "result") == "PASS"


def test_a_hard_limit_the_restorer_cannot_give_back_fails_the_restore_at_once(containers, work):
    """The restored processes inherit the restorer's limits, and without CAP_SYS_RESOURCE (root
    lacks it on these hosts) a hard limit cannot rise: a restore run with a lower hard
    RLIMIT_MSGQUEUE than the dumped process's fails before anything is created, naming the
    process and the limit (exit 7), and leaves no container (before, it came back with the restorer's
    lower limit). The same image restores exactly without that cap."""
    cid = start_workload(containers, work, "rlimits")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    copy = containers.track(unique("rl"))
    proc = subprocess.run(
        [str(CKPT), "restore", image, "--name", copy], capture_output=True, text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_MSGQUEUE, (50000, 50000)))
    caps = int(status_field(os.getpid(), "CapEff")[0], 16)
    if caps & (1 << 24):  # CAP_SYS_RESOURCE: the limit can rise, the restore goes through
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode == 7, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        line = proc.stderr.strip()
        assert "process 1: its hard limit RLIMIT_MSGQUEUE 200000 cannot be set again here" in line
        assert container_info(copy) is None
        run_ckpt("restore", image, "--name", copy)
    assert verdict(copy, work / "result") == "PASS"


def test_a_realtime_priority_comes_back_in_a_container_given_realtime_runtime(containers, work):
    """A new v1 cpu cgroup has no realtime runtime, so the sched workload's SCHED_FIFO thread is
    refused there and its check of the priority does not run. Here the container's cgroup (and
    ckpt's, its parent, room for two) is given runtime and its init made SCHED_FIFO priority 10:
    the copy of a --leave-running dump gets the runtime and that policy and priority again
    (before, the restore failed at sched_setattr: the restored cgroup had no runtime). ckpt
    does not raise its parent's runtime: the original keeps the parent, as the host set it."""
    if not (CGROUP_ROOT / "cpu" / "cpu.rt_runtime_us").exists():
        pytest.skip("no cgroup v1 realtime group scheduling here")
    cid = containers.run("/bin/sleep", "1000")
    parent = CGROUP_ROOT / "cpu" / "ckpt"
    before = (parent / "cpu.rt_runtime_us").read_text().strip()
    made = [cid]
    try:
        if int(before) < 100000:
            (parent / "cpu.rt_runtime_us").write_text("100000")  # the original's and the copy's
        (cgroup_dir("cpu", cid) / "cpu.rt_runtime_us").write_text("50000")
        init = container_info(cid)["init_pid"]
        os.sched_setscheduler(init, os.SCHED_FIFO, os.sched_param(10))
        image = work / "image.ckpt"
        run_ckpt("dump", cid, "-o", image, "--leave-running")
        restored = containers.track(unique("rt"))
        made.append(restored)
        run_ckpt("restore", image, "--name", restored)
        copy = container_info(restored)["init_pid"]
        assert os.sched_getscheduler(copy) == os.SCHED_FIFO
        assert os.sched_getparam(copy).sched_priority == 10
        assert (cgroup_dir("cpu", restored) / "cpu.rt_runtime_us").read_text().strip() == "50000"
    finally:
        for c in made:  # no realtime task and no runtime left under the parent
            subprocess.run([str(CKPT), "rm", "-f", c], capture_output=True)
        # ckpt removes the parent once it is empty: it may be gone, or made again
        for runtime in [cgroup_dir("cpu", c) / "cpu.rt_runtime_us" for c in made] + [
                parent / "cpu.rt_runtime_us"]:
            try:
                runtime.write_text("0" if runtime.parent != parent else before)
            except OSError:
                pass
