"""Shared fixtures: clean synthetic PDFs (text layer, no OCR) read by the real reading layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from minimarket.catalog import Catalog, bundled_catalog
from minimarket.documents.ingest import load_document
from minimarket.documents.layout import DocumentText
from minimarket.documents.reader import read_document
from minimarket.domain.invoice import ExtractedInvoice


@dataclass
class ReadDoc:
    name: str
    layout: str
    text: DocumentText
    truth: ExtractedInvoice
    data: bytes


def _read(catalog: Catalog, seed: int, per_layout: int) -> list[ReadDoc]:
    """``per_layout`` clean PDFs of every layout."""
    from minimarket.synth.invoices import LAYOUT_NAMES, SampleOptions, make_document

    docs = []
    for index in range(per_layout * len(LAYOUT_NAMES)):
        layout = LAYOUT_NAMES[index % len(LAYOUT_NAMES)]
        document = make_document(catalog, seed, index, "pdf", options=SampleOptions(layout=layout, max_items=12))
        text = read_document(load_document(document.data, name=document.name))
        docs.append(ReadDoc(document.name, document.spec.layout, text, document.truth, document.data))
    return docs


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return bundled_catalog()


@pytest.fixture(scope="session")
def train_docs(catalog: Catalog) -> list[ReadDoc]:
    return _read(catalog, 501, 2)


@pytest.fixture(scope="session")
def heldout_docs(catalog: Catalog) -> list[ReadDoc]:
    return _read(catalog, 502, 1)


def views_of(doc: ReadDoc) -> tuple[list[Any], Any]:
    from minimarket.documents.interpret import invoice_views

    seen = invoice_views(doc.text)
    return seen.views, seen.fmt
