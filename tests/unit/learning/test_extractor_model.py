"""The invoice-extractor's learned parts on a clean PDF, and the pyfunc input decoding."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from minimarket.catalog import Catalog
from minimarket.config import Settings
from minimarket.documents.extract import extract
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.learning.extractor_model import ExtractorConfig, LearnedExtractor
from minimarket.learning.extractor_pyfunc import decode_document
from minimarket.learning.matching import ProductMatcher, catalog_entries

from .conftest import ReadDoc


def test_decode_document_accepts_paths_and_base64(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(b"%PDF-1.4 x")
    assert decode_document(str(path)) == (str(path), "f.pdf")
    assert decode_document(base64.b64encode(b"abc").decode()) == (b"abc", None)
    assert decode_document("base64:" + base64.b64encode(b"abc").decode()) == (b"abc", None)
    with pytest.raises(ValueError, match="path to an existing file"):
        decode_document("not/a/file.pdf")


def test_matcher_fills_skus_and_rules_leave_them_empty(catalog: Catalog, heldout_docs: list[ReadDoc]) -> None:
    doc = next(d for d in heldout_docs if len(d.truth.items) >= 3)
    parts = LearnedExtractor(ExtractorConfig(), matcher=ProductMatcher.fit(catalog_entries(catalog.products)))
    rules = extract(doc.data, name=doc.name)
    learned = parts.extract(doc.data, name=doc.name)
    assert all(item.sku is None for item in rules.items)
    truth = [item.sku for item in doc.truth.items if item.sku]
    got = [item.sku for item in learned.items if item.sku]
    assert len(got) >= 0.9 * len(truth)
    assert sum(a == b for a, b in zip(got, truth, strict=False)) >= 0.9 * len(truth)
    assert all(0 < (item.sku_confidence or 0) <= 1 for item in learned.items if item.sku)
    assert learned.total == rules.total and len(learned.items) == len(rules.items)


def test_the_reader_of_the_parts_reads_with_their_ocr_settings(settings: Settings) -> None:
    tuned = OcrSettings(psm=6, binarize=True)
    parts = LearnedExtractor(ExtractorConfig(ocr=tuned))
    reader = parts.reader(settings, version="7")
    assert reader.parts is parts and reader.ocr == tuned and reader.learned
    assert reader.describe() == "invoice-extractor v7"
