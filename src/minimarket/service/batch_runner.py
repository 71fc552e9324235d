"""The background worker of batch jobs: reads pending documents through the reader service, stores each
result in one transaction, finishes batches, and delivers their callbacks with retries and backoff.

It runs in the API front of every replica. Each document it reads is leased to it (``claimed_by``,
``lease_until``) and the lease is renewed while it works; on PostgreSQL several replicas share the work and a
replica that dies leaves leases that lapse, after which another replica takes its documents over. On SQLite
(one replica) a start puts every document left running back to pending at once. Unfinished batches get
their budget again at each start.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from minimarket.config import Settings
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.service import callbacks
from minimarket.service import metrics as m
from minimarket.service.batch_signals import notify
from minimarket.service.uploads import DocumentStore
from minimarket.store import batches as repo
from minimarket.store.db import session_scope
from minimarket.store.models import utcnow
from minimarket.store.notifications import publish

log = logging.getLogger(__name__)

ReadFn = Callable[[str, str], Awaitable[dict[str, Any]]]
"""``read(path, name)`` -> ``{"invoice": record, "seconds": float}`` (the reader service)."""


class ReaderBusy(Exception):
    """The reader service cannot take the document now (it is retried)."""


def _failed_record(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def save_result(session: Any, record: dict[str, Any], *, save: bool, author: str) -> tuple[dict[str, Any], int | None]:
    """Store a read document (when asked and readable) and raise its notification; the saved outcome."""
    from minimarket.store.invoices import InvoiceNotStorable, save_extracted

    if not save or record.get("status") == "rejected":
        return {}, None
    extracted = ExtractedInvoice.model_validate(record)
    try:
        outcome = save_extracted(session, extracted, author=author)
    except InvoiceNotStorable as exc:
        return {"saved": {"error": str(exc)}}, None
    if outcome.created and record.get("status") == "needs_review":
        failed = [c["name"] for c in record.get("checks") or [] if not c.get("ok")]
        publish(
            session,
            "invoice_needs_review",
            {
                "invoice_id": outcome.invoice_id,
                "issuer_name": record.get("issuer_name"),
                "total": record.get("total"),
                "failed_checks": failed,
                "message": f"La factura {outcome.invoice_id} necesita revisión "
                f"({', '.join(failed) or 'ver controles'}).",
            },
            dedupe_key=f"review:{outcome.invoice_id}",
        )
    return {"saved": outcome.as_dict()}, outcome.invoice_id


class BatchRunner:
    """Works through pending batch documents, ``concurrency`` at a time."""

    def __init__(
        self,
        settings: Settings,
        read: ReadFn,
        documents: DocumentStore,
        concurrency: int,
        reader_ready: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.settings = settings
        self.read = read
        self.reader_ready = reader_ready
        self._ready = reader_ready is None
        self.documents = documents
        self.concurrency = max(1, concurrency)
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._delivering: set[str] = set()
        self._commit_lock = threading.Lock()
        self._callback_tasks: set[asyncio.Task[None]] = set()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """This replica's name on the documents it claims."""
        self._renewed_at = time.monotonic()

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        pending = await anyio.to_thread.run_sync(self._resume)
        if pending:
            log.info("resuming %d pending batch document(s)", pending)
        self._task = asyncio.create_task(self._loop(), name="batch-runner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._inflight.values()):
            task.cancel()

    def wake(self) -> None:
        self._wake.set()

    def _resume(self) -> int:
        with session_scope(all_shops=True) as session:
            single = session.get_bind().dialect.name == "sqlite"
            return repo.resume_interrupted(session, self.settings.batch_budget_seconds, all_running=single)

    # --- the loop --------------------------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            try:
                await self._renew()
                await self._fill()
                await self._callbacks()
                waiting, age = await anyio.to_thread.run_sync(self._backlog)
                m.BATCH_BACKLOG.set(waiting)
                m.BATCH_OLDEST_AGE.set(age)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("batch runner iteration failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    async def _renew(self) -> None:
        """Renew the leases of the documents being read, a few times per lease."""
        if not self._inflight or time.monotonic() - self._renewed_at < self.settings.batch_lease_seconds / 3:
            return
        self._renewed_at = time.monotonic()
        await anyio.to_thread.run_sync(self._renew_leases, set(self._inflight))

    def _renew_leases(self, ids: set[int]) -> int:
        with session_scope(all_shops=True) as session:
            return repo.renew_leases(session, ids, owner=self.owner, lease_seconds=self.settings.batch_lease_seconds)

    def _backlog(self) -> tuple[int, float]:
        """Documents waiting, and seconds since the oldest batch with documents waiting was accepted."""
        with session_scope(all_shops=True) as session:
            oldest = repo.oldest_waiting(session)
            age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
            return repo.backlog(session), max(0.0, age)

    async def _fill(self) -> None:
        if not self._ready:
            assert self.reader_ready is not None
            self._ready = await self.reader_ready()
            if not self._ready:
                return
        free = self.concurrency - len(self._inflight)
        if free <= 0:
            return
        skip = frozenset(self._inflight)
        items = await anyio.to_thread.run_sync(self._claim, free, skip)
        for item in items:
            self._inflight[item.document_id] = asyncio.create_task(self._process(item))

    def _claim(self, limit: int, skip: frozenset[int]) -> list[repo.WorkItem]:
        with session_scope(all_shops=True) as session:
            return repo.claim_pending(
                session, limit, skip, owner=self.owner, lease_seconds=self.settings.batch_lease_seconds
            )

    async def _process(self, item: repo.WorkItem) -> None:
        try:
            await self._work(item)
        except Exception:
            log.exception("batch document %s (%s) failed; it goes back to pending", item.document_id, item.name)
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(self._release, item)
            await asyncio.sleep(1.0)
        finally:
            self._inflight.pop(item.document_id, None)
            self._wake.set()

    async def _work(self, item: repo.WorkItem) -> None:
        remaining = (item.deadline_at - utcnow()).total_seconds()
        if remaining <= 0:
            await anyio.to_thread.run_sync(self._expire, item)
            return
        path = str(self.documents.path(item.sha256))
        limit = min(remaining, self.settings.extract_timeout_seconds + 30)
        try:
            answer = await asyncio.wait_for(self.read(path, item.name), timeout=limit)
        except ReaderBusy:
            await anyio.to_thread.run_sync(self._release, item)
            await asyncio.sleep(1.0)
            return
        except TimeoutError:
            if limit >= remaining:
                await anyio.to_thread.run_sync(self._expire, item)
                return
            message = f"«{item.name}» tardó más de {limit:g} s en leerse y se abandonó."
            await anyio.to_thread.run_sync(self._commit, item, None, _failed_record("timeout", message), 0.0)
            m.EXTRACTION_ERRORS.labels(code="timeout").inc()
            return
        except Exception as exc:
            log.exception("reading %s of batch %s failed", item.name, item.batch_id)
            record = _failed_record("internal_error", f"No se pudo procesar «{item.name}» ({type(exc).__name__}).")
            await anyio.to_thread.run_sync(self._commit, item, None, record, 0.0)
            m.EXTRACTION_ERRORS.labels(code="internal_error").inc()
            return
        invoice = answer["invoice"]
        seconds = float(answer.get("seconds") or 0.0)
        await anyio.to_thread.run_sync(self._commit, item, invoice, None, seconds)
        m.record_extraction(invoice, seconds)

    def _release(self, item: repo.WorkItem) -> None:
        with session_scope(item.shop, create_shop=False) as session:
            repo.release(session, item.document_id, owner=self.owner)

    def _expire(self, item: repo.WorkItem) -> None:
        message = (
            f"El lote superó su tiempo total ({self.settings.batch_budget_seconds:g} s) antes de leer este documento."
        )
        with session_scope(item.shop, create_shop=False) as session:
            finished = repo.expire(session, item.batch_id, message)
            if finished is not None:
                self._on_finished(session, finished)
            notify(session, item.batch_id)

    def _commit(
        self, item: repo.WorkItem, invoice: dict[str, Any] | None, failure: dict[str, Any] | None, seconds: float
    ) -> None:
        """One transaction: the invoice stored (once), the document's result, the batch's progress.

        Commits are serialised within the runner, and a transaction SQLite refuses as locked (another writer
        got in between its read and its write) is rolled back and tried again."""
        from sqlalchemy.exc import OperationalError

        for attempt in range(6):
            try:
                with self._commit_lock:
                    self._commit_once(item, invoice, failure, seconds)
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == 5:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _commit_once(
        self, item: repo.WorkItem, invoice: dict[str, Any] | None, failure: dict[str, Any] | None, seconds: float
    ) -> None:
        from sqlalchemy import select

        from minimarket.store.models import BatchDocument

        with session_scope(item.shop, create_shop=False) as session:
            row = session.execute(
                select(BatchDocument.status, BatchDocument.claimed_by)
                .where(BatchDocument.id == item.document_id)
                .with_for_update()
            ).one_or_none()
            if row is None or row.status != repo.RUNNING or row.claimed_by not in (None, self.owner):
                return  # expired meanwhile, or taken over by another replica after this one's lease lapsed
            if failure is not None:
                finished = repo.finish_document(session, item.document_id, status=repo.FAILED, result=failure)
            else:
                assert invoice is not None
                saved, invoice_id = save_result(session, invoice, save=item.save, author=item.author)
                result = {"invoice": invoice, **saved}
                finished = repo.finish_document(
                    session, item.document_id, status=repo.DONE, result=result, invoice_id=invoice_id, seconds=seconds
                )
            if finished is not None:
                self._on_finished(session, finished)
            notify(session, item.batch_id)

    def _on_finished(self, session: Any, batch: Any) -> None:
        view = repo.batch_view(batch, results=False)
        created = batch.created_at if batch.created_at.tzinfo else batch.created_at.replace(tzinfo=dt.UTC)
        m.BATCH_DURATION.observe((utcnow() - created).total_seconds())
        publish(
            session,
            "batch_finished",
            {
                "batch_id": batch.id,
                "done": view["done"],
                "failed": view["failed"],
                "total": view["total"],
                "message": f"Terminó el lote {batch.id[:8]}: {view['done']} leídos, {view['failed']} con error.",
            },
            dedupe_key=f"batch:{batch.id}",
        )

    # --- callbacks ---------------------------------------------------------------------------------------

    async def _callbacks(self) -> None:
        due = await anyio.to_thread.run_sync(self._due_callbacks)
        for batch_id, shop in due:
            if batch_id not in self._delivering:
                self._delivering.add(batch_id)
                task = asyncio.create_task(self._deliver(batch_id, shop))
                self._callback_tasks.add(task)
                task.add_done_callback(self._callback_tasks.discard)

    def _due_callbacks(self) -> list[tuple[str, str]]:
        with session_scope(all_shops=True) as session:
            return repo.due_callbacks(session)

    def _callback_body(self, batch_id: str, shop: str) -> tuple[str, bytes]:
        with session_scope(shop, create_shop=False, read_only=True) as session:
            batch = repo.get_batch(session, batch_id)
            view = repo.batch_view(batch)
            view.pop("callback", None)
            url = batch.callback_url or ""
        return url, json.dumps(view, ensure_ascii=False, sort_keys=True).encode("utf-8")

    async def _deliver(self, batch_id: str, shop: str) -> None:
        try:
            url, body = await anyio.to_thread.run_sync(self._callback_body, batch_id, shop)
            try:
                url, address = await anyio.to_thread.run_sync(
                    callbacks.callback_target, url, self.settings.callback_allow_hosts
                )
            except callbacks.CallbackRefused as exc:
                await anyio.to_thread.run_sync(self._callback_outcome, batch_id, shop, str(exc), True)
                return
            secret = await anyio.to_thread.run_sync(callbacks.shop_secret, self.settings, shop)
            error = await callbacks.deliver(
                url, body, callbacks.sign(secret, body), batch_id, self.settings.callback_timeout_seconds, address
            )
            await anyio.to_thread.run_sync(self._callback_outcome, batch_id, shop, error, False)
        except Exception:
            log.exception("callback of batch %s failed", batch_id)
        finally:
            self._delivering.discard(batch_id)

    def _callback_outcome(self, batch_id: str, shop: str, error: str | None, final: bool) -> None:
        with session_scope(shop, create_shop=False) as session:
            batch = repo.get_batch(session, batch_id)
            batch.callback_attempts += 1
            if error is None:
                batch.callback_status = "delivered"
                batch.callback_error = None
                batch.callback_next_at = None
                return
            batch.callback_error = error
            if final or batch.callback_attempts >= self.settings.callback_attempts:
                batch.callback_status = "failed"
                batch.callback_next_at = None
                return
            delay = self.settings.callback_backoff_seconds * 2 ** (batch.callback_attempts - 1)
            batch.callback_next_at = utcnow() + dt.timedelta(seconds=delay)
            url = batch.callback_url
            log.info("callback of batch %s to %s failed (%s); next attempt in %.1f s", batch_id, url, error, delay)
