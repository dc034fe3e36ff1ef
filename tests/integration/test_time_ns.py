"""Virtual time: `ckpt run` starts containers in their own time namespace, and restore makes
CLOCK_MONOTONIC and CLOCK_BOOTTIME continue from their values at dump time.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_time_ns.py
"""
import os
import time

from conftest import container_info, run_ckpt, start_workload, unique, verdict


def test_run_starts_the_container_in_its_own_time_namespace(containers, work):
    cid = start_workload(containers, work, "monotonic")
    pid = container_info(cid)["init_pid"]
    assert os.readlink(f"/proc/{pid}/ns/time") != os.readlink("/proc/self/ns/time")


def test_monotonic_clock_neither_jumps_nor_goes_back_across_dump_wait_restore(containers, work):
    cid = start_workload(containers, work, "monotonic")
    time.sleep(0.5)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    time.sleep(5)
    restored = containers.track(unique("time-r"))
    run_ckpt("restore", image, "--name", restored)
    pid = container_info(restored)["init_pid"]
    offsets = open(f"/proc/{pid}/timens_offsets").read().split()
    assert offsets[0] == "monotonic" and int(offsets[1]) <= -5, offsets  # 5 s in the image
    time.sleep(0.5)
    assert verdict(restored, work / "result") == "PASS", (work / "result").read_text()
