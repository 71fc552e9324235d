"""The composed reader on real synthetic PDFs: its parts are what the caller passed, learned parts take part in
reading, and worker processes receive the reader once each (never once per document)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minimarket.catalog import bundled_catalog
from minimarket.config import Settings
from minimarket.documents.extract import extract
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.documents.items import ItemsResult, extract_items
from minimarket.documents.linetext import PageView
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.domain.invoice import Check, ExtractedInvoice
from minimarket.domain.numbers import NumberFormat


class TracingParts:
    """Learned parts that read items with the rules and sign each invoice with the process that finished it
    and the instance's serial number in that process (a copy unpickled for a document gets a new one)."""

    made = 0

    def __init__(self) -> None:
        self.serial = TracingParts._next()

    @staticmethod
    def _next() -> int:
        TracingParts.made += 1
        return TracingParts.made

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.serial = TracingParts._next()

    def ocr_settings(self) -> OcrSettings:
        return OcrSettings(psm=6)

    def extract_items(self, views: list[PageView], fmt: NumberFormat | None) -> ItemsResult:
        return extract_items(views, fmt)

    def finish(self, result: ExtractedInvoice) -> None:
        result.checks.append(Check(name="reader", ok=True, detail=f"{os.getpid()}:{self.serial}"))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from minimarket.synth.invoices import SampleOptions, make_document

    folder = tmp_path_factory.mktemp("pdfs")
    catalog = bundled_catalog()
    paths = []
    for index in range(4):
        document = make_document(catalog, 61, index, "pdf", options=SampleOptions(max_items=3))
        path = folder / document.name
        path.write_bytes(document.data)
        paths.append(path)
    return paths


def test_a_rules_reader_reads_like_the_convenience(settings: Settings, pdfs: list[Path]) -> None:
    reader = InvoiceReader(settings)
    assert reader.ocr == OcrSettings() and not reader.learned and reader.describe() == "reglas"
    got = reader.extract(pdfs[0])
    assert got.to_json_dict() == extract(pdfs[0], settings).to_json_dict()
    assert got.status == "accepted" and not any(check.name == "reader" for check in got.checks)


def test_parts_take_part_and_explicit_ocr_settings_win(settings: Settings, pdfs: list[Path]) -> None:
    parts = TracingParts()
    assert InvoiceReader(settings, parts=parts).ocr == OcrSettings(psm=6)
    reader = InvoiceReader(settings, parts=parts, ocr=OcrSettings(psm=11), version="3")
    assert reader.ocr == OcrSettings(psm=11) and reader.describe() == "invoice-extractor v3"
    signed = [check for check in reader.extract(pdfs[0]).checks if check.name == "reader"]
    assert [check.detail for check in signed] == [f"{os.getpid()}:{parts.serial}"]


def test_workers_get_the_reader_once_each(settings: Settings, pdfs: list[Path]) -> None:
    reader = InvoiceReader(settings, parts=TracingParts())
    results = list(reader.extract_many([*pdfs, *pdfs], workers=2))
    assert [r.source_file for r in results] == [str(p) for p in [*pdfs, *pdfs]]
    signatures = [next(c.detail for c in r.checks if c.name == "reader") for r in results]
    by_process: dict[str, set[str]] = {}
    for signature in signatures:
        pid, instance = signature.split(":")
        by_process.setdefault(pid, set()).add(instance)
    assert str(os.getpid()) not in by_process  # read in the workers
    assert 1 <= len(by_process) <= 2 and all(len(instances) == 1 for instances in by_process.values())
