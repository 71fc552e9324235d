"""The worker pool of ``extract_files``: records in order, slow heads not blocking the rest, a dead worker."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from minimarket.documents.batch import Limits, extract_files
from minimarket.documents.interpret import rejected
from minimarket.domain.invoice import ExtractedInvoice

LIMITS = Limits(budget=60.0, ocr_timeout=60.0)


@dataclass(frozen=True)
class LoggingReader:
    """Appends each path it reads to ``log`` (one line per read, from any process); ``crash*`` paths kill the
    worker after ``crash_after`` seconds, ``slow*`` paths take ``slow`` seconds."""

    log: Path
    crash_after: float = 2.0
    slow: float = 0.0

    def extract(self, document: str, *, name: str | None = None) -> ExtractedInvoice:
        stem = Path(document).name
        if stem.startswith("crash"):
            time.sleep(self.crash_after)
            os._exit(1)
        if stem.startswith("slow"):
            time.sleep(self.slow)
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"{stem} {time.monotonic()}\n")
        return rejected(document, None, "read", stem)


def _reads(log: Path) -> list[tuple[str, float]]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(name, float(moment)) for name, moment in (line.split() for line in lines)]


def test_records_come_in_order_while_a_slow_head_does_not_hold_the_other_worker(tmp_path: Path) -> None:
    reader = LoggingReader(tmp_path / "reads.log", slow=3.0)
    files = [str(tmp_path / "slow.pdf"), *(str(tmp_path / f"doc{i:02d}.pdf") for i in range(10))]
    records = list(extract_files(reader, files, workers=2, limits=LIMITS))
    assert [r.source_file for r in records] == files
    reads = dict(_reads(reader.log))
    # every fast document was read by the other worker before the slow head finished
    assert max(reads[f"doc{i:02d}.pdf"] for i in range(10)) < reads["slow.pdf"]


def test_documents_read_before_a_worker_died_are_not_read_again(tmp_path: Path) -> None:
    reader = LoggingReader(tmp_path / "reads.log", crash_after=3.0)
    files = [str(tmp_path / "crash.pdf"), *(str(tmp_path / f"doc{i}.pdf") for i in range(4))]
    records = list(extract_files(reader, files, workers=2, limits=LIMITS))
    assert [r.source_file for r in records] == files
    assert records[0].error is not None and records[0].error.code == "internal_error"
    assert all(r.error is not None and r.error.code == "read" for r in records[1:])
    names = [name for name, _ in _reads(reader.log)]
    assert sorted(names) == [f"doc{i}.pdf" for i in range(4)]  # each once


@dataclass(frozen=True)
class ThreadsReader:
    """Writes, for each path it reads, how many threads OpenCV would use in the process reading it."""

    log: Path

    def extract(self, document: str, *, name: str | None = None) -> ExtractedInvoice:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"{Path(document).name} {cv2.getNumThreads()}\n")
        return rejected(document, None, "read", Path(document).name)


def test_pool_workers_read_on_one_core_while_the_door_keeps_its_threads(tmp_path: Path) -> None:
    threads = cv2.getNumThreads()
    reader = ThreadsReader(tmp_path / "threads.log")
    files = [str(tmp_path / f"doc{i}.pdf") for i in range(4)]
    assert len(list(extract_files(reader, files, workers=2, limits=LIMITS))) == 4
    assert cv2.getNumThreads() == threads
    lines = reader.log.read_text(encoding="utf-8").splitlines()
    assert sorted(lines) == [f"doc{i}.pdf 1" for i in range(4)]
