"""Tesseract in process (``libtesseract`` through its C API): it reads exactly as the ``tesseract`` command,
keeps to its time limit, serves threads at once, survives a fork, runs one OpenMP thread and keeps stderr clean."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from minimarket.documents.ingest import DocumentError
from minimarket.documents.ocr.tesseract import (
    TESSERACT_CMD_VARIABLE,
    detect_orientation,
    image_to_words,
    in_process,
    tesseract_identity,
)
from minimarket.documents.ocr.tesseract_library import TesseractLibrary, tesseract_library
from minimarket.documents.pdf import render_page

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"


def _page(dpi: int = 250) -> np.ndarray:
    path = REAL_INVOICES / "factura128.pdf"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    with pdfium.PdfDocument(str(path)) as pdf:
        return render_page(pdf, 0, dpi)


@pytest.fixture
def library() -> TesseractLibrary:
    found = tesseract_library()
    assert found is not None, "libtesseract is installed with tesseract-ocr"
    return found


def test_the_library_is_used_unless_an_executable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TESSERACT_CMD_VARIABLE, raising=False)
    assert in_process() is tesseract_library() is not None
    monkeypatch.setenv(TESSERACT_CMD_VARIABLE, "/usr/bin/tesseract")
    assert in_process() is None


def test_a_cached_reading_names_the_library_that_read_it(
    monkeypatch: pytest.MonkeyPatch, library: TesseractLibrary
) -> None:
    monkeypatch.delenv(TESSERACT_CMD_VARIABLE, raising=False)
    tesseract_identity.cache_clear()
    try:
        identity = tesseract_identity()
    finally:
        tesseract_identity.cache_clear()
    assert identity.startswith(f"tesseract {library.version} ")
    assert "spa.traineddata:" in identity


def test_reads_a_page_word_for_word_as_the_command(monkeypatch: pytest.MonkeyPatch, library: TesseractLibrary) -> None:
    page = _page()
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    monkeypatch.delenv(TESSERACT_CMD_VARIABLE, raising=False)
    in_library = [image_to_words(image, "spa", 4, 250) for image in (gray, page)]
    monkeypatch.setenv(TESSERACT_CMD_VARIABLE, shutil.which("tesseract") or "tesseract")
    by_command = [image_to_words(image, "spa", 4, 250) for image in (gray, page)]
    assert len(in_library[0]) > 100
    assert in_library == by_command  # gray and colour, texts, boxes, confidences, blocks and lines


@pytest.mark.parametrize("rotation", [None, cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE])
def test_orientation_as_the_command(monkeypatch: pytest.MonkeyPatch, rotation: int | None) -> None:
    page = _page(300)
    image = page if rotation is None else cv2.rotate(page, rotation)
    monkeypatch.delenv(TESSERACT_CMD_VARIABLE, raising=False)
    in_library = detect_orientation(image)
    monkeypatch.setenv(TESSERACT_CMD_VARIABLE, shutil.which("tesseract") or "tesseract")
    assert in_library is not None
    assert in_library == detect_orientation(image)


def test_a_reading_past_its_time_limit_stops_and_the_handle_reads_again(
    monkeypatch: pytest.MonkeyPatch, library: TesseractLibrary
) -> None:
    monkeypatch.delenv(TESSERACT_CMD_VARIABLE, raising=False)
    page = _page()
    started = time.monotonic()
    with pytest.raises(DocumentError) as info:
        image_to_words(page, "spa", 4, 250, timeout=0.05)
    assert info.value.code == "timeout"
    assert "límite" in info.value.message
    assert time.monotonic() - started < 5  # the layout analysis, then the first word checks the deadline
    with pytest.raises(DocumentError):
        image_to_words(page, "spa", 4, 250, timeout=0)
    assert len(image_to_words(page, "spa", 4, 250, timeout=60)) > 100


class _Alarm(Exception):
    pass


def _ring(_signum: int, _frame: object) -> None:
    raise _Alarm


def test_a_signal_handler_of_the_main_thread_runs_at_once(library: TesseractLibrary) -> None:
    """A batch's time limit per document is a SIGALRM handler that raises: it must not wait for the page."""
    page = np.vstack([_page()] * 3)
    previous = signal.signal(signal.SIGALRM, _ring)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(_Alarm):
            library.tsv(page, "spa", 4, 250, 120)
        interrupted = time.monotonic() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    started = time.monotonic()
    whole = library.tsv(page, "spa", 4, 250, 120)  # Tesseract stopped at its next word: its handle reads again
    assert interrupted < (time.monotonic() - started) / 2
    assert whole.count("\n") > 300


