"""Reconciling an ARCA export with the stored invoices: planted cases found, nothing else flagged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest

from minimarket.accounting.arca_export import read_export_bytes
from minimarket.accounting.periods import parse_period
from minimarket.accounting.reconcile import Reconciliation, StoredInvoice, reconcile
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.synth.arca import export_bytes, plant_cases, row_from_invoice

LISTS = ("missing_in_store", "missing_in_arca", "amount_mismatch", "duplicates", "key_mismatch")


def _stored(invoices: list[ExtractedInvoice]) -> list[StoredInvoice]:
    return [StoredInvoice.from_invoice(invoice, n) for n, invoice in enumerate(invoices, start=1)]


def _flags(result: Reconciliation) -> set[tuple[str, tuple[object, ...]]]:
    return {(name, tuple(f.key or ())) for name in LISTS for f in getattr(result, name)}


@pytest.mark.parametrize("generation", ["G1", "G2", "G3"])
def test_every_planted_case_is_found_and_nothing_else(
    invoices: list[ExtractedInvoice], others: list[ExtractedInvoice], generation: str
) -> None:
    rows, planted = plant_cases(
        [row_from_invoice(i) for i in invoices],
        [row_from_invoice(i) for i in others],
        random.Random(5),
        missing=3,
        altered=4,
        duplicated=2,
    )
    export = read_export_bytes(export_bytes(rows, generation=generation), "mc.csv")  # type: ignore[arg-type]
    result = reconcile(export, _stored(invoices))
    assert _flags(result) == {(case.kind, case.key) for case in planted}
    assert result.matched == len(invoices) - 3
    for finding in result.amount_mismatch:
        assert {f["field"] for f in finding.fields} & {"total", "vat_total"}
    assert result.as_dict()["summary"]["flags"] == len(planted)


def test_b_and_c_invoices_are_compared_on_their_total_only(invoices: list[ExtractedInvoice]) -> None:
    plain = [i for i in invoices if i.invoice_type in ("B", "C")][:4]
    assert plain
    export = read_export_bytes(export_bytes([row_from_invoice(i) for i in plain], generation="G2"), "bc.csv")
    assert all(row.net_taxed == 0 for row in export.rows)  # ARCA lists no net for them
    result = reconcile(export, _stored(plain))
    assert result.matched == len(plain) and result.flags == 0


def test_a_misread_number_is_one_key_mismatch_not_two_missing(invoices: list[ExtractedInvoice]) -> None:
    invoice = invoices[0]
    misread = invoice.model_copy(update={"number": int(invoice.number or 0) + 9})
    export = read_export_bytes(export_bytes([row_from_invoice(invoice)], generation="G3"), "mc.csv")
    result = reconcile(export, [StoredInvoice.from_invoice(misread, 7)])
    assert not result.missing_in_store and not result.missing_in_arca
    (finding,) = result.key_mismatch
    assert finding.invoice_ids == (7,) and finding.extra["differs_in"] == ["number"]
    assert "se leyó mal" in finding.detail


def test_a_key_the_reader_left_incomplete_is_paired_or_listed_never_missing_in_arca(
    invoices: list[ExtractedInvoice],
) -> None:
    read, alone = invoices[2], invoices[3]
    export = read_export_bytes(export_bytes([row_from_invoice(read)], generation="G2"), "mc.csv")
    unread_number = StoredInvoice.from_invoice(read.model_copy(update={"number": None}), 5, "needs_review")
    unread_issuer = StoredInvoice.from_invoice(
        alone.model_copy(update={"issuer_cuit": None, "issue_date": read.issue_date}), 6, "needs_review"
    )
    result = reconcile(export, [unread_number, unread_issuer])
    assert not result.missing_in_store and not result.missing_in_arca
    (paired,) = result.key_mismatch
    assert paired.invoice_ids == (5,) and paired.extra["differs_in"] == ["number"]
    assert "no se leyó el número" in paired.detail
    (listed,) = result.incomplete_key
    assert listed.invoice_ids == (6,) and listed.key is None and "no se la puede buscar en ARCA" in listed.detail
    assert result.flags == 2 and result.as_dict()["incomplete_key"][0]["issuer_cuit"] is None


def test_the_same_invoice_loaded_twice_is_a_duplicate(invoices: list[ExtractedInvoice]) -> None:
    invoice = invoices[1]
    copy = invoice.model_copy(update={"point_of_sale": int(invoice.point_of_sale or 0) + 1})
    export = read_export_bytes(export_bytes([row_from_invoice(invoice)], generation="G2"), "mc.csv")
    result = reconcile(export, [StoredInvoice.from_invoice(invoice, 1), StoredInvoice.from_invoice(copy, 2)])
    assert result.matched == 1 and not result.missing_in_arca
    (dup,) = result.duplicates
    assert dup.invoice_ids == (1, 2) and dup.extra["source"] == "store"


def test_keys_corrected_by_hand_are_reported_with_arca_verdict(invoices: list[ExtractedInvoice]) -> None:
    invoice = invoices[2]
    stored = StoredInvoice.from_invoice(
        invoice, 3, corrected_key={"number": (999, invoice.number)}, source_file="foto.jpg"
    )
    export = read_export_bytes(export_bytes([row_from_invoice(invoice)], generation="G3"), "mc.csv")
    result = reconcile(export, [stored])
    (entry,) = result.corrected_keys
    assert entry.extra["confirmed_by_arca"] is True and "ARCA confirma" in entry.detail
    assert result.flags == 0


def test_period_limits_both_sides(invoices: list[ExtractedInvoice]) -> None:
    september = [i.model_copy(update={"issue_date": dt.date(2026, 9, 1 + n % 28)}) for n, i in enumerate(invoices[:10])]
    october = [i.model_copy(update={"issue_date": dt.date(2026, 10, 2)}) for i in invoices[10:14]]
    rows = [row_from_invoice(i) for i in september + october]
    export = read_export_bytes(export_bytes(rows, generation="G2"), "mc.csv")
    stored = [*_stored(september), StoredInvoice.from_invoice(invoices[20], 99)]  # dated 2025/26: not September
    result = reconcile(export, stored, parse_period("2026-09"))
    assert result.outside_period == 4 and result.matched == 10 and result.flags == 0


def test_amount_differences_name_each_field_in_spanish(invoices: list[ExtractedInvoice]) -> None:
    invoice = next(i for i in invoices if i.invoice_type == "A" and i.vat)
    row = row_from_invoice(invoice)
    rate = next(iter(row.vat_by_rate or {}))
    base, amount = (row.vat_by_rate or {})[rate]
    changed = dataclasses.replace(
        row,
        total=row.total + Decimal("100"),
        vat_total=(row.vat_total or Decimal(0)) + Decimal("100"),
        vat_by_rate={rate: (base, (amount or Decimal(0)) + Decimal("100"))},
    )
    export = read_export_bytes(export_bytes([changed], generation="G3"), "mc.csv")
    (finding,) = reconcile(export, _stored([invoice])).amount_mismatch
    fields = {f["field"]: f for f in finding.fields}
    assert set(fields) == {"total", "vat_total", f"vat_{format(rate.normalize(), 'f').replace('.', ',')}"}
    assert fields["total"]["difference"] == "100.00"
    assert "ARCA $" in finding.detail and "cargado $" in finding.detail
