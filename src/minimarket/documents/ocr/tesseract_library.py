"""Tesseract in this process, through the C API of ``libtesseract``: the library the ``tesseract`` command is
itself a thin front end to (same package, same models), so a page reads the same, word for word and box for
box, either way.

Why in process: the command loads its language model and dictionaries for every page it reads, and the page
travels to it as an encoded image through a pipe. Here each language is loaded once per process, and a page is
handed over as the pixels it already is. On the 14 pages of ``benchmarks/ocr_throughput.py`` (8 real renders,
6 synthetic scans and photos, as preprocessed), Tesseract's CPU went from 15.7 s through the command to
12.2 s in process, with identical TSV on every page.

Handles: a ``TessBaseAPI`` reads one page at a time, so each language keeps a small pool of idle handles and a
reading takes one (or opens one: about 0.15 s) and gives it back; the orientation bands, read by threads at
once, each get their own. A reading's time limit is Tesseract's own monitor deadline, checked between the
words it recognises (the page's layout analysis before it is not interruptible; it is bounded by the size of
the prepared image); a signal handler of the main thread (a batch's time limit per document, Ctrl-C) still
runs at once (:func:`_interruptible`). Tesseract's and Leptonica's diagnostics, which the command wrote to a
pipe nobody read, are silenced. OpenMP: Tesseract is given one thread (``OMP_THREAD_LIMIT=1`` unless the
operator set it), as the command is.

:func:`tesseract_library` is ``None`` when ``libtesseract`` cannot be found or lacks the functions used here;
:mod:`.tesseract` then runs the command.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from functools import lru_cache
from typing import TypeVar

import cv2
import numpy as np

_OSD_ONLY = 0
"""Tesseract's page segmentation mode "orientation and script detection only" (``--psm 0``)."""
_LEPTONICA_QUIET = 6
"""Leptonica's ``L_SEVERITY_NONE``: no message on stderr."""
_ROTATE_TO_UPRIGHT = {0: 0, 90: 270, 180: 180, 270: 90}
"""Tesseract's orientation of the text (degrees counter-clockwise) → the clockwise rotation that makes the
page upright, as the command's OSD output states it ("Rotate:")."""

_Handle = ctypes.c_void_p
_CancelFunction = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_int)
"""Tesseract's ``TessCancelFunc``: asked between words whether to stop."""
T = TypeVar("T")


