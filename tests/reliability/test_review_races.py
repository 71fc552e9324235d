"""Parallel reviews of one invoice: every reviewer gets an answer, the stock moves exactly once (SQLite and
PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from minimarket.domain.invoice import Status
from minimarket.store.corrections import review_invoice
from minimarket.store.db import session_scope
from minimarket.store.models import Invoice, InvoiceEvent, StockMovement
from tests.integration.store.test_review import invoice, stored
from tests.reliability.parallel import at_once

REVIEWERS = 8


def _confirm_in_parallel() -> None:
    invoice_id = stored(invoice(status=Status.NEEDS_REVIEW))

    def confirm(i: int) -> str:
        with session_scope() as session:
            return review_invoice(session, invoice_id, action="confirm", author=f"revisor-{i}").status

    outcomes = at_once(confirm, REVIEWERS)
    assert [o.error for o in outcomes if not o.ok] == []
    assert {o.value for o in outcomes} == {"accepted"}
    with session_scope() as session:
        movements = session.scalars(select(StockMovement)).all()
        assert [(m.sku, m.quantity) for m in movements] == [("YER-0001", Decimal("2"))]
        assert session.scalars(select(Invoice.status)).one() == "accepted"
        reviewed = session.scalars(select(InvoiceEvent).where(InvoiceEvent.kind == "reviewed")).all()
        assert len(reviewed) == REVIEWERS
        assert sum(e.from_status == "needs_review" for e in reviewed) == 1, "one reviewer accepted it, the rest saw it"


def _correct_and_reject_in_parallel() -> None:
    """Corrections and a rejection racing: whatever the order, the stock matches the final status."""
    invoice_id = stored(invoice())

    def act(i: int) -> str:
        with session_scope() as session:
            if i == 0:
                return review_invoice(session, invoice_id, action="reject", author="jefa").status
            return review_invoice(
                session, invoice_id, corrections=[("issuer_name", f"Proveedor {i}")], author=f"r{i}"
            ).status

    outcomes = at_once(act, REVIEWERS)
    assert [o.error for o in outcomes if not o.ok] == []
    with session_scope() as session:
        status = session.scalars(select(Invoice.status)).one()
        total = sum((m.quantity for m in session.scalars(select(StockMovement))), Decimal(0))
    assert status == "rejected" and total == 0


def test_parallel_confirms_on_sqlite_move_stock_once() -> None:
    _confirm_in_parallel()


def test_parallel_corrections_and_a_rejection_on_sqlite_keep_stock_right() -> None:
    _correct_and_reject_in_parallel()


@pytest.mark.postgres
def test_parallel_confirms_on_postgresql_move_stock_once(pg_database: str) -> None:
    _confirm_in_parallel()


@pytest.mark.postgres
def test_parallel_corrections_and_a_rejection_on_postgresql_keep_stock_right(pg_database: str) -> None:
    _correct_and_reject_in_parallel()