def test_an_uninstalled_language_is_a_clear_error(library: TesseractLibrary) -> None:
    with pytest.raises(RuntimeError, match="tesseract-ocr-xyz"):
        library.tsv(np.full((50, 50), 255, np.uint8), "xyz", 4, 300, 10)


@pytest.mark.parametrize("through", ["library", "command"])
@pytest.mark.parametrize("shape", [(0, 0), (0, 50), (40, 0, 3)])
def test_an_empty_image_is_a_clear_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, through: str, shape: tuple[int, ...]
) -> None:
    """Tesseract's orientation detection aborts the process on an image with no pixels: refused before."""
    if through == "command":
        monkeypatch.setenv(TESSERACT_CMD_VARIABLE, shutil.which("tesseract") or "tesseract")
    else:
        monkeypatch.delenv(TESSERACT_CMD_VARIABLE, raising=False)
    empty = np.zeros(shape, np.uint8)
    for read in (lambda: image_to_words(empty), lambda: detect_orientation(empty)):
        with pytest.raises(ValueError, match="empty image"):
            read()


def test_threads_read_at_once_each_with_a_handle_of_its_own(library: TesseractLibrary) -> None:
    page = _page()
    strips = [np.ascontiguousarray(page[i * 700 : (i + 1) * 700]) for i in range(3)]
    alone = [library.tsv(strip, "spa", 4, 250, 60) for strip in strips]
    together: list[str] = ["", "", ""]

    def read(i: int) -> None:
        together[i] = library.tsv(strips[i], "spa", 4, 250, 60)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert together == alone
    assert all("\t" in text for text in alone)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_opens_handles_of_its_own(library: TesseractLibrary) -> None:
    strip = np.ascontiguousarray(_page()[:700])
    expected = library.tsv(strip, "spa", 4, 250, 60)  # the parent now holds an idle handle
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, report, leave without running the parent's exit handlers
        code = 1
        try:
            os.close(read)
            os.write(write, str(library._idle == {} and library.tsv(strip, "spa", 4, 250, 60) == expected).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 120
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    with os.fdopen(read) as answer:
        assert answer.read() == "True"
    assert done[0] == pid and os.waitstatus_to_exitcode(done[1]) == 0


_PROBE = """
import ctypes, sys
import numpy as np
from minimarket.documents.ocr.tesseract_library import tesseract_library
library = tesseract_library()
image = np.full((400, 1400), 255, np.uint8)
import cv2
cv2.putText(image, "Factura 0001-00012345", (20, 200), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
cv2.rectangle(image, (-50, -50), (5, 5), 0, -1)  # ink at the very edge: Leptonica complains about boxes there
print(library.tsv(image, "spa", 4, 300, 60).count("Factura"), ctypes.CDLL("libgomp.so.1").omp_get_thread_limit())
"""


@pytest.mark.parametrize(("operator", "threads"), [(None, 1), ("2", 2)])
def test_one_openmp_thread_unless_the_operator_says_and_a_quiet_stderr(operator: str | None, threads: int) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("OMP_THREAD_LIMIT", TESSERACT_CMD_VARIABLE)}
    if operator:
        env["OMP_THREAD_LIMIT"] = operator
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", str(threads)]
    assert done.stderr == ""  # no diagnostics while reading, no leak report at exit
