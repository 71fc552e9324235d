"""Motion blur: a blurred synthetic invoice shows its kernel among the candidates, and deconvolving it with
that kernel makes the page readable again (real Tesseract)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from minimarket.catalog import bundled_catalog
from minimarket.documents.ocr.deblur import OUT_OF_FOCUS, Blur, blur_candidates, deconvolve, motion_kernel
from minimarket.documents.ocr.engine import reading_score
from minimarket.documents.ocr.tesseract import image_to_words
from minimarket.synth.invoices.dataset import make_document
from minimarket.synth.invoices.render import rasterize


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """A synthetic invoice rendered at 130 dpi, as sharp as a phone photo can be."""
    document = make_document(bundled_catalog(), 5, 0, "pdf")
    return rasterize(document.data, 130, gray=True)[0]


def blurred(page: np.ndarray, length: int, angle: float, seed: int = 0) -> np.ndarray:
    """``page`` moved ``length`` pixels at ``angle``° while the shutter was open, with sensor noise and JPEG."""
    rng = np.random.default_rng(seed)
    smeared = cv2.filter2D(page, -1, motion_kernel(length, angle)).astype(np.float32)
    smeared += rng.standard_normal(page.shape).astype(np.float32) * 5
    _, jpeg = cv2.imencode(".jpg", np.clip(smeared, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70])
    return np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE))


def _angle_apart(a: float, b: float) -> float:
    difference = abs(a - b) % 180
    return min(difference, 180 - difference)


def test_motion_kernel_is_a_normalised_line() -> None:
    kernel = motion_kernel(5, 0)
    assert kernel.shape == (5, 5)
    assert kernel.sum() == pytest.approx(1.0)
    assert kernel[2].sum() == pytest.approx(1.0)  # all of it on the middle row
    assert motion_kernel(6, 90)[:, 2:4].sum() == pytest.approx(1.0)  # upright: the middle columns


@pytest.mark.parametrize(("length", "angle"), [(4, 30), (5, 100), (6, 145), (7, 60), (6, 0), (5, 90)])
def test_the_blur_is_among_the_candidates(page: np.ndarray, length: int, angle: float) -> None:
    candidates = blur_candidates(blurred(page, length, angle))
    assert any(abs(c.length - length) <= 1 and _angle_apart(c.angle, angle) <= 6 for c in candidates), candidates
    assert [c.strength for c in candidates] == sorted((c.strength for c in candidates), reverse=True)


def test_a_picture_smaller_than_a_window_shows_no_blur() -> None:
    assert blur_candidates(np.full((120, 200), 255, np.uint8)) == []


def test_deconvolution_keeps_shape_and_type(page: np.ndarray) -> None:
    for blur in (Blur(6, 30), OUT_OF_FOCUS):
        restored = deconvolve(page[:300, :400], blur)
        assert restored.shape == (300, 400)
        assert restored.dtype == np.uint8


def test_deconvolving_the_right_blur_makes_the_page_readable(page: np.ndarray) -> None:
    photo = blurred(page, 7, 60)
    before = reading_score(image_to_words(photo, "spa", 6, 130))
    after = reading_score(image_to_words(deconvolve(photo, Blur(7, 60)), "spa", 6, 130))
    wrong = reading_score(image_to_words(deconvolve(photo, Blur(7, 150)), "spa", 6, 130))
    assert after[0] > 1.5 * before[0]  # confident words
    assert after[1] > before[1]  # mean confidence
    assert wrong[0] < before[0]  # the wrong kernel only makes it worse: the engine must check
