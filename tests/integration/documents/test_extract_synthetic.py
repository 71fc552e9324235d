"""``extract`` on generated invoices (``minimarket.synth``) of every layout, against their ground truth.

Text-layer PDFs must come out exactly: header, totals (net, VAT per rate, other taxes, total) and the
number of items. Scans go through real Tesseract; for them the key fields must be right or the result must
say it needs review.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from minimarket.domain.invoice import ExtractedInvoice, Status

synth = pytest.importorskip("minimarket.synth.invoices.dataset", reason="the synthetic invoice generator is absent")

HEADER = ("invoice_type", "afip_code", "point_of_sale", "number", "issue_date", "issuer_cuit", "cae", "total")


@pytest.fixture(scope="module")
def catalog() -> Any:
    from minimarket.catalog import bundled_catalog

    return bundled_catalog()


def _differences(got: ExtractedInvoice, want: ExtractedInvoice) -> dict[str, Any]:
    diffs: dict[str, Any] = {}
    for name in (*HEADER, "cae_due_date", "net_amount", "receiver_doc_number"):
        if getattr(got, name) != getattr(want, name):
            diffs[name] = (getattr(got, name), getattr(want, name))
    if sorted((v.rate, v.amount) for v in got.vat) != sorted((v.rate, v.amount) for v in want.vat):
        diffs["vat"] = (got.vat, want.vat)
    if sorted((t.kind, t.amount) for t in got.other_taxes) != sorted((t.kind, t.amount) for t in want.other_taxes):
        diffs["other_taxes"] = (got.other_taxes, want.other_taxes)
    if len(got.items) != len(want.items):
        diffs["items"] = (len(got.items), len(want.items))
    elif any(a.amount != b.amount or a.quantity != b.quantity for a, b in zip(got.items, want.items, strict=True)):
        diffs["item_amounts"] = [(a.amount, b.amount) for a, b in zip(got.items, want.items, strict=True)]
    return diffs


@pytest.mark.parametrize("index", range(24))
def test_text_pdfs_exactly(index: int, catalog: Any) -> None:
    from minimarket.documents.extract import extract

    doc = synth.make_document(catalog, 2024, index, "pdf")
    result = extract(doc.data, name=doc.name)
    assert _differences(result, doc.truth) == {}, doc.manifest()
    assert result.status == Status.ACCEPTED, (doc.manifest(), result.failed_checks)
    assert result.sha256 == doc.truth.sha256


@pytest.mark.parametrize("index", [0, 1])
def test_scans_key_fields_or_review(index: int, catalog: Any) -> None:
    from minimarket.documents.extract import extract

    doc = synth.make_document(catalog, 77, index, "scan", dpi=300)
    result = extract(doc.data, name=doc.name)
    assert result.status != Status.REJECTED, result.error
    wrong = {name for name in HEADER if getattr(result, name) != getattr(doc.truth, name)}
    if result.status == Status.ACCEPTED:
        assert not wrong, (doc.manifest(), wrong)
        assert result.total == doc.truth.total and result.total is not None and result.total > Decimal("0")
    else:
        assert result.failed_checks, "needs_review says why"
