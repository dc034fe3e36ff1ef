"""The container's mounts across dump and restore: a tmpfs with its contents, bind mounts of
host paths (found again, or moved with --mount-map), and the rootfs itself with --with-rootfs.
Containers run a busybox rootfs; each keeps a file on a mount open and counts into it, so the
count must continue through the restored mount.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_mounts.py
"""
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

from conftest import cgroup_dir, container_info, run_ckpt, unique, wait_until
from test_foundation import make_busybox_rootfs

BB = "/bin/busybox"


def counting_into(path, setup=""):
    """A shell that runs `setup`, then appends 0, 1, 2, ... to `path` every 100 ms."""
    return ["/bin/sh", "-c", f"{setup} exec 3>>{path}; i=0; "
            f"while true; do echo $i >&3; i=$((i+1)); {BB} sleep 0.1; done"]


def root_of(cid):
    return Path(f"/proc/{container_info(cid)['init_pid']}/root")


def counts(path):
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def assert_counts_on(path, before):
    """The count in `path` grows past `before` entries and never restarted or skipped."""
    wait_until(lambda: len(counts(path)) > before + 3, what=f"{path} to grow")
    values = counts(path)
    assert values == list(range(len(values)))


def mount_line(cid, mount_point):
    text = Path(f"/proc/{container_info(cid)['init_pid']}/mountinfo").read_text()
    return next((l for l in text.splitlines() if l.split()[4] == mount_point), None)


def test_tmpfs_contents_come_back_after_the_original_tmpfs_is_gone(containers, tmp_path):
    root = make_busybox_rootfs(tmp_path / "rootfs")
    setup = (f"echo hello > /data/f; {BB} mkdir -p /data/d/e; {BB} chmod 700 /data/d; "
             f"{BB} ln -s f /data/l; {BB} ln /data/f /data/hard;")
    cid = containers.run(*counting_into("/data/log", setup),
                         opts=["--rootfs", root, "--tmpfs", "/data:size=8m,mode=751"])
    data = root_of(cid) / "data"
    wait_until(lambda: len(counts(data / "log")) >= 3, what="the counter")
    with open(data / "sparse", "wb") as f:  # 32 MiB with 4 bytes of data at the end
        f.seek(32 << 20)
        f.write(b"tail")
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    assert not data.exists()
    restored = containers.track(unique("tmpfs-r"))
    run_ckpt("restore", image, "--name", restored)

    data = root_of(restored) / "data"
    assert "tmpfs" in mount_line(restored, "/data") and "size=8192k" in mount_line(restored, "/data")
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o751
    assert (data / "f").read_text() == "hello\n"
    assert stat.S_IMODE(os.stat(data / "d").st_mode) == 0o700 and (data / "d" / "e").is_dir()
    assert os.readlink(data / "l") == "f"
    assert os.stat(data / "hard").st_ino == os.stat(data / "f").st_ino
    sparse = os.stat(data / "sparse")
    assert sparse.st_size == (32 << 20) + 4 and sparse.st_blocks * 512 < (1 << 20)
    assert (data / "sparse").read_bytes()[-4:] == b"tail"
    # The shell's open fd was re-opened through the restored tmpfs: it writes on into it.
    assert_counts_on(data / "log", len(counts(data / "log")))


def test_bind_mounts_of_host_paths_come_back_read_only_as_they_were(containers, tmp_path):
    root = make_busybox_rootfs(tmp_path / "rootfs")
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "file").write_text("from the host\n")
    cid = containers.run(*counting_into("/out/log"),
                         opts=["--rootfs", root, "--bind", f"{src}:/in:ro", "--bind", f"{out}:/out"])
    wait_until(lambda: len(counts(out / "log")) >= 3, what="the counter")
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("bind-r"))
    run_ckpt("restore", image, "--name", restored)

    assert (root_of(restored) / "in" / "file").read_text() == "from the host\n"
    assert mount_line(restored, "/in").split()[5].startswith("ro")
    assert mount_line(restored, "/out").split()[5].startswith("rw")
    assert_counts_on(out / "log", len(counts(out / "log")))  # into the host's directory


def test_a_moved_bind_source_is_refused_by_name_then_taken_with_mount_map(containers, tmp_path):
    root = make_busybox_rootfs(tmp_path / "rootfs")
    src = tmp_path / "src"
    src.mkdir()
    cid = containers.run(*counting_into("/in/log"), opts=["--rootfs", root, "--bind", f"{src}:/in"])
    wait_until(lambda: len(counts(src / "log")) >= 3, what="the counter")
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    moved = tmp_path / "moved"
    src.rename(moved)

    refused = containers.track(unique("bind-x"))
    proc = run_ckpt("restore", image, "--name", refused, check=False)
    assert proc.returncode != 0
    assert f"/in (host path {src})" in proc.stderr and "--mount-map" in proc.stderr
    assert container_info(refused) is None and not cgroup_dir("memory", refused).exists()

    restored = containers.track(unique("bind-m"))
    run_ckpt("restore", image, "--name", restored, "--mount-map", f"{src}={moved}")
    assert_counts_on(moved / "log", len(counts(moved / "log")))


