"""The command line as scripts use it: exit codes by category, stop/logs/rm -f, a frozen
container's dump, version and "did you mean", global options anywhere, early checks, JSON
results and check --image."""
import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (CKPT, COUNTER, console_text, container_info, run_ckpt, unique,
                      wait_until)

USAGE, NOT_FOUND, BUSY, REFUSED, IMAGE, HOST_MISSING, CANCELLED = 2, 3, 4, 5, 6, 7, 9


def code_of(*args, **kw):
    proc = run_ckpt(*args, check=False, **kw)
    return proc.returncode, proc.stderr


def counter_value(cid):
    lines = console_text(cid).split()
    return int(lines[-1]) if lines else -1


def advances(cid):
    before = counter_value(cid)
    try:
        wait_until(lambda: counter_value(cid) > before + 1, timeout=3)
        return True
    except AssertionError:
        return False


def test_version_and_did_you_mean():
    for args in (["--version"], ["-V"], ["version"]):
        proc = run_ckpt(*args)
        assert "ckpt" in proc.stdout and "image format" in proc.stdout, args
    code, err = code_of("dumpp", "x")
    assert code == USAGE and "did you mean 'dump'" in err
    code, err = code_of("restor")
    assert code == USAGE and "did you mean 'restore'" in err
    code, err = code_of("frobnicate")
    assert code == USAGE and "unknown command 'frobnicate'" in err


def test_global_options_after_the_verb(work):
    log = work / "ckpt.log"
    rows = json.loads(run_ckpt("list", "-v", "--json", "--log-file", log,
                               "--log-level", "debug").stdout)
    assert isinstance(rows, list)
    assert isinstance(json.loads(run_ckpt("--json", "list").stdout), list)
    assert "ckpt" in run_ckpt("version", "-q").stdout
    assert log.exists()


