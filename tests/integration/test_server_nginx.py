"""nginx (Debian's nginx-light) as a container's init on a test bridge: a master and two workers
serving a static file at the container's address. After dump, removal and restore the same
processes answer with the same file. Skipped, naming what is missing, while a dump refuses a kind
of file or memory nginx holds (epoll, shared anonymous memory, unix socketpairs, ...)."""
import shutil
import subprocess

import pytest

from conftest import CKPT, container_info, run_ckpt, unique, wait_until
from netns_helpers import env  # noqa: F401
from test_net_e2e import bridge_with_client, host_veth_name, subnet

pytestmark = [
    pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built"),
    pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (tools/setup)"),
]

CONFIG = """
user root;
worker_processes 2;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log stderr;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 8080;
        root {dir}/www;
    }}
}}
"""


def fetch(client_ns, url):
    code = (f"import urllib.request; "
            f"print(urllib.request.urlopen('{url}', timeout=3).read().decode(), end='')")
    out = subprocess.run(["ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c", code],
                         capture_output=True, text=True, timeout=30)
    return out.stdout if out.returncode == 0 else None


def nginx_processes(cid):
    init = container_info(cid)["init_pid"]
    children = open(f"/proc/{init}/task/{init}/children").read().split()
    return [int(p) for p in children]


def test_nginx_master_and_workers_answer_after_restore(containers, env, tmp_path):
    (tmp_path / "www").mkdir()
    page = f"served by ckpt test {unique('page')}\n"
    (tmp_path / "www" / "index.html").write_text(page)
    (tmp_path / "nginx.conf").write_text(CONFIG.format(dir=tmp_path))
    net = subnet()
    bridge, client_ns = bridge_with_client(env, "n", net)
    cid = containers.track(unique("nginx"))
    env.expect_host_link(host_veth_name(cid, 0))
    run_ckpt("run", "--name", cid, "--detach", "--net",
             f"bridge={bridge},ip={net}.2/24,gw={net}.1", "--",
             shutil.which("nginx"), "-c", str(tmp_path / "nginx.conf"))
    url = f"http://{net}.2:8080/index.html"
    wait_until(lambda: fetch(client_ns, url) == page, timeout=20, what="nginx to serve the page")
    workers = nginx_processes(cid)
    assert len(workers) == 2, workers

    image = tmp_path / "nginx.ckpt"
    proc = run_ckpt("dump", cid, "-o", image, check=False)
    assert proc.returncode == 0, proc.stderr
    assert container_info(cid) is None

    run_ckpt("restore", image)
    assert len(nginx_processes(cid)) == 2, "the master and both workers are back"
    for _ in range(6):  # several requests: the workers take turns
        assert fetch(client_ns, url) == page
