"""Concurrent writers on SQLite (WAL, busy timeout) and PostgreSQL: 20 parallel saves of one document are one
invoice, parallel corrections of one invoice lose no update, and mixed writers all succeed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from minimarket.domain.invoice import LineItem, Status
from minimarket.store.corrections import review_invoice
from minimarket.store.db import session_scope
from minimarket.store.invoices import get_invoice, save_extracted
from minimarket.store.models import Invoice, InvoiceEvent, StockMovement
from tests.integration.store.test_review import invoice, stored
from tests.reliability.parallel import at_once

SAVES = 20
ITEMS = 8


def _twenty_saves_of_one_document() -> None:
    document = invoice(sha="d" * 64)

    def save(_i: int) -> bool:
        with session_scope() as session:
            return save_extracted(session, document, author="caja").created

    outcomes = at_once(save, SAVES)
    assert [o.error for o in outcomes if not o.ok] == []
    assert sum(bool(o.value) for o in outcomes) == 1
    with session_scope() as session:
        assert session.scalar(select(func.count(Invoice.id))) == 1
        assert session.scalar(select(func.count(StockMovement.id))) == 1
        seen = session.scalars(select(InvoiceEvent.kind)).all()
    assert sorted(seen) == ["created"] + ["duplicate_seen"] * (SAVES - 1)


def _parallel_corrections_lose_nothing() -> None:
    items = [
        LineItem(description=f"ITEM {n}", quantity=Decimal(1), unit_price=Decimal(125), amount=Decimal(125))
        for n in range(ITEMS)
    ]
    invoice_id = stored(invoice(sha="e" * 64, number=2, items=items))

    def correct(i: int) -> str:
        with session_scope() as session:
            pairs = [(f"items.{i + 1}.description", f"CORREGIDO {i + 1}")]
            return review_invoice(session, invoice_id, corrections=pairs, author=f"r{i}").status

    outcomes = at_once(correct, ITEMS)
    assert [o.error for o in outcomes if not o.ok] == []
    with session_scope() as session:
        final = get_invoice(session, invoice_id)
        row = session.get_one(Invoice, invoice_id)
        assert [item.description for item in row.items] == [f"CORREGIDO {n + 1}" for n in range(ITEMS)]
    assert [item.description for item in final.items] == [f"CORREGIDO {n + 1}" for n in range(ITEMS)]
    assert final.status == Status.ACCEPTED


def _mixed_writers() -> None:
    """Saves of different documents, reviews and status changes at the same time: every one succeeds."""
    target = stored(invoice(sha="f" * 64, number=1, status=Status.NEEDS_REVIEW))
    with session_scope() as session:
        before = session.scalar(select(func.count(Invoice.id))) or 0

    def work(i: int) -> object:
        with session_scope() as session:
            if i % 3 == 0:
                return review_invoice(session, target, action="confirm", author=f"r{i}").status
            return save_extracted(session, invoice(sha=f"{i:064x}", number=100 + i)).created

    outcomes = at_once(work, 12)
    assert [o.error for o in outcomes if not o.ok] == []
    with session_scope() as session:
        assert session.scalar(select(func.count(Invoice.id))) == before + 8
        moved = session.scalars(select(StockMovement.reference)).all()
    assert sorted(set(moved)) == sorted(moved), "no stock movement twice"


def test_twenty_parallel_saves_of_one_document_on_sqlite() -> None:
    _twenty_saves_of_one_document()


def test_parallel_corrections_of_one_invoice_lose_no_update_on_sqlite() -> None:
    _parallel_corrections_lose_nothing()


def test_mixed_concurrent_writers_on_sqlite() -> None:
    _mixed_writers()


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql(pg_database: str) -> None:
    _twenty_saves_of_one_document()
    _parallel_corrections_lose_nothing()
    _mixed_writers()
