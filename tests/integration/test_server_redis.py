"""redis-server (Debian's) in a container on a test bridge, with one million keys (DEBUG
POPULATE): after dump, removal and restore, DBSIZE and a sample of values match and writes are
accepted; with --tcp-established, a client connected before the dump (python3 speaking RESP from
a test netns) keeps using the same connection afterwards. Skipped, naming what is missing, while
a dump refuses a kind of file redis holds (epoll, ...)."""
import random
import shutil
import subprocess

import pytest

from conftest import CKPT, container_info, run_ckpt, unique, wait_until
from netns_helpers import env  # noqa: F401
from tcp_client import LineClient
from test_net_e2e import bridge_with_client, host_veth_name, subnet

pytestmark = [
    pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built"),
    pytest.mark.skipif(not shutil.which("redis-server") or not shutil.which("redis-cli"),
                       reason="redis-server and redis-tools are not installed (tools/setup)"),
]

KEYS = 1_000_000

# One RESP connection: each input line is a command (words), each output line its reply:
# "+OK", ":1000000", "$value:7" (bulk), "$nil", "-ERR ...", or "error E" for a socket error.
RESP_CLIENT = (
    "import socket, sys\n"
    "c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)\n"
    "f = c.makefile('rb')\n"
    "print('connected %s:%d' % c.getsockname(), flush=True)\n"
    "for line in sys.stdin:\n"
    "    words = line.split()\n"
    "    req = b'*%d\\r\\n' % len(words) + b''.join(\n"
    "        b'$%d\\r\\n%s\\r\\n' % (len(w), w.encode()) for w in words)\n"
    "    try:\n"
    "        c.sendall(req)\n"
    "        r = f.readline().decode().rstrip('\\r\\n')\n"
    "        if r.startswith('$') and r != '$-1':\n"
    "            r = '$' + f.read(int(r[1:]) + 2).decode().rstrip('\\r\\n')\n"
    "        print(r if r != '$-1' else '$nil', flush=True)\n"
    "    except OSError as e:\n"
    "        print('error ' + type(e).__name__, flush=True)\n")


def redis_cli(client_ns, address, *args, timeout=120):
    out = subprocess.run(["ip", "netns", "exec", client_ns, "redis-cli", "-h", address, *args],
                         capture_output=True, text=True, timeout=timeout)
    return out.stdout.strip()


def redis_container(containers, env, tmp_path):
    net = subnet()
    bridge, client_ns = bridge_with_client(env, "r", net)
    cid = containers.track(unique("redis"))
    env.expect_host_link(host_veth_name(cid, 0))
    run_ckpt("run", "--name", cid, "--detach", "--memory", "1G", "--net",
             f"bridge={bridge},ip={net}.2/24,gw={net}.1", "--",
             "redis-server", "--port", "6379", "--bind", "0.0.0.0", "--protected-mode", "no",
             "--save", "", "--appendonly", "no", "--enable-debug-command", "yes",
             "--dir", str(tmp_path))
    address = f"{net}.2"
    wait_until(lambda: redis_cli(client_ns, address, "PING") == "PONG", timeout=20,
               what="redis to answer")
    assert redis_cli(client_ns, address, "DEBUG", "POPULATE", str(KEYS)) == "OK"
    return cid, client_ns, address


def dump(cid, image, *flags):
    proc = run_ckpt("dump", cid, "-o", image, *flags, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr


def sample_keys():
    rng = random.Random(6)
    return [rng.randrange(KEYS) for _ in range(20)] + [0, KEYS - 1]


def test_redis_keys_survive_dump_removal_and_restore(containers, env, tmp_path):
    cid, client_ns, address = redis_container(containers, env, tmp_path)
    image = tmp_path / "redis.ckpt"
    dump(cid, image)
    assert container_info(cid) is None

    run_ckpt("restore", image, timeout=300)
    wait_until(lambda: redis_cli(client_ns, address, "PING") == "PONG", what="redis after restore")
    assert redis_cli(client_ns, address, "DBSIZE") == str(KEYS)
    for key in sample_keys():
        assert redis_cli(client_ns, address, "GET", f"key:{key}") == f"value:{key}"
    assert redis_cli(client_ns, address, "SET", "written-after", "yes") == "OK"
    assert redis_cli(client_ns, address, "GET", "written-after") == "yes"
    assert redis_cli(client_ns, address, "DBSIZE") == str(KEYS + 1)


def test_redis_client_keeps_its_connection_with_tcp_established(containers, env, tmp_path):
    cid, client_ns, address = redis_container(containers, env, tmp_path)
    client = LineClient(env, client_ns, "/usr/bin/python3", "-c", RESP_CLIENT, address, "6379")
    assert client.ask("SET before dump") == "+OK"
    image = tmp_path / "redis.ckpt"
    dump(cid, image, "--tcp-established")
    assert container_info(cid) is None

    run_ckpt("restore", image, timeout=300)
    assert client.ask("GET before") == "$dump", "the same connection answers"
    assert client.ask("DBSIZE") == f":{KEYS + 1}"
    assert client.ask("GET key:4242") == "$value:4242"
    assert client.ask("SET after restore") == "+OK"
    assert redis_cli(client_ns, address, "GET", "after") == "restore"