class TesseractLibrary:
    """``libtesseract`` loaded in this process: TSV and orientation of pages, one language model loaded once."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = _declare(lib)
        self.version = str(lib.TessVersion().decode())
        self._lock = threading.Lock()
        self._idle: dict[str, list[_Handle]] = {}
        os.register_at_fork(after_in_child=self._forget)
        atexit.register(self.close)

    def tsv(self, image: np.ndarray, lang: str, psm: int, dpi: int, timeout: float) -> str:
        """Tesseract's TSV of ``image`` (uint8 gray/BGR) read with ``lang``, page segmentation mode ``psm`` at
        ``dpi`` (what ``tesseract - stdout -l lang --psm psm --dpi dpi tsv`` prints, without its header line).

        Raises ``TimeoutError`` when the recognition ran past ``timeout`` seconds and ``RuntimeError`` when the
        language cannot be loaded or the page cannot be read."""
        return _interruptible(lambda stop: self._tsv(image, lang, psm, dpi, timeout, stop))

    def _tsv(self, image: np.ndarray, lang: str, psm: int, dpi: int, timeout: float, stop: threading.Event) -> str:
        lib = self._lib
        with self._handle(lang) as api:
            lib.TessBaseAPISetPageSegMode(api, psm)
            lib.TessBaseAPISetVariable(api, b"user_defined_dpi", str(int(dpi)).encode())
            try:
                _set_image(lib, api, image)
                self._recognize(api, timeout, stop)
                return _take_text(lib, lib.TessBaseAPIGetTsvText(api, 0))
            finally:
                lib.TessBaseAPIClear(api)

    def orientation(self, image: np.ndarray) -> tuple[int, float] | None:
        """Tesseract's orientation detection (``--psm 0 -l osd``): the clockwise rotation that makes the page
        upright and its confidence (to two decimals, as the command prints it), or ``None`` when it cannot
        tell (too few characters)."""
        return _interruptible(lambda _stop: self._orientation(image))

    def _orientation(self, image: np.ndarray) -> tuple[int, float] | None:
        lib = self._lib
        with self._handle("osd") as api:
            lib.TessBaseAPISetPageSegMode(api, _OSD_ONLY)
            degrees, confidence = ctypes.c_int(), ctypes.c_float()
            script, script_confidence = ctypes.c_char_p(), ctypes.c_float()
            try:
                _set_image(lib, api, image)
                found = lib.TessBaseAPIDetectOrientationScript(
                    api,
                    ctypes.byref(degrees),
                    ctypes.byref(confidence),
                    ctypes.byref(script),
                    ctypes.byref(script_confidence),
                )
            finally:
                lib.TessBaseAPIClear(api)
        if not found or degrees.value % 360 not in _ROTATE_TO_UPRIGHT:
            return None
        return _ROTATE_TO_UPRIGHT[degrees.value % 360], round(confidence.value, 2)

    def close(self) -> None:
        """End every idle handle (at exit: a handle left alive makes Tesseract report leaks)."""
        with self._lock:
            handles = [api for idle in self._idle.values() for api in idle]
            self._idle.clear()
        for api in handles:
            self._lib.TessBaseAPIEnd(api)
            self._lib.TessBaseAPIDelete(api)

    def _recognize(self, api: _Handle, timeout: float, stop: threading.Event) -> None:
        """Recognise the page set on ``api``, stopping at the next word once ``timeout`` seconds have passed
        or ``stop`` is set."""
        lib = self._lib
        monitor = lib.TessMonitorCreate()
        cancel = _CancelFunction(lambda _this, _words: stop.is_set())  # referenced until Tesseract is done
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout * 1000)))
            lib.TessMonitorSetCancelFunc(monitor, cancel)
            started = time.monotonic()
            if lib.TessBaseAPIRecognize(api, monitor) != 0:
                if time.monotonic() - started >= timeout:
                    raise TimeoutError(f"Tesseract ran past {timeout:g} s")
                raise RuntimeError("tesseract could not read the page")
        finally:
            lib.TessMonitorDelete(monitor)

    @contextlib.contextmanager
    def _handle(self, lang: str) -> Iterator[_Handle]:
        with self._lock:
            idle = self._idle.setdefault(lang, [])
            api = idle.pop() if idle else None
        if api is None:
            api = self._open(lang)
        try:
            yield api
        finally:
            with self._lock:
                self._idle.setdefault(lang, []).append(api)

    def _open(self, lang: str) -> _Handle:
        lib = self._lib
        api = _Handle(lib.TessBaseAPICreate())
        lib.TessBaseAPISetVariable(api, b"debug_file", os.devnull.encode())  # Tesseract's diagnostics
        if lib.TessBaseAPIInit3(api, None, lang.encode()) != 0:
            lib.TessBaseAPIDelete(api)
            raise RuntimeError(
                f"tesseract failed: could not load the language '{lang}' (install its traineddata, e.g. the "
                f"'tesseract-ocr-{lang}' package)"
            )
        return api

    def _forget(self) -> None:
        """In a forked child: the parent's handles and lock are not this process's to use."""
        self._lock = threading.Lock()
        self._idle = {}


def _interruptible(work: Callable[[threading.Event], T]) -> T:
    """``work(stop)``; called from the main thread, in a helper thread while the main one waits.

    Python runs a signal handler in the main thread between its own steps, never inside a C call: a batch's
    time limit per document (``SIGALRM``) or Ctrl-C would wait for Tesseract to finish the page. Waiting
    instead, the main thread runs the handler at once and raises what it raises; ``stop`` then tells
    Tesseract to give up at its next word (its handle goes back to the pool when it has)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return work(stop)
    outcome: Future[T] = Future()

    def run() -> None:
        try:
            outcome.set_result(work(stop))
        except BaseException as exc:  # handed to the waiting thread
            outcome.set_exception(exc)

    threading.Thread(target=run, name="tesseract", daemon=True).start()
    try:
        return outcome.result()
    except BaseException:
        stop.set()
        raise


