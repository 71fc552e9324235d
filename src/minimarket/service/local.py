"""Run the API as a child process on loopback and wait for it: for benchmarks, tests and ``make run``.

BentoML starts each worker in a session of its own, so stopping or killing a server means its whole process
tree (:meth:`LocalServer.stop`, :meth:`LocalServer.kill`), never a process group.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

from minimarket.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(state: Path, **settings: Any) -> dict[str, str]:
    """The environment of a server keeping its state (database, MLflow, keys, documents) under ``state``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIMARKET_")}
    env.update(
        {
            "MINIMARKET_VAR_DIR": str(state),
            "MINIMARKET_DATABASE_URL": f"sqlite:///{state / 'minimarket.db'}",
            "MINIMARKET_MLFLOW_URI": f"sqlite:///{state / 'mlflow.db'}",
            "BENTOML_HOME": str(state / "bentoml"),
            "BENTOML_DO_NOT_TRACK": "True",
            "OMP_THREAD_LIMIT": "1",
        }
    )
    env.update({f"MINIMARKET_{k.upper()}": str(v) for k, v in settings.items()})
    return env


@dataclass
class LocalServer:
    """A ``minimarket serve`` child process with its environment."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> Path:
        return Path(self.env["MINIMARKET_VAR_DIR"])

    @property
    def database_url(self) -> str:
        return self.env["MINIMARKET_DATABASE_URL"]

    @property
    def settings(self) -> Settings:
        return Settings(var_dir=self.state)

    def token(
        self,
        role: str = "client",
        shop: str = "default",
        ttl_days: float = 1.0,
        chain: str | None = None,
        **kwargs: Any,
    ) -> str:
        """A token of ``shop``, or of ``chain`` when it is given."""
        from minimarket.service.auth import KeyRing, create_token

        settings = self.settings
        return create_token(
            KeyRing.load_or_create(settings),
            role=role,
            shop=None if chain else shop,
            chain=chain,
            audience=settings.jwt_audience,
            ttl=dt.timedelta(days=ttl_days),
            **kwargs,
        )

    def start(self, timeout: float = 240.0) -> None:
        """Start the server and wait until its API answers."""
        if self.log is not None:
            self._log_file = open(self.log, "ab")  # noqa: SIM115 - open while the server runs
        self.process = subprocess.Popen(
            [sys.executable, "-m", "minimarket.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self._log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}{self._tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not answer within {timeout:g} s{self._tail()}")
            time.sleep(0.5)

    def _answers(self) -> bool:
        try:
            if httpx.get(self.url + "/readyz", timeout=2).status_code != 200:
                return False
            return httpx.get(self.url + "/api/v1/invoices", timeout=5).status_code == 401
        except httpx.HTTPError:
            return False

    def _tail(self) -> str:
        if self.log is None or not self.log.is_file():
            return ""
        return ":\n" + self.log.read_text(errors="replace")[-3000:]

    def _tree(self) -> list[psutil.Process]:
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL the server and all its workers at once (as a crash or the OOM killer would)."""
        for proc in self._tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM, then SIGKILL whatever is left after ``grace`` seconds."""
        tree = self._tree()
        if tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                tree[0].send_signal(signal.SIGTERM)
            _gone, alive = psutil.wait_procs(tree, timeout=grace)
            for proc in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.send_signal(signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
