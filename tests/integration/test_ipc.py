"""The IPC namespace: SysV shm/msg/sem and POSIX queues come back with the same ids, keys,
owners, modes, contents and sysctls (build/workloads/ipc_objects makes and shows them)."""
import os
import re
import subprocess

import pytest

from conftest import WORKLOADS, console_text, container_info, run_ckpt, unique, wait_until

TOOL = WORKLOADS / "ipc_objects"


def show(cid, drain=True):
    pid = container_info(cid)["init_pid"]
    env = None if drain else {**os.environ, "IPC_SHOW_NO_DRAIN": "1"}
    return subprocess.run(["nsenter", "-t", str(pid), "-i", str(TOOL), "show"],
                          capture_output=True, text=True, check=True, env=env).stdout


def ipcs(cid):
    pid = container_info(cid)["init_pid"]
    out = subprocess.run(["nsenter", "-t", str(pid), "-i", "ipcs"], capture_output=True,
                         text=True, check=True).stdout
    # key, id, owner, perms, size/bytes/nsems; not the attach counts and message counts columns
    return [l.split()[:5] for l in out.splitlines() if l.startswith("0x")]


def start(containers):
    cid = containers.run(str(TOOL), "setup")
    wait_until(lambda: "ready" in console_text(cid), what="ipc objects created")
    return cid


def assert_expected_objects(text):
    """What setup made, so that a test comparing two empty namespaces still fails."""
    # id 0 was removed before: the ids do not start at 0
    assert re.search(r"^shm id=[1-9]\d* key=0x1001 uid=1000 gid=1000 cuid=0 cgid=0 mode=640 "
                     r"size=12288", text, re.M), text
    assert re.search(r"^shm id=\d+ key=0x1002 .*mode=2600 size=100000", text, re.M), text
    assert re.search(r"^shm id=\d+ key=0 .*mode=604 size=1048576", text, re.M), text
    assert "msg id=0 key=0x2001 uid=0 gid=0 cuid=0 cgid=0 mode=620 qbytes=32768 qnum=4" in text
    assert re.search(r"^  type=5 len=13 ", text, re.M)
    assert "type=7 len=8500" in text
    assert re.search(r"msg id=\d+ key=0x2003 .*qbytes=5000 qnum=0", text)
    assert re.search(r"msg id=\d+ key=0x2004 uid=2000 gid=2000 cuid=2000 cgid=2000 mode=644", text)
    assert re.search(r"sem id=\d+ key=0x3001 .*mode=660 nsems=3 values=1,0,42$", text, re.M)
    assert re.search(r"sem id=\d+ key=0x3002 .*mode=400 nsems=5 values=5,4,3,2,32767$", text, re.M)
    assert re.search(r"sem id=\d+ key=0x3003 uid=2000 gid=2000 cuid=2000 cgid=2000", text)
    assert "sysctl kernel/shm_rmid_forced=1" in text
    assert "sysctl kernel/msgmax=9000" in text and "sysctl kernel/sem=250\t32000\t64\t200" in text
    assert ("mq /ckpt_a mode=640 uid=0 gid=0 maxmsg=5 msgsize=64\n"
            "  prio=9 text=high\n  prio=3 text=mid\n  prio=1 text=low one\n"
            "  prio=1 text=low two\n") in text
    assert "mq /ckpt_b mode=600 uid=1000 gid=1000 maxmsg=3 msgsize=16\n" in text
    # mode 644: made under umask 022
    assert "mq /ckpt_full mode=644 uid=0 gid=0 maxmsg=3 msgsize=16\n  prio=2 text=y\n" in text


@pytest.mark.parametrize("leave_running", [False, True])
def test_ipc_objects_come_back_with_same_ids_and_contents(containers, tmp_path, leave_running):
    cid = start(containers)
    before = show(cid)
    before_ipcs = ipcs(cid)
    assert_expected_objects(before)
    image = tmp_path / "ipc.img"
    run_ckpt("dump", cid, "-o", image, *(["--leave-running"] if leave_running else []))
    if leave_running:
        # Dumping neither consumed nor changed anything in the running container.
        assert show(cid) == before
    new = containers.track(unique("ipc"))
    run_ckpt("restore", image, "--name", new)
    after = show(new)
    assert after == before
    assert ipcs(new) == before_ipcs


def test_ipc_restore_twice_from_one_image(containers, tmp_path):
    """Objects live in each restored container's own ipc namespace."""
    cid = start(containers)
    before = show(cid)
    image = tmp_path / "ipc.img"
    run_ckpt("dump", cid, "-o", image)
    first, second = containers.track(unique("ipc1")), containers.track(unique("ipc2"))
    run_ckpt("restore", image, "--name", first)
    run_ckpt("restore", image, "--name", second)
    assert show(first) == before and show(second) == before


def test_empty_ipc_namespace_restores_empty(containers, tmp_path):
    cid = containers.run("sleep", "1000")
    image = tmp_path / "e.img"
    run_ckpt("dump", cid, "-o", image)
    new = containers.track(unique("ipc"))
    run_ckpt("restore", image, "--name", new)
    assert ipcs(new) == []
    assert "mq " not in show(new)



@pytest.mark.parametrize("mode,queue,error", [
    # Draining a full queue would let the blocked sender's message in.
    ("blocked-sender", "/ckpt_busy mode=600 uid=0 gid=0 maxmsg=2 msgsize=8\n  curmsgs=2\n",
     "/ckpt_busy is full"),
    # Refilling a drained queue would fire the registered notification.
    ("notify", "/ckpt_note mode=600 uid=0 gid=0 maxmsg=4 msgsize=8\n  curmsgs=1\n",
     "/ckpt_note has an mq_notify registration"),
])
def test_posix_queue_that_cannot_be_read_safely_is_refused_untouched(containers, tmp_path, mode,
                                                                     queue, error):
    cid = containers.run(str(TOOL), mode)
    wait_until(lambda: "ready" in console_text(cid), what=mode)
    before = show(cid, drain=False)
    assert "mq " + queue in before
    proc = run_ckpt("dump", cid, "-o", tmp_path / "x.img", "--leave-running", check=False)
    assert proc.returncode != 0
    assert error in proc.stderr
    assert container_info(cid)["state"] == "running"
    assert show(cid, drain=False) == before