def check_image(image: np.ndarray) -> None:
    """``ValueError`` for an image with no pixels: Tesseract's orientation detection aborts the whole process
    on one (an assertion in ``osdetect.cpp``), and the command cannot be given one."""
    if image.size == 0:
        raise ValueError(f"an empty image ({image.shape}) has nothing for Tesseract to read")


def _set_image(lib: ctypes.CDLL, api: _Handle, image: np.ndarray) -> None:
    """Hand ``image`` (uint8 gray, BGR or BGRA) to Tesseract, which copies it."""
    check_image(image)
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2RGBA if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
        image = cv2.cvtColor(image, code)
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    lib.TessBaseAPISetImage(api, pixels.ctypes.data, width, height, channels, pixels.strides[0])


def _take_text(lib: ctypes.CDLL, pointer: int | None) -> str:
    """The UTF-8 text Tesseract returned, freed."""
    if not pointer:
        raise RuntimeError("tesseract could not read the page")
    try:
        return ctypes.string_at(pointer).decode("utf-8", errors="replace")
    finally:
        lib.TessDeleteText(pointer)


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Argument and result types of the C functions used (``AttributeError`` when one is missing)."""
    handle, text, number = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    signatures: dict[str, tuple[list[type], type | None]] = {
        "TessVersion": ([], ctypes.c_char_p),
        "TessBaseAPICreate": ([], handle),
        "TessBaseAPIInit3": ([handle, text, text], number),
        "TessBaseAPISetVariable": ([handle, text, text], number),
        "TessBaseAPISetPageSegMode": ([handle, number], None),
        "TessBaseAPISetImage": ([handle, ctypes.c_void_p, number, number, number, number], None),
        "TessBaseAPIRecognize": ([handle, handle], number),
        "TessBaseAPIGetTsvText": ([handle, number], ctypes.c_void_p),
        "TessBaseAPIDetectOrientationScript": (
            [handle, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p],
            number,
        ),
        "TessDeleteText": ([ctypes.c_void_p], None),
        "TessBaseAPIClear": ([handle], None),
        "TessBaseAPIEnd": ([handle], None),
        "TessBaseAPIDelete": ([handle], None),
        "TessMonitorCreate": ([], handle),
        "TessMonitorSetDeadlineMSecs": ([handle, number], None),
        "TessMonitorSetCancelFunc": ([handle, _CancelFunction], None),
        "TessMonitorDelete": ([handle], None),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = arguments
        function.restype = result
    return lib


def _quiet_leptonica() -> None:
    """Silence Leptonica's diagnostics (with the command they went to a pipe nobody read)."""
    for name in ("lept", "leptonica"):
        found = ctypes.util.find_library(name)
        if found:
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL(found).setMsgSeverity(_LEPTONICA_QUIET)
            return


@lru_cache(maxsize=1)
def tesseract_library() -> TesseractLibrary | None:
    """``libtesseract`` loaded in this process, once; ``None`` when it is not installed or lacks the C API used."""
    found = ctypes.util.find_library("tesseract")
    if not found:
        return None
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read by OpenMP when the library loads it
    try:
        library = TesseractLibrary(ctypes.CDLL(found))
    except (OSError, AttributeError):
        return None
    _quiet_leptonica()
    return library
