"""Many documents through one reader on a Dask cluster: the same records as the local process pool.

Each worker receives the reader once, through a :class:`ReaderPlugin` registered with the scheduler (a worker
that joins or restarts later gets it too), and keeps it for every document it reads; a task calls
:func:`~minimarket.documents.batch.extract_one`, as a local pool worker does, so the records are the same.
The workers must see the same paths as the client (one machine, or a shared folder).

Records come back in the order of the files. A worker that dies while reading is replaced and the document is
read again once (the scheduler's ``allowed-failures``); a second death gives an ``internal_error`` record.
A document past its budget (plus a grace) gives a ``timeout`` record. The rest go on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin, get_worker

from minimarket.documents.batch import (
    HARD_TIMEOUT_GRACE,
    IN_FLIGHT_PER_WORKER,
    DocumentReader,
    Limits,
    extract_one,
    timeout_record,
)
from minimarket.documents.interpret import rejected
from minimarket.documents.reading_order import hand_out_order
from minimarket.documents.worker_process import one_core_per_process
from minimarket.domain.invoice import ExtractedInvoice

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

__all__ = ["PLUGIN_NAME", "ReaderPlugin", "extract_files_dask"]

PLUGIN_NAME = "minimarket-reader"


class ReaderPlugin(WorkerPlugin):
    """Gives every worker the door's reader, once (pickled once per worker, like a pool's initializer)."""

    name = PLUGIN_NAME

    def __init__(self, reader: DocumentReader) -> None:
        self.reader = reader

    def setup(self, worker: Any) -> None:
        one_core_per_process()


def _worker_reader() -> DocumentReader:
    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, ReaderPlugin):
        raise RuntimeError("this worker has no minimarket reader (use extract_files_dask to submit documents)")
    return plugin.reader


def extract_on_worker(path: str, limits: Limits) -> dict[str, Any]:
    """The task: one path read by this worker's reader (JSON-ready data, cheap to send back)."""
    return extract_one(_worker_reader(), path, limits)


def _died(path: str) -> ExtractedInvoice:
    return rejected(
        path,
        None,
        "internal_error",
        f"El proceso que leía «{Path(path).name}» terminó de forma inesperada dos veces (¿memoria?); "
        "el archivo se puede revisar a mano.",
    )


def extract_files_dask(
    client: Client, reader: DocumentReader, files: list[str], limits: Limits, *, window: int | None = None
) -> Iterator[ExtractedInvoice]:
    """Every file read on ``client``'s workers by ``reader``, in order; at most ``window`` documents in flight
    (default: as many per worker thread as the local pool, at least 16), so that a long run holds little and
    resumes cheaply, the likely slowest of each window first
    (:func:`~minimarket.documents.reading_order.hand_out_order`)."""
    from distributed import KilledWorker

    if not files:
        return
    client.register_plugin(ReaderPlugin(reader), name=PLUGIN_NAME)
    threads = sum(client.nthreads().values()) or 1
    window = window or max(IN_FLIGHT_PER_WORKER * threads, 16)
    hard_limit = limits.budget + HARD_TIMEOUT_GRACE
    run = uuid.uuid4().hex[:8]
    futures: dict[int, Future] = {}
    order = hand_out_order(files, window)  # the likely slowest of each window first
    handed = 0
    try:
        for index, path in enumerate(files):
            while handed < len(order) and len(futures) < window:
                at = order[handed]
                futures[at] = client.submit(extract_on_worker, files[at], limits, key=f"extract-{run}-{at}", pure=False)
                handed += 1
            future = futures.pop(index)
            try:
                data = future.result(timeout=hard_limit)
            except KilledWorker:
                log.error("workers died twice while reading %s", path)
                yield _died(path)
                continue
            except TimeoutError:
                future.cancel()
                yield timeout_record(path, limits.budget)
                continue
            except Exception as exc:  # the task itself failed (the reader never raises for bad input)
                log.error("reading %s failed on the cluster: %s: %s", path, type(exc).__name__, exc)
                yield rejected(
                    path,
                    None,
                    "internal_error",
                    f"No se pudo procesar «{Path(path).name}» en el clúster ({type(exc).__name__}).",
                )
                continue
            yield ExtractedInvoice.model_validate(data)
    finally:  # stopped early (a kill, an error in the caller): nothing left running for this run
        if futures:
            client.cancel(list(futures.values()))
