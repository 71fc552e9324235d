"""Serving the dashboards with Voila: one place for the flags (``make dashboards``, ``make run``, the tests and
the benchmark all start the same server).

* 127.0.0.1 only, no browser, sources stripped from the page (``--strip_sources``);
* a cell that runs longer than ``execution_timeout`` seconds is stopped (the page shows the error);
* kernels idle for ``cull_idle`` seconds are culled (each open page holds one), checked every minute;
* with ``preheat``, each dashboard has ``pool_size`` kernels that already ran it, so a page opens at once;
  the review page and the landing page are never preheated (they must show the queue as it is now);
* ``/`` redirects to the landing page (``index.ipynb``);
* every page carries :data:`SECURITY_HEADERS` (never framed by another site, no MIME sniffing, no referrer).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minimarket.config import Settings

__all__ = ["NOT_PREHEATED", "SECURITY_HEADERS", "DashboardServer", "dashboards_dir", "running", "voila_arguments"]

NOT_PREHEATED = ("review.ipynb", "index.ipynb")
LANDING = "index.ipynb"


SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Headers of Voila's answers (Jupyter Server's ``headers`` setting). The pages run inline scripts, widgets and a
kernel websocket, so the policy restricts who frames the page, plugins, ``<base>`` and form targets, not scripts."""


def dashboards_dir(settings: Settings) -> Path:
    return settings.notebooks_dir / "dashboards"


@dataclass(frozen=True)
class DashboardServer:
    """How the dashboards are served."""

    port: int = 8866
    host: str = "127.0.0.1"
    preheat: bool = False
    pool_size: int = 1
    execution_timeout: int = 120
    cull_idle: int = 900
    cull_interval: int = 60


def voila_arguments(settings: Settings, server: DashboardServer) -> list[str]:
    """The ``voila`` command line (without the program name) for the dashboards folder."""
    arguments = [
        str(dashboards_dir(settings)),
        f"--port={server.port}",
        f"--Voila.ip={server.host}",
        "--no-browser",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--VoilaExecutor.timeout={server.execution_timeout}",
        f"--MappingKernelManager.cull_idle_timeout={server.cull_idle}",
        f"--MappingKernelManager.cull_interval={server.cull_interval}",
        "--MappingKernelManager.cull_connected=False",
    ]
    if server.preheat:
        arguments += [
            "--preheat_kernel=True",
            f"--pool_size={server.pool_size}",
            "--VoilaKernelManager.preheat_denylist=" + _list(NOT_PREHEATED),
        ]
    return arguments


def _list(values: tuple[str, ...]) -> str:
    return "[" + ",".join(f"'{v}'" for v in values) + "]"


def serve(settings: Settings, server: DashboardServer) -> None:
    """Run Voila in this process until it is stopped (Ctrl-C)."""
    _landing_app().launch_instance(argv=voila_arguments(settings, server))


def _landing_app() -> Any:
    """Voila with ``/`` redirecting to the landing notebook instead of the file tree."""
    from tornado.web import RedirectHandler
    from voila.app import Voila

    class DashboardsApp(Voila):
        def initialize(self, argv: Any = None) -> None:
            super().initialize(argv)
            configured: dict[str, Any] = dict(getattr(self, "tornado_settings", {}))
            configured["headers"] = {**SECURITY_HEADERS, **configured.get("headers", {})}
            self.tornado_settings = configured

        def init_handlers(self) -> list[Any]:
            handlers: list[Any] = super().init_handlers()
            target = self.server_url.rstrip("/") + "/voila/render/" + LANDING
            return [(self.server_url.rstrip("/") + "/?", RedirectHandler, {"url": target}), *handlers]

    return DashboardsApp


@contextmanager
def running(
    server: DashboardServer,
    env: Mapping[str, str] | None = None,
    *,
    log: Path | None = None,
    startup_timeout: float = 120.0,
) -> Iterator[str]:
    """``minimarket dashboards serve`` in a child process (its settings from ``env``, its log to ``log``); yields
    the base URL once it answers, and stops it (SIGTERM, then SIGKILL) on the way out. For tests and benchmarks."""
    command = [sys.executable, "-m", "minimarket.cli", "dashboards", "serve", f"--port={server.port}"]
    command += ["--preheat" if server.preheat else "--no-preheat", f"--execution-timeout={server.execution_timeout}"]
    sink = log.open("ab") if log is not None else subprocess.DEVNULL
    child = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=sink, stderr=sink)
    base = f"http://{server.host}:{server.port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/voila/static/voila.js", timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # it answers: up
            except OSError:
                if child.poll() is not None:
                    raise RuntimeError(f"the dashboards server exited with code {child.returncode}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the dashboards server did not answer within {startup_timeout:.0f} s") from None
                time.sleep(0.5)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if log is not None and not isinstance(sink, int):
            sink.close()
