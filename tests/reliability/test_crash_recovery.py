"""SIGKILL in the middle of `extract --save` and of a sales import: nothing half-written, a rerun completes,
nothing duplicated or lost. Each test prints its figures as one JSON line (run with -s to see them)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from minimarket.store.db import session_scope
from minimarket.store.models import Invoice, InvoiceEvent, InvoiceItem, Sale, SalesImport, StockMovement

SCRIPT = str(Path(sys.executable).with_name("minimarket"))
DOCUMENTS = 4


def _env(state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OMP_THREAD_LIMIT": "1",
        "MINIMARKET_VAR_DIR": str(state),
        "MINIMARKET_DATABASE_URL": os.environ["MINIMARKET_DATABASE_URL"],
    }


def _kill_when(process: subprocess.Popen[str], ready: object, timeout: float = 240) -> None:
    """SIGKILL ``process`` as soon as ``ready()`` is true (polled), or fail if it ends first."""
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if process.poll() is not None:
            pytest.fail(f"the process ended before it could be killed: {process.returncode}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the process never reached the point where it is killed")
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture
def invoices(tmp_path: Path) -> list[Path]:
    from minimarket.catalog import bundled_catalog
    from minimarket.synth.invoices import SampleOptions, make_document

    folder = tmp_path / "facturas"
    folder.mkdir()
    paths = []
    for index in range(DOCUMENTS):
        document = make_document(bundled_catalog(), 77, index, "pdf", options=SampleOptions(max_items=3))
        path = folder / document.name
        path.write_bytes(document.data)
        paths.append(path)
    return paths


def _stored() -> dict[str, int]:
    with session_scope() as session:
        rows = session.scalars(select(Invoice)).all()
        complete = all(
            len(row.items) == len(row.payload.get("items") or []) and any(e.kind == "created" for e in row.events)
            for row in rows
        )
        accepted_ids = {f"invoice:{row.id}" for row in rows if row.status == "accepted"}
        moved = {m.reference for m in session.scalars(select(StockMovement))}
        return {
            "stored": len(rows),
            "distinct_files": len({row.sha256 for row in rows}),
            "complete": int(complete),
            "stock_of_unaccepted": len(moved - accepted_ids),
            "orphan_items": session.scalar(
                select(func.count(InvoiceItem.id)).where(~InvoiceItem.invoice_id.in_(select(Invoice.id)))
            )
            or 0,
            "orphan_events": session.scalar(
                select(func.count(InvoiceEvent.id)).where(~InvoiceEvent.invoice_id.in_(select(Invoice.id)))
            )
            or 0,
        }


def test_sigkill_during_extract_save_then_rerun(invoices: list[Path], isolated_state: Path) -> None:
    command = [SCRIPT, "extract", "--save", "--jsonl", "--no-progress", *map(str, invoices)]
    process = subprocess.Popen(
        command, env=_env(isolated_state), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the first document is saved: kill in the middle of the batch
    _kill_when(process, lambda: bool(first))
    after_kill = _stored()
    assert after_kill["complete"] == 1 and after_kill["orphan_items"] == after_kill["orphan_events"] == 0
    assert after_kill["stock_of_unaccepted"] == 0 and 1 <= after_kill["stored"] < DOCUMENTS

    rerun = subprocess.run(command, env=_env(isolated_state), capture_output=True, text=True, timeout=600)
    records = [json.loads(line) for line in rerun.stdout.splitlines()]
    assert len(records) == DOCUMENTS and all("error" not in r["saved"] for r in records), rerun.stderr
    final = _stored()
    accepted = sum(r["status"] == "accepted" for r in records)
    duplicated = final["stored"] - final["distinct_files"]
    lost = DOCUMENTS - final["distinct_files"]
    assert (final["stored"], duplicated, lost, final["complete"]) == (DOCUMENTS, 0, 0, 1)
    assert sum(not r["saved"]["created"] for r in records) == after_kill["stored"], "the saved ones are duplicates"
    print(
        json.dumps(
            {
                "crash": "extract --save",
                "documents": DOCUMENTS,
                "stored_before_kill": after_kill["stored"],
                "accepted": accepted,
                "stored": final["stored"],
                "duplicated": duplicated,
                "lost": lost,
            }
        )
    )


@pytest.fixture
def big_sales(tmp_path: Path) -> tuple[Path, int]:
    rows = 20_000
    path = tmp_path / "ventas.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("fecha,sku,cantidad,precio\n")
        for i in range(rows):
            out.write(f"2026-{1 + i % 11:02d}-{1 + i % 28:02d},SKU-{i % 300:03d},{1 + i % 4},{100 + i % 50}.50\n")
    return path, rows


def test_sigkill_during_sales_import_then_rerun(big_sales: tuple[Path, int], isolated_state: Path) -> None:
    path, rows = big_sales
    command = [
        SCRIPT,
        "sales",
        "import",
        str(path),
        "--date-col",
        "fecha",
        "--sku-col",
        "sku",
        "--qty-col",
        "cantidad",
        "--price-col",
        "precio",
    ]
    subprocess.run([SCRIPT, "db", "upgrade"], env=_env(isolated_state), check=True, capture_output=True)
    wal = isolated_state / "minimarket.db-wal"
    start = wal.stat().st_size if wal.exists() else 0
    process = subprocess.Popen(command, env=_env(isolated_state), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # kill once the import writes the shop's tables (the WAL grows): in the middle of the transaction
    _kill_when(process, lambda: wal.exists() and wal.stat().st_size > start + 256 * 1024)
    with session_scope() as session:
        half = (
            session.scalar(select(func.count(Sale.id))),
            session.scalar(select(func.count(SalesImport.id))),
            session.scalar(select(func.count(StockMovement.id))),
        )
    assert half == (0, 0, 0), "nothing half-written"

    done = subprocess.run(command, env=_env(isolated_state), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(command, env=_env(isolated_state), capture_output=True, text=True, timeout=600)
    assert again.returncode == 1 and "ya fueron importadas" in again.stderr
    with session_scope() as session:
        stored = session.scalar(select(func.count(Sale.id)))
        units = sum((m.quantity for m in session.scalars(select(StockMovement))), Decimal(0))
    expected_units = -sum(1 + i % 4 for i in range(rows))
    assert stored == rows and units == expected_units
    print(
        json.dumps(
            {
                "crash": "sales import",
                "rows": rows,
                "stored_after_kill": half[0],
                "stored": stored,
                "duplicated": stored - rows,
                "lost": rows - stored,
            }
        )
    )
