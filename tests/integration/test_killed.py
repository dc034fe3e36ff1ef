"""A killed ckpt (kill -9, which no handler sees) must neither kill the container nor leave it
frozen, traced or with a temp image, and a killed restore must leave nothing that the next `ckpt
rm` or restore cannot remove, and a recovery killed midway leaves what the next command
completes. Each test kills at random moments (CKPT_KILL_RUNS times, 50 by
default; the seed is printed, CKPT_KILL_SEED replays it) and at held fault points; the counter
workload checks at the end that its count only ever went up by one and its memory is intact (a
thread left with the registers of an injected system call would break either)."""
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (CGROUP_ROOT, CKPT, WORKLOADS, container_info, counter_line, run_ckpt,
                      text, unique, verdict, wait_until)

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

KILL_RUNS = int(os.environ.get("CKPT_KILL_RUNS", "50"))
# CKPT_KILL_SEED=N replays the kill moments of a run that printed "seed N".
KILL_SEED = os.environ.get("CKPT_KILL_SEED")


def kill_seed():
    return int(KILL_SEED) if KILL_SEED else random.randrange(1 << 30)
RECOVERY = Path("/run/ckpt/.recovery")  # the marks a killed dump leaves (common/dump_marks.h)
CONTROLLERS = ("freezer", "memory", "cpu", "cpuset", "pids", "blkio", "unified")


def pids_of(cid):
    for controller in ("unified", "freezer", "pids"):
        procs = CGROUP_ROOT / controller / "ckpt" / cid / "cgroup.procs"
        if procs.exists():
            return [int(p) for p in procs.read_text().split()]
    return []


def traced(cid):
    """Threads of the container that still have a tracer."""
    out = []
    for pid in pids_of(cid):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                status = (task / "status").read_text()
            except OSError:
                continue
            tracer = next(l for l in status.splitlines() if l.startswith("TracerPid:"))
            if tracer.split()[1] != "0":
                out.append(task.name)
    return out


INJECTION_SIGMASK = "fffffffffffbfeff"  # every signal blocked but SIGKILL and SIGSTOP


def injection_leftovers(cid):
    """Threads still with the signal mask of an injection, and scratch areas (anonymous rwx
    mappings, which the counter never makes) still mapped."""
    out = []
    for pid in pids_of(cid):
        try:
            maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
            out += [f"{pid}: {m}" for m in maps if " rwxp " in m and len(m.split()) == 5]
            for task in Path(f"/proc/{pid}/task").glob("*"):
                status = (task / "status").read_text()
                if f"SigBlk:\t{INJECTION_SIGMASK}" in status:
                    out.append(f"{task.name}: all signals blocked")
        except OSError:
            continue
    return out


def made_fds(cid):
    """Descriptors an injected call made for the dump (a userfaultfd) still in the container:
    the counter never makes one."""
    out = []
    for pid in pids_of(cid):
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == "anon_inode:[userfaultfd]":
                    out.append(f"{pid}/{fd.name}")
        except OSError:
            continue
    return out


def dying(cid):
    """Whether a process of the container has a SIGKILL pending: the dump sent it before it was
    killed, and it dies once thawed and untraced."""
    for pid in pids_of(cid):
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        for line in status:
            if line.startswith(("SigPnd:", "ShdPnd:")) and \
                    int(line.split()[1], 16) & (1 << (signal.SIGKILL - 1)):
                return True
    return False


def alive_after_kill(cid):
    """Whether the container's processes live on after a killed dump. Processes the dump had
    already sent SIGKILL die only once nothing traces them: give them a moment to go (a
    multi-threaded one may still be listed as running meanwhile)."""
    for _ in range(60):
        if not pids_of(cid):
            return False
        info = container_info(cid)
        if info and info["state"] in ("running", "THAWED") and not dying(cid):
            return True
        time.sleep(0.05)
    return bool(pids_of(cid))


def counter_value(value_file):
    line = counter_line(value_file)
    return line[1] if line else -1


def check_recovered(cid, work):
    container_info(cid)  # `ckpt list` undoes what a killed dump left...
    # ...or finds another ckpt on this host (its own `ckpt list`) doing it, and shows the
    # container as it is meanwhile: the recovery is done once the marks are gone.
    wait_until(lambda: not (RECOVERY / cid).exists(), what=f"the marks of {cid} to go")
    info = container_info(cid)
    assert info is not None, f"{cid} is gone"
    assert info["state"] in ("running", "THAWED"), f"{cid} is {info['state']}"
    assert not traced(cid), f"threads of {cid} still traced: {traced(cid)}"
    assert not injection_leftovers(cid), injection_leftovers(cid)
    assert not made_fds(cid), f"descriptors made for the dump left: {made_fds(cid)}"
    assert not list(work.glob("*.tmp.*")), list(work.glob("*.tmp.*"))


