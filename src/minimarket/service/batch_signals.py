"""Batch progress across API replicas: PostgreSQL ``LISTEN``/``NOTIFY``.

The replica that stores a document's result notifies channel :data:`CHANNEL` with the batch id in the same
transaction (:func:`notify`, delivered on commit). Every replica listens on one connection
(:class:`BatchSignals`) and wakes the SSE streams of that batch at once, so a client on replica B follows a
batch read by replica A without waiting for its next poll. The poll stays as the fallback (a lost connection,
SQLite): correctness never depends on a notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "minimarket_batches"


def notify(session: Any, batch_id: str) -> None:
    """Tell every replica, when this transaction commits, that batch ``batch_id`` moved (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :batch)"), {"channel": CHANNEL, "batch": batch_id})


def libpq_conninfo(sqlalchemy_url: str) -> str | None:
    """The psycopg connection string of a PostgreSQL SQLAlchemy URL; None for another database."""
    url = make_url(sqlalchemy_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class BatchSignals:
    """One ``LISTEN`` connection per process; :meth:`wait` returns when the batch moved or after ``timeout``."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._events: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="batch-signals")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait(self, batch_id: str, timeout: float) -> bool:
        """Whether a notification of ``batch_id`` came within ``timeout`` seconds."""
        event = asyncio.Event()
        self._events.setdefault(batch_id, set()).add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
            return event.is_set()
        finally:
            waiting = self._events.get(batch_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    self._events.pop(batch_id, None)

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    async for note in connection.notifies():
                        for event in self._events.get(note.payload, ()):
                            event.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                log.warning("batch notifications unavailable (%s); SSE streams poll meanwhile", exc)
                await asyncio.sleep(5.0)
