"""The process engine on plain process trees (no container): a workload is dumped with
ckpt-proc, killed, restored in a new pid namespace, and must then pass its own checks.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_processes.py
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import counter_line, run_ckpt

BUILD = Path(os.environ.get("CKPT_BUILD", Path(__file__).resolve().parents[2] / "build"))
CKPT_PROC = BUILD / "ckpt-proc"
WORKLOADS = BUILD / "workloads"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def ns_pid(host_pid):
    for line in Path(f"/proc/{host_pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError(f"no NSpid for {host_pid}")


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def descendants(pid):
    out = []
    for child in children(pid):
        out.append(child)
        out.extend(descendants(child))
    return out


def kill_tree(pid):
    for p in [pid] + descendants(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Workload:
    """A workload program started in its own session, reporting to a result file."""

    def __init__(self, tmp_path, name, *args):
        self.result = tmp_path / f"{name}.result"
        self.proc = subprocess.Popen([str(WORKLOADS / name), str(self.result), *map(str, args)],
                                     start_new_session=True, stdout=subprocess.DEVNULL)
        wait_for(lambda: "ready" in self.text(), what=f"{name} ready")

    def text(self):
        return self.result.read_text() if self.result.exists() else ""

    def outcome(self, timeout=20.0):
        return wait_for(lambda: next((l for l in self.text().splitlines()
                                      if l.startswith(("PASS", "FAIL"))), None),
                        timeout=timeout, what="PASS or FAIL")


@pytest.fixture
def cleanup():
    roots = []
    yield roots
    for pid in roots:
        kill_tree(pid)


def dump(pid, image, leave_running=False):
    cmd = [str(CKPT_PROC), "dump"] + (["--leave-running"] if leave_running else []) + [str(pid), str(image)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout
    return dict(line.split() for line in out.splitlines())


def restore(image, cleanup):
    out = subprocess.run([str(CKPT_PROC), "restore", str(image)], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    figures = dict(line.split() for line in out.splitlines())
    root = int(figures["root_pid"])
    cleanup.append(root)
    return root


def restored_process(root, pid):
    """Host pid of the restored process whose pid in its namespace is `pid`."""
    for p in descendants(root):
        if ns_pid(p) == pid:
            return p
    raise AssertionError(f"pid {pid} not found in the restored tree")


def checkpoint_restart(tmp_path, cleanup, name, *args, settle=0.3):
    work = Workload(tmp_path, name, *args)
    pid = work.proc.pid
    dump(pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    kill_tree(pid)
    root = restore(tmp_path / "image", cleanup)
    host = restored_process(root, pid)
    time.sleep(settle)
    return work, host


def test_counter_continues_after_restore(tmp_path, cleanup):
    value_file = tmp_path / "value"
    work = Workload(tmp_path, "counter", value_file)
    time.sleep(0.3)
    pid = work.proc.pid
    dump(pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    before = wait_for(lambda: counter_line(value_file), what="the last count")[1]
    root = restore(tmp_path / "image", cleanup)
    host = restored_process(root, pid)
    time.sleep(0.3)
    line = wait_for(lambda: (line := counter_line(value_file)) and line[1] > before + 5 and line,
                    what="counter advancing")
    assert line[0] == pid, "getpid() must be the dumped pid"
    os.kill(host, signal.SIGTERM)
    assert work.outcome() == "PASS"


def test_tree_keeps_pids_groups_and_sessions(tmp_path, cleanup):
    work = Workload(tmp_path, "family")
    pid = work.proc.pid
    ids_before = {p: Path(f"/proc/{p}/stat").read_text().split(")")[1].split()[1:4]
                  for p in [pid] + descendants(pid)}
    dump(pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    root = restore(tmp_path / "image", cleanup)
    host = restored_process(root, pid)
    for p in descendants(root):
        assert ns_pid(p) in ids_before, f"unexpected process {ns_pid(p)}"
    assert len(descendants(root)) == len(ids_before)
    os.kill(host, signal.SIGTERM)
    assert work.outcome() == "PASS"


@pytest.mark.parametrize("name,args", [
    ("threads", []),
    ("signals", []),
    ("avx", []),
    ("sleepers", ["nopipe"]),
    ("sparse", [200, 4]),
])
def test_workload_passes_after_restore(tmp_path, cleanup, name, args):
    work, host = checkpoint_restart(tmp_path, cleanup, name, *args)
    os.kill(host, signal.SIGTERM)
    assert work.outcome() == "PASS"


def test_sparse_image_costs_what_is_touched(tmp_path, cleanup):
    work = Workload(tmp_path, "sparse", 10, 64)
    figures = dump(work.proc.pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    assert int(figures["image_bytes"]) < 14 << 20, "a 64 GiB mapping with 10 MiB touched"


def test_leave_running_keeps_the_original_going(tmp_path, cleanup):
    value_file = tmp_path / "value"
    work = Workload(tmp_path, "counter", value_file)
    cleanup.append(work.proc.pid)
    time.sleep(0.2)
    dump(work.proc.pid, tmp_path / "image", leave_running=True)
    before = wait_for(lambda: counter_line(value_file), what="a count")[1]
    wait_for(lambda: (line := counter_line(value_file)) and line[1] > before + 3,
             what="original counting")
    os.kill(work.proc.pid, signal.SIGTERM)
    assert work.outcome() == "PASS"
    assert work.proc.wait(timeout=10) == 0


def test_two_restores_of_one_image_run_independently(tmp_path, cleanup):
    work = Workload(tmp_path, "threads")
    pid = work.proc.pid
    dump(pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    hosts = [restored_process(restore(tmp_path / "image", cleanup), pid) for _ in range(2)]
    assert hosts[0] != hosts[1]
    time.sleep(0.2)
    os.kill(hosts[0], signal.SIGTERM)
    assert work.outcome() == "PASS"
    assert Path(f"/proc/{hosts[1]}").exists(), "the second copy must still run"
    work.result.write_text("")
    os.kill(hosts[1], signal.SIGTERM)
    assert work.outcome() == "PASS"


# Containers started by `ckpt run`, dumped (the original removed), restored under new names.
CKPT = BUILD / "ckpt"

# Both programs append one line per count ("count N" from sh, "N True" from python3) to a log:
# the log's path never changes, so an original left running cannot move a file away from under
# the image, and the lines written after a restore show where the restored copy went on from.
PY_COUNTER = ("import time\n"
              "d = {i: str(i) * 3 for i in range(100000)}\n"
              "n = 0\n"
              "while True:\n"
              "    n += 1\n"
              "    ok = len(d) == 100000 and d[99999] == '99999' * 3\n"
              "    open(OUT, 'a').write(f'{n} {ok}\\n')\n"
              "    time.sleep(0.05)\n")


@pytest.fixture
def containers():
    names = []
    yield names
    for name in names:
        subprocess.run([str(CKPT), "rm", "-f", name], capture_output=True)


def ckpt(*args):
    return run_ckpt(*args).stdout


def log_lines(path, offset=0):
    """The complete lines appended to path after byte offset, split into fields."""
    data = path.read_bytes()[offset:] if path.exists() else b""
    return [line.split() for line in data[:data.rfind(b"\n") + 1].decode().splitlines()]


def counts(path, offset=0):
    field = 1 if path.name.endswith("sh") else 0
    return [int(fields[field]) for fields in log_lines(path, offset)]


def last_count(path):
    values = counts(path)
    return values[-1] if values else -1


@pytest.mark.parametrize("kind", ["sh", "py"])
@pytest.mark.parametrize("mode", ["remove", "leave-running", "two-restores"])
def test_container_program_continues(tmp_path, containers, kind, mode):
    name = f"ckpt-proc-{os.getpid()}-{kind}-{mode}"
    out = tmp_path / f"count.{kind}"
    if kind == "sh":
        cmd = ["sh", "-c", f"i=0; while true; do echo count $i >> {out}; "
                           f"i=$((i+1)); sleep 0.05; done"]
    else:
        cmd = ["python3", "-c", f"OUT = {str(out)!r}\n" + PY_COUNTER]
    containers.append(name)
    ckpt("run", "--name", name, "--detach", "--", *cmd)
    wait_for(lambda: last_count(out) > 2, timeout=20, what="program started")
    image = tmp_path / "image"
    before = last_count(out)
    ckpt("dump", name, "-o", image, *(["--leave-running"] if mode == "leave-running" else []))
    dumped = last_count(out)
    if mode == "leave-running":
        wait_for(lambda: last_count(out) > dumped + 3, what="original keeps running")
        ckpt("rm", "-f", name)
    offset = out.stat().st_size
    restores = 2 if mode == "two-restores" else 1
    for i in range(restores):
        containers.append(f"{name}-r{i}")
        ckpt("restore", image, "--name", f"{name}-r{i}")
    first = wait_for(lambda: counts(out, offset)[:1], what="restored program running")[0]
    # --leave-running releases the original before the image is written: it counts on meanwhile,
    # so the snapshot lies between `before` and `dumped`. Without it the snapshot is `dumped`.
    snapshot_at_least = before if mode == "leave-running" else dumped
    assert snapshot_at_least < first <= dumped + 1, \
        f"the restored program must continue from the snapshot ({before}..{dumped}), got {first}"
    wait_for(lambda: len(counts(out, offset)) > 3 * restores, what="restored program counting")
    written = counts(out, offset)
    if restores == 1:
        assert written == list(range(first, first + len(written))), "counts must not jump"
    else:
        assert sorted(written)[:2] == [first, first], "both copies continue from the snapshot"
    if kind == "py":
        assert all(fields[1] == "True" for fields in log_lines(out, offset)), \
            "the dict must be intact"
    listing = ckpt("list")
    for i in range(restores):
        assert f"{name}-r{i}" in listing


def job_processes():
    """Host pids of the python3 counting job of the stopped-job test (its parent is the outer
    shell, whose command line holds the same text). The job has no children: a stopped parent
    cannot reap them, and zombies fail a dump."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"stopped-job" in (entry / "cmdline").read_bytes():
                found[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            pass
    return [pid for pid, ppid in found.items() if ppid in found]


def state_of(pid):
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_stopped_job_stays_stopped_and_continues_on_sigcont(tmp_path, containers):
    """A job stopped with SIGSTOP (as Ctrl-Z does) once hung the dump for good: seizing a stopped
    task inside a frozen cgroup never returns. It is dumped, stays stopped in the original and in
    the restored copy, and counts on from where it stopped after SIGCONT."""
    name = f"ckpt-proc-{os.getpid()}-stopped"
    out = tmp_path / "count.sh"
    containers.append(name)
    job_script = ("import time, sys  # stopped-job\n"
                  "i = 0\n"
                  "while True:\n"
                  "    open(sys.argv[1], 'a').write(f'count {i}\\n'); i += 1; time.sleep(0.05)\n")
    ckpt("run", "--name", name, "--detach", "--", "sh", "-c",
         f"python3 -c \"{job_script}\" {out} & wait")
    wait_for(lambda: last_count(out) > 2, timeout=20, what="the job to count")
    [job] = job_processes()
    os.kill(job, signal.SIGSTOP)
    wait_for(lambda: state_of(job) == "T", what="the job to stop")
    stopped_at = last_count(out)

    image = tmp_path / "image"
    ckpt("dump", name, "-o", image, "--leave-running")
    assert state_of(job) == "T", "the original job is still stopped"
    ckpt("rm", "-f", name)
    offset = out.stat().st_size
    containers.append(f"{name}-r")
    ckpt("restore", image, "--name", f"{name}-r")
    [restored] = job_processes()
    assert state_of(restored) == "T", "the restored job is stopped as it was"
    time.sleep(0.3)
    assert counts(out, offset) == [], "a stopped job does not count"
    os.kill(restored, signal.SIGCONT)
    wait_for(lambda: len(counts(out, offset)) > 3, what="the job to count on")
    assert counts(out, offset)[0] == stopped_at + 1


ZOMBIE_PARENT = """import os, signal, sys, time
out = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
a = os.fork()
if a == 0:
    os._exit(7)
b = os.fork()
if b == 0:
    time.sleep(100)
    os._exit(0)
os.kill(b, signal.SIGTERM)
time.sleep(0.3)
open(out, 'a').write(f'zombies {a} {b}\\n')
signal.sigwait([signal.SIGUSR1])
for child in (a, b):
    pid, status = os.waitpid(child, 0)
    open(out, 'a').write(f'reaped {pid} {status}\\n')
time.sleep(100)
"""


def test_zombies_come_back_as_zombies_for_their_parent_to_reap(tmp_path, containers):
    """A parent that has not reaped its children yet: one exited with 7, one killed by SIGTERM.
    The dump keeps them as zombies (it used to fail); the original, left running, and the
    restored copy each reap the same pids with the same statuses."""
    name = f"ckpt-proc-{os.getpid()}-zombies"
    out = tmp_path / "reaped"
    containers.append(name)
    ckpt("run", "--name", name, "--detach", "--", "python3", "-c", ZOMBIE_PARENT, out)
    wait_for(lambda: out.exists() and "zombies" in out.read_text(), timeout=20,
             what="two zombies")
    a, b = out.read_text().split()[1:3]
    expected = [f"reaped {a} {7 << 8}", f"reaped {b} {signal.SIGTERM}"]

    image = tmp_path / "image"
    ckpt("dump", name, "-o", image, "--leave-running")
    ckpt("kill", name, "USR1")
    wait_for(lambda: out.read_text().count("reaped") == 2, what="the original to reap")
    assert out.read_text().splitlines()[1:] == expected
    ckpt("rm", "-f", name)

    out.write_text("")
    containers.append(f"{name}-r")
    ckpt("restore", image, "--name", f"{name}-r")
    init = next(int(l.split()[1]) for l in ckpt("list").splitlines() if l.startswith(f"{name}-r"))
    zombies = [int(p) for p in Path(f"/proc/{init}/task/{init}/children").read_text().split()]
    assert sorted(ns_pid(z) for z in zombies) == sorted([int(a), int(b)])
    assert all(state_of(z) == "Z" for z in zombies), "restored as zombies"
    ckpt("kill", f"{name}-r", "USR1")
    wait_for(lambda: out.read_text().count("reaped") == 2, what="the restored copy to reap")
    assert out.read_text().splitlines() == expected
