"""Batch jobs in the store: accepted batches, their documents and per-document results.

A document's result, the invoice it stored and the batch's progress are written in one transaction, so a
server killed at any moment and restarted goes on with the documents still pending and stores each one once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from minimarket.store.models import Batch, BatchDocument, Shop, utcnow

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
QUEUED, FINISHED = "queued", "finished"


@dataclass(frozen=True, slots=True)
class NewDocument:
    name: str
    sha256: str
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A pending document to read, with what the worker needs to know."""

    document_id: int
    batch_id: str
    shop: str
    name: str
    sha256: str
    save: bool
    author: str
    deadline_at: dt.datetime


def new_batch_id() -> str:
    return uuid.uuid4().hex


def create_batch(
    session: Session,
    documents: list[NewDocument],
    *,
    budget_seconds: float,
    save: bool = True,
    author: str = "api",
    callback_url: str | None = None,
) -> Batch:
    """Record a batch and its documents (all pending) for the session's shop."""
    now = utcnow()
    batch = Batch(
        id=new_batch_id(),
        status=QUEUED,
        total=len(documents),
        save=save,
        author=author,
        callback_url=callback_url,
        callback_status="pending" if callback_url else None,
        callback_attempts=0,
        created_at=now,
        deadline_at=now + dt.timedelta(seconds=budget_seconds),
        documents=[
            BatchDocument(position=i, name=d.name, sha256=d.sha256, metadata_=d.metadata, status=PENDING)
            for i, d in enumerate(documents, start=1)
        ],
    )
    session.add(batch)
    session.flush()
    return batch


def get_batch(session: Session, batch_id: str) -> Batch:
    batch = session.scalars(select(Batch).where(Batch.id == batch_id)).one_or_none()
    if batch is None:
        raise LookupError(f"no batch {batch_id} in this shop")
    return batch


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def resume_interrupted(session: Session, budget_seconds: float, *, all_running: bool = True) -> int:
    """After a restart: documents left running go back to pending, and unfinished batches get their budget
    again from now. Returns how many documents are pending. (Session over all shops.)

    With ``all_running=False`` (several replicas on one PostgreSQL) only documents whose lease lapsed, or that
    no replica claims, go back: another live replica may be reading the others."""
    condition = BatchDocument.status == RUNNING
    if not all_running:
        condition = condition & (BatchDocument.lease_until.is_(None) | (BatchDocument.lease_until < utcnow()))
    session.execute(update(BatchDocument).where(condition).values(status=PENDING, claimed_by=None, lease_until=None))
    deadline = utcnow() + dt.timedelta(seconds=budget_seconds)
    session.execute(update(Batch).where(Batch.status != FINISHED).values(deadline_at=deadline))
    return int(session.scalar(select(func.count(BatchDocument.id)).where(BatchDocument.status == PENDING)) or 0)


def backlog(session: Session) -> int:
    """Documents not processed yet, all shops."""
    return int(
        session.scalar(select(func.count(BatchDocument.id)).where(BatchDocument.status.in_((PENDING, RUNNING)))) or 0
    )


def oldest_waiting(session: Session) -> dt.datetime | None:
    """When the oldest batch that still has documents not processed was accepted, all shops."""
    value = session.scalar(
        select(func.min(Batch.created_at))
        .join(BatchDocument, BatchDocument.batch_id == Batch.id)
        .where(BatchDocument.status.in_((PENDING, RUNNING)))
    )
    return _aware(value) if value is not None else None