def test_with_rootfs_the_container_restores_after_its_rootfs_was_deleted(containers, tmp_path):
    root = make_busybox_rootfs(tmp_path / "rootfs")
    (root / "etc").mkdir()
    (root / "etc" / "motd").write_text("stored with the image\n")
    cid = containers.run(*counting_into("/count"), opts=["--rootfs", root])
    wait_until(lambda: len(counts(root / "count")) >= 3, what="the counter")
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "--with-rootfs", "-o", image)
    shutil.rmtree(root)

    restored = containers.track(unique("rootfs-r"))
    run_ckpt("restore", image, "--name", restored)
    new_root = Path("/var/lib/ckpt/rootfs") / restored
    assert (new_root / "etc" / "motd").read_text() == "stored with the image\n"
    assert os.access(new_root / "bin" / "busybox", os.X_OK)
    assert_counts_on(new_root / "count", len(counts(new_root / "count")))
    run_ckpt("rm", "-f", restored)
    assert not new_root.exists(), "the unpacked rootfs goes with its container"


def test_restore_into_a_given_rootfs_dir_and_refusal_without_a_stored_rootfs(containers,
                                                                             tmp_path):
    root = make_busybox_rootfs(tmp_path / "rootfs")
    cid = containers.run(*counting_into("/count"), opts=["--rootfs", root])
    wait_until(lambda: len(counts(root / "count")) >= 3, what="the counter")
    stored, plain = tmp_path / "stored.ckpt", tmp_path / "plain.ckpt"
    run_ckpt("dump", cid, "--with-rootfs", "--leave-running", "-o", stored)
    run_ckpt("dump", cid, "-o", plain)
    shutil.rmtree(root)

    refused = containers.track(unique("rootfs-x"))
    proc = run_ckpt("restore", plain, "--name", refused, check=False)
    assert proc.returncode != 0 and f"rootfs {root} is missing" in proc.stderr
    assert container_info(refused) is None

    restored = containers.track(unique("rootfs-d"))
    target = tmp_path / "elsewhere"
    run_ckpt("restore", stored, "--name", restored, "--rootfs", target)
    assert_counts_on(target / "count", len(counts(target / "count")))


def test_mounts_made_inside_the_container_come_back_in_order(containers, tmp_path):
    """Pseudo filesystems and a bind of the container's own tmpfs, mounted by the container."""
    root = make_busybox_rootfs(tmp_path / "rootfs")
    for d in ("dev_mq", "mnt"):
        (root / d).mkdir()
    setup = (f"{BB} mkdir -p /data/sub && echo inner > /data/sub/x && "
             f"{BB} mount --bind /data/sub /mnt && "
             f"{BB} mount -t mqueue -o nosuid mqueue /dev_mq && "
             f"{BB} mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /dev/pts && "
             f"{BB} mount -t cgroup2 -o ro cgroup2 /sys/fs/cgroup &&")
    cid = containers.run(*counting_into("/mnt/log", setup),
                         opts=["--rootfs", root, "--tmpfs", "/data"])
    data = root_of(cid) / "data"
    wait_until(lambda: len(counts(data / "sub" / "log")) >= 3, what="the counter")
    before = {mp: mount_line(cid, mp).split(" - ")[1].split()[0]
              for mp in ("/mnt", "/dev_mq", "/dev/pts", "/sys/fs/cgroup")}
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("inner-r"))
    run_ckpt("restore", image, "--name", restored)

    after = {mp: mount_line(restored, mp).split(" - ")[1].split()[0] for mp in before}
    assert after == before == {"/mnt": "tmpfs", "/dev_mq": "mqueue", "/dev/pts": "devpts",
                               "/sys/fs/cgroup": "cgroup2"}
    assert "nosuid" in mount_line(restored, "/dev_mq").split()[5]
    assert "ptmxmode=666" in mount_line(restored, "/dev/pts")
    assert mount_line(restored, "/sys/fs/cgroup").split()[5].startswith("ro")
    mnt = root_of(restored) / "mnt"
    assert (mnt / "x").read_text() == "inner\n"
    # The bind shows the restored tmpfs's directory: the shell's writes land in /data/sub.
    assert_counts_on(root_of(restored) / "data" / "sub" / "log", len(counts(mnt / "log")))


