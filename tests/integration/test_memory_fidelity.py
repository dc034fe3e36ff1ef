"""Memory and per-mm/thread kernel state that must come back exactly (issue 15, "Fidelity"):
each ZDTM-style workload runs as a container's init, is dumped (removed, or left running and
compared with its copies), restored, and must report PASS. State ckpt cannot restore exactly
is refused at dump in one line naming the process, and the container runs on."""
import os
import secrets
import struct
from pathlib import Path

import pytest

from conftest import (CKPT, container_info, dump_remove_restore, leave_running_and_two_restores,
                      outcomes, run_ckpt, start_workload, unique, verdict,
                      wait_until)
from netns_helpers import env, ip, sh  # noqa: F401

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

RESTORE_TIMEOUT = 60  # a restore that hangs fails the test instead of the whole run


# (workload, extra arguments relative to the work dir ("{work}/..."), what it holds)
WORKLOADS = [
    ("mm_advice", []),            # THP disabled (prctl), madvise advice of each part of a mapping
    ("robust_membarrier", []),    # each thread's robust futex list, membarrier registration
    ("mprotect_file", ["{work}/mapped"]),  # a private file mapping split by mprotect
    ("shm_partial", []),          # a SysV segment attached in part, and split by mprotect
    ("eof_mapping", ["{work}/short"]),  # a file mapping reaching past EOF after a truncate
    ("chroot", ["{work}/root"]),  # a chrooted child with a file of its root open and mapped
    ("cow_shared", ["16"]),       # 16 MiB a parent and its two children share copy-on-write
    ("cow_shared", ["4", "{work}/cow_file"]),  # the same of a private file mapping, half written
    ("mm_markers", []),           # guard regions, an mseal()ed and a MAP_DROPPABLE mapping
    ("mempolicy", []),            # NUMA policies of two threads (one static) and of a mapping
    ("mempolicy", ["many"]),      # the same among 400 more mappings (found through numa_maps)
    ("mempolicy", ["leader-default"]),  # "many", the main thread MPOL_DEFAULT: only it asked
]
WORKLOAD_IDS = [name + ("-" + args[0] if args in (["many"], ["leader-default"])
                        else "-file" if "{work}/cow_file" in args else "")
                 for name, args in WORKLOADS]


def args_of(work, args):
    return [a.format(work=work) for a in args]


@pytest.mark.parametrize("name,args", WORKLOADS, ids=WORKLOAD_IDS)
def test_workload_passes_after_dump_removal_and_restore(containers, work, name, args):
    cid = start_workload(containers, work, name, *args_of(work, args))
    restored = dump_remove_restore(containers, work, cid, prefix="mem", timeout=RESTORE_TIMEOUT)
    assert verdict(restored, work / "result") == "PASS"


@pytest.mark.parametrize("name,args", WORKLOADS, ids=WORKLOAD_IDS)
def test_original_and_two_copies_pass(containers, work, name, args):
    cid = start_workload(containers, work, name, *args_of(work, args))
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def container_pids(cid):
    init = container_info(cid)["init_pid"]
    return [init] + [int(p) for p in Path(f"/proc/{init}/task/{init}/children").read_text().split()]


def rollup_kib(cid, field):
    """A field of smaps_rollup ("Pss", "Pss_Anon", "Anonymous") summed over the container's
    processes, KiB."""
    return sum(int(line.split()[1])
               for pid in container_pids(cid)
               for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
               if line.startswith(f"{field}:"))


def pss_kib(cid):
    """Proportional set size of the container's processes, KiB (smaps_rollup)."""
    return rollup_kib(cid, "Pss")


def test_pages_shared_copy_on_write_stay_shared(containers, work):
    """64 MiB a parent and its forked child share copy-on-write, beside pages each rewrote and
    pages the child dropped: after a restore the pair takes about as much memory as before (not
    a copy per process), and a restore of the restored copy does not grow it either."""
    cid = start_workload(containers, work, "cow_shared", "64")
    before = pss_kib(cid)
    restored = dump_remove_restore(containers, work, cid, prefix="mem", timeout=RESTORE_TIMEOUT)
    after = pss_kib(restored)
    (work / "image.ckpt").unlink()
    again = dump_remove_restore(containers, work, restored, prefix="mem", timeout=RESTORE_TIMEOUT)
    after_again = pss_kib(again)
    print(f"Pss of parent + child: {before} KiB before, {after} KiB after a restore, "
          f"{after_again} KiB after a second")
    assert after < before * 1.25 and after_again < before * 1.25
    assert verdict(again, work / "result") == "PASS"


