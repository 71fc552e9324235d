"""A real ``minimarket serve`` on loopback: one server shared by the API tests of a session, its own state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimarket.config import REPO_ROOT, Settings
from minimarket.service.auth import KeyRing, SigningKey
from minimarket.service.local import LocalServer, server_env
from minimarket.store.db import session_scope

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
    "decode_memory_mb": 256,  # the hostile corpus's budget (tests/security/test_hostile_files.py)
}

RETIRED_DAYS_AGO = 40
"""The session server's key ring keeps a key rotated out this many days ago: past the 30-day grace."""


def seed_key_ring(state: Path) -> SigningKey:
    """A key ring as it is long after a rotation: a current key and the previous one, retired
    :data:`RETIRED_DAYS_AGO` days ago (its tokens must be refused); returns the retired key."""
    settings = Settings(var_dir=state)
    ring = KeyRing.load_or_create(settings)
    old = ring.current
    ring.rotate()
    retired_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=RETIRED_DAYS_AGO)
    ring.keys[1] = SigningKey(old.kid, old.secret, retired_at - dt.timedelta(days=90), retired_at)
    ring.save()
    return ring.keys[1]


def create_shop(server: LocalServer, code: str) -> str:
    """Create shop ``code`` in the server's database (as ``minimarket shop create`` does; the API never does)."""
    with session_scope(code, url=server.database_url):
        pass
    return code


def make_server(state: Path, **settings: str) -> LocalServer:
    """A server on ``state`` with the tests' settings (and ``settings`` on top)."""
    return LocalServer(env=server_env(state, **{**TEST_SETTINGS, **settings}), log=state / "server.log")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One real API server for the session's API tests (SQLite file, MLflow without champions)."""
    state = tmp_path_factory.mktemp("api-server")
    seed_key_ring(state)
    server = make_server(state)
    server.start()
    try:
        yield server
    finally:
        server.stop()