def check_unharmed(cid, work, value_file):
    check_recovered(cid, work)
    before = counter_value(value_file)
    wait_until(lambda: counter_value(value_file) > before, what=f"{cid} to count on")


def timed(*args):
    start = time.monotonic()
    run_ckpt(*args)
    return time.monotonic() - start


def start_counter(containers, work, name=None):
    result, value = work / "result", work / "value"
    cid = containers.run(WORKLOADS / "counter", result, value, name=name)
    wait_until(lambda: "ready" in text(result), timeout=20, what="counter ready")
    return cid, result, value


# Where a recovery is held and killed (its CKPT_FAULT points, runtime/dump_recovery); None: at
# a random moment.
RECOVERY_POINTS = ("recovery:seized", "recovery:thawed", "recovery:put-back", None)


def kill_recovery(cid, run, rng):
    """When a killed dump left marks: a `ckpt list` killed while it undoes them, held at one of
    RECOVERY_POINTS (in turn) or at a random moment. Returns where, or None without marks."""
    if not (RECOVERY / cid).exists():
        return None
    point = RECOVERY_POINTS[run % len(RECOVERY_POINTS)]
    env = {**os.environ, "CKPT_FAULT": f"{point}:wait"} if point else None
    proc = subprocess.Popen([str(CKPT), "list"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        if point:
            proc.stderr.readline()  # "waiting at POINT", or nothing once it is done
        else:
            time.sleep(rng.uniform(0, 0.03))
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    return point or "random"


def kill_dumps_at_random(cid, work, runs, check, kill_recoveries=False):
    """`runs` dumps of `cid` killed at random moments (one in four --leave-running), each
    followed by `check()`; with `kill_recoveries`, by a recovery killed midway first."""
    took = timed("dump", cid, "-o", work / "probe.ckpt", "--leave-running")
    seed = kill_seed()
    print(f"seed {seed}, one dump {took:.3f} s")
    rng = random.Random(seed)
    finished, recoveries_killed = 0, 0
    for run in range(runs):
        image = work / f"img{run}.ckpt"
        args = ["dump", cid, "-o", image] + (["--leave-running"] if run % 4 == 3 else [])
        proc = subprocess.Popen([str(CKPT), *map(str, args)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took * 1.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if kill_recoveries and kill_recovery(cid, run, rng):
            recoveries_killed += 1
        # Killed after its image was in place but while (or after) it stopped the container:
        # the dump is done, what is left of the container goes and the image brings it back.
        if "--leave-running" not in args and image.exists() and not alive_after_kill(cid):
            finished += 1
            # (another ckpt on this host, a `ckpt list`, may hold the container a moment: busy)
            wait_until(lambda: run_ckpt("rm", "-f", cid, check=False).returncode != 4,
                       what=f"ckpt rm -f {cid} to find it free")
            run_ckpt("restore", image, "--name", cid)
        check()
        image.unlink(missing_ok=True)
    print(f"{finished} of {runs} dumps completed before the kill, {recoveries_killed} "
          "recoveries killed")


def test_kill9_of_dump_at_random_moments_never_harms_the_container(containers, work):
    cid, result, value = start_counter(containers, work)
    kill_dumps_at_random(cid, work, KILL_RUNS, lambda: check_unharmed(cid, work, value))
    assert verdict(cid, result).startswith("PASS")


def test_kill9_of_dump_then_of_its_recovery_never_harms_the_container(containers, work):
    """A recovery killed midway (held at each of its points in turn, or at a random moment)
    leaves marks the next command completes: the container counts on, nothing is left."""
    cid, result, value = start_counter(containers, work)
    kill_dumps_at_random(cid, work, KILL_RUNS // 2, lambda: check_unharmed(cid, work, value),
                         kill_recoveries=True)
    assert verdict(cid, result).startswith("PASS")


def test_kill9_of_dump_of_threads_at_random_moments(containers, work):
    """Four threads: the per-thread injected calls (sigaltstack, clear-child-tid address) run on
    each, the main thread's inside the injection that holds it."""
    result = work / "result"
    cid = containers.run(WORKLOADS / "threads", result)
    wait_until(lambda: "ready" in text(result), timeout=20, what="threads ready")
    kill_dumps_at_random(cid, work, KILL_RUNS // 2, lambda: check_recovered(cid, work))
    assert verdict(cid, result).startswith("PASS")


@pytest.mark.parametrize("point", ["dump:freeze", "dump:seize", "dump:files",
                                   "dump:processes", "dump:write"])
def test_kill9_of_dump_held_at_a_point(containers, work, point):
    cid, result, value = start_counter(containers, work)
    proc = subprocess.Popen([str(CKPT), "dump", cid, "-o", work / "img.ckpt"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CKPT_FAULT": f"{point}:wait"})
    try:
        assert f"waiting at {point}" in proc.stderr.readline()
        assert pids_of(cid), "the container died under the dump"
    finally:
        proc.kill()
        proc.wait()
    check_unharmed(cid, work, value)
    run_ckpt("freeze", cid)  # the lock is free again
    run_ckpt("thaw", cid)
    assert verdict(cid, result).startswith("PASS")


def assert_nothing_left(name):
    for controller in CONTROLLERS:
        assert not (CGROUP_ROOT / controller / "ckpt" / name).exists(), controller
    assert not (Path("/run/ckpt") / name).exists()


def remove_leftovers(name):
    """What the next `ckpt rm` must be able to do after a killed restore."""
    proc = run_ckpt("rm", "-f", name, check=False)
    assert proc.returncode == 0 or "no container named" in proc.stderr, proc.stderr
    assert_nothing_left(name)


def test_kill9_of_restore_at_random_moments_leaves_nothing(containers, work):
    cid, result, value = start_counter(containers, work)
    image = work / "img.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    probe = containers.track(unique("probe"))
    took = timed("restore", image, "--name", probe)
    remove_leftovers(probe)
    seed = kill_seed()
    print(f"seed {seed}, one restore {took:.3f} s")
    rng = random.Random(seed)
    for run in range(KILL_RUNS):
        name = containers.track(unique("kr"))
        proc = subprocess.Popen([str(CKPT), "restore", image, "--name", name],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took * 1.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        remove_leftovers(name)
        if run % 10 == 9:  # the name is free for a whole restore again
            run_ckpt("restore", image, "--name", name)
            remove_leftovers(name)
    assert verdict(cid, result).startswith("PASS")


def test_kill9_of_restore_held_at_root_task(containers, work):
    cid, result, value = start_counter(containers, work)
    image = work / "img.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    name = containers.track(unique("rt"))
    proc = subprocess.Popen([str(CKPT), "restore", image, "--name", name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CKPT_FAULT": "restore:root-task:wait"})
    try:
        assert "waiting at restore:root-task" in proc.stderr.readline()
    finally:
        proc.kill()
        proc.wait()
    # The root task notices ckpt is gone and exits: the lock is free (no orphan holds it).
    wait_until(lambda: not pids_of(name), what="the orphaned root task to exit")
    remove_leftovers(name)
    run_ckpt("restore", image, "--name", name)
    remove_leftovers(name)


@pytest.mark.parametrize("workload", ["inotify_queue", "fanotify_marks"])
def test_kill9_of_dump_holding_watches_muted_gives_their_masks_back(containers, work, workload):
    """The dump mutes the reading events of the container's inotify watches and fanotify marks
    while it reads its files (ckpt/event_files_muted); killed there, the next command gives each
    its mask back: the workload then finds nothing queued and gets the events it asks for."""
    tmpfs = work / "tmpfs"
    tmpfs.mkdir()
    result = work / "result"
    cid = containers.run(WORKLOADS / workload, result, tmpfs, opts=("--tmpfs", str(tmpfs)))
    wait_until(lambda: "ready" in text(result), timeout=20, what=f"{workload} ready")
    proc = subprocess.Popen([str(CKPT), "dump", cid, "-o", work / "img.ckpt"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CKPT_FAULT": "dump:seize:wait"})
    try:
        assert "waiting at dump:seize" in proc.stderr.readline()
        assert (RECOVERY / cid / "muted_watches").exists()
    finally:
        proc.kill()
        proc.wait()
    run_ckpt("list")  # the recovery
    assert not (RECOVERY / cid).exists()
    assert verdict(cid, result) == "PASS"
