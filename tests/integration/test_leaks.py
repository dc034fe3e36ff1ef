"""N cycles of dump --leave-running + restore + rm leave the host as it was: no cgroup, state
entry, lock or mount of the restored copies, and no open fd or zombie more
in the process that ran them. Names are unique to this test, so other tests running on the host
at the same time do not disturb the counts."""
import os
from pathlib import Path

import pytest

from conftest import CGROUP_ROOT, CKPT, WORKLOADS, run_ckpt, text, unique, wait_until

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

CYCLES = int(os.environ.get("CKPT_LEAK_CYCLES", "10"))


def traces_of(prefix):
    """Everything on the host whose name holds `prefix`."""
    found = []
    for controller in CGROUP_ROOT.iterdir():
        found += [str(p) for p in (controller / "ckpt").glob(f"{prefix}*")]
    found += [str(p) for p in Path("/run/ckpt").glob(f"{prefix}*")]
    found += [str(p) for p in Path("/run/ckpt/.locks").glob(f"{prefix}*")]
    found += [str(p) for p in Path("/run/ckpt/.recovery").glob(f"{prefix}*")]
    found += [l for l in Path("/proc/self/mountinfo").read_text().splitlines() if prefix in l]
    return found


def own_fds():
    return sorted(os.listdir("/proc/self/fd"))


def own_zombies():
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(l.split(":\t", 1) for l in status.read_text().splitlines() if ":\t" in l)
        except OSError:
            continue
        if fields.get("State", "").startswith("Z") and fields.get("PPid") == str(os.getpid()):
            out.append(status.parent.name)
    return out


def test_dump_restore_rm_cycles_leak_nothing(containers, work):
    result = work / "result"
    # No value file: a copy restored while its original runs on would find the file it had open
    # mid-write renamed by the original.
    cid = containers.run(WORKLOADS / "counter", result)
    wait_until(lambda: "ready" in text(result), timeout=20, what="counter ready")
    prefix = unique("leak")
    fds_before, zombies_before = own_fds(), own_zombies()
    for cycle in range(CYCLES):
        image = work / f"c{cycle}.ckpt"
        run_ckpt("dump", cid, "-o", image, "--leave-running")
        copy = containers.track(f"{prefix}-{cycle}")
        run_ckpt("restore", image, "--name", copy)
        run_ckpt("rm", "-f", copy)
        image.unlink()
    assert traces_of(prefix) == []
    assert own_fds() == fds_before
    assert own_zombies() == zombies_before
