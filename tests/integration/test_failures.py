"""Failure paths, at every step (CKPT_FAULT=<point> makes ckpt fail there as a real error would):
a dump that fails leaves the container exactly as it was (running, thawed, no tracer, the same
mappings, no userfaultfd, its host link up and a client's TCP connection still answered, no
image), and a restore that fails leaves nothing behind (no state, cgroup, host veth or process),
so that the next restore of the same image succeeds and the client's connection carries on.
The same holds when ckpt is sent SIGTERM, SIGINT or SIGHUP in the middle (as by `timeout` or
Ctrl-C): CKPT_FAULT=<point>:wait holds it at a point until the signal comes."""
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import CGROUP_ROOT, CKPT, container_info, run_ckpt, unique  # noqa: F401
from netns_helpers import env, ip  # noqa: F401
from test_net_e2e import host_veth_name
from test_tcp_established import counting_pair

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

CONTROLLERS = ("freezer", "memory", "cpu", "cpuset", "pids", "blkio", "unified")


def failing(point, *args):
    """Runs ckpt with the fault at `point`; checks it failed there, in one line."""
    proc = run_ckpt(*args, check=False, env_extra={"CKPT_FAULT": point})
    assert proc.returncode != 0, f"ckpt {args[0]} succeeded despite CKPT_FAULT={point}"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"injected fault at {point}" in lines[0], proc.stderr
    return proc


def cancelled(point, sig, *args, meanwhile=lambda: None):
    """Runs ckpt held at `point`, calls `meanwhile`, sends it `sig` there; checks it stopped, in
    one line."""
    proc = subprocess.Popen([str(CKPT), *map(str, args)], stderr=subprocess.PIPE, text=True,
                            stdout=subprocess.DEVNULL,
                            env={**os.environ, "CKPT_FAULT": f"{point}:wait"})
    try:
        first = proc.stderr.readline()
        assert f"waiting at {point}" in first, first
        meanwhile()
        proc.send_signal(sig)
        rest = proc.communicate(timeout=60)[1].strip().splitlines()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 9, f"ckpt {args[0]} did not exit 9 (cancelled) on {sig.name}: {rest}"
    assert len(rest) == 1 and f"cancelled by {sig.name}" in rest[0], rest


def host_link_up(cid):
    return "UP" in ip("link", "show", "dev", host_veth_name(cid, 0)).stdout.split(">")[0]


def userfaultfd_traces(pid):
    """uffd registrations (smaps VmFlags um/uw) and userfaultfd fds of `pid`."""
    flags = [line for line in Path(f"/proc/{pid}/smaps").read_text().splitlines()
             if line.startswith("VmFlags:") and ({"um", "uw"} & set(line.split()[1:]))]
    fds = [f for f in Path(f"/proc/{pid}/fd").iterdir() if "userfaultfd" in os.readlink(f)]
    return flags + fds


def freezer_state(cid):
    path = CGROUP_ROOT / "freezer" / "ckpt" / cid / "freezer.state"
    return path.read_text().strip() if path.exists() else "THAWED"


# The points are the stages of ckpt/dump.h, checked after each.
DUMP_FAULTS = [
    ("dump:preflight", False),   # the temporary image created, nothing touched
    ("dump:precopy", True),      # memory pre-copied, writes tracked, nothing frozen yet
    ("dump:freeze", False),
    ("dump:namespaces", False),  # namespaces read from helper threads inside them
    ("dump:seize", False),       # every thread in a ptrace stop
    ("dump:files", False),       # fds read, the connection checked
    ("dump:processes", False),   # syscalls injected, pages read
    ("dump:processes", True),
    ("dump:tcp", False),         # frozen again, host link down, the connection in repair mode
    ("dump:tcp", True),
    ("dump:release", True),      # thawed again, pages not written yet
    ("dump:write", False),       # the image written but not committed
]


@pytest.mark.parametrize("point,leave_running", DUMP_FAULTS)
def test_failed_dump_leaves_the_container_as_it_was(containers, env, tmp_path, point,
                                                      leave_running):
    cid, _, _, client = counting_pair(containers, env)
    init = container_info(cid)["init_pid"]
    maps = Path(f"/proc/{init}/maps").read_text()
    image = tmp_path / "image.ckpt"
    failing(point, "dump", cid, "-o", image, "--tcp-established",
            *(["--leave-running"] if leave_running else []))
    assert_as_it_was(cid, init, maps, tmp_path, client)


def assert_as_it_was(cid, init, maps, tmp_path, client):
    assert not list(tmp_path.glob("image.ckpt*")), "a failed dump leaves no image, no temporary"
    info = container_info(cid)
    assert info and info["state"] == "running" and info["init_pid"] == init
    assert freezer_state(cid) == "THAWED"
    status = Path(f"/proc/{init}/status").read_text()
    assert "TracerPid:\t0" in status, "the processes are detached"
    assert "State:\tS" in status or "State:\tR" in status, status
    assert Path(f"/proc/{init}/maps").read_text() == maps, "mappings and protections as before"
    assert not userfaultfd_traces(init)
    assert host_link_up(cid), "the network lock is released"
    assert client.exchange("b") == "got 2:b", "the server answers on the same connection"


