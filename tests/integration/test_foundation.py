"""Foundation: ckpt run/list/freeze, the image, and dump/restore of config, UTS and cgroups."""
import json
import os
import random
import subprocess
from pathlib import Path

from conftest import (CKPT, COUNTER, cgroup_dir, container_info, read_cgroup, run_ckpt, unique,
                      wait_until)

LIMITS = ["--memory", "256M", "--pids-max", "64", "--cpu-shares", "512", "--cpuset", "0",
          "--hostname", "box-one"]


def hostname_of(cid):
    pid = container_info(cid)["init_pid"]
    return subprocess.run(["nsenter", "-t", str(pid), "-u", "hostname"], capture_output=True,
                          text=True, check=True).stdout.strip()


def assert_running(cid):
    info = container_info(cid)
    assert info is not None, f"{cid} is gone"
    assert info["state"] == "running", info
    assert Path(f"/proc/{info['init_pid']}").exists()


def test_run_applies_limits_and_hostname(containers):
    cid = containers.run(*COUNTER, opts=LIMITS)
    assert read_cgroup("memory", cid, "memory.limit_in_bytes") == str(256 << 20)
    assert read_cgroup("pids", cid, "pids.max") == "64"
    assert read_cgroup("cpu", cid, "cpu.shares") == "512"
    assert read_cgroup("cpuset", cid, "cpuset.cpus") == "0"
    assert hostname_of(cid) == "box-one"
    pid = container_info(cid)["init_pid"]
    # pid 1 of its own pid namespace
    status = Path(f"/proc/{pid}/status").read_text()
    assert [l for l in status.splitlines() if l.startswith("NSpid")][0].split()[-1] == "1"


def test_list_shows_frozen_while_frozen(containers):
    cid = containers.run(*COUNTER)
    run_ckpt("freeze", cid)
    assert container_info(cid)["state"] == "frozen"
    run_ckpt("thaw", cid)
    assert container_info(cid)["state"] == "running"


def test_dump_restore_keeps_limits_of_nested_cgroups_and_hostname(containers, tmp_path):
    cid = containers.run(*COUNTER, opts=LIMITS)
    child = cgroup_dir("memory", cid, "inner")
    child.mkdir()
    (child / "memory.limit_in_bytes").write_text(str(64 << 20))
    image = tmp_path / "c.img"
    run_ckpt("dump", cid, "-o", image)
    assert container_info(cid) is None, "dump without --leave-running removes the container"
    assert not cgroup_dir("memory", cid).exists()
    assert oct(image.stat().st_mode & 0o777) == "0o600"

    new = containers.track(unique("r"))
    run_ckpt("restore", image, "--name", new)
    assert read_cgroup("memory", new, "memory.limit_in_bytes") == str(256 << 20)
    assert read_cgroup("memory", new, "memory.limit_in_bytes", sub="inner") == str(64 << 20)
    assert read_cgroup("pids", new, "pids.max") == "64"
    assert read_cgroup("cpu", new, "cpu.shares") == "512"
    assert read_cgroup("cpuset", new, "cpuset.cpus") == "0"
    assert hostname_of(new) == "box-one"
    assert container_info(new)["state"] == "running"


def test_inspect_json_shows_hostname_tree_and_limits(containers, tmp_path):
    cid = containers.run(*COUNTER, opts=LIMITS)
    image = tmp_path / "c.img"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    assert_running(cid)
    doc = json.loads(run_ckpt("inspect", image, "--json").stdout)
    assert doc["uts"]["hostname"] == "box-one"
    tree = doc["process_tree"]
    init = [p for p in tree if p["pid"] == 1]
    assert init and init[0]["cmdline"][:2] == ["sh", "-c"]
    root = [n for n in doc["cgroups"]["nodes"] if n["path"] == ""][0]
    assert root["limits"]["memory_limit"] == 256 << 20
    assert root["limits"]["pids_max"] == 64
    run_ckpt("verify", image)


def test_dump_of_missing_container_fails_in_one_line(tmp_path):
    proc = run_ckpt("dump", "no-such-ckpt-container", "-o", tmp_path / "x.img", check=False)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "no-such-ckpt-container" in proc.stderr
    assert not (tmp_path / "x.img").exists()


def test_dump_to_unwritable_path_leaves_container_running(containers):
    cid = containers.run(*COUNTER)
    proc = run_ckpt("dump", cid, "-o", "/nonexistent-dir/x.img", check=False)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert_running(cid)


