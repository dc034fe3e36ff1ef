"""Open files across a checkpoint: the files_* workloads run in a container started by
`ckpt run`, which is dumped (the original goes away), restored, and must then pass its own
checks (deleted file read back, token ring through pipes with a held pipe, a description
shared between processes, devices, eventfd, close-on-exec).

Run as root: /usr/bin/python3 -m pytest tests/integration/test_files.py
Tests that need `ckpt dump`/`ckpt restore` skip with the reason while those verbs report
"not implemented".
"""
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("CKPT_BUILD", Path(__file__).resolve().parents[2] / "build"))
CKPT = BUILD / "ckpt"
WORKLOADS = BUILD / "workloads"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def ckpt(*args, check=True):
    result = subprocess.run([str(CKPT), *map(str, args)], capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"ckpt {' '.join(map(str, args))} failed: {result.stderr.strip()}")
    return result


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def skip_if_not_implemented(result, verb):
    """Skips while the verb is the skeleton's placeholder (no options, "not implemented")."""
    if result.returncode != 0 and ("not implemented" in result.stderr
                                   or "were not expected" in result.stderr):
        pytest.skip(f"`ckpt {verb}` is not implemented yet: {result.stderr.strip()}")


class FilesContainer:
    """A files_* workload as the init of a container, reporting to a result file."""

    def __init__(self, work, workload, wrapper=()):
        self.id = f"ckpt-files-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.result = work / "result"
        self.names = [self.id]
        ckpt("run", "-d", "--name", self.id, "--", *wrapper, WORKLOADS / workload, self.result, work)
        wait_for(lambda: "ready" in self.text(), what=f"{workload} ready")

    def text(self):
        return self.result.read_text() if self.result.exists() else ""

    def verdict(self, name):
        ckpt("kill", name, "TERM")
        return wait_for(lambda: next((l for l in self.text().splitlines()
                                      if l.startswith(("PASS", "FAIL"))), None),
                        what="PASS or FAIL")

    def remove(self):
        for name in self.names:
            ckpt("rm", name, check=False)


@pytest.fixture
def work():
    path = Path(f"/tmp/ckpt-files-it-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def container_of(work):
    made = []

    def start(workload, wrapper=()):
        made.append(FilesContainer(work, workload, wrapper))
        return made[-1]

    yield start
    for container in made:
        container.remove()


@pytest.mark.parametrize("workload", ["files_deleted", "files_pipes", "files_shared"])
def test_workload_passes_without_checkpoint(container_of, workload):
    """The workloads themselves: untouched, each passes its own checks."""
    container = container_of(workload)
    assert container.verdict(container.id) == "PASS"


@pytest.mark.parametrize("workload", ["files_deleted", "files_pipes", "files_shared"])
def test_files_survive_dump_and_restore(container_of, work, workload):
    container = container_of(workload)
    image = work / "image.ckpt"
    dump = ckpt("dump", container.id, "-o", image, check=False)
    skip_if_not_implemented(dump, "dump")
    assert dump.returncode == 0, dump.stderr
    restored = f"{container.id}-r"
    container.names.append(restored)
    restore = ckpt("restore", image, "--name", restored, check=False)
    skip_if_not_implemented(restore, "restore")
    assert restore.returncode == 0, restore.stderr
    assert container.verdict(restored) == "PASS"


# Opens a socket at fd 20, then execs the workload, which keeps it.
WITH_SOCKET = ("/usr/bin/python3", "-c",
               "import os, socket, sys; s = socket.socket(socket.AF_UNIX); os.dup2(s.fileno(), 20); "
               "os.execv(sys.argv[1], sys.argv[1:])")


def test_unsupported_fd_fails_the_dump_and_the_container_carries_on(container_of, work):
    container = container_of("files_shared", WITH_SOCKET)
    dump = ckpt("dump", container.id, "-o", work / "image.ckpt", check=False)
    skip_if_not_implemented(dump, "dump")
    assert dump.returncode != 0
    assert "fd 20: unsupported file type socket:[" in dump.stderr
    assert len(dump.stderr.strip().splitlines()) == 1
    assert not (work / "image.ckpt").exists()
    assert container.verdict(container.id) == "PASS"
