"""The accountant's work on a real SQLite store: the Libro IVA read back field by field against the stored
invoices, reconciliation runs kept, keys corrected by hand, and invoice boxes entering stock as shelf units."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from minimarket.accounting.arca_export import read_export_bytes
from minimarket.accounting.libro_iva import read_book, write_book
from minimarket.accounting.periods import parse_period
from minimarket.accounting.report_csv import report_csv
from minimarket.accounting.shop import book_for_period, reconcile_with_store
from minimarket.catalog import bundled_catalog
from minimarket.domain.afip import DOCUMENT_TYPES, VAT_ALIQUOTS
from minimarket.domain.invoice import ExtractedInvoice, LineItem, Status, TaxKind
from minimarket.store.accounting import get_run, list_runs
from minimarket.store.catalog import upsert_catalog
from minimarket.store.corrections import review_invoice
from minimarket.store.db import session_scope
from minimarket.store.invoices import save_extracted
from minimarket.store.models import Invoice
from minimarket.store.packs import confirm_conversion
from minimarket.store.stock import invoiced_costs, stock_levels
from minimarket.synth.arca import export_bytes, row_from_invoice
from minimarket.synth.invoices.sample import sample_invoice

SEPTEMBER = parse_period("2026-09")
ALIQUOT_OF = {rate: code for code, rate in VAT_ALIQUOTS.items()}


def _with_sha(invoice: ExtractedInvoice) -> ExtractedInvoice:
    digest = hashlib.sha256(invoice.model_dump_json().encode()).hexdigest()
    return invoice.model_copy(update={"sha256": digest, "source_file": f"{digest[:8]}.pdf"})


def _month_of_invoices(n: int, seed: int) -> list[ExtractedInvoice]:
    catalog = bundled_catalog()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        spec = sample_invoice(rng, catalog)
        spec.issue_date = dt.date(2026, 9, rng.randint(1, 30))
        out.append(_with_sha(spec.truth()))
    return out


def _expected_cbte(invoice: ExtractedInvoice) -> dict[str, object]:
    """What ARCA's design says the record of ``invoice`` holds (derived here, not by the writer)."""
    doc = DOCUMENT_TYPES[int(invoice.afip_code or 0)]
    a = doc.letter in ("A", "M")
    taxes = {kind: sum((t.amount for t in invoice.other_taxes if t.kind == kind), Decimal(0)) for kind in TaxKind}
    vat_lines = len({line.rate for line in invoice.vat}) or 1
    return {
        "issue_date": invoice.issue_date,
        "afip_code": invoice.afip_code,
        "point_of_sale": invoice.point_of_sale,
        "number": invoice.number,
        "import_dispatch": "",
        "seller_doc_type": 80,
        "seller_doc": int(invoice.issuer_cuit or 0),
        "seller_name": (invoice.issuer_name or "")[:30].rstrip(),
        "total": invoice.total,
        "untaxed": (invoice.untaxed_amount or Decimal(0)) if a else Decimal(0),
        "exempt": (invoice.exempt_amount or Decimal(0)) if a else Decimal(0),
        "vat_perceptions": taxes[TaxKind.PERCEPCION_IVA],
        "national_perceptions": taxes[TaxKind.PERCEPCION_GANANCIAS],
        "iibb_perceptions": taxes[TaxKind.PERCEPCION_IIBB],
        "municipal_perceptions": Decimal(0),
        "internal_taxes": taxes[TaxKind.IMPUESTOS_INTERNOS],
        "currency": "PES",
        "exchange_rate": Decimal(1),
        "vat_count": vat_lines if a else 0,
        "operation_code": "E" if a and not invoice.vat and invoice.exempt_amount else "0",
        "fiscal_credit": invoice.vat_total if a else Decimal(0),
        "other_taxes": taxes[TaxKind.OTHER],
        "broker_cuit": 0,
        "broker_name": "",
        "commission_vat": Decimal(0),
    }


