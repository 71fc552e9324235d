"""Many documents through one reader: folders expanded, a time limit per document, worker processes.

Each worker process is started fresh and set to read on one core (:mod:`.worker_process`); it receives
the reader once, pickled, in the pool's initializer, and keeps it for every document it reads. A document
over the time limit yields a ``timeout`` record; a worker that dies yields an ``internal_error`` record; the
rest go on.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from minimarket.documents.ingest import detect_file_kind
from minimarket.documents.interpret import rejected
from minimarket.documents.reading_order import hand_out_order
from minimarket.documents.worker_process import WORKER_START, one_core_per_process
from minimarket.domain.invoice import ExtractedInvoice

log = logging.getLogger(__name__)

__all__ = ["DocumentReader", "Limits", "expand_paths", "extract_files"]

HARD_TIMEOUT_GRACE = 30.0
"""Seconds a worker gets past the per-document timeout before it is killed from outside."""


class DocumentReader(Protocol):
    """What the batch needs of a reader: one document (a path) in, one record out, never raising."""

    def extract(self, document: str, *, name: str | None = None) -> ExtractedInvoice: ...


@dataclass(frozen=True)
class Limits:
    """Seconds a document may take (``budget``), and the OCR time limit of the reader's own settings."""

    budget: float
    ocr_timeout: float


class ExtractTimeout(BaseException):
    """Raised inside a worker when a document takes longer than its budget.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that no ``except Exception`` on the way swallows it;
    the OCR runner stops Tesseract on any exception (kills its process, or has it stop at its next word in
    process), so nothing is left running.
    """


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
                        kind = detect_file_kind(child)
                    except OSError:
                        continue
                    if kind is not None:
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


def timeout_record(path: str, seconds: float) -> ExtractedInvoice:
    return rejected(
        path,
        None,
        "timeout",
        f"«{Path(path).name}» tardó más de {seconds:g} s en leerse y se abandonó; pruebe con un archivo más "
        "liviano o una foto más nítida.",
    )


def extract_one(reader: DocumentReader, path: str, limits: Limits) -> dict[str, Any]:
    """One path within the time limit; returns JSON-ready data (cheap to pickle)."""
    try:
        with _time_limit(limits.budget):
            result = reader.extract(path)
    except ExtractTimeout:
        result = timeout_record(path, limits.budget)
    if result.error is not None and result.error.code == "timeout" and limits.budget < limits.ocr_timeout:
        result = timeout_record(path, limits.budget)
    return result.to_json_dict()


_WORKER_READER: DocumentReader | None = None
"""The reader of this worker process, set once by the pool's initializer."""


def _init_worker(reader: DocumentReader) -> None:
    global _WORKER_READER
    one_core_per_process()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_READER = reader


def _extract_in_worker(path: str, limits: Limits) -> dict[str, Any]:
    if _WORKER_READER is None:
        raise RuntimeError("the worker's reader was not set (the pool must be made by extract_files)")
    return extract_one(_WORKER_READER, path, limits)


def extract_files(reader: DocumentReader, files: list[str], workers: int, limits: Limits) -> Iterator[ExtractedInvoice]:
    """Every file read by ``reader``, in order, ``workers`` processes at a time (in this process for one)."""
    if workers <= 1 or len(files) <= 1:
        for path in files:
            yield ExtractedInvoice.model_validate(extract_one(reader, path, limits))
        return
    yield from _pooled(reader, files, workers, limits)


IN_FLIGHT_PER_WORKER = 8
"""Documents handed to the pool ahead of the one whose record is due next, per worker: one slow photo at the
head must not leave the other workers idle while the records are still given in order. Within each window
the likely slowest go first (:func:`~minimarket.documents.reading_order.hand_out_order`)."""


def _pooled(reader: DocumentReader, files: list[str], workers: int, limits: Limits) -> Iterator[ExtractedInvoice]:
    hard_limit = limits.budget + HARD_TIMEOUT_GRACE
    window = max(IN_FLIGHT_PER_WORKER * workers, 16)
    finished: dict[int, dict[str, Any]] = {}  # read by a pool that was then restarted: not read twice
    pending = list(enumerate(files))
    while pending:
        executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=WORKER_START, initializer=_init_worker, initargs=(reader,)
        )
        futures: dict[int, Future[dict[str, Any]]] = {}
        queue = list(pending)
        restart_from: int | None = None
        try:
            order = hand_out_order([path for _, path in queue], window)  # the likely slowest first
            cursor = ahead = 0  # the record due next; the next document to hand to the pool (in ``order``)
            while cursor < len(queue):
                while len(futures) < window and ahead < len(order):
                    index, path = queue[order[ahead]]
                    if index not in finished:
                        futures[index] = executor.submit(_extract_in_worker, path, limits)
                    ahead += 1
                index, path = queue[cursor]
                if index in finished:
                    yield ExtractedInvoice.model_validate(finished.pop(index))
                    cursor += 1
                    continue
                future = futures.pop(index)
                try:
                    data = future.result(timeout=hard_limit)
                    yield ExtractedInvoice.model_validate(data)
                except FutureTimeout:
                    yield timeout_record(path, limits.budget)
                    restart_from = cursor + 1
                    break
                except BrokenProcessPool:
                    log.error("worker died while reading %s", path)
                    yield rejected(
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
                finished.update(_harvest(futures))
                _kill_workers(executor)
                executor.shutdown(wait=False, cancel_futures=True)
                pending = queue[restart_from:]
            else:
                executor.shutdown(wait=True)
                pending = []


def _harvest(futures: dict[int, Future[dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    """The records of the futures that finished cleanly (kept when their pool is restarted)."""
    return {
        index: future.result()
        for index, future in futures.items()
        if future.done() and not future.cancelled() and future.exception() is None
    }


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes (a stuck worker cannot be stopped otherwise)."""
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.terminate()
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.join(timeout=5)
