"""Batch progress notifications across replicas: PostgreSQL LISTEN/NOTIFY on a real server."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from minimarket.service.batch_signals import BatchSignals, libpq_conninfo, notify
from minimarket.store.db import session_scope

pytestmark = pytest.mark.postgres


def _commit_notification(url: str, batch_id: str) -> None:
    with session_scope(url=url, all_shops=True) as session:
        notify(session, batch_id)


def test_a_committed_notification_wakes_the_waiters_of_that_batch_only(pg_database: str) -> None:
    conninfo = libpq_conninfo(pg_database)
    assert conninfo is not None and conninfo.startswith("postgresql://")

    async def scenario() -> tuple[bool, bool]:
        signals = BatchSignals(conninfo)
        await signals.start()
        try:
            await asyncio.wait_for(signals.listening.wait(), timeout=30)
            mine = asyncio.create_task(signals.wait("batch-a", timeout=30))
            other = asyncio.create_task(signals.wait("batch-b", timeout=1))
            await asyncio.sleep(0)  # both waiting before the commit
            await anyio.to_thread.run_sync(_commit_notification, pg_database, "batch-a")
            return await mine, await other
        finally:
            await signals.stop()

    assert asyncio.run(scenario()) == (True, False)


def test_sqlite_has_no_listener() -> None:
    assert libpq_conninfo("sqlite:///x.db") is None