def test_libro_iva_files_read_back_field_by_field_against_the_stored_invoices(tmp_path: Path) -> None:
    invoices = _month_of_invoices(80, seed=9)
    in_review = {inv.sha256 for inv in invoices[::10]}
    with session_scope() as session:
        for invoice in invoices:
            status = Status.NEEDS_REVIEW if invoice.sha256 in in_review else Status.ACCEPTED
            save_extracted(session, invoice.model_copy(update={"status": status}))
    with session_scope() as session:
        book = book_for_period(session, SEPTEMBER)
        stored = {
            (row.afip_code, row.point_of_sale, row.number, row.issuer_cuit): ExtractedInvoice.model_validate(
                row.payload
            )
            for row in session.scalars(select(Invoice).where(Invoice.status == "accepted"))
        }
    write_book(book, tmp_path)
    records, aliquots = read_book(tmp_path)
    assert len(records) == len(stored) == 72 and len(book.pending) == 8
    assert {e.invoice_id for e in book.pending}.isdisjoint({e.invoice_id for e in book.written})
    differences = []
    for record in records:
        invoice = stored[
            (record["afip_code"], record["point_of_sale"], record["number"], f"{record['seller_doc']:011d}")
        ]
        for name, value in _expected_cbte(invoice).items():
            if record[name] != value:
                differences.append((invoice.number, name, record[name], value))
    by_key: dict[tuple[object, ...], set[tuple[int, Decimal, Decimal]]] = {}
    for aliquot in aliquots:
        key = (aliquot["afip_code"], aliquot["point_of_sale"], aliquot["number"], f"{aliquot['seller_doc']:011d}")
        by_key.setdefault(key, set()).add((aliquot["vat_aliquot"], aliquot["net_taxed"], aliquot["vat_amount"]))
    for key, invoice in stored.items():
        if DOCUMENT_TYPES[int(invoice.afip_code or 0)].letter != "A":
            assert key not in by_key
            continue
        expected = {(ALIQUOT_OF[Decimal(v.rate)], v.base, v.amount) for v in invoice.vat} or {(3, 0, 0)}
        if by_key.get(key) != expected:
            differences.append((invoice.number, "alicuotas", by_key.get(key), expected))
    assert differences == []
    assert sum(r["vat_count"] for r in records) == len(aliquots)


def test_reconciliation_runs_are_kept_and_a_key_corrected_by_hand_is_reported() -> None:
    invoices = _month_of_invoices(12, seed=3)
    misread = invoices[0].model_copy(update={"number": int(invoices[0].number or 0) + 1000})
    with session_scope() as session:
        ids = [save_extracted(session, inv).invoice_id for inv in [misread, *invoices[1:]]]
    with session_scope() as session:
        review_invoice(session, ids[0], corrections=[("number", str(invoices[0].number))], author="ana")
    data = export_bytes([row_from_invoice(i) for i in invoices], generation="G3", file_type="xlsx")
    export = read_export_bytes(data, "recibidos_202609.xlsx")
    with session_scope() as session:
        result, run_id = reconcile_with_store(session, export, SEPTEMBER, author="contadora")
    assert result.matched == 12 and result.flags == 0
    (corrected,) = result.corrected_keys
    assert corrected.extra["confirmed_by_arca"] and corrected.extra["corrections"]["number"]["corrected"]
    with session_scope() as session:
        (run,) = list_runs(session)
        assert run.id == run_id and run.author == "contadora" and run.period == "2026-09"
        stored = dict(get_run(session, run_id).report)
    assert stored["matched"] == 12 and stored["corrected_keys"][0]["invoice_ids"] == [ids[0]]
    text = report_csv(stored)
    assert text.startswith("\ufeffhallazgo;cuit_emisor") and "Clave corregida a mano" in text
    with session_scope("otro-comercio") as session:
        assert list_runs(session) == []


def _yerba_invoice(number: int, day: int, unit: str, quantity: str, price: str) -> ExtractedInvoice:
    catalog = bundled_catalog()
    supplier = catalog.supplier("30119039416")
    amount = Decimal(quantity) * Decimal(price)
    return _with_sha(
        ExtractedInvoice(
            invoice_type="A",
            afip_code=1,
            point_of_sale=3,
            number=number,
            issue_date=dt.date(2026, 9, day),
            issuer_cuit=supplier.cuit,
            issuer_name=supplier.name,
            net_amount=amount,
            total=amount,
            items=[
                LineItem(
                    description="YERBA PLAYA. C/PALO 1KG x10",
                    quantity=Decimal(quantity),
                    unit=unit,
                    unit_price=Decimal(price),
                    amount=amount,
                    sku="YER-0001",
                    sku_confidence=1.0,
                )
            ],
            status=Status.ACCEPTED,
        )
    )


def test_boxes_enter_stock_as_shelf_units_at_a_unit_cost() -> None:
    catalog = bundled_catalog()
    with session_scope() as session:
        upsert_catalog(session, catalog.suppliers, catalog.products)
        save_extracted(session, _yerba_invoice(1, 2, "BUL", "2", "53500"))
        save_extracted(session, _yerba_invoice(2, 9, "un", "6", "5400"))
    with session_scope() as session:
        assert stock_levels(session)["YER-0001"] == Decimal(26)
        costs = invoiced_costs(session)["YER-0001"]
        assert [c.unit_cost for c in costs] == [Decimal("5350.0000"), Decimal("5400.0000")]
        assert costs[0].evidence and costs[0].evidence.as_dict()["units_per_invoice_unit"] == 10
        confirm_conversion(session, "30-11903941-6", "YER-0001", 12, author="ana")
        save_extracted(session, _yerba_invoice(3, 16, "BUL", "1", "64800"))
    with session_scope() as session:
        assert stock_levels(session)["YER-0001"] == Decimal(38)
        assert invoiced_costs(session)["YER-0001"][-1].unit_cost == Decimal("5400.0000")
