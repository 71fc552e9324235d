"""Two real ``minimarket serve`` replicas on one PostgreSQL database and one Redis (issue 23).

A rate limit of N a minute holds across A and B together; a key rotated with the CLI is accepted by both; a
batch accepted by replica A is visible on B and, after A is SIGKILLed in the middle of it, B finishes it with
each document stored once, while an SSE client on B follows it. (One test: starting two servers is the cost.)
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from minimarket.client import MinimarketClient
from minimarket.service.local import LocalServer, server_env
from minimarket.store.db import session_scope
from minimarket.store.models import BatchDocument, Invoice

from .conftest import TEST_SETTINGS, seed_key_ring

pytestmark = pytest.mark.postgres

RATE = 12
"""Requests a minute per token, across both replicas."""

DOCUMENTS = 10


def _replica(state: Path, name: str, database: str, redis: str) -> LocalServer:
    """A replica keeping the shared state (keys, documents) under ``state``, its own BentoML home and log."""
    env = server_env(
        state,
        **{
            **TEST_SETTINGS,
            "reader_workers": 1,
            "extract_max_batch": 2,
            "rate_limit_per_minute": RATE,
            "rate_limit_storage": redis,
            "batch_lease_seconds": 4,
            "db_pool_size": 3,
        },
    )
    env["MINIMARKET_DATABASE_URL"] = database
    env["BENTOML_HOME"] = str(state / f"bentoml-{name}")
    return LocalServer(env=env, log=state / f"server-{name}.log")


def _counts(url: str, batch_id: str) -> tuple[int, int, int]:
    """Invoices stored, distinct invoice files stored, and documents of the batch done: one statement, so one
    snapshot while replica B keeps committing."""
    invoices = select(func.count(Invoice.id)).scalar_subquery()
    distinct = select(func.count(func.distinct(Invoice.sha256))).scalar_subquery()
    done = (
        select(func.count(BatchDocument.id))
        .where(BatchDocument.batch_id == batch_id, BatchDocument.status == "done")
        .scalar_subquery()
    )
    with session_scope(url=url, all_shops=True) as session:
        row = session.execute(select(invoices, distinct, done)).one()
    return int(row[0]), int(row[1]), int(row[2])


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("replica-pdfs")
    command = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(DOCUMENTS), "--kind", "pdf"]
    subprocess.run([*command, "--seed", "23", "--out", str(out)], check=True, capture_output=True)
    files = sorted(out.glob("*.pdf"))
    assert len(files) == DOCUMENTS
    return files


def test_two_replicas_share_batches_events_limits_and_keys(
    tmp_path_factory: pytest.TempPathFactory, pg_database: str, redis_url: str, pdfs: list[Path]
) -> None:
    state = tmp_path_factory.mktemp("replicas")
    seed_key_ring(state)
    a = _replica(state, "a", pg_database, redis_url)
    b = _replica(state, "b", pg_database, redis_url)
    with ThreadPoolExecutor(2) as pool:  # start together: the migration lock lets one migrate
        for started in [pool.submit(a.start), pool.submit(b.start)]:
            started.result()
    try:
        fresh = a.token("manager")  # a token of its own: its own window
        answers = [
            httpx.get(server.url + "/api/v1/invoices", headers={"Authorization": f"Bearer {fresh}"}, timeout=30)
            for server in [a, b] * RATE
        ]
        codes = [r.status_code for r in answers]
        assert codes.count(200) == RATE and codes.count(429) == RATE, codes

        rotated = subprocess.run(
            [sys.executable, "-m", "minimarket.cli", "keys", "rotate"],
            env=a.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rotated.returncode == 0, rotated.stderr
        new_token = a.token("manager", subject=f"after-rotation-{uuid.uuid4().hex[:6]}")
        for server in (a, b):
            answer = httpx.get(
                server.url + "/api/v1/invoices", headers={"Authorization": f"Bearer {new_token}"}, timeout=30
            )
            assert answer.status_code == 200, (server.url, answer.text)

        token = a.token("client")
        with MinimarketClient(a.url, token) as on_a, MinimarketClient(b.url, token) as on_b:
            batch_id = on_a.submit_batch(pdfs)["batch_id"]
            assert on_b.batch(batch_id)["batch_id"] == batch_id  # accepted by A, visible on B

            deadline = time.monotonic() + 180
            while _counts(pg_database, batch_id)[2] < 2:
                assert time.monotonic() < deadline, "the batch did not start"
                time.sleep(0.1)
            a.kill()
            invoices, distinct, done = _counts(pg_database, batch_id)
            assert done < DOCUMENTS, "the kill came too late to test anything"
            assert invoices == distinct == done

            kinds = []
            for event in on_b.batch_events(batch_id):  # B's SSE follows the batch to its end
                kinds.append(event.event)
                if event.event == "finished":
                    assert (event.data["done"], event.data["failed"]) == (DOCUMENTS, 0)
                    break
            assert kinds[-1] == "finished"
            view = on_b.batch(batch_id)
        assert (view["done"], view["failed"], view["pending"]) == (DOCUMENTS, 0, 0)
        assert len({r["invoice_id"] for r in view["results"]}) == DOCUMENTS
        assert _counts(pg_database, batch_id) == (DOCUMENTS, DOCUMENTS, DOCUMENTS)
    finally:
        a.stop()
        b.stop()
