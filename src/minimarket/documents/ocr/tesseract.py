"""Run Tesseract on one image: words with pixel boxes and confidences, and orientation detection (OSD).

Tesseract runs in this process through ``libtesseract`` (:mod:`.tesseract_library`: each language model is
loaded once per process, not once per page) and reads exactly as the ``tesseract`` command does. The command
runs instead when the library is not found, or when ``MINIMARKET_TESSERACT_CMD`` names an executable to use:
a child process fed through stdin/stdout, so no temporary files are written, its environment is ours to set
(``OMP_THREAD_LIMIT=1``: Tesseract's OpenMP threads make it slower on small machines; we parallelise across
processes instead), and a timeout can kill it for sure: the child runs in its own process group, which is
killed and reaped on timeout. Either way a reading past its time limit raises
:class:`~minimarket.documents.ingest.DocumentError` ("timeout").
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from minimarket.documents.ingest import DocumentError
from minimarket.documents.ocr.tesseract_library import TesseractLibrary, check_image, tesseract_library

DEFAULT_PSM = 4
"""A single column of text of variable sizes: Tesseract keeps each printed line whole, so a table row is
read with its lone one-digit quantities and short units ("2 UN"), which sparse-text mode (psm 11) drops.
On 40 synthetic scans + 40 phone photos (seed 2027) item F1 went from 0.42/0.31 (psm 11) to 0.86/0.75 with
header fields as good (94 %/82 %), and a page reads about a third faster. psm 11 found slightly more
words on the real development set's letterheads, which do not decide any field."""


@dataclass(frozen=True, slots=True)
class OcrWord:
    """A word found by Tesseract: pixel box (left, top, right, bottom) and confidence 0..100."""

    text: str
    left: int
    top: int
    right: int
    bottom: int
    conf: float
    block: int = 0
    line: int = 0


@dataclass(frozen=True, slots=True)
class Orientation:
    """Tesseract OSD: clockwise rotation (degrees) that makes the page upright, and its confidence."""

    rotate: int
    confidence: float


TESSERACT_CMD_VARIABLE = "MINIMARKET_TESSERACT_CMD"
"""An executable to run as Tesseract instead of the library in process (an operator's own build)."""


def in_process() -> TesseractLibrary | None:
    """The Tesseract library to read with in this process, or ``None``: run the command (no library, or
    ``MINIMARKET_TESSERACT_CMD`` names an executable)."""
    return None if os.environ.get(TESSERACT_CMD_VARIABLE) else tesseract_library()


@lru_cache(maxsize=1)
def tesseract_cmd() -> str:
    """Path of the ``tesseract`` executable (``MINIMARKET_TESSERACT_CMD`` overrides the PATH lookup)."""
    cmd = os.environ.get(TESSERACT_CMD_VARIABLE) or shutil.which("tesseract")
    if not cmd:
        raise RuntimeError("Tesseract is not installed: install the 'tesseract-ocr' and 'tesseract-ocr-spa' packages.")
    return cmd


