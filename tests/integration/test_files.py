"""Open files across a checkpoint: the files_* workloads run as the init of a container
started by `ckpt run`, which is dumped (the original goes away), restored, and must then pass
its own checks (a deleted file read back, a token ring through pipes with a held pipe, a
description shared between processes, devices, an eventfd, close-on-exec flags, an O_TMPFILE
file and a pipe in packet mode).

Run as root: /usr/bin/python3 -m pytest tests/integration/test_files.py
"""
import json

import pytest

from conftest import run_ckpt, start_workload as start, unique, verdict

WORKLOAD_NAMES = ["files_deleted", "files_pipes", "files_shared", "files_unnamed"]

# Opens a raw socket (a kind ckpt does not dump) at fd 20, then execs the workload, which keeps
# it open.
WITH_SOCKET = ("/usr/bin/python3", "-c",
               "import os, socket, sys; "
               "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); "
               "os.dup2(s.fileno(), 20); os.execv(sys.argv[1], sys.argv[1:])")


@pytest.mark.parametrize("workload", WORKLOAD_NAMES)
def test_workload_passes_without_checkpoint(containers, work, workload):
    """The workloads themselves, untouched, pass their own checks."""
    cid = start(containers, work, workload, work)
    assert verdict(cid, work / "result") == "PASS"


@pytest.mark.parametrize("workload", WORKLOAD_NAMES)
def test_files_survive_dump_and_restore(containers, work, workload):
    cid = start(containers, work, workload, work)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    sections = {s["type"] for s in json.loads(run_ckpt("inspect", "--json", image).stdout)["sections"]}
    assert "files" in sections
    restored = containers.track(unique("files-r"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


def test_unsupported_fd_fails_the_dump_and_the_container_carries_on(containers, work):
    cid = start(containers, work, "files_shared", work, wrapper=WITH_SOCKET)
    image = work / "image.ckpt"
    dump = run_ckpt("dump", cid, "-o", image, check=False)
    assert dump.returncode != 0
    assert "fd 20: unsupported file type socket:[" in dump.stderr
    assert len(dump.stderr.strip().splitlines()) == 1
    assert not image.exists()
    assert verdict(cid, work / "result") == "PASS"
