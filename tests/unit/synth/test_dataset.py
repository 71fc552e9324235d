"""Datasets on disk: documents, one truth per document, expected.json like the real set, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from minimarket.catalog import Catalog
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.synth.invoices.dataset import make_document, write_dataset
from minimarket.synth.invoices.sample import SampleOptions

DPI = 60


def test_make_document_kinds(catalog: Catalog) -> None:
    pdf = make_document(catalog, 3, 0, "pdf")
    assert pdf.name.endswith(".pdf") and pdf.kind == "pdf" and pdf.dpi is None
    text = pdfium.PdfDocument(pdf.data)[0].get_textpage().get_text_range()
    assert pdf.spec.cae in text or pdf.spec.layout == "landscape"

    scan = make_document(catalog, 3, 1, "scan", dpi=DPI)
    assert scan.kind == "scan" and scan.name.rsplit(".", 1)[1] in {"pdf", "png"}
    if scan.name.endswith(".pdf"):
        document = pdfium.PdfDocument(scan.data)
        assert len(document) == scan.pages
        assert all(page.get_textpage().get_text_range() == "" for page in document)

    photo = make_document(catalog, 3, 2, "photo", dpi=DPI, options=SampleOptions(layout="copies"))
    assert photo.name.endswith(".jpg") and photo.data[:2] == b"\xff\xd8" and photo.pages == 1
    assert photo.spec.copies == ("ORIGINAL",) and photo.spec.extra_page is None
    assert "perspective" in photo.effects
    for document in (pdf, scan, photo):
        assert document.truth.sha256 and document.truth.source_file == document.name
        assert document.truth.status == "accepted"


def test_photo_invoices_fit_one_page(catalog: Catalog) -> None:
    from minimarket.synth.invoices.render import render_pdf

    document = make_document(catalog, 8, 0, "photo", dpi=DPI, options=SampleOptions(layout="afip_rce", min_items=55))
    assert render_pdf(document.spec).pages == 1
    assert len(document.spec.items) >= 1


def test_write_dataset_layout_and_contract(catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    manifest = write_dataset(6, out, "mixed", seed=4, catalog=catalog, dpi=DPI)
    names = [entry["file"] for entry in manifest]
    assert len(names) == 6 == len(set(names))
    expected = json.loads((out / "expected.json").read_text())
    assert sorted(expected) == sorted(names)
    real_form = {"afip_code", "cae", "invoice_type", "issue_date", "issuer_cuit", "number", "point_of_sale", "total"}
    for name in names:
        assert (out / name).is_file()
        truth_path = out / f"{name.rsplit('.', 1)[0]}.truth.json"
        truth = ExtractedInvoice.model_validate_json(truth_path.read_text())
        assert truth.source_file == name and truth.status == "accepted"
        header = expected[name]
        assert set(header) == real_form
        assert header["total"] == f"{truth.total:.2f}" and header["number"] == truth.number
        assert isinstance(header["afip_code"], int) and isinstance(header["total"], str)
    text = (out / "expected.json").read_text()
    assert text == json.dumps(expected, indent=1, sort_keys=True)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == manifest


def test_same_seed_same_bytes(catalog: Catalog, tmp_path: Path) -> None:
    a = write_dataset(4, tmp_path / "a", "mixed", seed=9, catalog=catalog, dpi=DPI)
    b = write_dataset(4, tmp_path / "b", "mixed", seed=9, catalog=catalog, dpi=DPI)
    assert a == b
    for entry in a:
        assert (tmp_path / "a" / entry["file"]).read_bytes() == (tmp_path / "b" / entry["file"]).read_bytes()
    c = write_dataset(4, tmp_path / "c", "mixed", seed=10, catalog=catalog, dpi=DPI)
    assert [e["sha256"] for e in a] != [e["sha256"] for e in c]


def test_bad_arguments(catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        write_dataset(0, tmp_path, catalog=catalog)
    with pytest.raises(ValueError, match="unknown document kind"):
        write_dataset(1, tmp_path, "fax", catalog=catalog)
