"""Every layout renders every letter as a PDF whose text layer carries the invoice's facts."""

from __future__ import annotations

import random
import re

import pypdfium2 as pdfium
import pytest

from minimarket.catalog import Catalog
from minimarket.domain.numbers import format_amount
from minimarket.synth.invoices.layouts import LAYOUTS
from minimarket.synth.invoices.render import image_pdf, rasterize, render_pdf
from minimarket.synth.invoices.sample import LAYOUT_NAMES, SampleOptions, sample_invoice
from minimarket.synth.invoices.spec import InvoiceSpec


def _text(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_registry_matches_the_names() -> None:
    assert set(LAYOUTS) == set(LAYOUT_NAMES)
    assert len(LAYOUTS) >= 8


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_layout_renders_letter(catalog: Catalog, layout: str, letter: str) -> None:
    spec = sample_invoice(random.Random(11), catalog, SampleOptions(layout=layout, letter=letter, min_items=5))
    rendered = render_pdf(spec)
    assert rendered.data.startswith(b"%PDF")
    pages = _text(rendered.data)
    assert len(pages) == rendered.pages >= 1
    invoice_text = "\n".join(pages[: rendered.pages - (1 if spec.extra_page else 0)])
    first = pages[0]
    assert spec.cae in invoice_text
    assert spec.issuer.cuit in _digits(first)
    assert f"{spec.number:08d}" in first
    assert format_amount(spec.total, spec.number_format, 2, spec.grouping) in invoice_text
    for item in spec.items:
        assert item.description.split()[0] in invoice_text
    if letter == "A":
        for vat in spec.vat:
            assert format_amount(vat.amount, spec.number_format, 2, spec.grouping) in invoice_text


def test_copies_and_extra_page_add_pages(catalog: Catalog) -> None:
    spec = sample_invoice(random.Random(1), catalog, SampleOptions(layout="copies", max_items=5))
    pages = _text(render_pdf(spec).data)
    assert len(pages) == len(spec.copies) >= 2
    assert "ORIGINAL" in pages[0] and "DUPLICADO" in pages[1]
    spec = sample_invoice(random.Random(1), catalog, SampleOptions(layout="extra_page", max_items=5))
    pages = _text(render_pdf(spec).data)
    assert spec.extra_page and spec.cae not in pages[-1]
    assert "OFERTAS" in pages[-1] or "CONDICIONES" in pages[-1]


def test_long_invoices_continue_on_more_pages(catalog: Catalog) -> None:
    spec: InvoiceSpec = sample_invoice(
        random.Random(2), catalog, SampleOptions(layout="erp_ruled", letter="A", min_items=60, single_copy=True)
    )
    rendered = render_pdf(spec)
    assert rendered.pages >= 2
    text = "\n".join(_text(rendered.data))
    assert all(item.description.split()[0] in text for item in spec.items)


def test_rendering_is_byte_identical(catalog: Catalog) -> None:
    spec = sample_invoice(random.Random(9), catalog, SampleOptions(layout="two_column"))
    assert render_pdf(spec).data == render_pdf(spec).data


def test_image_pdf_has_no_text_layer(catalog: Catalog) -> None:
    import cv2

    spec = sample_invoice(random.Random(4), catalog, SampleOptions(layout="afip_rce", max_items=3))
    page = rasterize(render_pdf(spec).data, dpi=60)[0]
    assert page.ndim == 3 and page.shape[2] == 3 and page.dtype.name == "uint8"
    ok, jpeg = cv2.imencode(".jpg", page)
    assert ok
    pdf = image_pdf([jpeg.tobytes()], [(page.shape[1], page.shape[0])], 60)
    assert _text(pdf) == [""]
