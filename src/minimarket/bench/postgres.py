"""A throw-away PostgreSQL cluster (Debian's ``postgresql`` package) in a temp folder on a loopback port, for
the tests and the benchmarks that measure or check the product on PostgreSQL."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries are not installed."""


def postgres_bindir() -> Path:
    """The folder of ``initdb`` and ``postgres`` (the newest Debian cluster version, else the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise PostgresMissing(
            "PostgreSQL is not installed: run `make test` (it installs it) or apt-get install postgresql"
        )
    return Path(initdb).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres(*, max_connections: int = 100, ready_seconds: float = 60) -> Iterator[str]:
    """Start a cluster (as ``postgres`` when run as root, fsync off), yield its SQLAlchemy URL, then remove it."""
    bindir = postgres_bindir()
    folder = Path(tempfile.mkdtemp(prefix="mm-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    initdb = [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "minimarket", "-A", "trust", "-E", "UTF8"]
    subprocess.run(initdb, check=True, capture_output=True)
    server = subprocess.Popen(
        [*as_user, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", f"max_connections={max_connections}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        import psycopg

        deadline = time.monotonic() + ready_seconds
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={port} user=minimarket dbname=postgres").close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield f"postgresql+psycopg://minimarket@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)