@pytest.mark.parametrize("point,sig", [
    ("dump:seize", signal.SIGTERM),       # traced with PTRACE_O_EXITKILL: dying would kill it
    ("dump:files", signal.SIGINT),
    ("dump:tcp", signal.SIGTERM),
    ("dump:processes", signal.SIGHUP),
])
def test_signalled_dump_leaves_the_container_as_it_was(containers, env, tmp_path, point, sig):
    cid, _, _, client = counting_pair(containers, env)
    init = container_info(cid)["init_pid"]
    maps = Path(f"/proc/{init}/maps").read_text()
    cancelled(point, sig, "dump", cid, "-o", tmp_path / "image.ckpt", "--tcp-established")
    assert_as_it_was(cid, init, maps, tmp_path, client)


@pytest.mark.parametrize("leave_running", [False, True])
def test_a_killed_dump_holding_the_network_lock_is_undone_by_the_next_command(
        containers, env, tmp_path, leave_running):
    """kill -9 of a dump while its TCP connection is in repair mode and its host link is down
    (no handler runs): the next ckpt command on the container turns repair off and brings the
    link up, and the client's connection carries on."""
    cid, _, _, client = counting_pair(containers, env)
    proc = subprocess.Popen([str(CKPT), "dump", cid, "-o", str(tmp_path / "image.ckpt"),
                             "--tcp-established", *(["--leave-running"] if leave_running else [])],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "CKPT_FAULT": "dump:tcp:wait"})
    try:
        first = proc.stderr.readline()
        assert "waiting at dump:tcp" in first, first
        assert not host_link_up(cid), "the dump holds the link down"
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert container_info(cid)["state"] == "running"  # `ckpt list` takes the lock: undone
    assert freezer_state(cid) == "THAWED"
    assert host_link_up(cid), "the network lock is released"
    assert client.exchange("b") == "got 2:b", "the server answers on the same connection"
    assert not list(tmp_path.glob("image.ckpt*")), "no image, no temporary"


def test_other_verbs_wait_their_turn_while_a_dump_works(containers, env, tmp_path):
    """rm, a second dump, freeze and thaw of a container a dump holds fail at once, naming it;
    once the dump is cancelled the container is as it was and rm works."""
    cid, _, _, client = counting_pair(containers, env)
    init = container_info(cid)["init_pid"]
    maps = Path(f"/proc/{init}/maps").read_text()

    def others_refused():
        for verb in (["rm", "-f", cid], ["dump", cid, "-o", tmp_path / "other.ckpt"], ["freeze", cid],
                     ["thaw", cid]):
            proc = run_ckpt(*verb, check=False)
            lines = proc.stderr.strip().splitlines()
            assert proc.returncode != 0, f"ckpt {verb[0]} ran during the dump"
            assert len(lines) == 1 and f"'{cid}' is busy: ckpt dump (pid" in lines[0], lines

    cancelled("dump:seize", signal.SIGTERM, "dump", cid, "-o", tmp_path / "image.ckpt",
              "--tcp-established", meanwhile=others_refused)
    assert_as_it_was(cid, init, maps, tmp_path, client)
    run_ckpt("rm", "-f", cid)
    assert container_info(cid) is None


# The points are the stages of restore/restore.h, checked after each.
RESTORE_FAULTS = ["restore:preflight", "restore:cgroups", "restore:netns", "restore:root-task",
                  "restore:tree", "restore:memory", "restore:processes"]


def counting_servers():
    """Processes running the counting server (its script is in their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"connection ended" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def test_failed_restores_leave_nothing_and_the_next_one_carries_the_connection(containers, env,
                                                                               tmp_path):
    cid, _, _, client = counting_pair(containers, env)
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--tcp-established")
    client.send("b")  # retransmitted until a restore succeeds
    attempts = [(point, None) for point in RESTORE_FAULTS] + [
        ("restore:tree", signal.SIGTERM), ("restore:memory", signal.SIGINT)]
    for point, sig in attempts:
        if sig:
            cancelled(point, sig, "restore", image)
        else:
            failing(point, "restore", image)
        assert container_info(cid) is None, f"{point}: the container is listed"
        assert not Path("/run/ckpt", cid).exists(), f"{point}: state left behind"
        for controller in CONTROLLERS:
            assert not (CGROUP_ROOT / controller / "ckpt" / cid).exists(), \
                f"{point}: {controller} cgroup left behind"
        assert ip("link", "show", "dev", host_veth_name(cid, 0), check=False).returncode != 0, \
            f"{point}: host veth left behind"
        assert not counting_servers(), f"{point}: restored processes left running"

    run_ckpt("restore", image)
    assert client.recv() == "got 2:b"
    assert client.exchange("c") == "got 3:c"
