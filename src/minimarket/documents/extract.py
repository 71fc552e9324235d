"""Rules-only conveniences for scripts and tests: :func:`extract` (one document) and :func:`extract_many`
(several, across processes), each an :class:`~minimarket.documents.invoice_reader.InvoiceReader` without
learned parts. A door that serves the trained extractor builds its reader with
:func:`minimarket.learning.runtime.load_reader` instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from minimarket.config import Settings, get_settings
from minimarket.documents.batch import expand_paths
from minimarket.documents.ingest import Document
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.domain.invoice import ExtractedInvoice

__all__ = ["InvoiceReader", "expand_paths", "extract", "extract_many"]


def extract(
    document: Document | str | Path | bytes,
    settings: Settings | None = None,
    *,
    name: str | None = None,
    today: dt.date | None = None,
) -> ExtractedInvoice:
    """Read one invoice with the rules alone (``settings``: the process's settings when ``None``).

    Never raises for bad input: see :meth:`InvoiceReader.extract`.
    """
    return InvoiceReader(settings or get_settings()).extract(document, name=name, today=today)


def extract_many(
    paths: Iterable[str | Path], workers: int = 1, settings: Settings | None = None
) -> Iterator[ExtractedInvoice]:
    """Read every path with the rules alone, in order, ``workers`` processes at a time
    (see :meth:`InvoiceReader.extract_many`)."""
    return InvoiceReader(settings or get_settings()).extract_many(paths, workers)
