"""``minimarket extract --dask``: the command line on a real Dask scheduler (the session's LocalCluster, reached by
its address), a real database and the shared real invoices: the same output as the local path, ``--save``
idempotent and resumable after the command is killed, and a clear error when the scheduler is not there."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.store.db import session_scope
from minimarket.store.models import Invoice

runner = CliRunner()


def _records(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def folder(real_invoices: Path, tmp_path: Path) -> Path:
    out = tmp_path / "facturas"
    out.mkdir()
    for path in sorted(real_invoices.glob("*.pdf")):
        shutil.copy(path, out / path.name)
    return out


def _stored() -> int:
    with session_scope(None, read_only=True) as session:
        return int(session.scalar(select(func.count()).select_from(Invoice)) or 0)


def test_dask_prints_what_the_local_path_prints(folder: Path, dask_client: Any) -> None:
    base = ["extract", str(folder), "--jsonl", "--rules-only", "--no-progress"]
    local = runner.invoke(app, [*base, "--workers", "2"])
    on_dask = runner.invoke(app, [*base, "--dask", "--dask-scheduler", dask_client.scheduler.address])
    assert local.exit_code == on_dask.exit_code == 0, on_dask.output
    assert on_dask.stdout == local.stdout
    assert len(_records(on_dask.stdout)) == len(list(folder.glob("*.pdf")))


def test_save_resumes_after_a_kill_and_stores_each_invoice_once(folder: Path, dask_client: Any) -> None:
    total = len(list(folder.glob("*.pdf")))
    address = dask_client.scheduler.address
    args = ["extract", str(folder), "--jsonl", "--rules-only", "--no-progress", "--save", "--dask"]
    command = [sys.executable, "-m", "minimarket.cli", *args, "--dask-scheduler", address]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ)
    assert process.stdout is not None
    first = [json.loads(process.stdout.readline()) for _ in range(2)]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert all(r["saved"]["created"] for r in first)
    partial = _stored()
    assert 2 <= partial < total

    resumed = runner.invoke(app, [*args, "--dask-scheduler", address])
    assert resumed.exit_code == 0, resumed.output
    saved = [r["saved"] for r in _records(resumed.stdout)]
    assert sum(s["created"] for s in saved) == total - partial
    assert sum(s["duplicate_of"] == "sha256" for s in saved) == partial
    assert f"guardados {total - partial}, duplicados {partial}" in resumed.stderr

    again = runner.invoke(app, [*args, "--dask-scheduler", address])
    assert again.exit_code == 0, again.output
    assert [r["saved"]["created"] for r in _records(again.stdout)] == [False] * total
    assert f"guardados 0, duplicados {total}" in again.stderr
    assert _stored() == total


def test_an_unreachable_scheduler_is_a_clear_error(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MINIMARKET_DASK_CONNECT_TIMEOUT_SECONDS", "1")
    result = runner.invoke(app, ["extract", str(folder), "--dask", "--dask-scheduler", f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert f"no se pudo conectar al planificador de Dask en tcp://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_dask_scheduler_needs_dask(folder: Path) -> None:
    result = runner.invoke(app, ["extract", str(folder), "--dask-scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "--dask-scheduler va con --dask" in result.stderr


def test_a_malformed_scheduler_address_is_a_clear_error(folder: Path) -> None:
    result = runner.invoke(app, ["extract", str(folder), "--dask", "--dask-scheduler", "nonsense://x"])
    assert result.exit_code == 2
    assert "'nonsense://x' no es una dirección de planificador de Dask; use tcp://servidor:8786" in result.stderr
    assert "Traceback" not in result.output
