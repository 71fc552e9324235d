"""QR and CAE I2of5 decoding: real invoices (embedded bitmaps, renders, the phone photo) and generated codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp

from minimarket.documents.codes import FULL, QUICK, DecodedCode, blank_codes, candidate_regions, find_codes
from minimarket.documents.pdf import embedded_images, render_page
from minimarket.domain.barcode import build_cae_barcode, parse_cae_barcode
from minimarket.domain.qr import parse_qr_url

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"
QR_PREFIX = "https://www.afip.gob.ar/fe/qr/"


def _expected() -> dict[str, dict[str, object]]:
    path = REAL_INVOICES / "expected.json"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _photo_1475() -> np.ndarray:
    """The phone photo inside factura1475.pdf (Adobe Scan), as stored in the PDF."""
    _expected()
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura1475.pdf")) as pdf:
        page = pdf[0]
        (image,) = list(embedded_images(page, 0))
        pixels = image.pixels
        page.close()
    return pixels


@pytest.mark.parametrize(
    "name",
    [
        "factura11643.pdf",
        "factura128.pdf",
        "factura1360.pdf",
        "factura1475.pdf",
        "factura3435.pdf",
        "factura4.pdf",
        "factura5.pdf",
        "facturamy.pdf",
    ],
)
def test_qr_of_every_real_invoice_on_a_200dpi_render(name: str) -> None:
    expected = _expected()[name]
    with pdfium.PdfDocument(str(REAL_INVOICES / name)) as pdf:
        raster = render_page(pdf, 0, 200)
    codes = find_codes(raster, 0)
    assert [c.kind for c in codes] == ["qr"]
    assert codes[0].text.startswith(QR_PREFIX)
    assert codes[0].where == "render" and codes[0].page == 0
    assert parse_qr_url(codes[0].text).cuit == expected["issuer_cuit"]


def test_embedded_qr_bitmaps_decode_quickly() -> None:
    _expected()
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura3435.pdf")) as pdf:
        page = pdf[0]
        images = [image.pixels for image in embedded_images(page, 0)]
        page.close()
    found = [code for pixels in images for code in find_codes(pixels, 0, "embedded", effort=QUICK)]
    assert len(found) == 1 and found[0].where == "embedded"
    assert parse_qr_url(found[0].text).cuit == "23181404639"


def test_phone_photo_qr_of_factura1475() -> None:
    """The hard one: the QR inside the Adobe Scan photo, as stored and as a degraded re-shot."""
    photo = _photo_1475()
    expected = _expected()["factura1475.pdf"]
    (code,) = find_codes(photo, 0, "embedded")
    assert parse_qr_url(code.text).cuit == expected["issuer_cuit"]

    # The same photo taken again a bit worse: turned 12°, blurred, shadowed on one side, JPEG at q=50.
    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    turned = cv2.warpAffine(gray, cv2.getRotationMatrix2D((w / 2, h / 2), 12, 1.0), (w, h), borderValue=200)
    blurred = cv2.GaussianBlur(turned, (0, 0), 1.0)
    shadow = (blurred * np.linspace(1.0, 0.5, w)[None, :]).clip(0, 255).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", shadow, [cv2.IMWRITE_JPEG_QUALITY, 50])
    degraded = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    assert find_codes(degraded, 0, effort=QUICK) == []  # the cheap rungs are not enough...
    codes = find_codes(degraded, 0, effort=FULL)  # ...the candidate crops are
    assert len(codes) == 1 and codes[0].text == code.text


def test_codes_are_located_and_blanked_before_ocr() -> None:
    """The QR of a shadowed phone photo: its corners point at it in the whole picture (whatever resized copy
    it was decoded from), and painting it over leaves nothing to decode and the rest of the page untouched."""
    gray = cv2.cvtColor(_photo_1475(), cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    shadow = (cv2.GaussianBlur(gray, (0, 0), 1.0) * np.linspace(1.0, 0.5, w)[None, :]).clip(0, 255).astype(np.uint8)
    (code,) = find_codes(shadow, 0, effort=FULL)
    assert code.corners is not None and len(code.corners) == 4
    (qr,) = zxingcpp.read_barcodes(shadow, formats=zxingcpp.BarcodeFormat.QRCode)
    truth = np.array([(p.x, p.y) for p in (qr.position.top_left, qr.position.bottom_right)], float)
    found = np.array([code.corners[0], code.corners[2]], float)
    assert np.abs(found - truth).max() < 0.02 * w
    blanked = blank_codes(shadow, [code])
    assert find_codes(blanked, 0, effort=FULL) == []
    far = (slice(0, h // 10), slice(0, w // 10))
    assert np.array_equal(blanked[far], shadow[far])


def test_a_code_over_the_page_edge_is_blanked_with_the_paper_around_it() -> None:
    """A QR cut by the edge of a photo: its visible part takes the colour of the paper next to it (the 80th
    percentile of the ring around it, per channel) and nothing outside the grown code changes."""
    page = np.full((300, 400, 3), (200, 210, 220), np.uint8)
    page[0:80, 0:90] = 0  # the part of the code inside the picture
    page[150:160, 100:300] = 30  # a line of text far from it
    code = DecodedCode(
        kind="qr", text="x", page=0, where="image", corners=((-40.0, -40.0), (80.0, -40.0), (80.0, 80.0), (-40.0, 80.0))
    )
    blanked = blank_codes(page, [code])
    assert (blanked[0:80, 0:80] == (200, 210, 220)).all()
    assert np.array_equal(blanked[100:, :], page[100:, :])
    assert np.array_equal(blanked[:, 100:], page[:, 100:])
    assert page[0, 0].tolist() == [0, 0, 0]  # the input is kept


def test_candidate_regions_find_the_qr_of_a_photo() -> None:
    photo = _photo_1475()
    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    (qr,) = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    cx = (qr.position.top_left.x + qr.position.bottom_right.x) / 2
    cy = (qr.position.top_left.y + qr.position.bottom_right.y) / 2
    regions = candidate_regions(gray)
    assert any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in regions)


def _itf(digits: str, scale: int = 3) -> np.ndarray:
    bars = np.array(zxingcpp.create_barcode(digits, zxingcpp.BarcodeFormat.ITF).to_image(scale=scale))
    tall = np.repeat(bars[:1], 120, axis=0)
    page = np.full((400, tall.shape[1] + 200), 255, np.uint8)
    page[140:260, 100 : 100 + tall.shape[1]] = tall
    return page


@pytest.mark.parametrize(("afip_code", "point_of_sale", "length"), [(1, 3, 40), (201, 12345, 42)])
def test_cae_barcode_is_read_and_parses(afip_code: int, point_of_sale: int, length: int) -> None:
    digits = build_cae_barcode("20321911847", afip_code, point_of_sale, "73077498062672", dt.date(2023, 2, 23))
    assert len(digits) == length
    codes = find_codes(_itf(digits), 1, "image")
    assert [(c.kind, c.text, c.page, c.where) for c in codes] == [("i2of5", digits, 1, "image")]
    assert parse_cae_barcode(codes[0].text).check_ok


def test_other_itf_barcodes_are_ignored() -> None:
    """An ITF that cannot be a CAE barcode (e.g. a 14-digit logistics code) is not reported."""
    assert find_codes(_itf("12345678901231"), 0) == []


def test_qr_and_barcode_on_one_image() -> None:
    digits = build_cae_barcode("20321911847", 1, 3, "73077498062672", dt.date(2023, 2, 23))
    page = np.full((900, 1400), 255, np.uint8)
    barcode = _itf(digits, scale=2)
    page[500 : 500 + barcode.shape[0], 50 : 50 + barcode.shape[1]] = barcode
    qr = np.array(
        zxingcpp.create_barcode("https://www.afip.gob.ar/fe/qr/?p=e30=", zxingcpp.BarcodeFormat.QRCode).to_image(
            scale=8
        )
    )
    page[50 : 50 + qr.shape[0], 900 : 900 + qr.shape[1]] = qr
    kinds = sorted(c.kind for c in find_codes(page, 0))
    assert kinds == ["i2of5", "qr"]


def test_small_qr_is_upscaled() -> None:
    qr = np.array(
        zxingcpp.create_barcode(QR_PREFIX + "?p=" + "x" * 150, zxingcpp.BarcodeFormat.QRCode).to_image(scale=2)
    )
    small = cv2.resize(qr, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
    assert [c.kind for c in find_codes(small, 0)] == ["qr"]


@pytest.mark.parametrize("kind", ["blank", "noise", "text"])
def test_no_code_no_result(kind: str) -> None:
    rng = np.random.default_rng(1)
    if kind == "blank":
        image = np.full((1000, 800), 255, np.uint8)
    elif kind == "noise":
        image = rng.integers(0, 256, (600, 600), dtype=np.uint8)
    else:
        image = np.full((1000, 800, 3), 255, np.uint8)
        for i in range(30):
            cv2.putText(
                image,
                f"Linea {i} Importe $ {i * 1234.5:.2f}",
                (20, 30 + 30 * i),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.8,
                (0, 0, 0),
                2,
            )
    assert find_codes(image, 0) == []
    assert find_codes(np.zeros((0, 0), np.uint8), 0) == []


@pytest.mark.parametrize(("length", "angle"), [(7, 75), (6, 0)])
def test_motion_blurred_qr_is_read_deblurred(length: int, angle: float) -> None:
    """A photo's QR smeared by a hand that moved: only the deconvolved candidate regions decode."""
    from minimarket.documents.ocr.deblur import motion_kernel

    url = QR_PREFIX + "?p=" + "eyJ2ZXIiOjEsImZlY2hhIjoiMjAyNi0wMi0xMSIsImN1aXQiOjMwODUyODgxNTY1LCJwdG9WdGEiOjN9" * 3
    qr = np.array(zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode).to_image(scale=3))
    page = np.full((1400, 1000), 235, np.uint8)
    for row in range(100, 1300, 40):  # printed lines around it, as on an invoice
        text = "FACTURA 0003-00109710 CUIT 30-85288156-5 $ 705.928,32"
        cv2.putText(page, text, (40, row), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 30, 1, cv2.LINE_AA)
    h, w = qr.shape
    page[900 : 900 + h, 600 : 600 + w] = np.minimum(page[900 : 900 + h, 600 : 600 + w], qr)
    smeared = cv2.filter2D(page, -1, motion_kernel(length, angle)).astype(np.float32)
    smeared += np.random.default_rng(0).standard_normal(page.shape).astype(np.float32) * 4
    _, jpeg = cv2.imencode(".jpg", np.clip(smeared, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 75])
    photo = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)

    assert [c.text for c in find_codes(photo, 0)] == [url]
    assert find_codes(photo, 0, deblur=False) == []  # MINIMARKET_OCR_DEBLUR=false
