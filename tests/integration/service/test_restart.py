"""A server SIGKILLed in the middle of a batch of 20 and restarted finishes it, storing each document once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from minimarket.client import MinimarketClient
from minimarket.store.db import session_scope
from minimarket.store.models import BatchDocument, Invoice

from .conftest import make_server


@pytest.fixture(scope="module")
def twenty_pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("twenty")
    command = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", "20", "--kind", "pdf"]
    subprocess.run(
        [*command, "--seed", "11", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    files = sorted(out.glob("*.pdf"))
    assert len(files) == 20
    return files


def _stored(url: str) -> tuple[int, int, int]:
    with session_scope(url=url, all_shops=True) as session:
        invoices = int(session.scalar(select(func.count(Invoice.id))) or 0)
        distinct = int(session.scalar(select(func.count(func.distinct(Invoice.sha256)))) or 0)
        done = int(session.scalar(select(func.count(BatchDocument.id)).where(BatchDocument.status == "done")) or 0)
    return invoices, distinct, done


def test_sigkill_mid_batch_then_restart_stores_twenty_once(
    tmp_path_factory: pytest.TempPathFactory, twenty_pdfs: list[Path]
) -> None:
    server = make_server(
        tmp_path_factory.mktemp("restart"), reader_workers="1", extract_max_batch="2", rate_limit_per_minute="100000"
    )
    server.start()
    try:
        with MinimarketClient(server.url, server.token("client")) as api:
            batch_id = api.submit_batch(twenty_pdfs)["batch_id"]
            deadline = time.monotonic() + 180
            while api.batch(batch_id)["done"] < 3:
                assert time.monotonic() < deadline, "the batch did not start"
                time.sleep(0.1)
        server.kill()
        invoices, distinct, done = _stored(server.database_url)
        assert 3 <= done < 20, "the kill came too late to test anything"
        assert invoices == distinct == done  # what was reported done is stored, and nothing else

        server.start()
        with MinimarketClient(server.url, server.token("client")) as api:
            view = api.wait_batch(batch_id, timeout=300)
        assert (view["done"], view["failed"], view["pending"]) == (20, 0, 0)
        assert all(r["saved"]["created"] for r in view["results"])
        assert len({r["invoice_id"] for r in view["results"]}) == 20
        assert _stored(server.database_url) == (20, 20, 20)
    finally:
        server.stop()