@lru_cache(maxsize=1)
def tesseract_identity() -> str:
    """Tesseract's version (of the library or the command that reads, :func:`in_process`) and its language data
    folder's file sizes: what a cached reading depends on besides our own code (an upgraded
    ``tesseract-ocr-spa`` reads differently)."""
    try:
        cmd = tesseract_cmd()
        version = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=30, env=_env())
        langs = subprocess.run([cmd, "--list-langs"], capture_output=True, text=True, timeout=30, env=_env())
    except (RuntimeError, OSError, subprocess.SubprocessError):
        return "no tesseract"
    found = re.search(r'"([^"]+)"', langs.stdout + langs.stderr)
    folder = found.group(1) if found else ""
    sizes = sorted(
        f"{entry.name}:{entry.stat().st_size}"
        for entry in (os.scandir(folder) if folder and os.path.isdir(folder) else [])
        if entry.name.endswith(".traineddata")
    )
    library = in_process()  # what reads here: the library in process, or the command
    first_line = (
        f"tesseract {library.version}"
        if library is not None
        else next(iter((version.stdout or version.stderr).splitlines()), "")
    )
    return " ".join([first_line, *sizes])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def run_tesseract(args: list[str], image: np.ndarray, timeout: float) -> str:
    """Run ``tesseract stdin stdout <args>`` on ``image`` (uint8 gray/BGR); return stdout as text.

    Raises ``DocumentError("timeout")`` after ``timeout`` seconds, having killed and reaped the process.
    """
    check_image(image)
    # Uncompressed BMP: encoding is ~10x cheaper than PNG and Leptonica reads it as fast.
    ok, buffer = cv2.imencode(".bmp", image)
    if not ok:
        raise ValueError("could not encode the image for Tesseract")
    _check_time_left(timeout)
    proc = subprocess.Popen(
        [tesseract_cmd(), "stdin", "stdout", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(buffer.tobytes(), timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise _timeout(timeout) from None
    except BaseException:
        _kill(proc)
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed ({proc.returncode}): {err.decode(errors='replace').strip()[:300]}")
    return out.decode("utf-8", errors="replace")


def _check_time_left(timeout: float) -> None:
    if timeout <= 0:
        raise DocumentError("timeout", "Se agotó el tiempo para leer la página con OCR.")


def _timeout(seconds: float) -> DocumentError:
    return DocumentError(
        "timeout",
        f"La lectura con OCR de una página superó el límite de {seconds:.0f} s; pruebe con una imagen "
        "más nítida o más chica.",
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group of ``proc`` and reap it, so no zombie or orphan remains."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError):
        proc.kill()
        proc.wait()


def image_to_words(
    image: np.ndarray,
    lang: str = "spa",
    psm: int = DEFAULT_PSM,
    dpi: int = 300,
    timeout: float = 60.0,
) -> list[OcrWord]:
    """OCR ``image`` and return its words (TSV level 5) with boxes in the image's pixels."""
    library = in_process()
    if library is None:
        return parse_tsv(run_tesseract(["-l", lang, "--psm", str(psm), "--dpi", str(int(dpi)), "tsv"], image, timeout))
    _check_time_left(timeout)
    try:
        return parse_tsv(library.tsv(image, lang, psm, int(dpi), timeout))
    except TimeoutError:
        raise _timeout(timeout) from None


def parse_tsv(tsv: str) -> list[OcrWord]:
    """Words from Tesseract's TSV output (rows of level 5 with non-empty text; a header line is skipped)."""
    words = []
    for row in tsv.splitlines():
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        text = parts[11].strip()
        if not text:
            continue
        left, top, width, height = (int(v) for v in parts[6:10])
        words.append(
            OcrWord(
                text=text,
                left=left,
                top=top,
                right=left + width,
                bottom=top + height,
                conf=float(parts[10]),
                block=int(parts[2]),
                line=int(parts[4]),
            )
        )
    return words


_OSD_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_OSD_CONF = re.compile(r"Orientation confidence:\s*([\d.]+)")


def detect_orientation(image: np.ndarray, timeout: float = 30.0) -> Orientation | None:
    """Tesseract OSD (``--psm 0``): the clockwise rotation that makes the page upright, or ``None`` when
    OSD cannot decide (too few characters, e.g. a sparse page). In process, ``timeout`` is checked before (OSD
    reads no words, so Tesseract's monitor does not apply; it takes a fraction of a page's reading)."""
    library = in_process()
    if library is not None:
        _check_time_left(timeout)
        found = library.orientation(image)
        return None if found is None else Orientation(rotate=found[0], confidence=found[1])
    try:
        out = run_tesseract(["--psm", "0", "-l", "osd"], image, timeout)
    except RuntimeError:
        return None  # "Too few characters. Skipping this page": the caller falls back.
    rotate, conf = _OSD_ROTATE.search(out), _OSD_CONF.search(out)
    if not rotate or not conf:
        return None
    return Orientation(rotate=int(rotate.group(1)) % 360, confidence=float(conf.group(1)))


class Deadline:
    """Seconds left of a budget shared by several Tesseract calls on one page."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def left(self) -> float:
        return self.end - time.monotonic()
