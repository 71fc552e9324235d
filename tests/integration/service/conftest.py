"""A real ``minimarket serve`` on loopback: one server shared by the API tests of a session, its own state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minimarket.config import REPO_ROOT
from minimarket.service.local import LocalServer, server_env

SAMPLES = REPO_ROOT / "data" / "samples"
LiveServer = LocalServer

TEST_SETTINGS = {
    "reader_workers": 1,
    "events_poll_seconds": 0.2,
    "champion_poll_seconds": 2,
    "callback_allow_hosts": '["127.0.0.1"]',
    "callback_backoff_seconds": 0.2,
    "rate_limit_per_minute": 60,
    "rate_limit_per_minute_ip": 100000,
}


def make_server(state: Path, **settings: str) -> LocalServer:
    """A server on ``state`` with the tests' settings (and ``settings`` on top)."""
    return LocalServer(env=server_env(state, **{**TEST_SETTINGS, **settings}), log=state / "server.log")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One real API server for the session's API tests (SQLite file, MLflow without champions)."""
    server = make_server(tmp_path_factory.mktemp("api-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
