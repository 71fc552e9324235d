"""The OCR engine's orientation decision on a real invoice page (real Tesseract): upside-down and sideways
pages are read the right way up, an upright page is read once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from minimarket.config import Settings
from minimarket.documents.ocr import engine
from minimarket.documents.ocr.engine import ocr_page
from minimarket.documents.ocr.preprocess import PreparedPage
from minimarket.documents.ocr.tesseract import Deadline, OcrWord
from minimarket.documents.pdf import render_page

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"


@pytest.fixture(scope="module")
def page200() -> np.ndarray:
    path = REAL_INVOICES / "factura128.pdf"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    with pdfium.PdfDocument(str(path)) as pdf:
        return render_page(pdf, 0, 200)


def _text(page: object) -> str:
    return " ".join(w.text for w in page.words).upper()  # type: ignore[attr-defined]


@pytest.mark.parametrize("turn", [cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE])
def test_turned_page_is_read_upright(page200: np.ndarray, turn: int) -> None:
    gray = cv2.cvtColor(page200, cv2.COLOR_BGR2GRAY) if page200.ndim == 3 else page200
    blurred = cv2.GaussianBlur(cv2.rotate(gray, turn), (3, 3), 0)  # a soft picture, as from a phone
    page = ocr_page(blurred)
    assert "FACTURA" in _text(page)
    assert page.height > page.width  # portrait again


def test_upright_page_needs_no_orientation_search(page200: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = engine._fix_orientation

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_fix_orientation", spy)
    page = ocr_page(page200, dpi=200)
    assert "FACTURA" in _text(page)
    assert calls == []


def test_the_orientation_band_is_where_the_text_is() -> None:
    """A page whose middle is blank (a short table at the bottom): the band read to decide which way is up
    holds the text, not the blank middle."""
    page = np.full((1000, 700), 240, np.uint8)
    for row in range(760, 960, 25):
        cv2.putText(page, "MANI SALADO 120G   40   1029,13", (30, row), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 20, 2)
    top, bottom = engine.text_band(page)
    assert bottom - top == 400
    assert top <= 740 and bottom >= 960
    assert engine.text_band(np.full((1000, 700), 255, np.uint8)) == (300, 700)  # a blank page: the middle


def test_motion_blurred_photo_is_read_deblurred() -> None:
    """A low-resolution photo of a sheet smeared by a moving hand reads with more confident words once its
    blur is taken out; with deblurring switched off it reads worse."""
    from minimarket.catalog import bundled_catalog
    from minimarket.documents.ocr.deblur import motion_kernel
    from minimarket.synth.invoices.dataset import make_document
    from minimarket.synth.invoices.render import rasterize

    sheet = rasterize(make_document(bundled_catalog(), 5, 0, "pdf").data, 130, gray=True)[0]
    sharp = cv2.copyMakeBorder(sheet, 90, 90, 90, 90, cv2.BORDER_CONSTANT, value=70)  # the sheet on a table
    smeared = cv2.filter2D(sharp, -1, motion_kernel(7, 60)).astype(np.float32)
    smeared += np.random.default_rng(0).standard_normal(sharp.shape).astype(np.float32) * 5
    photo = np.clip(smeared, 0, 255).astype(np.uint8)

    deblurred = ocr_page(photo)
    as_taken = ocr_page(photo, Settings(ocr_deblur=False))  # an operator who prefers speed
    assert sum(w.conf >= 0.6 for w in deblurred.words) > 1.3 * sum(w.conf >= 0.6 for w in as_taken.words)


def test_a_sharp_photo_is_not_deblurred(monkeypatch: pytest.MonkeyPatch) -> None:
    from minimarket.catalog import bundled_catalog
    from minimarket.synth.invoices.dataset import make_document
    from minimarket.synth.invoices.render import rasterize

    calls: list[int] = []
    monkeypatch.setattr(engine, "_try_deblurred", lambda *args: calls.append(1) or args[2:4])
    sheet = rasterize(make_document(bundled_catalog(), 5, 0, "pdf").data, 130, gray=True)[0]
    photo = cv2.copyMakeBorder(sheet, 90, 90, 90, 90, cv2.BORDER_CONSTANT, value=70)
    page = ocr_page(photo)  # a photo of a sheet: a blur would be looked for if it read poorly
    assert "FACTURA" in _text(page)
    assert calls == []


def _page(level: int) -> PreparedPage:
    return PreparedPage(image=np.full((400, 300), level, np.uint8), dpi=250.0, steps=[f"v{level}"])


def _fake_reading(confident_words: dict[int, int]) -> Callable[..., list[OcrWord]]:
    """A Tesseract stand-in: a page of brightness ``level`` reads ``confident_words[level]`` words at 90."""

    def read(image: np.ndarray, *args: object) -> list[OcrWord]:
        count = confident_words[int(image[0, 0])]
        return [OcrWord("1234", 10, 20 * i, 50, 20 * i + 15, 90.0) for i in range(count)]

    return read


@pytest.mark.parametrize(("enough", "chosen"), [(None, "v3"), (2.0, "v2")])
def test_every_deblurred_version_is_compared_unless_one_is_enough(
    monkeypatch: pytest.MonkeyPatch, enough: float | None, chosen: str
) -> None:
    """Deblurring compares all its kernels (the first one that reads twice as well is often one pixel off);
    the orientation search stops at the first turn that reads twice as well."""
    monkeypatch.setattr(engine, "image_to_words", _fake_reading({1: 2, 2: 6, 3: 9}))
    first = _page(1)
    words = engine.image_to_words(first.image)
    versions = iter([_page(2), _page(3)])
    page, _ = engine._reread_if_better(first, words, versions, 1.15, "spa", 6, Deadline(60), enough)
    assert page.steps == [chosen]


def _photo(level: int) -> PreparedPage:
    return PreparedPage(image=np.full((400, 300), level, np.uint8), dpi=220.0, steps=["perspective", f"v{level}"])


@pytest.mark.parametrize(("deblurred_reads", "kept"), [((9, 90.0), "v3"), ((5, 60.0), "v2")])
def test_a_turned_blurred_photo_is_read_whole_once(
    monkeypatch: pytest.MonkeyPatch, deblurred_reads: tuple[int, float], kept: str
) -> None:
    """Upside down and blurred: the band that finds the orientation also decides the deblurring, and when a
    deblurred version wins the turned page as taken is never read whole (it is when none wins)."""
    from minimarket.documents.ocr.deblur import Blur

    readings = {1: (2, 50.0), 2: (6, 70.0), 3: deblurred_reads}  # as taken, turned, turned and deblurred
    whole: list[int] = []

    def read(image: np.ndarray, *args: object) -> list[OcrWord]:
        level = int(image[0, 0])
        if image.shape[0] == 400:
            whole.append(level)
        count, conf = readings[level]
        return [OcrWord("1234", 10 + 30 * i, 195, 35 + 30 * i, 210, conf) for i in range(count)]

    monkeypatch.setattr(engine, "image_to_words", read)
    monkeypatch.setattr(engine, "preprocess", lambda *args, **kwargs: _photo(1))
    monkeypatch.setattr(engine, "rotate90", lambda image, degrees: np.full_like(image, 2))
    monkeypatch.setattr(engine, "blur_candidates", lambda gray: [Blur(7, 30.0, strength=4.0)])
    monkeypatch.setattr(
        engine, "_deblurred_versions", lambda image, dpi, page, tuned, blurs: (_photo(3) for _ in blurs)
    )
    monkeypatch.setattr(engine, "second_readings", lambda image, words: [()] * len(words))

    page = ocr_page(np.full((500, 400), 255, np.uint8))
    assert len(page.words) == readings[int(kept[1])][0]
    assert whole == ([1, 3] if kept == "v3" else [1, 2])
