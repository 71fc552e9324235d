"""``extract`` on the 8 real invoices of the shared development set: every expected field, and the page
selection, totals, items and checks that come with them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from minimarket.config import REPO_ROOT
from minimarket.documents.extract import extract, extract_many
from minimarket.domain.invoice import ExtractedInvoice, Status

REAL_INVOICES = REPO_ROOT.parent / "shared" / "data" / "invoices"
pytestmark = pytest.mark.skipif(
    not (REAL_INVOICES / "expected.json").is_file(),
    reason=f"shared development invoices not found at {REAL_INVOICES}",
)


def _expected() -> dict[str, dict[str, Any]]:
    path = REAL_INVOICES / "expected.json"
    return json.loads(path.read_text()) if path.is_file() else {}


_cache: dict[str, ExtractedInvoice] = {}


def result_for(name: str) -> ExtractedInvoice:
    if name not in _cache:
        _cache[name] = extract(REAL_INVOICES / name)
    return _cache[name]


@pytest.mark.parametrize("name", sorted(_expected()))
def test_expected_fields(name: str) -> None:
    result = result_for(name)
    data = result.to_json_dict()
    for field, value in _expected()[name].items():
        assert str(data[field]) == str(value), f"{name}: {field}"
    assert result.status == Status.ACCEPTED, [(c.name, c.detail) for c in result.failed_checks]
    assert result.sha256 and len(result.sha256) == 64 and result.pages
    assert result.source_file == str(REAL_INVOICES / name)


def test_contract_json_shape() -> None:
    data = result_for("factura1360.pdf").to_json_dict()
    for key in ("source_file", "sha256", "invoice_type", "afip_code", "point_of_sale", "number", "issue_date",
                "issuer_cuit", "issuer_name", "receiver_doc_type", "receiver_doc_number", "cae", "cae_due_date",
                "currency", "exchange_rate", "net_amount", "vat", "other_taxes", "total", "items", "sources",
                "confidence", "checks", "status"):  # fmt: skip
        assert key in data
    assert data["net_amount"] == "188636.36" and data["total"] == "228250.00"
    assert data["vat"] == [{"rate": "21", "base": "188636.36", "amount": "39613.64"}]
    assert data["issue_date"] == "2023-02-14" and data["currency"] == "PES"
    assert all(0 <= v <= 1 for v in data["confidence"].values())
    assert set(data["sources"].values()) <= {"text", "qr", "barcode", "ocr", "computed"}


def test_copies_are_one_invoice() -> None:
    result = result_for("factura128.pdf")
    selection = next(c for c in result.checks if c.name == "page_selection")
    assert "copias (DUPLICADO/TRIPLICADO): páginas 2, 3" in selection.detail
    assert [i.amount for i in result.items] == [Decimal("178000.00")]
    assert result.vat == []  # a Factura C discriminates no VAT


def test_attached_purchase_order_does_not_add_to_the_invoice() -> None:
    result = result_for("factura11643.pdf")
    selection = next(c for c in result.checks if c.name == "page_selection")
    assert "no forman parte de la factura: páginas 2" in selection.detail
    assert len(result.items) == 1 and result.items[0].amount == Decimal("63884.30")
    assert result.items[0].description.startswith("CAMBIO DE MANGUERA DE ALTA PRESION ORIGINAL, CAMBIO DE BOBINA")
    assert result.total == Decimal("77300.00") and result.net_amount == Decimal("63884.30")


def test_multi_page_invoice_items_and_totals_on_the_last_page() -> None:
    result = result_for("facturamy.pdf")
    assert len(result.items) == 10
    assert sum(i.amount for i in result.items if i.amount) == Decimal("491435.54")
    assert result.net_amount == Decimal("491435.54") and result.total == Decimal("594636.99")
    assert all(i.vat_rate == Decimal("21") and i.unit == "unidades" for i in result.items)


def test_malformed_qr_is_read_and_agrees() -> None:
    result = result_for("factura11643.pdf")
    qr = next(c for c in result.checks if c.name == "qr_matches_printed")
    assert qr.ok and "cortado" in qr.detail


def test_issuer_cuit_from_letterhead_and_clipped_vat_repaired() -> None:
    result = result_for("factura5.pdf")
    assert result.issuer_cuit == "20102000537" and result.sources["issuer_cuit"] == "ocr"
    assert [v.amount for v in result.vat] == [Decimal("2950.41")]
    assert any(c.name == "repair_vat" for c in result.checks)


@pytest.mark.parametrize("workers", [1, 2])
def test_extract_many_keeps_order(workers: int, tmp_path: Path) -> None:
    names = ["factura128.pdf", "factura1475.pdf", "facturamy.pdf"]
    bad = tmp_path / "roto.pdf"
    bad.write_bytes((REAL_INVOICES / "factura128.pdf").read_bytes()[:5000])
    paths = [REAL_INVOICES / names[0], bad, REAL_INVOICES / names[1], REAL_INVOICES / names[2]]
    results = list(extract_many(paths, workers=workers))
    assert [Path(r.source_file or "").name for r in results] == [names[0], "roto.pdf", names[1], names[2]]
    assert [r.status for r in results] == ["accepted", "rejected", "accepted", "accepted"]
    assert results[1].error is not None and results[1].error.code == "corrupt_file"