def test_exit_codes_by_category(containers, work):
    assert code_of("dump", unique("none"), "-o", work / "x.ckpt")[0] == NOT_FOUND
    assert code_of("inspect", work / "missing.ckpt")[0] == NOT_FOUND
    damaged = work / "damaged.ckpt"
    damaged.write_bytes(b"not an image at all, just some bytes" * 10)
    assert code_of("verify", damaged)[0] == IMAGE
    assert code_of("dump", "--no-such-option")[0] == USAGE

    cid = containers.run(*COUNTER)
    image = work / "img.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    # A truncated copy of a real image.
    data = image.read_bytes()
    cut = work / "cut.ckpt"
    cut.write_bytes(data[: len(data) // 2])
    assert code_of("restore", cut, "--name", unique("cut"))[0] == IMAGE

    # Busy: a dump held at a fault point; cancelled: that dump, signalled.
    env = {**os.environ, "CKPT_FAULT": "dump:freeze:wait"}
    held = subprocess.Popen([str(CKPT), "dump", cid, "-o", work / "held.ckpt", "--leave-running"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        while "waiting at" not in (line := held.stderr.readline()):
            assert time.monotonic() < deadline and line, "dump reached its fault point"
        code, err = code_of("rm", "-f", cid)
        assert code == BUSY and "busy" in err
        held.send_signal(signal.SIGTERM)
        assert held.wait(timeout=30) == CANCELLED
    finally:
        if held.poll() is None:
            held.kill()
    assert advances(cid), "the cancelled dump left the container running"

    # Host precondition: a bridge that does not exist here.
    bridge_image = work / "bridge.ckpt"
    net = containers.run(*COUNTER, opts=("--net", f"bridge={make_bridge(containers)}"))
    run_ckpt("dump", net, "-o", bridge_image, "--leave-running")
    old = json.loads(run_ckpt("inspect", "--json", bridge_image).stdout)["config"]["net_specs"][0]
    old_bridge = old.split(",")[0].split("=")[1]
    code, err = code_of("restore", bridge_image, "--name", unique("nb"),
                        "--net-map", f"bridge:{old_bridge}=ckptnobr0")
    assert code == HOST_MISSING and "ckptnobr0" in err
    code, err = code_of("restore", bridge_image, "--name", unique("um"),
                        "--net-map", "bridge:notused0=ckptnobr0")
    assert code == USAGE and "notused0" in err


BRIDGES = []


def make_bridge(containers):
    name = f"ckb{os.getpid() % 10000}{len(BRIDGES)}"
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    BRIDGES.append(name)
    return name


@pytest.fixture(autouse=True)
def remove_bridges(containers):
    yield
    containers.cleanup()
    while BRIDGES:
        subprocess.run(["ip", "link", "del", BRIDGES.pop()], capture_output=True)


GRACEFUL = ["sh", "-c", "trap 'echo bye; exit 0' TERM; i=0; "
            "while true; do echo $i; i=$((i+1)); sleep 0.1; done"]


def test_rm_stop_logs(containers):
    cid = containers.run(*GRACEFUL)
    code, err = code_of("rm", cid)
    assert code == REFUSED and "rm -f" in err
    assert advances(cid), "rm without -f left it running"
    run_ckpt("stop", cid)
    assert container_info(cid)["state"] == "stopped"
    out = run_ckpt("logs", cid).stdout.split()
    assert out[:3] == ["0", "1", "2"] and out[-1] == "bye", "stopped by SIGTERM, gracefully"
    run_ckpt("rm", cid)
    assert container_info(cid) is None

    # A container that ignores TERM is killed after --time.
    stubborn = containers.run("sh", "-c", "trap '' TERM; while :; do sleep 0.1; done")
    run_ckpt("stop", stubborn, "--time", "0.5")
    assert container_info(stubborn)["state"] == "stopped"
    run_ckpt("rm", stubborn)

    # logs -f returns when the container's init exits.
    short = containers.run("sh", "-c", "echo one; sleep 1; echo two")
    proc = run_ckpt("logs", "-f", short, timeout=20)
    assert proc.stdout.split() == ["one", "two"]


def test_frozen_container_dump_stays_frozen(containers, work):
    cid = containers.run(*COUNTER)
    wait_until(lambda: counter_value(cid) >= 2, what="counting")
    run_ckpt("freeze", cid)
    image = work / "frozen.ckpt"
    result = json.loads(run_ckpt("dump", cid, "-o", image, "--leave-running", "--json").stdout)
    assert result["left_frozen"] is True
    assert container_info(cid)["state"] == "frozen"
    assert not advances(cid), "frozen by its user, it stays frozen"
    run_ckpt("thaw", cid)
    assert advances(cid)
    # Without --leave-running the frozen container is dumped and removed; the copy runs.
    run_ckpt("freeze", cid)
    run_ckpt("dump", cid, "-o", work / "frozen2.ckpt")
    assert container_info(cid) is None
    copy = containers.track(unique("fz"))
    run_ckpt("restore", work / "frozen2.ckpt", "--name", copy)
    assert advances(copy)


def test_early_checks(containers, work):
    cid = containers.run(*COUNTER)
    code, err = code_of("dump", cid, "-o", work)
    assert code == USAGE and "directory" in err
    code, err = code_of("dump", cid, "-o", work / "no" / "such" / "x.ckpt")
    assert code == USAGE
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([str(CKPT), "dump", cid, "-o", "-"], stdout=slave,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == USAGE and "terminal" in proc.stderr
    assert container_info(cid)["state"] == "running" and advances(cid)

    # An existing image is not replaced without --force; the container runs on untouched.
    image = work / "kept.ckpt"
    image.write_bytes(b"an earlier image")
    code, err = code_of("dump", cid, "-o", image, "--leave-running")
    assert code == REFUSED and "--force" in err
    assert image.read_bytes() == b"an earlier image"
    run_ckpt("dump", cid, "-o", image, "--leave-running", "--force")
    assert run_ckpt("verify", image).returncode == 0
    # Without -o the image is ID-<UTC time>.ckpt in the current directory, named in --json.
    named = json.loads(run_ckpt("dump", cid, "--leave-running", "--json", cwd=work).stdout)
    default = work / named["image"]
    assert default.name.startswith(cid + "-") and default.suffix == ".ckpt" and default.exists()
    assert container_info(cid)["state"] == "running" and advances(cid)

    # A foreground run leaves no lock file behind.
    name = containers.track(unique("fg"))
    run_ckpt("run", "--name", name, "--", "true")
    assert not (Path("/run/ckpt/.locks") / name).exists()


def test_json_results_and_check_image(containers, work):
    cid = containers.run(*COUNTER)
    image = work / "j.ckpt"
    dumped = json.loads(run_ckpt("dump", cid, "-o", image, "--leave-running", "--json").stdout)
    assert dumped["image"] == str(image) and dumped["bytes"] == image.stat().st_size
    assert dumped["processes"] >= 1 and dumped["memory_bytes"] > 0
    assert {s["stage"] for s in dumped["stages"]} >= {"freeze", "seize", "processes", "write"}
    assert dumped["frozen_ms"] > 0 and isinstance(dumped["warnings"], list)
    copy = containers.track(unique("jr"))
    restored = json.loads(run_ckpt("--json", "restore", image, "--name", copy).stdout)
    assert restored["container"] == copy and restored["processes"] == dumped["processes"]
    verified = json.loads(run_ckpt("verify", image, "--json").stdout)
    assert verified["ok"] is True
    # Without a terminal and without -v, a dump prints nothing.
    quiet = run_ckpt("dump", cid, "-o", work / "q.ckpt", "--leave-running")
    assert quiet.stdout == "" and quiet.stderr == ""
    loud = run_ckpt("dump", cid, "-o", work / "v.ckpt", "--leave-running", "-v")
    assert f"dumped {cid}:" in loud.stderr and "frozen" in loud.stderr

    facts = {f["name"]: f for f in json.loads(run_ckpt("check", "--json", "--image", image).stdout)}
    assert facts["user"]["level"] == "ok"
    assert facts["image cpu"]["level"] == "ok"
    doc = json.loads(run_ckpt("inspect", "--json", image).stdout)
    assert doc["schema"] == 1
    assert "cpu-features" in {s["type"] for s in doc["sections"]}
    assert doc["memory"]["bytes"] == dumped["memory_bytes"]
    kinds = {d["kind"] for d in doc["files"]["descriptions"]}
    assert "console" in kinds, kinds
    lo = next(link for link in doc["net"]["links"] if link["name"] == "lo")
    assert "veth" not in lo and "vxlan" not in lo, "only the attributes of its kind"
    assert all(a["family"] in ("inet", "inet6") for a in doc["net"]["addresses"])


def test_not_root_is_said_first(containers, work):
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    proc = subprocess.run([*nobody, str(CKPT), "check"], capture_output=True, text=True)
    assert proc.returncode == REFUSED
    assert proc.stdout.splitlines()[0].startswith("user") and "not root" in proc.stdout
    proc = subprocess.run([*nobody, str(CKPT), "dump", "x", "-o", "/tmp/x.ckpt"],
                          capture_output=True, text=True)
    assert proc.returncode == REFUSED and "needs root" in proc.stderr


def test_restored_copy_next_to_its_original_is_refused_its_address(containers, work):
    bridge = make_bridge(containers)
    subprocess.run(["ip", "link", "set", bridge, "up"], check=True)
    net = f"10.{os.getpid() % 200 + 20}.{len(BRIDGES)}"
    cid = containers.run(*COUNTER, opts=("--net", f"bridge={bridge},ip={net}.2/24"))
    image = work / "twin.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    twin = containers.track(unique("twin"))
    code, err = code_of("restore", image, "--name", twin)
    assert code == REFUSED and f"{net}.2" in err and "MAC" in err and cid in err
    assert container_info(twin) is None
    run_ckpt("restore", image, "--name", twin, "--ignore-static-ip", "--ignore-static-mac")
    addresses = {a["address"] for a in container_info(twin)["addresses"]}
    assert f"{net}.2" not in addresses
    assert f"{net}.2" in {a["address"] for a in container_info(cid)["addresses"]}
    assert advances(twin) and advances(cid)
    # Or under another address, mapped with --net-map ip:OLD=NEW.
    third = containers.track(unique("third"))
    run_ckpt("restore", image, "--name", third, "--net-map", f"ip:{net}.2={net}.3",
             "--ignore-static-mac")
    assert f"{net}.3" in {a["address"] for a in container_info(third)["addresses"]}
    code, err = code_of("restore", image, "--name", unique("bad"), "--net-map", "ip:10.9.9.9=10.9.9.8")
    assert code == USAGE and "no address 10.9.9.9" in err
