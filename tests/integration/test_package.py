"""tools/package builds a .deb; installed, its ckpt checks the host, has its man pages, dumps
and restores a container; purged, nothing of it is left."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, COUNTER, unique, wait_until

REPO = Path(__file__).resolve().parents[2]
INSTALLED = Path("/usr/bin/ckpt")


def installed(*args, check=True):
    proc = subprocess.run([str(INSTALLED), *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"ckpt {args}: {proc.returncode}\n{proc.stderr}")
    return proc


def package_installed(name):
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True,
                          text=True)
    return "install ok installed" in proc.stdout


@pytest.fixture
def deb():
    if not shutil.which("cpack") or not shutil.which("dpkg-shlibdeps"):
        pytest.skip("cpack or dpkg-shlibdeps missing (tools/setup installs them)")
    if package_installed("ckpt") or INSTALLED.exists():
        pytest.skip("a ckpt is already installed on this host; not touching it")
    out = subprocess.run([str(REPO / "tools/package"), str(BUILD)], capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    debs = sorted((BUILD / "package").glob("ckpt_*.deb"))
    assert debs, out.stdout
    yield debs[-1]
    subprocess.run(["dpkg", "--purge", "ckpt"], capture_output=True)


def test_deb_installs_works_and_purges(deb, tmp_path):
    info = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True)
    depends = info.stdout
    for lib in ("libnl-route-3", "libzstd", "libboost-serialization"):
        assert lib in depends, f"{lib} missing from Depends: {depends}"
    subprocess.run(["dpkg", "-i", deb], check=True, capture_output=True)
    cid = unique("pkg")
    copy = unique("pkgr")
    try:
        assert installed("check").returncode == 0
        assert installed("version").stdout.startswith("ckpt ")
        size = INSTALLED.stat().st_size
        assert size < 20 << 20, f"installed binary is {size} bytes: not stripped?"
        for page in ("ckpt", "ckpt-dump", "ckpt-restore", "ckpt-rm"):
            where = subprocess.run(["man", "-w", "8", page], capture_output=True, text=True)
            assert where.returncode == 0 and where.stdout.strip().startswith("/usr/share/man"), page
        assert Path("/usr/share/bash-completion/completions/ckpt").exists()

        installed("run", "--name", cid, "--detach", "--", *COUNTER)
        image = tmp_path / "pkg.ckpt"
        installed("dump", cid, "-o", image)
        installed("restore", image, "--name", copy)
        rows = json.loads(installed("list", "--json").stdout)
        row = next(r for r in rows if r["id"] == copy)
        assert row["state"] == "running" and row["processes"] >= 1
        log = Path("/run/ckpt") / copy / "console.log"
        start = len(log.read_text().split())
        wait_until(lambda: len(log.read_text().split()) > start + 1, what="the copy counts on")
    finally:
        for c in (cid, copy):
            subprocess.run([str(INSTALLED), "rm", "-f", c], capture_output=True)
    subprocess.run(["dpkg", "--purge", "ckpt"], check=True, capture_output=True)
    assert not INSTALLED.exists()
    assert subprocess.run(["man", "-w", "8", "ckpt"], capture_output=True).returncode != 0
