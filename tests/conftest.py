"""Shared fixtures: every test runs on its own state folder, database and MLflow store."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from minimarket.bench.postgres import PostgresMissing, throwaway_postgres
from minimarket.config import REPO_ROOT, Settings, get_settings

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
REAL_INVOICES = SHARED_DATA / "invoices"
NOTEBOOKS = REPO_ROOT / "notebooks"


@pytest.fixture(autouse=True)
def isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point MINIMARKET_VAR_DIR, the database and MLflow at a fresh temp folder for each test."""
    from minimarket.store.db import dispose_engines

    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("MINIMARKET_VAR_DIR", str(state))
    monkeypatch.setenv("MINIMARKET_DATABASE_URL", f"sqlite:///{state / 'minimarket.db'}")
    monkeypatch.setenv("MINIMARKET_MLFLOW_URI", f"sqlite:///{state / 'mlflow.db'}")
    get_settings.cache_clear()
    dispose_engines()
    yield state
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def real_invoices() -> Path:
    """The shared development set of real invoices (skipped where ../shared is absent)."""
    if not (REAL_INVOICES / "expected.json").is_file():
        pytest.skip(f"shared development invoices not found at {REAL_INVOICES}")
    return REAL_INVOICES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server in a temp folder on loopback, for the session (run as `postgres` under root)."""
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresMissing as missing:
        pytest.fail(str(missing))


@pytest.fixture
def pg_database(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new, empty database on the session's PostgreSQL server, made the store of this test."""
    import uuid

    import psycopg

    from minimarket.config import get_settings
    from minimarket.store.db import dispose_engines

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


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real ``redis-server`` on a free loopback port, in a temp folder, without persistence, for the session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make test` (it installs it) or apt-get install redis-server")
    folder = Path(tempfile.mkdtemp(prefix="mm-redis-"))
    port = _free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)


# --- notebooks: run the way `pytest --nbmake` does, with papermill-injected small parameters ------------


def run_notebook(name: str, tmp_path: Path, timeout: int = 600, **parameters: Any) -> nbformat.NotebookNode:
    """Inject ``parameters`` after the `parameters` cell, execute with nbmake's runner (cwd = the copy's folder,
    a fresh kernel that inherits this test's MINIMARKET_* environment) and fail with the cell's error."""
    from nbmake.nb_run import NotebookRun
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(load_notebook_node(str(NOTEBOOKS / name)), parameters)
    copy = tmp_path / "nb" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, copy)
    result = NotebookRun(copy, default_timeout=timeout).execute()
    if result.error is not None:
        pytest.fail(f"{name} failed in cell {result.error.failing_cell_index}:\n{result.error.trace}")
    return result.nb


@pytest.fixture
def notebook() -> Any:
    """:func:`run_notebook`, as a fixture for the tests in this folder."""
    return run_notebook


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A LocalCluster of two worker processes on loopback (one thread each) and its client, for the session."""
    from minimarket.cluster import local_cluster

    with local_cluster(2) as client:
        yield client
