"""The one entry point for reading invoices: :func:`extract` (one document) and :func:`extract_many`
(several, across processes).

``extract`` never raises for bad input: an unreadable file (empty, not a PDF/image, truncated, encrypted,
too big, too many pages) gives a ``rejected`` record with ``error = {code, message}``; a document that
reads but is not an invoice is ``rejected`` with code ``not_an_invoice``; anything doubtful is
``needs_review`` with the failing checks saying why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from minimarket.config import Settings, get_settings
from minimarket.documents.fields import extract_header, fill_from_second_readings
from minimarket.documents.ingest import Document, DocumentError, detect_kind, load_document
from minimarket.documents.items import ItemsResult, extract_items
from minimarket.documents.layout import DocumentText
from minimarket.documents.linetext import PageView, page_view, strip_accents
from minimarket.documents.pages import PageSelection, select_pages
from minimarket.documents.reconcile import Evidence, reconcile
from minimarket.documents.totals import Totals, choose_totals, read_totals
from minimarket.domain.barcode import BarcodeParseError, CaeBarcode, parse_cae_barcode
from minimarket.domain.invoice import Check, ErrorInfo, ExtractedInvoice, Source, Status
from minimarket.domain.money import line_adds_up
from minimarket.domain.numbers import NumberFormat, detect_number_format
from minimarket.domain.qr import QrParseError, QrPayload, parse_qr_url

log = logging.getLogger(__name__)

__all__ = [
    "LearnedParts",
    "expand_paths",
    "extract",
    "extract_many",
    "extract_text",
    "interpret",
    "learned_parts",
    "using_learned_parts",
]

_HARD_TIMEOUT_GRACE = 30.0
"""Seconds a worker gets past the per-document timeout before it is killed from outside."""


class ExtractTimeout(BaseException):
    """Raised inside a worker when a document takes longer than ``Settings.extract_timeout_seconds``.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that no ``except Exception`` on the way swallows it;
    the OCR runner kills its Tesseract process on any exception, so nothing is left running.
    """


def _rejected(
    source_file: str | None, sha256: str | None, code: str, message: str, pages: int | None = None
) -> ExtractedInvoice:
    return ExtractedInvoice(
        source_file=source_file,
        sha256=sha256,
        pages=pages,
        currency=None,
        exchange_rate=None,
        status=Status.REJECTED,
        error=ErrorInfo(code=code, message=message),
    )


def _source_name(document: Document | str | Path | bytes, name: str | None) -> str:
    if name:
        return name
    if isinstance(document, Document):
        return document.name
    if isinstance(document, str | Path):
        return str(document)
    return "documento"


# --- interpretation ---------------------------------------------------------------------------------------


def _codes(text: DocumentText, pages: set[int]) -> tuple[QrPayload | None, list[str], CaeBarcode | None]:
    """The AFIP QR (the most complete reading on the invoice's pages), QR conflicts, and the CAE barcode."""
    payloads: list[QrPayload] = []
    barcodes: list[CaeBarcode] = []
    for code in text.codes:
        if code.page not in pages:
            continue
        if code.kind == "qr":
            try:
                payloads.append(parse_qr_url(code.text))
            except QrParseError:
                continue
        elif code.kind in ("i2of5", "itf", "barcode"):
            digits = re.sub(r"\D", "", code.text)
            try:
                barcodes.append(parse_cae_barcode(digits))
            except BarcodeParseError:
                continue
    qr = max(payloads, key=lambda p: (len(p.values()) - len(p.missing), not p.truncated), default=None)
    conflicts: list[str] = []
    if qr is not None:
        key = (qr.cuit, qr.pto_vta, qr.tipo_cmp, qr.nro_cmp)
        for other in payloads:
            other_key = (other.cuit, other.pto_vta, other.tipo_cmp, other.nro_cmp)
            if all(a is not None for a in other_key) and other_key != key and all(a is not None for a in key):
                conflicts.append(f"{other.cuit} {other.pto_vta:05d}-{other.nro_cmp:08d}")
    barcode = next((b for b in barcodes if b.check_ok), barcodes[0] if barcodes else None)
    return qr, sorted(set(conflicts)), barcode


def _number_samples(views: list[PageView]) -> list[str]:
    return re.findall(r"\d[\d.,]*[.,]\d+", "\n".join(view.text for view in views))


def interpret(text: DocumentText, settings: Settings | None = None, today: dt.date | None = None) -> ExtractedInvoice:
    """Fields, items, totals, codes, checks and status of a document already read by the reading layer.

    A one-page invoice scanned or photographed with its copies (ORIGINAL, DUPLICADO…) is read from the copy
    whose reading checks out best: OCR misreads each copy differently, and the arithmetic, the QR and the
    CUIT check digit tell which reading to trust.
    """
    settings = settings or get_settings()
    views = [page_view(page) for page in text.pages]
    selection: PageSelection = select_pages(views)
    parts = learned_parts()
    result = _interpret_selection(text, selection, settings, today, parts)
    chosen = selection.views
    if len(chosen) == 1 and selection.copies and chosen[0].ocr:
        by_index = {view.index: view for view in views}
        best = (_reading_quality(result), 0)
        for n, index in enumerate(selection.copies, start=1):
            alternative = replace(selection, views=[by_index[index]], copies=[chosen[0].index, *selection.copies])
            alternative.copies.remove(index)
            candidate = _interpret_selection(text, alternative, settings, today, parts)
            quality = (_reading_quality(candidate), -n)
            if quality > best:
                best, result = quality, candidate
    return result


def _items_adding_up(result: ExtractedInvoice) -> int:
    """How many items read quantity × unit price − discount = amount."""
    return sum(
        1
        for item in result.items
        if item.quantity is not None
        and item.unit_price is not None
        and item.amount is not None
        and line_adds_up(item.quantity, item.unit_price, item.amount, item.discount)
    )


def _reading_quality(result: ExtractedInvoice) -> tuple[int, int, int, int]:
    """How well a reading checks out: accepted, fewer failed checks, more items whose quantity × price is
    the amount, more fields found."""
    failed = sum(not check.ok for check in result.checks)
    consistent = _items_adding_up(result)
    found = sum(getattr(result, name) is not None for name in ("net_amount", "cae", "cae_due_date", "total"))
    return (result.status == Status.ACCEPTED, -failed, consistent, found)


def _interpret_selection(
    text: DocumentText,
    selection: PageSelection,
    settings: Settings,
    today: dt.date | None,
    parts: LearnedParts | None,
) -> ExtractedInvoice:
    chosen = selection.views
    fmt = detect_number_format(_number_samples(chosen))
    items = parts.extract_items(chosen, fmt) if parts is not None else extract_items(chosen, fmt)
    header_bottom = None
    if items.layouts and chosen and items.layouts[0].page == chosen[0].index:
        header_bottom = items.layouts[0].y0
    header = extract_header(chosen, header_bottom, fmt)
    fill_from_second_readings(header, chosen, header_bottom, fmt)
    tolerance = Decimal(str(settings.total_tolerance))
    totals_read = read_totals(chosen[-1:], fmt, items.table_end) if chosen else None
    if totals_read is not None and not totals_read.candidates and len(chosen) > 1:
        totals_read = read_totals(chosen, fmt, items.table_end)
    totals = choose_totals(totals_read, tolerance, chosen[-1].index) if totals_read is not None else None
    invoice_pages = set(selection.indexes) | set(selection.copies)
    qr, conflicts, barcode = _codes(text, invoice_pages)
    if qr is None and barcode is None and not chosen:
        qr, conflicts, barcode = _codes(text, {p.index for p in text.pages})
    ev = Evidence(
        header=header,
        totals=totals or Totals(),
        items=items,
        selection=selection,
        qr=qr,
        qr_conflicts=conflicts,
        barcode=barcode,
        ocr=bool(chosen) and all(view.ocr for view in chosen),
        pages_total=len(text.pages),
    )
    result = reconcile(ev, settings, today)
    _mark_ocr_fields(result, chosen, header)
    if parts is not None:
        parts.finish(result)
    return result


def _mark_ocr_fields(result: ExtractedInvoice, chosen: list[PageView], header: Any) -> None:
    """Fields read from OCR'd words (a scan, or a letterhead picture under a text page) say ``ocr``."""
    ocr_lines = {
        (view.index, round(lt.y0, 1)) for view in chosen for lt in view.lines if lt.line.conf < 0.999 or view.ocr
    }
    for name in (
        "invoice_type",
        "afip_code",
        "point_of_sale",
        "number",
        "issue_date",
        "issuer_cuit",
        "issuer_name",
        "cae",
        "cae_due_date",
        "receiver_doc_number",
        "receiver_name",
    ):
        found = getattr(header, name, None)
        if found is None or result.sources.get(name) != Source.TEXT.value:
            continue
        if (found.page, round(found.y, 1)) in ocr_lines:
            result.sources[name] = Source.OCR.value


def _not_an_invoice(result: ExtractedInvoice, text: DocumentText) -> bool:
    """Nothing an invoice has: at most one fiscal key (CUIT, CAE, number, date, total, net), no code, and no
    items table whose lines add up (a photo cut below its header still has its CAE, net and items)."""
    key = ("afip_code", "point_of_sale", "number", "issuer_cuit", "total", "cae", "issue_date", "net_amount")
    found = sum(getattr(result, name) is not None for name in key)
    return found + (_items_adding_up(result) >= MIN_ITEMS_OF_AN_INVOICE) <= 1 and not text.codes


MIN_ITEMS_OF_AN_INVOICE = 2
"""Item lines adding up (quantity × price = amount) that count as evidence of an invoice."""


_FISCAL_TITLE = re.compile(r"\b(FACTURA|TIQUE|TICKET|NOTA DE (CREDITO|DEBITO)|COMPROBANTE)\b")


def _names_a_fiscal_document(text: DocumentText) -> bool:
    """Whether the words read include a fiscal document's title ("FACTURA", "NOTA DE CRÉDITO", …)."""
    words = " ".join(word.text for page in text.pages for word in page.words)
    return bool(_FISCAL_TITLE.search(strip_accents(words).upper()))


def extract_text(
    text: DocumentText,
    doc: Document,
    settings: Settings | None = None,
    today: dt.date | None = None,
    source_file: str | None = None,
) -> ExtractedInvoice:
    """:func:`interpret` plus the document's identity, and the ``not_an_invoice`` rule."""
    result = interpret(text, settings, today)
    result.source_file = source_file or doc.name
    result.sha256 = doc.sha256
    result.pages = doc.pages
    if _not_an_invoice(result, text) and _names_a_fiscal_document(text):
        # an invoice too blurred to read is still an invoice: a person looks at it, or takes a better picture
        result.checks.append(
            Check(
                name="legible",
                ok=False,
                detail="Dice ser un comprobante, pero casi no se pudo leer (faltan CUIT, CAE, fecha o total): "
                "revíselo a mano o envíe una foto más nítida, de frente y con buena luz.",
            )
        )
        result.status = Status.NEEDS_REVIEW
        return result
    if _not_an_invoice(result, text):
        words = sum(len(page.words) for page in text.pages)
        detail = (
            "no se encontró texto legible"
            if words == 0
            else "no se encontraron datos de factura (CUIT, CAE, número, total)"
        )
        return _rejected(
            result.source_file,
            doc.sha256,
            "not_an_invoice",
            f"«{doc.name}» no parece una factura: {detail}. Se aceptan facturas, notas de crédito o débito y "
            "tiques en PDF o en foto/escaneo legible.",
            doc.pages,
        )
    return result


def extract(
    document: Document | str | Path | bytes,
    settings: Settings | None = None,
    *,
    name: str | None = None,
    today: dt.date | None = None,
) -> ExtractedInvoice:
    """Read one invoice (a loaded :class:`Document`, a path or raw bytes) into an :class:`ExtractedInvoice`.

    Never raises for bad input: see the module docstring.
    """
    settings = settings or get_settings()
    source_file = _source_name(document, name)
    try:
        doc = document if isinstance(document, Document) else load_document(document, name=name, settings=settings)
    except DocumentError as exc:
        return _rejected(source_file, None, exc.code, exc.message)
    try:
        text = _read_with_learned_ocr(doc, settings)
        return extract_text(text, doc, settings, today, source_file)
    except DocumentError as exc:
        return _rejected(source_file, doc.sha256, exc.code, exc.message, doc.pages)
    except MemoryError:
        return _rejected(source_file, doc.sha256, "too_large", f"«{doc.name}» necesita demasiada memoria para leerse.")
    except Exception as exc:  # a reader failure on odd input must not take the batch down
        log.exception("extraction failed for %s", source_file)
        return _rejected(
            source_file,
            doc.sha256,
            "internal_error",
            f"No se pudo procesar «{doc.name}» ({type(exc).__name__}); el archivo se puede revisar a mano.",
            doc.pages,
        )


# --- learned parts (issue 4): the registered invoice-extractor champion, when present ------------------------


class LearnedParts(Protocol):
    """What the learned invoice-extractor adds to the rules (:mod:`minimarket.learning.extractor_model`)."""

    def ocr_settings(self) -> Any:
        """The tuned :class:`~minimarket.documents.ocr.engine.OcrSettings` (or ``None`` for the defaults)."""
        ...

    def extract_items(self, views: list[PageView], fmt: NumberFormat | None) -> ItemsResult:
        """The items of the invoice pages (learned row/column classifiers where they help)."""
        ...

    def finish(self, result: ExtractedInvoice) -> None:
        """Last touches on a reconciled invoice (catalog SKU of each item)."""
        ...


_AUTO: Any = object()
_PARTS: ContextVar[Any] = ContextVar("minimarket_learned_parts", default=_AUTO)


def learned_parts() -> LearnedParts | None:
    """The learned parts in force: those set by :func:`using_learned_parts`, else the ``invoice-extractor``
    champion of the MLflow registry (loaded once per process), else ``None`` (rules only)."""
    parts = _PARTS.get()
    if parts is not _AUTO:
        return parts
    from minimarket.learning.runtime import champion_parts

    return champion_parts()


@contextlib.contextmanager
def using_learned_parts(parts: LearnedParts | None) -> Iterator[None]:
    """Extract with ``parts`` inside the block (``None``: rules only, whatever the registry holds)."""
    token = _PARTS.set(parts)
    try:
        yield
    finally:
        _PARTS.reset(token)


def _read_with_learned_ocr(doc: Document, settings: Settings) -> DocumentText:
    from minimarket.documents.ocr.engine import using_ocr_settings
    from minimarket.documents.reader import read_document

    parts = learned_parts()
    with using_ocr_settings(parts.ocr_settings() if parts is not None else None):
        return read_document(doc, settings)


# --- many documents ---------------------------------------------------------------------------------------


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and folders expanded (recursively, sorted) to the files whose bytes are a PDF or a
    supported image; hidden files are skipped. A path that does not exist is kept (it yields an error record)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    try:
                        with child.open("rb") as fh:
                            head = fh.read(1024)
                    except OSError:
                        continue
                    if detect_kind(head) is not None:
                        out.append(child)
        else:
            out.append(path)
    return out


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise ExtractTimeout


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ExtractTimeout` after ``seconds`` (main thread of a process only; else no limit)."""
    try:
        previous = signal.signal(signal.SIGALRM, _alarm)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timeout_record(path: str, seconds: float) -> ExtractedInvoice:
    return _rejected(
        path,
        None,
        "timeout",
        f"«{Path(path).name}» tardó más de {seconds:g} s en leerse y se abandonó; pruebe con un archivo más "
        "liviano o una foto más nítida.",
    )


def _extract_one(path: str, settings: Settings | None) -> dict[str, Any]:
    """Worker: extract one path within the time limit; returns JSON-ready data (cheap to pickle)."""
    settings = settings or get_settings()
    budget = settings.extract_timeout_seconds
    # OCR stops cleanly within the document's budget; the alarm is the backstop for everything else
    capped = settings.model_copy(update={"ocr_timeout_seconds": min(settings.ocr_timeout_seconds, budget)})
    try:
        with _time_limit(budget):
            result = extract(path, capped)
    except ExtractTimeout:
        result = _timeout_record(path, budget)
    if result.error is not None and result.error.code == "timeout":
        result = _timeout_record(path, budget) if budget < settings.ocr_timeout_seconds else result
    return result.to_json_dict()


def _init_worker() -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def extract_many(
    paths: Iterable[str | Path], workers: int = 1, settings: Settings | None = None
) -> Iterator[ExtractedInvoice]:
    """Extract every path (folders expanded by :func:`expand_paths`), in order, ``workers`` processes at a
    time. A bad file yields its error record and the rest go on; a document over
    ``Settings.extract_timeout_seconds`` yields a ``timeout`` record."""
    settings = settings or get_settings()
    files = [str(p) for p in expand_paths(paths)]
    if workers <= 1 or len(files) <= 1:
        for path in files:
            yield ExtractedInvoice.model_validate(_extract_one(path, settings))
        return
    yield from _pooled(files, workers, settings)


def _pooled(files: list[str], workers: int, settings: Settings) -> Iterator[ExtractedInvoice]:
    hard_limit = settings.extract_timeout_seconds + _HARD_TIMEOUT_GRACE
    pending = list(enumerate(files))
    while pending:
        executor = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker)
        window = max(2 * workers, 4)
        futures: dict[int, Future[dict[str, Any]]] = {}
        queue = list(pending)
        restart_from: int | None = None
        try:
            cursor = 0
            while cursor < len(queue):
                while len(futures) < window and cursor + len(futures) < len(queue):
                    index, path = queue[cursor + len(futures)]
                    futures[index] = executor.submit(_extract_one, path, settings)
                index, path = queue[cursor]
                future = futures.pop(index)
                try:
                    data = future.result(timeout=hard_limit)
                    yield ExtractedInvoice.model_validate(data)
                except FutureTimeout:
                    yield _timeout_record(path, settings.extract_timeout_seconds)
                    restart_from = cursor + 1
                    break
                except BrokenProcessPool:
                    log.error("worker died while reading %s", path)
                    yield _rejected(
                        path,
                        None,
                        "internal_error",
                        f"El proceso que leía «{Path(path).name}» terminó de forma inesperada (¿memoria?).",
                    )
                    restart_from = cursor + 1
                    break
                cursor += 1
            else:
                pending = []
        finally:
            if restart_from is not None:
                _kill_workers(executor)
                executor.shutdown(wait=False, cancel_futures=True)
                pending = queue[restart_from:]
            else:
                executor.shutdown(wait=True)
                pending = []


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes (a stuck worker cannot be stopped otherwise)."""
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.terminate()
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.join(timeout=5)
