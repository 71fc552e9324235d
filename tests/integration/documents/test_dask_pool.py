"""Reading on a Dask LocalCluster (two worker processes, loopback): the same records as the local process pool,
in the same order, and a worker that dies while reading is replaced: the document is read again once, and a
second death gives that document an ``internal_error`` record while the others are read."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from minimarket.catalog import bundled_catalog
from minimarket.config import get_settings
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.synth.invoices.dataset import make_document


def _records(results: Any) -> list[dict[str, Any]]:
    return [result.to_json_dict() for result in results]


def test_dask_gives_the_same_records_as_the_local_pool(real_invoices: Path, dask_client: Any, tmp_path: Path) -> None:
    bad = tmp_path / "cortado.pdf"
    data = (real_invoices / "factura1360.pdf").read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    files = [*sorted(real_invoices.glob("*.pdf")), bad, tmp_path / "no_existe.pdf"]
    reader = InvoiceReader(get_settings())

    local = _records(reader.extract_many(files, workers=2))
    on_dask = _records(reader.extract_many(files, client=dask_client))

    assert on_dask == local
    assert [r["source_file"] for r in on_dask] == [str(f) for f in files]
    assert {r["status"] for r in on_dask[:-2]} <= {"accepted", "needs_review"}
    assert on_dask[-1]["error"]["code"] == "not_found"


def _scan(tmp_path: Path) -> Path:
    """A synthetic 300 dpi scan: OCR keeps a worker busy long enough to be killed while reading it."""
    document = make_document(bundled_catalog(), 23, 1, "scan", dpi=300)
    path = tmp_path / document.name
    path.write_bytes(document.data)
    return path


def _kill_reader_of(client: Any, key_part: str, times: int, done: threading.Event) -> list[int]:
    """SIGKILL the worker process running the task whose key ends with ``key_part``, ``times`` times (each time
    the task is running again); the killed process ids."""
    killed: list[int] = []
    deadline = time.monotonic() + 120
    while len(killed) < times and time.monotonic() < deadline and not done.is_set():
        running = [addr for addr, keys in client.processing().items() if any(str(k).endswith(key_part) for k in keys)]
        if running:
            try:  # the scheduler may still list a worker that was just killed
                pids = client.run(os.getpid, workers=running[:1], on_error="return")
            except (OSError, TimeoutError, KeyError):
                pids = {}
            pid = next(iter(pids.values()), None)
            if isinstance(pid, int) and pid not in killed:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.05)
    return killed


@pytest.mark.parametrize("deaths", [1, 2])
def test_a_worker_that_dies_is_replaced_and_the_document_read_again_once(
    real_invoices: Path, dask_client: Any, tmp_path: Path, deaths: int
) -> None:
    dask_client.wait_for_workers(2, timeout=180)  # a worker killed by the previous case may still be starting
    scan = _scan(tmp_path)
    other = real_invoices / "factura128.pdf"
    reader = InvoiceReader(get_settings())
    results: list[dict[str, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            results.extend(_records(reader.extract_many([scan, other], client=dask_client)))
        finally:
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    killed = _kill_reader_of(dask_client, "-0", deaths, done)
    thread.join(timeout=300)

    assert len(killed) == deaths
    assert [r["source_file"] for r in results] == [str(scan), str(other)]
    assert results[1]["status"] in {"accepted", "needs_review"}  # the other document is read either way
    if deaths == 1:  # read again on a live worker: the same record as reading it here
        assert results[0] == reader.extract(scan).to_json_dict()
    else:
        assert results[0]["status"] == "rejected"
        assert results[0]["error"]["code"] == "internal_error"
        assert "dos veces" in results[0]["error"]["message"]
    dask_client.wait_for_workers(2, timeout=180)  # the nannies bring the killed workers back