def test_restore_of_damaged_images_fails_cleanly(containers, tmp_path):
    cid = containers.run(*COUNTER, opts=LIMITS)
    image = tmp_path / "good.img"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    data = image.read_bytes()
    rng = random.Random(1234)
    cases = [("truncated", data[:rng.randrange(len(data))]) for _ in range(4)]
    for _ in range(4):
        damaged = bytearray(data)
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        cases.append(("flipped", bytes(damaged)))
    cases += [("empty", b""), ("foreign", b"#!/bin/sh\necho not an image\n" * 10)]
    for kind, content in cases:
        bad = tmp_path / f"{kind}.img"
        bad.write_bytes(content)
        new = unique("bad")
        proc = run_ckpt("restore", bad, "--name", new, check=False)
        assert proc.returncode != 0, f"{kind} image was accepted"
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not cgroup_dir("memory", new).exists(), f"{kind}: cgroup left behind"
        assert not Path("/run/ckpt", new).exists(), f"{kind}: state left behind"
        assert_running(cid)


def test_restore_onto_existing_id_fails_and_touches_nothing(containers, tmp_path):
    cid = containers.run(*COUNTER, opts=LIMITS)
    image = tmp_path / "c.img"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    before = container_info(cid)
    proc = run_ckpt("restore", image, "--name", cid, check=False)
    assert proc.returncode != 0
    assert "already exists" in proc.stderr
    assert container_info(cid)["init_pid"] == before["init_pid"]
    assert_running(cid)


def test_dump_to_stdout_restores_from_stdin(containers):
    cid = containers.run(*COUNTER, opts=LIMITS)
    new = containers.track(unique("pipe"))
    pipeline = f"{CKPT} dump {cid} -o - --leave-running | {CKPT} restore - --name {new}"
    subprocess.run(["sh", "-c", "set -e; " + pipeline], check=True, timeout=60)
    assert read_cgroup("memory", new, "memory.limit_in_bytes") == str(256 << 20)
    assert_running(cid)


def make_busybox_rootfs(root):
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "busybox").write_bytes(Path("/bin/busybox").read_bytes())
    (root / "bin" / "busybox").chmod(0o755)
    for applet in ("sh", "ls", "cat", "sleep", "hostname"):
        (root / "bin" / applet).symlink_to("busybox")
    return root


def test_rootfs_container_sees_its_own_files(containers, tmp_path):
    from conftest import console_text
    root = make_busybox_rootfs(tmp_path / "rootfs")
    cid = containers.run("/bin/sh", "-c", "ls /; echo ==; ls /dev; sleep 100",
                         opts=["--rootfs", root])
    wait_until(lambda: "==" in console_text(cid) and "null" in console_text(cid),
               what="listing of / inside the container")
    top, dev = console_text(cid).split("==")
    assert set(top.split()) == {"bin", "dev", "proc", "sys"}
    assert {"null", "zero", "urandom", "pts"} <= set(dev.split())


def test_foreground_run_returns_exit_code_and_removes_container(containers):
    cid = containers.track(unique("fg"))
    proc = run_ckpt("run", "--name", cid, "--", "sh", "-c", "echo hello; exit 3", check=False)
    assert proc.returncode == 3
    assert "hello" in proc.stdout
    assert container_info(cid) is None
    assert not cgroup_dir("memory", cid).exists()


def test_bad_run_options_fail_in_one_line(containers):
    cid = containers.track(unique("bad"))
    proc = run_ckpt("run", "--name", cid, "--memory", "lots", "--", "true", check=False)
    assert proc.returncode != 0 and "--memory" in proc.stderr
    proc = run_ckpt("run", "--name", "bad/id", "--", "true", check=False)
    assert proc.returncode != 0 and "invalid container id" in proc.stderr
    proc = run_ckpt("run", "--name", cid, "--detach", "--", "/no/such/program", check=False)
    assert proc.returncode != 0 and "/no/such/program" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not cgroup_dir("memory", cid).exists(), "a failed start leaves no cgroup"
    assert container_info(cid) is None


def test_rootfs_container_counts_on_after_restore(containers, tmp_path):
    from conftest import console_text
    root = make_busybox_rootfs(tmp_path / "rootfs")
    cid = containers.run("/bin/sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done",
                         opts=["--rootfs", root])
    wait_until(lambda: len(console_text(cid).split()) >= 3, what="the counter to start")
    image = tmp_path / "c.img"
    run_ckpt("dump", cid, "-o", image)
    new = containers.track(unique("rfs"))
    run_ckpt("restore", image, "--name", new)
    wait_until(lambda: len(console_text(new).split()) >= 3, what="the restored counter")
    counts = [int(x) for x in console_text(new).split()]
    assert counts[0] >= 3, "it continues, it does not start again"
    assert counts == list(range(counts[0], counts[0] + len(counts)))


def test_check_reports_host_facts_as_json():
    facts = {f["name"]: f for f in json.loads(run_ckpt("check", "--json").stdout)}
    assert facts["clone3 set_tid"]["level"] == "ok"
    assert facts["freezer"]["level"] == "ok"
    assert "veth bridge" in facts["link kinds"]["detail"]
    # The rest of ckpt's tests need these; a host without them would say so here.
    assert {"kernel", "cgroups", "CAP_SYS_RESOURCE", "soft-dirty", "vdso"} <= facts.keys()
