"""The invoice reader: one object composed from its parts, built by the caller and passed down.

``InvoiceReader(settings)`` reads with the rules alone; ``InvoiceReader(settings, parts=extractor)`` adds the
learned parts of a trained ``invoice-extractor`` (their tuned OCR settings unless ``ocr`` says otherwise).
The doors build it: the CLI, the service at start-up, notebooks, the evaluation (the registry's champion is
resolved by :func:`minimarket.learning.runtime.load_reader`). The reader holds no hidden state and looks
nothing up: one reader can serve any number of documents, threads or worker processes.

:meth:`InvoiceReader.extract` never raises for bad input: an unreadable file (empty, not a PDF/image,
truncated, encrypted, too big, too many pages) gives a ``rejected`` record with ``error = {code, message}``;
a document that reads but is not an invoice is ``rejected`` with code ``not_an_invoice``; anything doubtful
is ``needs_review`` with the failing checks saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from minimarket.config import Settings
from minimarket.documents.batch import Limits, expand_paths, extract_files
from minimarket.documents.ingest import Document, DocumentError, load_document
from minimarket.documents.interpret import extract_text, interpret, rejected
from minimarket.documents.layout import DocumentText
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.documents.parts import LearnedParts
from minimarket.documents.reader import read_document
from minimarket.domain.invoice import ExtractedInvoice

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

__all__ = ["InvoiceReader"]


@dataclass(frozen=True, eq=False)
class InvoiceReader:
    """Reads invoices with ``settings``, the Tesseract settings ``ocr`` and the learned ``parts`` (or none).

    ``ocr`` defaults to the parts' tuned settings, or Tesseract's defaults for the rules. ``version`` names
    where the parts came from (the registry version of the champion), for logs and for a service that
    rebuilds its reader when the champion changes.
    """

    settings: Settings
    parts: LearnedParts | None = None
    ocr: OcrSettings | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if self.ocr is None:
            tuned = self.parts.ocr_settings() if self.parts is not None else None
            object.__setattr__(self, "ocr", tuned or OcrSettings())

    @property
    def learned(self) -> bool:
        """Whether learned parts take part (else the rules alone)."""
        return self.parts is not None

    def describe(self) -> str:
        """Which reader this is, for logs and reports."""
        if self.parts is None:
            return "reglas"
        return f"invoice-extractor v{self.version}" if self.version else "invoice-extractor"

    def with_settings(self, settings: Settings) -> InvoiceReader:
        """The same parts with other settings (limits, language, tolerance)."""
        return replace(self, settings=settings)

    # --- one document -------------------------------------------------------------------------------------

    def read(self, doc: Document) -> DocumentText:
        """The reading layer alone: positioned text and decoded codes of every page."""
        return read_document(doc, self.settings, self.ocr)

    def interpret(self, text: DocumentText, *, today: dt.date | None = None) -> ExtractedInvoice:
        """Fields, items, totals, checks and status of text already read (no identity, no rejection)."""
        return interpret(text, self.settings, today, self.parts)

    def extract_text(
        self,
        text: DocumentText,
        doc: Document,
        *,
        today: dt.date | None = None,
        source_file: str | None = None,
    ) -> ExtractedInvoice:
        """The invoice of ``doc`` from its text already read (a cached reading): identity included, and
        ``rejected`` when it is not an invoice."""
        return extract_text(text, doc, self.settings, today, source_file, self.parts)

    def extract(
        self,
        document: Document | str | Path | bytes,
        *,
        name: str | None = None,
        today: dt.date | None = None,
    ) -> ExtractedInvoice:
        """Read one invoice (a loaded :class:`Document`, a path or raw bytes); never raises for bad input."""
        source_file = _source_name(document, name)
        try:
            doc = (
                document
                if isinstance(document, Document)
                else load_document(document, name=name, settings=self.settings)
            )
        except DocumentError as exc:
            return rejected(source_file, None, exc.code, exc.message)
        try:
            return self.extract_text(self.read(doc), doc, today=today, source_file=source_file)
        except DocumentError as exc:
            return rejected(source_file, doc.sha256, exc.code, exc.message, doc.pages)
        except MemoryError:
            return rejected(
                source_file, doc.sha256, "too_large", f"«{doc.name}» necesita demasiada memoria para leerse."
            )
        except Exception as exc:  # a reader failure on odd input must not take the batch down
            log.exception("extraction failed for %s", source_file)
            return rejected(
                source_file,
                doc.sha256,
                "internal_error",
                f"No se pudo procesar «{doc.name}» ({type(exc).__name__}); el archivo se puede revisar a mano.",
                doc.pages,
            )

    # --- many documents -----------------------------------------------------------------------------------

    def extract_many(
        self, paths: Iterable[str | Path], workers: int = 1, *, client: Client | None = None
    ) -> Iterator[ExtractedInvoice]:
        """Extract every path (folders expanded by :func:`~minimarket.documents.batch.expand_paths`), in
        order, ``workers`` processes at a time, or on the workers of the Dask ``client`` when given; each
        worker process receives this reader once. A bad file yields its error record and the rest go on; a
        document over ``Settings.extract_timeout_seconds`` yields a ``timeout`` record. The records are the
        same either way. The worker processes start fresh (:mod:`~minimarket.documents.worker_process`): a
        script that reads with ``workers > 1`` calls this under ``if __name__ == "__main__":``."""
        settings = self.settings
        budget = settings.extract_timeout_seconds
        # OCR stops cleanly within the document's budget; the alarm is the backstop for everything else
        capped = self.with_settings(
            settings.model_copy(update={"ocr_timeout_seconds": min(settings.ocr_timeout_seconds, budget)})
        )
        files = [str(p) for p in expand_paths(paths)]
        limits = Limits(budget, settings.ocr_timeout_seconds)
        if client is not None:
            from minimarket.documents.dask_pool import extract_files_dask

            yield from extract_files_dask(client, capped, files, limits)
            return
        yield from extract_files(capped, files, workers, limits)


def _source_name(document: Document | str | Path | bytes, name: str | None) -> str:
    if name:
        return name
    if isinstance(document, Document):
        return document.name
    if isinstance(document, str | Path):
        return str(document)
    return "documento"
