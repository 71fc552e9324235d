"""The cheap estimates that gate the expensive passes: orientation re-reads, deblurring, the QR ladder's
deconvolved rung."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import pytest
import zxingcpp

from minimarket.documents import codes
from minimarket.documents.codes import looks_like_qr
from minimarket.documents.ocr.deblur import OUT_OF_FOCUS, Blur, motion_kernel
from minimarket.documents.ocr.legibility import (
    ILLEGIBLE_MEAN_CONF,
    clear_motion,
    deblur_kernels,
    looks_upright,
    upright_hits,
)
from minimarket.documents.ocr.tesseract import OcrWord


def _words(*texts: str, conf: float = 80.0) -> list[OcrWord]:
    return [OcrWord(text, 10, 20 * i, 90, 20 * i + 15, conf) for i, text in enumerate(texts)]


def test_words_only_an_upright_page_yields_are_counted() -> None:
    words = _words("FACTURA", "IMPORTE:", "Total", "14/02/2023", "1.234,56", "30-71234567-8", "garbage", "VAI")
    assert upright_hits(words, enough=10) == 6
    assert upright_hits(words) == 3  # counting stops once it is enough
    assert upright_hits(_words("FACTURA", "TOTAL", "IVA", conf=40.0)) == 0  # unsure readings do not count


def test_three_such_words_make_a_poor_reading_upright() -> None:
    assert looks_upright(_words("FACTURA", "IMPORTE", "TOTAL", "Piar", "um"))
    assert not looks_upright(_words("FACTURA", "TOTAL", "um"))
    # what an upside-down page reads as: reversed words and figures, never the vocabulary
    assert not looks_upright(_words("VAI", "00'0", "sepepiun", "SESOY", "£Z0Z/Z0/8T", conf=90.0))


def test_the_blurs_tried_follow_how_poorly_a_photo_reads() -> None:
    motion = [Blur(5, 30.0, strength=3.5), Blur(4, 30.0, strength=3.2)]
    # reads poorly: every motion the picture shows and the out-of-focus blur
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF - 1, motion) == [*motion, OUT_OF_FOCUS]
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF - 1, []) == [OUT_OF_FOCUS]
    # reads fairly: the motions only, even weak ones (a short blur shows a weak peak); none, nothing
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF + 5, motion) == motion
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF + 5, []) == []


def test_a_fair_photo_is_deblurred_only_when_its_motion_estimates_agree() -> None:
    lone = [Blur(9, 21.0, strength=4.9)]  # a soft photo's print: one dip, no neighbour
    scattered = [Blur(8, 171.0, strength=4.0), Blur(3, 21.0, strength=3.5), Blur(9, 150.0, strength=3.2)]
    agreeing = [Blur(5, 54.0, strength=4.5), Blur(6, 60.0, strength=3.9)]
    across_zero = [Blur(6, 178.0, strength=4.5), Blur(5, 3.0, strength=3.9)]  # directions wrap at 180°
    assert not clear_motion(lone) and not clear_motion(scattered)
    assert clear_motion(agreeing) and clear_motion(across_zero)
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF + 5, lone) == []
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF + 5, scattered) == []
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF + 5, agreeing) == agreeing
    # a photo that reads poorly is still tried with every blur, agreeing or not
    assert deblur_kernels(ILLEGIBLE_MEAN_CONF - 1, lone) == [*lone, OUT_OF_FOCUS]


def _page_with(region: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    page = np.full((900, 700), 235, np.uint8)
    h, w = region.shape
    page[300 : 300 + h, 200 : 200 + w] = region
    return page, (180, 280, w + 40, h + 40)


def _qr(scale: int = 3) -> np.ndarray:
    url = "https://www.afip.gob.ar/fe/qr/?p=" + "eyJ2ZXIiOjEsImZlY2hhIjoiMjAyNi0wMi0xMSJ9" * 3
    return np.array(zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode).to_image(scale=scale))


def test_a_qr_looks_like_a_qr_even_blurred() -> None:
    page, box = _page_with(_qr())
    assert looks_like_qr(page, box)
    smeared = cv2.filter2D(page, -1, motion_kernel(7, 75))
    assert looks_like_qr(smeared, box)


def test_text_and_smudges_do_not_look_like_a_qr() -> None:
    text = np.full((240, 240), 235, np.uint8)
    for row in range(20, 240, 24):
        cv2.putText(text, "CAE 7572182974", (4, row), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 30, 1, cv2.LINE_AA)
    page, box = _page_with(text)
    assert not looks_like_qr(page, box)
    rng = np.random.default_rng(3)
    smudge = cv2.GaussianBlur(rng.integers(90, 200, (240, 240)).astype(np.uint8), (0, 0), 6)
    page, box = _page_with(smudge)
    assert not looks_like_qr(page, box)
    assert not looks_like_qr(page, (0, 0, 0, 0))


def test_no_deconvolution_without_a_qr_like_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page with printed text and no code: the ladder's last rung neither estimates a blur nor deconvolves."""
    calls: list[str] = []

    def deblurrer(*args: object, **kwargs: object) -> None:
        calls.append("deconvolve")

    def blur_candidates(*args: object, **kwargs: object) -> list[Blur]:
        calls.append("blur")
        return []

    monkeypatch.setattr(codes, "Deblurrer", deblurrer)
    monkeypatch.setattr(codes, "blur_candidates", blur_candidates)
    page = np.full((1400, 1000), 235, np.uint8)
    for row in range(100, 1300, 40):
        cv2.putText(page, "FACTURA 0003-00109710 CUIT 30-85288156-5", (40, row), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 30, 1)
    smeared = cv2.filter2D(page, -1, motion_kernel(7, 75))
    assert codes.find_codes(smeared, 0) == []
    assert calls == []


