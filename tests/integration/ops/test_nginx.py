"""ops/nginx/nginx.conf checked by the real nginx: ``nginx -t`` on the shipped file, its limits against Settings,
and nginx on loopback in front of two real ``minimarket serve`` processes sharing one database (requests are
spread over both; Server-Sent Events pass through unbuffered)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from minimarket.config import REPO_ROOT, Settings
from minimarket.service.local import LocalServer, free_port, server_env
from minimarket.store.db import session_scope, upgrade_database
from minimarket.store.notifications import publish
from tests.integration.service.conftest import TEST_SETTINGS, seed_key_ring

CONF = REPO_ROOT / "ops" / "nginx" / "nginx.conf"
UPSTREAM = "set $api_upstream http://api:3000;"


def _nginx() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if path is None:
        pytest.fail("nginx is not installed: `make test` installs it (ops/setup/system-deps.sh ops)")
    return path


def _prefix(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    """``text`` as nginx.conf in a temp prefix; the global directives that keep nginx inside it."""
    (tmp_path / "logs").mkdir(exist_ok=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf, ["-p", str(tmp_path), "-c", str(conf), "-g", f"pid {tmp_path / 'nginx.pid'};"]


def _directive(name: str, block: str) -> str:
    found = re.search(rf"^\s*{name}\s+([^;]+);", block, re.MULTILINE)
    assert found, f"{name} not found"
    return found.group(1).strip()


def _mib(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_nginx_accepts_the_shipped_config(tmp_path: Path) -> None:
    text = CONF.read_text(encoding="utf-8")
    assert UPSTREAM in text, "the test below rewrites this line to point at loopback servers"
    _conf, args = _prefix(tmp_path, text)
    checked = subprocess.run([_nginx(), "-t", *args], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


def test_limits_and_timeouts_match_the_settings() -> None:
    text = CONF.read_text(encoding="utf-8")
    settings = Settings()
    server, events, batch = (
        text[text.index("server {") :],
        text[text.index("location /api/v1/events") :],
        text[text.index("location = /api/v1/invoices/batch") :],
    )
    assert _mib(_directive("client_max_body_size", server)) == settings.max_upload_bytes
    assert _mib(_directive("client_max_body_size", batch)) == settings.max_batch_request_bytes
    assert _directive("proxy_read_timeout", server) == f"{settings.request_timeout_seconds + 60:.0f}s"
    assert _directive("proxy_buffering", events) == "off"
    assert _directive("proxy_read_timeout", events) == "1h"
    assert "$proxy_add_x_forwarded_for" in _directive("proxy_set_header X-Forwarded-For", server)
    assert _directive("resolver", text).startswith("127.0.0.11 valid=")


def _loopback_conf(text: str, backends: list[int], port: int) -> str:
    """The shipped config pointed at loopback: ``api`` becomes an upstream group of ``backends``."""
    group = "upstream minimarket_api {\n" + "".join(f"        server 127.0.0.1:{p};\n" for p in backends) + "    }\n"
    text = text.replace(UPSTREAM, "set $api_upstream http://minimarket_api;")
    text = text.replace("    server {", f"    {group}\n    server {{", 1)
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("access_log /dev/stdout upstream;", "access_log logs/access.log upstream;")
    return ("user root;\n" if os.geteuid() == 0 else "") + text


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LocalServer]]:
    """Two API servers on one SQLite database and key ring (as replicas share PostgreSQL and the state volume)."""
    state = tmp_path_factory.mktemp("replicas")
    seed_key_ring(state)
    servers = [
        LocalServer(
            env={**server_env(state, **TEST_SETTINGS), "BENTOML_HOME": str(state / f"bentoml-{name}")},
            log=state / f"server-{name}.log",
        )
        for name in ("a", "b")
    ]
    upgrade_database(servers[0].database_url)  # before both start, as `minimarket db upgrade` before a rollout
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(LocalServer.start, servers))
        yield servers
    finally:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(LocalServer.stop, servers))


def test_nginx_spreads_requests_and_streams_events_unbuffered(two_replicas: list[LocalServer], tmp_path: Path) -> None:
    first = two_replicas[0]
    port = free_port()
    text = _loopback_conf(CONF.read_text(encoding="utf-8"), [s.port for s in two_replicas], port)
    _conf, args = _prefix(tmp_path, text)
    nginx = subprocess.Popen([_nginx(), *args, "-g", "daemon off;"], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(40):
            try:
                if httpx.get(base + "/nginx-health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        manager = {"Authorization": f"Bearer {first.token(role='manager')}"}
        answers = [httpx.get(base + "/api/v1/invoices", headers=manager, timeout=30) for _ in range(8)]
        assert [a.status_code for a in answers] == [200] * 8, answers[-1].text
        log = (tmp_path / "logs" / "access.log").read_text(encoding="utf-8")
        used = set(re.findall(r"upstream=127\.0\.0\.1:(\d+)", log))
        assert used == {str(s.port) for s in two_replicas}, log

        with session_scope("default", url=first.database_url) as session:
            event_id = publish(session, "low_stock", {"sku": "YER-0001", "stock": "2"})
        sse = {**manager, "Accept": "text/event-stream"}
        with httpx.stream("GET", base + "/api/v1/events", headers=sse, timeout=20) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers.get("x-accel-buffering") == "no"
            lines = stream.iter_lines()
            seen = [next(lines) for _ in range(3)]  # the stream stays open: these lines came through unbuffered
        assert f"id: {event_id}" in seen and "event: low_stock" in seen, seen
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
