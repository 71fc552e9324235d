"""read_document on generated scans and phone photos (``minimarket.synth``): skew, blur, noise, uneven
light, shadows, colour casts and perspective, with the ground truth of each invoice."""

from __future__ import annotations

import contextlib
import re

import pytest

from minimarket.documents.ingest import load_document
from minimarket.documents.layout import DocumentText, TextOrigin
from minimarket.documents.reader import read_document
from minimarket.domain.qr import QrParseError, parse_qr_url

synth = pytest.importorskip("minimarket.synth.invoices.dataset", reason="the synthetic generator is not available")

SEED = 5
DOCUMENTS = [(index, "photo" if index % 2 else "scan") for index in range(6)]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def readings() -> list[tuple[object, DocumentText]]:
    from minimarket.catalog import bundled_catalog

    catalog = bundled_catalog()
    out = []
    for index, kind in DOCUMENTS:
        generated = synth.make_document(catalog, SEED, index, kind)
        out.append((generated, read_document(load_document(generated.data, name=generated.name))))
    return out


def test_every_page_is_ocrd(readings: list[tuple[object, DocumentText]]) -> None:
    for generated, text in readings:
        assert text.pages, generated.name  # type: ignore[attr-defined]
        for page in text.pages:
            assert page.origin is TextOrigin.OCR
            assert len(page.words) > 40, (generated.name, page.index)  # type: ignore[attr-defined]


def test_qr_codes_are_decoded(readings: list[tuple[object, DocumentText]]) -> None:
    """Every QR that is still readable is decoded. One photo of this set (invoice 1: downscaled, motion
    blur of 4 px, modules of ~2.5 px) is beyond any decoder; the others must all be found."""
    with_qr, decoded = 0, 0
    for generated, text in readings:
        if generated.spec.qr_variant in (None, "none"):  # type: ignore[attr-defined]
            continue
        with_qr += 1
        qrs = [code for code in text.codes if code.kind == "qr"]
        if not qrs:
            continue
        decoded += 1
        assert qrs[0].text.startswith("http")
        with contextlib.suppress(QrParseError):  # some variants are malformed on purpose
            assert parse_qr_url(qrs[0].text).cuit == generated.truth.issuer_cuit  # type: ignore[attr-defined]
    assert with_qr >= 4
    assert decoded >= with_qr - 1


def test_cuit_and_total_are_read(readings: list[tuple[object, DocumentText]]) -> None:
    """The issuer CUIT and the total are among the words OCR found, on (almost) every document."""
    found = 0
    for generated, text in readings:
        truth = generated.truth  # type: ignore[attr-defined]
        digits = _digits(" ".join(page.text for page in text.pages))
        total = _digits(f"{truth.total:.2f}")
        if truth.issuer_cuit in digits and total in digits:
            found += 1
    assert found >= len(readings) - 1


def test_vector_drawn_codes_of_a_text_pdf_are_read_from_their_regions() -> None:
    from minimarket.catalog import bundled_catalog

    generated = synth.make_document(bundled_catalog(), SEED, 0, "pdf")
    text = read_document(load_document(generated.data, name=generated.name))
    assert sorted((code.kind, code.where) for code in text.codes) == [("i2of5", "region"), ("qr", "region")]
    assert generated.spec.qr_text in {code.text for code in text.codes}
