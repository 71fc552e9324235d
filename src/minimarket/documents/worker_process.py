"""Reading processes: how a pool starts them and what each sets before its first document.

A batch, a training set's reading, a Dask cluster and the service read in parallel with one process per
core. Within such a process a second thread only competes with the neighbouring worker for its core:
Tesseract's OpenMP threads slow it down on small machines (``OMP_THREAD_LIMIT``, which its child processes
are also given), and OpenCV's ``parallel_for`` threads spin waiting for each other on the small images of the
preprocessing. ``benchmarks/ocr_throughput.py``, side by side in one run (2 workers, 14 pages): CPU per page
1.291 s → 1.254 s, pages/s vs raw Tesseract 0.811 → 0.834. A document read on its own (the CLI's
``extract`` of one file, a notebook) keeps OpenCV's threads: they shorten its wait.

The pools start their processes fresh (:data:`WORKER_START`, ``spawn``), not as forks of the door: OpenCV
starts its thread pool when it is imported, and a forked child that reconfigures it waits forever for
threads the fork did not copy (seen as a hung ``cv2.setNumThreads(1)`` in every forked worker); a fork also
copies whatever locks the door's other threads held.
"""

from __future__ import annotations

import multiprocessing
import os

import cv2

WORKER_START = multiprocessing.get_context("spawn")
"""The start method of every pool of reading processes (``mp_context=``)."""


def one_core_per_process() -> None:
    """Read on one core in this process: Tesseract and OpenCV each single-threaded (a pool's initializer).
    An ``OMP_THREAD_LIMIT`` the operator set is kept."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    cv2.setNumThreads(1)