def claim_pending(
    session: Session,
    limit: int,
    skip: set[int] | frozenset[int] = frozenset(),
    *,
    owner: str = "local",
    lease_seconds: float = 30.0,
) -> list[WorkItem]:
    """Up to ``limit`` documents to read, oldest batch first, claimed by ``owner`` until a lease of
    ``lease_seconds``: pending ones, and running ones whose lease lapsed (their replica died). On PostgreSQL
    the rows are locked ``FOR UPDATE SKIP LOCKED``, so replicas claiming at once never take the same document.
    (Session over all shops.)"""
    now = utcnow()
    claimable = (BatchDocument.status == PENDING) | (
        (BatchDocument.status == RUNNING) & BatchDocument.lease_until.is_not(None) & (BatchDocument.lease_until < now)
    )
    ids = select(BatchDocument.id).join(Batch, BatchDocument.batch_id == Batch.id).where(claimable)
    if skip:
        ids = ids.where(BatchDocument.id.not_in(skip))
    ids = ids.order_by(Batch.created_at, BatchDocument.position).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(of=BatchDocument, skip_locked=True)
    chosen = list(session.scalars(ids).all())
    if not chosen:
        return []
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    session.execute(
        update(BatchDocument)
        .where(BatchDocument.id.in_(chosen))
        .values(status=RUNNING, claimed_by=owner, lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(BatchDocument, Batch, Shop.code)
        .join(Batch, BatchDocument.batch_id == Batch.id)
        .join(Shop, Shop.id == Batch.shop_id)
        .where(BatchDocument.id.in_(chosen))
        .order_by(Batch.created_at, BatchDocument.position)
    ).all()
    items: list[WorkItem] = []
    for doc, batch, shop in rows:
        if batch.status == QUEUED:
            batch.status = "running"
        items.append(
            WorkItem(
                document_id=doc.id,
                batch_id=batch.id,
                shop=shop,
                name=doc.name,
                sha256=doc.sha256,
                save=batch.save,
                author=batch.author,
                deadline_at=_aware(batch.deadline_at),
            )
        )
    session.flush()
    return items


def renew_leases(session: Session, document_ids: list[int] | set[int], *, owner: str, lease_seconds: float) -> int:
    """Extend ``owner``'s leases on the documents it is still reading; how many it still holds."""
    if not document_ids:
        return 0
    result = session.execute(
        update(BatchDocument)
        .where(
            BatchDocument.id.in_(list(document_ids)),
            BatchDocument.status == RUNNING,
            BatchDocument.claimed_by == owner,
        )
        .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(session: Session, document_id: int, *, owner: str | None = None) -> None:
    """Give a running document back (pending, unclaimed): it could not be read now."""
    statement = update(BatchDocument).where(BatchDocument.id == document_id, BatchDocument.status == RUNNING)
    if owner is not None:
        statement = statement.where(BatchDocument.claimed_by == owner)
    session.execute(
        statement.values(status=PENDING, claimed_by=None, lease_until=None).execution_options(synchronize_session=False)
    )


def finish_document(
    session: Session,
    document_id: int,
    *,
    status: str,
    result: dict[str, Any],
    invoice_id: int | None = None,
    seconds: float | None = None,
) -> Batch | None:
    """Record a document's outcome (``done`` or ``failed``); the batch when this was its last document."""
    doc = session.scalars(select(BatchDocument).where(BatchDocument.id == document_id)).one()
    if doc.status in (DONE, FAILED):
        return None
    doc.status = status
    doc.result = result
    doc.invoice_id = invoice_id
    doc.seconds = seconds
    doc.finished_at = utcnow()
    session.flush()
    return _finish_if_complete(session, doc.batch_id)


def _finish_if_complete(session: Session, batch_id: str) -> Batch | None:
    open_docs = session.scalar(
        select(func.count(BatchDocument.id)).where(
            BatchDocument.batch_id == batch_id, BatchDocument.status.in_((PENDING, RUNNING))
        )
    )
    if open_docs:
        return None
    batch = session.scalars(select(Batch).where(Batch.id == batch_id)).one()
    if batch.status == FINISHED:
        return None
    batch.status = FINISHED
    batch.finished_at = utcnow()
    session.flush()
    return batch


def expire(session: Session, batch_id: str, message: str) -> Batch | None:
    """Mark the batch's unprocessed documents ``failed`` (its budget ran out); the batch, now finished."""
    docs = session.scalars(
        select(BatchDocument).where(BatchDocument.batch_id == batch_id, BatchDocument.status.in_((PENDING, RUNNING)))
    ).all()
    for doc in docs:
        doc.status = FAILED
        doc.result = {"error": {"code": "timeout", "message": message}}
        doc.finished_at = utcnow()
    session.flush()
    return _finish_if_complete(session, batch_id)


def document_view(doc: BatchDocument) -> dict[str, Any]:
    out: dict[str, Any] = {"position": doc.position, "name": doc.name, "status": doc.status}
    if doc.metadata_:
        out["metadata"] = doc.metadata_
    if doc.result is not None:
        out.update(doc.result)
    if doc.invoice_id is not None:
        out["invoice_id"] = doc.invoice_id
    return out


def batch_view(batch: Batch, *, progress_url: str | None = None, results: bool = True) -> dict[str, Any]:
    """The batch as the API shows it: counts, status and the results finished so far."""
    counts = {DONE: 0, FAILED: 0}
    for doc in batch.documents:
        if doc.status in counts:
            counts[doc.status] += 1
    view: dict[str, Any] = {
        "batch_id": batch.id,
        "status": batch.status,
        "total": batch.total,
        "done": counts[DONE],
        "failed": counts[FAILED],
        "pending": batch.total - counts[DONE] - counts[FAILED],
        "created_at": _aware(batch.created_at).isoformat(),
        "finished_at": _aware(batch.finished_at).isoformat() if batch.finished_at else None,
    }
    if progress_url:
        view["progress_url"] = progress_url
    if batch.callback_url:
        view["callback"] = {
            "url": batch.callback_url,
            "status": batch.callback_status,
            "attempts": batch.callback_attempts,
            "error": batch.callback_error,
        }
    if results:
        view["results"] = [document_view(doc) for doc in batch.documents if doc.status in (DONE, FAILED)]
    return view


def due_callbacks(session: Session, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """``(batch_id, shop code)`` of finished batches whose callback is due. (Session over all shops.)"""
    moment = now or utcnow()
    rows = session.execute(
        select(Batch.id, Shop.code, Batch.callback_next_at)
        .join(Shop, Shop.id == Batch.shop_id)
        .where(Batch.status == FINISHED, Batch.callback_status == "pending")
    ).all()
    return [(bid, shop) for bid, shop, due in rows if due is None or _aware(due) <= moment]
