"""The demo seed fills a shop once; the generator is consistent with the store's rules."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from minimarket.config import get_settings
from minimarket.demo import SYNTHETIC_PREFIX, generate_invoices, seed_demo_shop
from minimarket.store.db import session_scope
from minimarket.store.models import Invoice, InvoiceItem, Product, Sale, StockMovement


def test_a_second_seed_only_checks(use_demo: Path) -> None:
    again = seed_demo_shop(get_settings(), invoices=300, samples=False, sales_days=120)
    assert again.catalog is None and again.sales_rows is None and again.inflation_month is None
    assert again.opening_stock is None
    assert again.invoices.invoices == 0 and again.invoices.already_present == 300


def test_generated_invoices_are_unique_consistent_and_stock_only_what_was_accepted(use_demo: Path) -> None:
    with session_scope() as session:
        assert session.scalar(select(func.count(Product.id))) == 313
        assert session.scalar(select(func.count(Sale.id))) > 10_000
        invoices = list(session.scalars(select(Invoice).where(Invoice.source_file.like(f"{SYNTHETIC_PREFIX}%"))))
        assert len(invoices) == 300
        keys = {(i.issuer_cuit, i.afip_code, i.point_of_sale, i.number) for i in invoices}
        assert len(keys) == 300
        statuses = {i.status for i in invoices}
        assert "accepted" in statuses and "needs_review" in statuses
        for invoice in invoices[:50]:
            payload = invoice.payload
            assert payload["status"] == invoice.status
            assert payload["total"] == str(invoice.total)
            failed = [c["name"] for c in payload["checks"] if not c["ok"]]
            assert bool(failed) == (invoice.status != "accepted"), (invoice.id, failed)
            assert len(payload["items"]) == len(invoice.items)
        stocked = set(session.scalars(select(StockMovement.reference).where(StockMovement.kind == "invoice_in")))
        accepted = {f"invoice:{i.id}" for i in invoices if i.status == "accepted" and i.items}
        assert stocked == accepted


def test_the_generator_tops_up_to_the_count_asked(use_demo: Path) -> None:
    with session_scope() as session:
        report = generate_invoices(session, 340)
        assert (report.already_present, report.invoices) == (300, 40)
        assert report.items == session.scalar(
            select(func.count(InvoiceItem.id)).where(
                InvoiceItem.invoice_id.in_(select(Invoice.id).order_by(Invoice.id.desc()).limit(40))
            )
        )
        assert generate_invoices(session, 340).invoices == 0
