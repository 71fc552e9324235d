"""Idempotent invoice storage, audit trail and shop scoping on a real SQLite file (shop scoping on PostgreSQL too)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from minimarket.domain.invoice import ErrorInfo, ExtractedInvoice, LineItem, Status, VatLine
from minimarket.store.db import CrossShopWrite, session_scope
from minimarket.store.invoices import (
    InvoiceNotStorable,
    InvoiceQuery,
    get_invoice,
    save_extracted,
    search_invoices,
    set_status,
)
from minimarket.store.models import Invoice, InvoiceEvent, StockMovement


def _invoice(sha: str = "a" * 64, number: int = 11643, status: Status = Status.ACCEPTED) -> ExtractedInvoice:
    return ExtractedInvoice(
        source_file="factura.pdf",
        sha256=sha,
        invoice_type="A",
        afip_code=1,
        point_of_sale=5,
        number=number,
        issue_date=dt.date(2026, 10, 14),
        issuer_cuit="30517583231",
        issuer_name="Distribuidora Norte SA",
        cae="73074974187800",
        net_amount=Decimal("1000.00"),
        vat=[VatLine(rate=Decimal("21"), base=Decimal("1000"), amount=Decimal("210"))],
        total=Decimal("1210.00"),
        items=[
            LineItem(
                description="YERBA PLAYAD.1KG",
                quantity=Decimal("2"),
                unit_price=Decimal("500"),
                amount=Decimal("1000"),
                sku="YER-001",
                sku_confidence=0.97,
            ),
        ],
        status=status,
    )


def test_same_file_twice_is_one_invoice() -> None:
    with session_scope() as session:
        first = save_extracted(session, _invoice())
        second = save_extracted(session, _invoice())
    assert first.created and not second.created
    assert second.duplicate_of == "sha256" and second.invoice_id == first.invoice_id
    with session_scope() as session:
        assert len(session.scalars(select(Invoice)).all()) == 1
        kinds = [event.kind for event in session.scalars(select(InvoiceEvent))]
        assert kinds == ["created", "duplicate_seen"]


def test_same_fiscal_key_from_another_file_is_a_duplicate() -> None:
    with session_scope() as session:
        save_extracted(session, _invoice(sha="a" * 64))
        outcome = save_extracted(session, _invoice(sha="b" * 64))
    assert not outcome.created and outcome.duplicate_of == "fiscal_key"


def test_payload_round_trips_the_contract_and_money_is_exact() -> None:
    with session_scope() as session:
        outcome = save_extracted(session, _invoice())
    with session_scope() as session:
        stored = get_invoice(session, outcome.invoice_id)
        row = session.get(Invoice, outcome.invoice_id)
    assert stored.total == Decimal("1210.00")
    assert stored.to_json_dict()["total"] == "1210.00"
    assert row is not None and row.vat_amount == Decimal("210.00")


def test_accepted_invoice_moves_stock_in_once() -> None:
    with session_scope() as session:
        outcome = save_extracted(session, _invoice())
        save_extracted(session, _invoice())
        movements = session.scalars(select(StockMovement)).all()
    assert [(m.sku, m.quantity, m.kind) for m in movements] == [("YER-001", Decimal("2"), "invoice_in")]
    assert movements[0].idempotency_key == f"invoice:{outcome.invoice_id}:line:1"


def test_review_to_accepted_records_event_and_stock() -> None:
    with session_scope() as session:
        outcome = save_extracted(session, _invoice(status=Status.NEEDS_REVIEW))
        assert session.scalars(select(StockMovement)).all() == []
        set_status(session, outcome.invoice_id, Status.ACCEPTED, author="ana", reason="revisada")
        set_status(session, outcome.invoice_id, Status.ACCEPTED, author="ana", reason="otra vez")
        assert len(session.scalars(select(StockMovement)).all()) == 1
        events = session.scalars(select(InvoiceEvent).order_by(InvoiceEvent.id)).all()
    assert [(e.kind, e.from_status, e.to_status, e.author) for e in events][:2] == [
        ("created", None, "needs_review", "system"),
        ("status_changed", "needs_review", "accepted", "ana"),
    ]


def test_rejected_extraction_is_not_stored() -> None:
    bad = ExtractedInvoice(
        source_file="x.pdf",
        status=Status.REJECTED,
        error=ErrorInfo(code="corrupt_file", message="PDF dañado"),
    )
    with session_scope() as session, pytest.raises(InvoiceNotStorable, match="PDF dañado"):
        save_extracted(session, bad)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The store of the test: the default SQLite file, or a fresh PostgreSQL database (several replicas)."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_database")
    return str(request.param)


@pytest.mark.usefixtures("backend")
def test_shops_do_not_see_each_other() -> None:
    with session_scope("almacen-norte") as session:
        norte = save_extracted(session, _invoice())
    with session_scope("almacen-sur") as session:
        sur = save_extracted(session, _invoice())  # same file, other shop: stored again
        assert sur.created
        assert [row.id for row in session.scalars(select(Invoice))] == [sur.invoice_id]
        with pytest.raises(LookupError):
            get_invoice(session, norte.invoice_id)
    with session_scope(all_shops=True) as session:
        assert len(session.scalars(select(Invoice)).all()) == 2


@pytest.mark.usefixtures("backend")
def test_writing_into_another_shop_is_refused() -> None:
    with session_scope("almacen-norte") as session:
        outcome = save_extracted(session, _invoice())
    with session_scope(all_shops=True) as session:
        row = session.get(Invoice, outcome.invoice_id)
    assert row is not None
    with pytest.raises(CrossShopWrite), session_scope("almacen-sur") as session:
        session.merge(row).issuer_name = "otro"
        session.flush()


def test_search_by_text_number_and_amount() -> None:
    with session_scope() as session:
        save_extracted(session, _invoice(sha="a" * 64, number=1))
        big = _invoice(sha="b" * 64, number=2)
        big.total = Decimal("99999.99")
        save_extracted(session, big)
        rows, count = search_invoices(session, InvoiceQuery(text="yerba"))
        assert count == 2
        rows, count = search_invoices(session, InvoiceQuery(text="2"))
        assert [row.number for row in rows] == [2]
        rows, count = search_invoices(session, InvoiceQuery(min_total=Decimal("5000")))
        assert [row.number for row in rows] == [2]
