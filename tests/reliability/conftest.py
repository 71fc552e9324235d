"""Fixtures for the reliability tests: a fresh PostgreSQL database per test, and how to run work in parallel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from minimarket.config import get_settings
from minimarket.store.db import dispose_engines


@pytest.fixture
def pg_database(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new, empty database on the session's PostgreSQL server, made the store of this test."""
    import psycopg

    name = f"mm_{uuid.uuid4().hex[:12]}"
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("MINIMARKET_DATABASE_URL", url)
    get_settings.cache_clear()
    dispose_engines()
    yield url
    dispose_engines()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
