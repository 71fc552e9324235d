"""The order in which a batch hands documents to its workers: the likely slowest first within each window.

A long phone photo handed out last keeps one worker busy while the others have nothing left to read; handed out
first, the short documents fill the other workers around it (longest processing time first). The guess is cheap:
the kind a file's first bytes say and its size. Records are still given in the files' order: only the hand-out
order changes, one window at a time, so the record due next is always among the documents in flight.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from minimarket.documents.ingest import detect_file_kind

KIND_RANK = {"jpeg": 0, "webp": 0, "png": 1, "tiff": 1, "pdf": 2}
"""How long a kind of document usually takes, slowest first: phone photos (JPEG, WebP) are straightened and
often deblurred and read again, scans (PNG, TIFF) are read once, most PDFs have a text layer. A file of no
known kind is refused at once: it goes last."""
UNKNOWN_RANK = 3


def likely_cost(path: str) -> tuple[int, int]:
    """A sort key, slowest first: the rank of the file's kind (:data:`KIND_RANK`), then the larger file first."""
    try:
        kind = detect_file_kind(path)
        size = os.path.getsize(path)
    except OSError:
        return UNKNOWN_RANK, 0
    return KIND_RANK.get(kind or "", UNKNOWN_RANK), -size


def hand_out_order(files: Sequence[str], window: int) -> list[int]:
    """Positions of ``files`` in the order to hand them out: each block of ``window`` consecutive files, its
    likely slowest first (:func:`likely_cost`; ties keep the files' order). A block is handed out whole before the
    next, so with at most ``window`` documents in flight the one whose record is due next is always handed out
    before the caller waits for it."""
    order: list[int] = []
    for start in range(0, len(files), max(1, window)):
        block = range(start, min(start + max(1, window), len(files)))
        order.extend(sorted(block, key=lambda i: likely_cost(files[i])))
    return order