def test_tmpfs_of_a_container_without_rootfs_comes_back_and_host_mounts_stay_the_hosts(
        containers, tmp_path):
    data = tmp_path / "data"
    cid = containers.run(*counting_into(f"{data}/log", f"echo kept > {data}/f;"),
                         opts=["--tmpfs", f"{data}:size=4m"])
    inside = root_of(cid) / str(data).lstrip("/")
    wait_until(lambda: len(counts(inside / "log")) >= 3, what="the counter")
    assert not (data / "log").exists(), "the tmpfs is the container's, not on the host"
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    mounts = {m["mount_point"]: m for m in
              json.loads(run_ckpt("inspect", "--json", image).stdout)["mounts"]["mounts"]}
    assert mounts[str(data)]["kind"] == "tmpfs" and mounts[str(data)]["has_contents"]
    assert mounts["/"]["kind"] == "host" and not mounts["/"]["has_contents"]
    restored = containers.track(unique("tmpfs-h"))
    run_ckpt("restore", image, "--name", restored)
    inside = root_of(restored) / str(data).lstrip("/")
    assert (inside / "f").read_text() == "kept\n"
    assert_counts_on(inside / "log", len(counts(inside / "log")))
    assert not (data / "log").exists()


def mount_overlay(lower, upper, work, merged):
    for d in (upper, work, merged):
        d.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={lower},upperdir={upper},workdir={work}", str(merged)], check=True)


def test_overlay_rootfs_is_stored_as_its_upper_layer_and_mounted_on_its_lower_again(
        containers, tmp_path):
    lower = make_busybox_rootfs(tmp_path / "lower")
    (lower / "etc").mkdir()
    (lower / "etc" / "motd").write_text("from the lower layer\n")
    (lower / "gone").write_text("deleted in the container\n")
    (lower / "cache").mkdir()
    (lower / "cache" / "old").write_text("hidden once the directory is made again\n")
    merged = tmp_path / "merged"
    mount_overlay(lower, tmp_path / "upper", tmp_path / "work", merged)
    try:
        setup = f"{BB} rm /gone; {BB} rm -r /cache; {BB} mkdir /cache; echo new > /cache/new;"
        cid = containers.run(*counting_into("/count", setup), opts=["--rootfs", merged])
        wait_until(lambda: len(counts(merged / "count")) >= 3, what="the counter")
        image = tmp_path / "image.ckpt"
        run_ckpt("dump", cid, "--with-rootfs", "-o", image)
    finally:
        subprocess.run(["umount", "-l", str(merged)], check=False)
    shutil.rmtree(tmp_path / "upper")
    shutil.rmtree(tmp_path / "work")
    sections = json.loads(run_ckpt("inspect", "--json", image).stdout)["sections"]
    stored = sum(s["raw_size"] for s in sections if s["type"] == "mount-data")
    assert 0 < stored < 64 << 10, "only the upper layer is stored, not busybox from the lower"

    moved = tmp_path / "lower-moved"
    lower.rename(moved)
    refused = containers.track(unique("ovl-x"))
    proc = run_ckpt("restore", image, "--name", refused, check=False)
    assert proc.returncode != 0 and f"lower layer {lower} is missing" in proc.stderr
    assert container_info(refused) is None
    assert not (Path("/var/lib/ckpt/rootfs") / refused).exists()

    restored = containers.track(unique("ovl-r"))
    run_ckpt("restore", image, "--name", restored, "--mount-map", f"{lower}={moved}")
    layers = Path("/var/lib/ckpt/rootfs") / restored
    assert f"lowerdir={moved}," in mount_line(restored, "/")
    root = root_of(restored)
    assert (root / "etc" / "motd").read_text() == "from the lower layer\n"
    assert not (root / "gone").exists(), "the whiteout came back"
    assert os.listdir(root / "cache") == ["new"], "the opaque directory came back"
    assert_counts_on(root / "count", len(counts(root / "count")))
    run_ckpt("rm", "-f", restored)
    assert not layers.exists(), "the upper layer goes with its container"
    assert str(layers / "merged") not in Path("/proc/self/mountinfo").read_text()


def test_a_process_in_a_nested_mount_namespace_is_refused_and_the_container_runs_on(
        containers, tmp_path):
    count = tmp_path / "count"
    cid = containers.run(*counting_into(count, "unshare -m sleep 1000 &"))
    wait_until(lambda: len(counts(count)) >= 3, what="the counter")
    image = tmp_path / "image.ckpt"
    proc = run_ckpt("dump", cid, "-o", image, check=False)
    assert proc.returncode != 0
    assert "(sleep) is in a mnt namespace of its own" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not image.exists()
    assert_counts_on(count, len(counts(count)))
