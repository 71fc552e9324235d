"""The Tesseract runner: TSV parsing, orientation detection, one thread per process, and timeouts that
leave no process behind (real ``tesseract``; a stand-in executable where we need a process that hangs)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from minimarket.config import Settings
from minimarket.documents.ingest import DocumentError
from minimarket.documents.ocr import ocr_page
from minimarket.documents.ocr.tesseract import (
    detect_orientation,
    image_to_words,
    parse_tsv,
    run_tesseract,
    tesseract_cmd,
)
from minimarket.documents.pdf import render_page

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"


def _page300() -> np.ndarray:
    path = REAL_INVOICES / "factura128.pdf"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    with pdfium.PdfDocument(str(path)) as pdf:
        return render_page(pdf, 0, 300)


def _children() -> list[tuple[int, str, str]]:
    """(pid, name, state) of this process's children and grandchildren (zombies included)."""
    me = os.getpid()
    parents: dict[int, int] = {}
    info: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        info[int(entry.name)] = (name, fields[0])
    found, frontier = [], {me}
    while frontier:
        level = {pid for pid, parent in parents.items() if parent in frontier}
        found.extend((pid, *info[pid]) for pid in level)
        frontier = level
    return found


@pytest.fixture
def hanging_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A stand-in ``tesseract`` that starts a grandchild and hangs (like a stuck OCR of a huge page)."""
    script = tmp_path / "tesseract"
    marker = tmp_path / "started"
    script.write_text(f"#!/bin/sh\necho $OMP_THREAD_LIMIT > {marker}\nsleep 300 &\nsleep 300\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("MINIMARKET_TESSERACT_CMD", str(script))
    tesseract_cmd.cache_clear()
    yield marker
    tesseract_cmd.cache_clear()


def test_parse_tsv_keeps_words_only() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n"
        "4\t1\t1\t1\t1\t0\t100\t200\t400\t40\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t100\t200\t150\t40\t96.5\tFactura\n"
        "5\t1\t1\t1\t1\t2\t260\t200\t20\t40\t91.0\tA\n"
        "5\t1\t1\t1\t1\t3\t300\t200\t20\t40\t95.0\t \n"
    )
    words = parse_tsv(tsv)
    assert [(w.text, w.left, w.top, w.right, w.bottom, w.conf) for w in words] == [
        ("Factura", 100, 200, 250, 240, 96.5),
        ("A", 260, 200, 280, 240, 91.0),
    ]


def test_words_of_a_real_page() -> None:
    words = image_to_words(_page300(), timeout=60)
    texts = {w.text for w in words}
    assert {"FACTURA", "23100588994", "ORIGINAL"} <= texts
    assert all(0 <= w.conf <= 100 and w.right > w.left and w.bottom > w.top for w in words)


@pytest.mark.parametrize(("rotation", "expected"), [(None, 0), (cv2.ROTATE_180, 180), (cv2.ROTATE_90_CLOCKWISE, 270)])
def test_osd_tells_which_way_is_up(rotation: int | None, expected: int) -> None:
    page = _page300()
    image = page if rotation is None else cv2.rotate(page, rotation)
    orientation = detect_orientation(image)
    assert orientation is not None
    assert orientation.rotate == expected
    assert orientation.confidence > 1


def test_osd_on_a_sparse_page_says_it_cannot_tell() -> None:
    image = np.full((1200, 900), 255, np.uint8)
    cv2.putText(image, "Hola", (300, 600), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    assert detect_orientation(image) is None


def test_real_tesseract_timeout_kills_and_reaps() -> None:
    page = _page300()
    with pytest.raises(DocumentError) as info:
        ocr_page(page, Settings(ocr_timeout_seconds=0.3), dpi=300)
    assert info.value.code == "timeout"
    assert "límite" in info.value.message
    assert [c for c in _children() if c[1] == "tesseract"] == []


def test_timeout_kills_the_whole_process_group(hanging_tesseract: Path) -> None:
    before = {pid for pid, _name, _state in _children()}  # e.g. the session's PostgreSQL server

    def new_children() -> list[tuple[int, str, str]]:
        return [child for child in _children() if child[0] not in before]

    started = time.monotonic()
    with pytest.raises(DocumentError) as info:
        run_tesseract(["-l", "spa", "tsv"], np.full((50, 50), 255, np.uint8), timeout=1.0)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 20
    assert hanging_tesseract.read_text().strip() == "1"  # OMP_THREAD_LIMIT=1 in the child's environment
    deadline = time.monotonic() + 5
    while new_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert new_children() == []  # neither the process, nor its own child, nor a zombie


def test_failing_tesseract_is_an_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "tesseract"
    script.write_text("#!/bin/sh\necho 'Error: no such language' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("MINIMARKET_TESSERACT_CMD", str(script))
    tesseract_cmd.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="no such language"):
            image_to_words(np.full((50, 50), 255, np.uint8))
    finally:
        tesseract_cmd.cache_clear()
