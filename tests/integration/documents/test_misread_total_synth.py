"""A generated scan whose printed total OCR misread beyond one slip: the QR and the invoice's own arithmetic
outvote that reading (``minimarket.synth``, real Tesseract; the misreading is put into the OCR words)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from minimarket.config import get_settings
from minimarket.documents.ingest import load_document
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.documents.layout import DocumentText
from minimarket.domain.invoice import Status
from minimarket.domain.numbers import format_amount

synth = pytest.importorskip("minimarket.synth.invoices.dataset", reason="the synthetic generator is not available")

SEED, INDEX = 5, 0
"""A scan with a valid QR whose total OCR reads right and whose net + VAT add up to it."""


@pytest.fixture(scope="module")
def scan() -> tuple[Any, DocumentText, InvoiceReader]:
    from minimarket.catalog import bundled_catalog

    generated = synth.make_document(bundled_catalog(), SEED, INDEX, "scan")
    reader = InvoiceReader(get_settings())
    return generated, reader.read(load_document(generated.data, name=generated.name)), reader


def _misread(text: DocumentText, printed: str, read: str) -> DocumentText:
    """``text`` with every OCR word ``printed`` read as ``read`` instead."""
    pages = []
    for page in text.pages:
        swap = [replace(w, text=read, alts=()) if w.text == printed else w for w in page.words]
        lines = [replace(line, words=[replace(w, text=read, alts=()) if w.text == printed else w for w in line.words])
                 for line in page.lines]  # fmt: skip
        pages.append(replace(page, words=swap, lines=lines))
    return replace(text, pages=pages)


def _two_digits_off(value: Decimal) -> str:
    shown = format_amount(value, "ar")
    digits = [i for i, ch in enumerate(shown) if ch.isdigit()]
    chars = list(shown)
    for i in (digits[2], digits[4]):
        chars[i] = str((int(chars[i]) + 5) % 10)
    return "".join(chars)


def test_qr_and_arithmetic_repair_a_misread_printed_total(scan: tuple[Any, DocumentText, InvoiceReader]) -> None:
    generated, text, reader = scan
    truth = generated.truth
    assert reader.interpret(text).total == truth.total  # the untouched reading is right
    shown = format_amount(truth.total, "ar")
    result = reader.interpret(_misread(text, shown, _two_digits_off(truth.total)))
    assert result.total == truth.total and result.sources["total"] == "qr"
    repair = next(c for c in result.checks if c.name == "repair_total")
    assert "el QR y la suma" in repair.detail
    assert result.status == Status.ACCEPTED, result.failed_checks


def test_no_repair_when_the_arithmetic_does_not_agree_with_the_qr(
    scan: tuple[Any, DocumentText, InvoiceReader],
) -> None:
    generated, text, reader = scan
    truth = generated.truth
    misread = _misread(text, format_amount(truth.total, "ar"), _two_digits_off(truth.total))
    misread = _misread(misread, format_amount(truth.net_amount, "ar"), _two_digits_off(truth.net_amount))
    result = reader.interpret(misread)
    assert result.total != truth.total
    assert result.status == Status.NEEDS_REVIEW