@pytest.mark.parametrize("mapped", [False, True], ids=["anonymous", "file"])
def test_pages_shared_copy_on_write_stay_shared_along_a_chain(containers, work, mapped):
    """The same processes dumped --leave-running into a full image and an incremental one on
    top: the original still shares its pages after the dumps (reading a page by
    process_vm_readv would have given the process a copy of its own), the restore of the chain
    shares them as the original does, and all check out. Of anonymous memory, or of a private
    file mapping half written."""
    cid = start_workload(containers, work, "cow_shared", "32",
                         *([work / "cow_file"] if mapped else []))
    before = rollup_kib(cid, "Pss_Anon")
    full, newer = work / "full.ckpt", work / "newer.ckpt"
    run_ckpt("dump", cid, "-o", full, "--leave-running")
    run_ckpt("dump", cid, "-o", newer, "--leave-running", "--parent", full)
    assert rollup_kib(cid, "Pss_Anon") < before * 1.25, "the dumps unshared the original's pages"
    restored = containers.track(unique("mem"))
    run_ckpt("restore", newer, "--name", restored, timeout=RESTORE_TIMEOUT)
    after = rollup_kib(restored, "Pss_Anon")
    print(f"Pss_Anon of the processes: {before} KiB before, {after} KiB after the chain's "
          f"restore")
    assert after < before * 1.25
    result = work / "result"
    for count, c in enumerate((cid, restored), start=1):
        run_ckpt("kill", c, "TERM")
        wait_until(lambda: len(outcomes(result)) == count, timeout=20, what=f"{c} to report")
    assert outcomes(result) == ["PASS", "PASS"]


def mappings_of(pid, path):
    """The /proc/PID/maps lines of the mappings of `path`."""
    return [line for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if line.endswith(" " + str(path))]


