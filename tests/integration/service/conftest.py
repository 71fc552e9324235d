"""A real ``minimarket serve`` on loopback: one server shared by the API tests of a session, its own state."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from minimarket.config import REPO_ROOT, Settings

SAMPLES = REPO_ROOT / "data" / "samples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A ``minimarket serve`` process, its state folder and environment."""

    state: Path
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _logs: list[object] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return Settings(var_dir=self.state)

    @property
    def database_url(self) -> str:
        return self.env["MINIMARKET_DATABASE_URL"]

    def token(self, role: str = "client", shop: str = "default", ttl_days: float = 1.0, **kwargs: object) -> str:
        from minimarket.service.auth import KeyRing, create_token

        ring = KeyRing.load_or_create(self.settings)
        return create_token(
            ring, role=role, shop=shop, audience="minimarket-api", ttl=dt.timedelta(days=ttl_days), **kwargs
        )  # type: ignore[arg-type]

    def start(self, timeout: float = 180.0) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 - kept open while the server runs
        self._logs.append(log)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "minimarket.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    probe = httpx.get(self.url + "/api/v1/invoices", timeout=5)
                    if probe.status_code == 401:
                        return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server was not ready in {timeout:g} s:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)

    def _tree(self) -> list[psutil.Process]:
        """The server and its workers (BentoML starts each worker in a session of its own)."""
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL the server and every process it started, at once (as a crash or the OOM killer would)."""
        for proc in self._tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self) -> None:
        tree = self._tree()
        if tree:
            tree[0].send_signal(signal.SIGTERM)
            _gone, alive = psutil.wait_procs(tree, timeout=8)
            for proc in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)
        for log in self._logs:
            log.close()  # type: ignore[attr-defined]
        self._logs.clear()


def make_server(state: Path, **settings: str) -> LiveServer:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIMARKET_")}
    env.update(
        {
            "MINIMARKET_VAR_DIR": str(state),
            "MINIMARKET_DATABASE_URL": f"sqlite:///{state / 'minimarket.db'}",
            "MINIMARKET_MLFLOW_URI": f"sqlite:///{state / 'mlflow.db'}",
            "MINIMARKET_READER_WORKERS": "1",
            "MINIMARKET_EVENTS_POLL_SECONDS": "0.2",
            "MINIMARKET_CHAMPION_POLL_SECONDS": "2",
            "MINIMARKET_CALLBACK_ALLOW_HOSTS": '["127.0.0.1"]',
            "MINIMARKET_CALLBACK_BACKOFF_SECONDS": "0.2",
            "MINIMARKET_RATE_LIMIT_PER_MINUTE": "60",
            "MINIMARKET_RATE_LIMIT_PER_MINUTE_IP": "100000",
            "BENTOML_HOME": str(state / "bentoml"),
            "BENTOML_DO_NOT_TRACK": "True",
            "OMP_THREAD_LIMIT": "1",
        }
    )
    env.update({f"MINIMARKET_{k.upper()}": v for k, v in settings.items()})
    return LiveServer(state=state, port=free_port(), env=env, log=state / "server.log")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real API server for the session's API tests (SQLite file, MLflow without champions)."""
    server = make_server(tmp_path_factory.mktemp("api-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