# --- the gates in the OCR engine (Tesseract and preprocessing stood in for) --------------------------------


def _engine_reading(
    monkeypatch: pytest.MonkeyPatch, words: list[OcrWord], strengths: list[float]
) -> tuple[list[object], object]:
    """``ocr_page`` of a phone photo that reads as ``words`` and whose picture shows motion peaks of
    ``strengths``: which expensive passes ran, and the page."""
    from minimarket.documents.ocr import engine
    from minimarket.documents.ocr.preprocess import PreparedPage

    passes: list[object] = []
    photo = PreparedPage(image=np.full((800, 600), 255, np.uint8), dpi=220.0, steps=["perspective"])
    monkeypatch.setattr(engine, "preprocess", lambda *args, **kwargs: photo)
    monkeypatch.setattr(engine, "image_to_words", lambda *args, **kwargs: words)
    # a motion shows at neighbouring lengths along one direction
    monkeypatch.setattr(
        engine, "blur_candidates", lambda gray: [Blur(6 + n, 30.0, strength=s) for n, s in enumerate(strengths)]
    )
    monkeypatch.setattr(engine, "second_readings", lambda image, words: [()] * len(words))

    def turn(prepared: object, read: object, *args: object) -> tuple[object, object]:
        passes.append("orientation")
        return prepared, read

    def deblur(*args: Any) -> tuple[object, object]:
        passes.append(("deblur", len(args[-1])))
        return args[2], args[3]

    monkeypatch.setattr(engine, "_fix_orientation", turn)
    monkeypatch.setattr(engine, "_try_deblurred", deblur)
    page = engine.ocr_page(np.full((900, 700), 255, np.uint8))
    return passes, page


def _reading(mean_conf: float, vocabulary: int = 3) -> list[OcrWord]:
    words = _words("FACTURA", "IMPORTE", "TOTAL", "CUIT")[:vocabulary]
    return [*(replace(w, conf=mean_conf) for w in words), *_words(*["Ciente"] * 12, conf=mean_conf)]


def test_a_poor_reading_with_invoice_words_is_not_turned(monkeypatch: pytest.MonkeyPatch) -> None:
    passes, _ = _engine_reading(monkeypatch, _reading(55.0, vocabulary=3), [])
    assert "orientation" not in passes
    passes, _ = _engine_reading(monkeypatch, _reading(55.0, vocabulary=2), [])
    assert "orientation" in passes


@pytest.mark.parametrize(
    ("mean_conf", "strengths", "kernels"),
    [(76.0, [4.0, 3.5], 2), (76.0, [3.5], 0), (76.0, [], 0), (65.0, [], 1), (65.0, [8.0, 4.0], 3), (85.0, [8.0], 0)],
)
def test_a_photo_is_deblurred_only_when_it_may_pay(
    monkeypatch: pytest.MonkeyPatch, mean_conf: float, strengths: list[float], kernels: int
) -> None:
    passes, _ = _engine_reading(monkeypatch, _reading(mean_conf), strengths)
    assert [p for p in passes if p != "orientation"] == ([("deblur", kernels)] if kernels else [])