def anonymous_pages(pid, start, end):
    """Pages of [start, end) of `pid` present as anonymous pages (pagemap: present, neither a
    file page nor shared anonymous memory)."""
    pages = (end - start) // 4096
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        pagemap.seek(start // 4096 * 8)
        entries = struct.unpack(f"{pages}Q", pagemap.read(pages * 8))
    return sum(1 for e in entries if e >> 63 and not (e >> 61) & 1)


def test_written_pages_of_a_private_file_mapping_stay_shared(containers, work):
    """A parent writes half of a private mapping of a file (8 of 16 MiB: as a library's relocated
    data) and forks two children: the written pages, anonymous copies all three share
    copy-on-write, stay shared in the restored copy of a --leave-running dump (Pss_Anon as the
    original's, not three copies), the half nobody wrote stays the file's pages (Anonymous as the
    original's, no anonymous page there), the mapping shows the same in /proc/PID/maps (path,
    offset, device, inode), and all three find their bytes."""
    mapped = work / "cow_file"
    cid = start_workload(containers, work, "cow_shared", "16", mapped)
    run_ckpt("dump", cid, "-o", work / "image.ckpt", "--leave-running")
    restored = containers.track(unique("mem"))
    run_ckpt("restore", work / "image.ckpt", "--name", restored, timeout=RESTORE_TIMEOUT)
    before = {f: rollup_kib(cid, f) for f in ("Pss_Anon", "Anonymous")}
    after = {f: rollup_kib(restored, f) for f in ("Pss_Anon", "Anonymous")}
    print(f"parent + 2 children, KiB: {before} in the original, {after} in the restored copy")
    assert after["Pss_Anon"] < before["Pss_Anon"] * 1.25, "the written pages are not shared"
    assert after["Anonymous"] < before["Anonymous"] * 1.25, "pages nobody wrote became copies"
    originals, copies = container_pids(cid), container_pids(restored)
    assert len(originals) == len(copies) == 3
    expected = mappings_of(originals[0], mapped)
    assert len(expected) == 1, expected
    start, end = (int(a, 16) for a in expected[0].split()[0].split("-"))
    for pid in originals + copies:
        assert mappings_of(pid, mapped) == expected, pid
        assert anonymous_pages(pid, (start + end) // 2, end) == 0, pid
    result = work / "result"
    for count, c in enumerate((cid, restored), start=1):
        run_ckpt("kill", c, "TERM")
        wait_until(lambda: len(outcomes(result)) == count, timeout=20, what=f"{c} to report")
    assert outcomes(result) == ["PASS", "PASS"]


def present_pages_of_largest_mapping(pid):
    """Pages present in the largest mapping of `pid` (its /proc/PID/pagemap entries)."""
    largest = max((int(b, 16) - int(a, 16), int(a, 16))
                  for a, b in (line.split()[0].split("-")
                               for line in Path(f"/proc/{pid}/maps").read_text().splitlines()))
    size, start = largest
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        pagemap.seek(start // 4096 * 8)
        entries = struct.unpack(f"{size // 4096}Q", pagemap.read(size // 4096 * 8))
    return sum(1 for e in entries if e >> 63)


def test_a_leave_running_dump_maps_no_page_into_the_original(containers, work):
    """The child of cow_shared dropped 16 pages of its mapping (MADV_DONTNEED): after a
    --leave-running dump (pre-copied while it runs) they are still absent, not mapped by the
    dump's reads (on a host that never maps the zero page, each would take memory)."""
    cid = start_workload(containers, work, "cow_shared", "16")
    init = container_info(cid)["init_pid"]
    child = int(Path(f"/proc/{init}/task/{init}/children").read_text().split()[0])
    before = present_pages_of_largest_mapping(child)
    run_ckpt("dump", cid, "-o", work / "image.ckpt", "--leave-running")
    assert present_pages_of_largest_mapping(child) == before
    assert verdict(cid, work / "result") == "PASS"


# --- network namespace sysctls ---

# Per-namespace values that the kernel makes at random for each new namespace or that count
# something: not state a user set.
NOT_SETTINGS = ("ipv4/tcp_fastopen_key", "ipv4/fib_multipath_hash_seed")


def netns_sysctls(pid):
    """Every sysctl of the netns of `pid` that root may read and write: path -> value."""
    script = ("cd /proc/sys/net && find . -type f -perm -u+w -perm -u+r | "
              "while read f; do printf '%s\\t%s\\n' \"$f\" \"$(cat $f 2>/dev/null | tr '\\n\\t' '  ')\"; done")
    out = sh("nsenter", "-t", str(pid), "-n", "sh", "-c", script).stdout
    values = {}
    for line in out.splitlines():
        path, _, value = line.partition("\t")
        values[path[2:]] = value.strip()
    return values


def set_sysctls(pid, values):
    for path, value in values.items():
        sh("nsenter", "-t", str(pid), "-n", "sh", "-c", f"echo '{value}' > /proc/sys/net/{path}")


CHANGED = {
    "ipv6/conf/all/mldv1_unsolicited_report_interval": "3000",
    "ipv6/conf/default/mldv1_unsolicited_report_interval": "5000",
    "ipv6/conf/eth0/mldv1_unsolicited_report_interval": "7000",
    "ipv6/conf/lo/mldv1_unsolicited_report_interval": "9000",
    "ipv6/conf/eth0/accept_ra": "0",
    "ipv4/conf/eth0/rp_filter": "2",
    "ipv4/neigh/eth0/base_reachable_time_ms": "12500",  # also shown in seconds: 12
    "ipv4/neigh/lo/gc_stale_time": "77",
    "ipv6/neigh/eth0/retrans_time_ms": "1500",
    "ipv4/tcp_keepalive_time": "4321",
    "ipv4/ip_unprivileged_port_start": "400",
    "ipv4/ip_local_port_range": "500\t30000",  # its low end may not be below the one above
    "core/somaxconn": "777",
    "unix/max_dgram_qlen": "33",
}


def test_every_writable_net_sysctl_comes_back_exactly(containers, env, work):
    bridge = env.host_link("sb", "type", "bridge")
    ip("link", "set", bridge, "up")
    subnet = f"10.79.{secrets.randbelow(250) + 1}"
    cid = containers.track(unique("sysctl"))
    run_ckpt("run", "--name", cid, "--detach", "--net", f"bridge={bridge},ip={subnet}.2/24",
             "--", "sleep", "1000")
    pid = container_info(cid)["init_pid"]
    set_sysctls(pid, {k: v.replace("\t", " ") for k, v in CHANGED.items()})
    before = netns_sysctls(pid)
    for path, value in CHANGED.items():
        assert before[path] == value.replace("\t", " "), path
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("sysctl"))
    run_ckpt("restore", image, "--name", restored, timeout=RESTORE_TIMEOUT)
    after = netns_sysctls(container_info(restored)["init_pid"])
    differ = {p: (before[p], after.get(p)) for p in before
              if p not in NOT_SETTINGS and after.get(p) != before[p]}
    assert differ == {}
