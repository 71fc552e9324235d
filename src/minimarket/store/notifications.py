"""A shop's notifications (invoice to review, batch finished, low stock, price rise, CPI figure applied).

Each is a row whose id is its event id: a client that reconnects with ``Last-Event-ID`` gets what came after,
across restarts. ``dedupe_key`` makes a notification that may be raised again (a low-stock SKU, a price rise)
appear once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.store.models import Notification

KINDS = ("invoice_needs_review", "batch_finished", "low_stock", "price_rise", "cpi_applied")


def publish(session: Session, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> int | None:
    """Record a notification for the session's shop; its id, or None if ``dedupe_key`` was seen before."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if dedupe_key is not None:
        seen = session.scalars(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first()
        if seen is not None:
            return None
    row = Notification(kind=kind, payload=payload, dedupe_key=dedupe_key)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id


def seen(session: Session, dedupe_keys: Collection[str]) -> set[str]:
    """Which of ``dedupe_keys`` the session's shop already has a notification for (a read: no write lock)."""
    if not dedupe_keys:
        return set()
    statement = select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(dedupe_keys)))
    return {key for key in session.scalars(statement) if key is not None}


def since(session: Session, last_id: int, limit: int = 100, kinds: tuple[str, ...] | None = None) -> list[Notification]:
    """The shop's notifications after ``last_id``, oldest first."""
    statement = select(Notification).where(Notification.id > last_id)
    if kinds:
        statement = statement.where(Notification.kind.in_(kinds))
    return list(session.scalars(statement.order_by(Notification.id).limit(limit)))


def as_event(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        **row.payload,
    }
