"""read_document end to end with real files and real Tesseract: the real development invoices, scans and
phone photos of a real invoice (rotated, in perspective, upside down), image-only PDFs, a cat, timeouts."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from minimarket.config import Settings
from minimarket.documents.ingest import DocumentError, load_document
from minimarket.documents.layout import DocumentText, TextOrigin
from minimarket.documents.pdf import SCANNER_TEXT_CONF, render_page
from minimarket.documents.reader import read_document
from minimarket.domain.qr import parse_qr_url

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"

ORIGINS = {
    "factura11643.pdf": "TT",
    "factura128.pdf": "TTT",
    "factura1360.pdf": "TTT",
    "factura1475.pdf": "T",
    "factura3435.pdf": "TO",
    "factura4.pdf": "TTO",
    "factura5.pdf": "TTT",
    "facturamy.pdf": "TT",
}
"""Per page: T = text layer, O = OCR (scanned attachments without text)."""


def _expected() -> dict[str, dict[str, object]]:
    path = REAL_INVOICES / "expected.json"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _compact(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text)


def _tesseracts() -> list[int]:
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "tesseract" and int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                ) == me:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def real_results() -> dict[str, DocumentText]:
    expected = _expected()
    return {name: read_document(load_document(REAL_INVOICES / name)) for name in expected}


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_real_invoice(name: str, real_results: dict[str, DocumentText]) -> None:
    expected = _expected()[name]
    result = real_results[name]
    origins = "".join("T" if page.origin is TextOrigin.TEXT else "O" for page in result.pages)
    assert origins == ORIGINS[name]
    assert [page.index for page in result.pages] == list(range(len(result.pages)))
    # The QR is found, and it is this invoice's.
    qrs = [code for code in result.codes if code.kind == "qr"]
    assert qrs, f"no QR found in {name}"
    assert {parse_qr_url(code.text).cuit for code in qrs} == {expected["issuer_cuit"]}
    # Key strings on the first page: issuer CUIT and invoice number.
    first = _compact(result.pages[0].text)
    assert str(expected["issuer_cuit"]) in first
    assert str(expected["number"]) in first
    for page in result.pages:
        assert page.words, f"{name} page {page.index} has no words"
        assert page.width > 0 and page.height > 0


def test_scanner_text_layer_is_flagged(real_results: dict[str, DocumentText]) -> None:
    result = real_results["factura1475.pdf"]
    assert {w.conf for w in result.pages[0].words} == {SCANNER_TEXT_CONF}
    assert any("OCR del escáner" in warning for warning in result.warnings)


def test_letterhead_background_is_read(real_results: dict[str, DocumentText]) -> None:
    """factura5 prints the issuer (name, CUIT) only inside the page's background picture."""
    page = real_results["factura5.pdf"].pages[0]
    ocr_words = [w for w in page.words if w.conf < 1.0]
    text_words = [w for w in page.words if w.conf == 1.0]
    assert "FORTIN" in {w.text for w in ocr_words}
    assert "20102000537" in _compact(" ".join(w.text for w in ocr_words))
    assert text_words and "CUENTA" in {w.text for w in text_words}
    assert any("imagen de fondo" in warning for warning in real_results["factura5.pdf"].warnings)


def test_scanned_attachment_pages_are_ocrd(real_results: dict[str, DocumentText]) -> None:
    page = real_results["factura4.pdf"].pages[2]
    assert page.origin is TextOrigin.OCR
    assert len(page.words) > 50 and page.mean_conf > 0.6
    assert "PEUGEOT" in page.text


# --- scans and photos of a real invoice ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_bgr() -> np.ndarray:
    _expected()
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura128.pdf")) as pdf:
        return render_page(pdf, 0, 300, grayscale=False)


def _camera_corners(tilt_x: float, tilt_y: float, turn: float, size: tuple[int, int]) -> np.ndarray:
    """Corners (TL TR BR BL) of an A4 sheet seen by a pinhole camera (principal point at the centre)."""

    def rotation(angle: float, axis: int) -> np.ndarray:
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        i, j = [k for k in range(3) if k != axis]
        matrix = np.eye(3)
        matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
        return matrix

    w, h = 0.210, 0.297
    sheet = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    placed = (rotation(tilt_x, 0) @ rotation(tilt_y, 1) @ rotation(turn, 2) @ sheet.T).T + np.array([0.01, 0, 0.4])
    focal = 1.1 * size[0]
    return np.stack(
        [focal * placed[:, 0] / placed[:, 2] + size[0] / 2, focal * placed[:, 1] / placed[:, 2] + size[1] / 2], axis=1
    ).astype(np.float32)


def _phone_photo(page: np.ndarray, tilt_x: float, tilt_y: float, turn: float) -> np.ndarray:
    """The page photographed on a dark table, in perspective, with a shadow across it."""
    size = (2400, 3200)
    h, w = page.shape[:2]
    source = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, _camera_corners(tilt_x, tilt_y, turn, size))
    sheet = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size) > 127
    table = np.empty_like(sheet)
    table[:] = (70, 55, 40)
    photo = np.where(mask[..., None], sheet, table)
    light = np.linspace(1.0, 0.55, size[0])[None, :] * np.linspace(0.95, 0.8, size[1])[:, None]
    return (photo * light[..., None]).clip(0, 255).astype(np.uint8)


def _encode(image: np.ndarray, fmt: str) -> bytes:
    ok, buffer = cv2.imencode(fmt, image, [cv2.IMWRITE_JPEG_QUALITY, 85] if fmt == ".jpg" else [])
    assert ok
    return buffer.tobytes()


VARIANTS = {
    "scan": lambda p: _encode(p, ".png"),
    "scan_rotated_90": lambda p: _encode(cv2.rotate(p, cv2.ROTATE_90_CLOCKWISE), ".png"),
    "scan_rotated_180": lambda p: _encode(cv2.rotate(p, cv2.ROTATE_180), ".png"),
    "scan_rotated_270": lambda p: _encode(cv2.rotate(p, cv2.ROTATE_90_COUNTERCLOCKWISE), ".png"),
    "phone_photo": lambda p: _encode(_phone_photo(p, 15, 8, 3), ".jpg"),
    "phone_photo_upside_down": lambda p: _encode(cv2.rotate(_phone_photo(p, -12, 10, -4), cv2.ROTATE_180), ".jpg"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_scans_and_photos_of_a_real_invoice(variant: str, page_bgr: np.ndarray) -> None:
    doc = load_document(VARIANTS[variant](page_bgr), name=f"{variant}.img")
    result = read_document(doc)
    (page,) = result.pages
    assert page.origin is TextOrigin.OCR
    assert "23100588994" in _compact(page.text)  # issuer CUIT
    assert "178000,00" in page.text  # total
    assert "00000128" in page.text  # invoice number
    assert [code.kind for code in result.codes] == ["qr"]
    assert parse_qr_url(result.codes[0].text).cuit == "23100588994"
    # Upright output: the heading comes before the totals.
    assert page.text.index("FACTURA") < page.text.index("178000,00")


def test_image_only_pdf_upside_down(page_bgr: np.ndarray) -> None:
    """A scanner's PDF (one picture per page, no text) fed upside down."""
    buffer = io.BytesIO()
    upside_down = cv2.rotate(page_bgr, cv2.ROTATE_180)[..., ::-1]
    Image.fromarray(np.ascontiguousarray(upside_down)).save(buffer, format="PDF", resolution=300.0)
    result = read_document(load_document(buffer.getvalue()))
    (page,) = result.pages
    assert page.origin is TextOrigin.OCR
    assert "23100588994" in _compact(page.text)
    assert [code.where for code in result.codes] == ["embedded"]


def _cat_photo() -> np.ndarray:
    """A natural-looking picture with no text: smooth fur-like noise, two eyes, whiskers."""
    rng = np.random.default_rng(7)
    base = cv2.resize(rng.integers(60, 200, (24, 32, 3), dtype=np.uint8), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    fur = cv2.GaussianBlur(rng.normal(0, 25, (1200, 1600, 3)), (0, 0), 1.5)
    image = (base + fur).clip(0, 255).astype(np.uint8)
    for x in (620, 980):
        cv2.ellipse(image, (x, 500), (70, 45), 0, 0, 360, (40, 160, 90), -1)
        cv2.ellipse(image, (x, 500), (12, 40), 0, 0, 360, (10, 10, 10), -1)
    for dy in (-30, 0, 30):
        cv2.line(image, (700, 720 + dy), (380, 690 + 2 * dy), (230, 230, 230), 3)
        cv2.line(image, (900, 720 + dy), (1220, 690 + 2 * dy), (230, 230, 230), 3)
    return image


def test_image_of_a_cat_reads_without_crashing() -> None:
    result = read_document(load_document(_encode(_cat_photo(), ".jpg"), name="gato.jpg"))
    (page,) = result.pages
    assert result.codes == []
    real_words = [w for w in page.words if sum(ch.isalnum() for ch in w.text) >= 3 and w.conf > 0.8]
    assert len(real_words) < 5
    assert result.warnings  # "no text" or "low confidence": the fields layer will mark it for review


def test_ocr_timeout_end_to_end(page_bgr: np.ndarray) -> None:
    doc = load_document(VARIANTS["scan"](page_bgr))
    with pytest.raises(DocumentError) as info:
        read_document(doc, Settings(ocr_timeout_seconds=0.2))
    assert info.value.code == "timeout"
    assert _tesseracts() == []


@pytest.mark.parametrize("with_text", [True, False])
def test_giant_page_is_rendered_within_the_pixel_limit(with_text: bool) -> None:
    """A 200×200-inch page (the largest a PDF allows) must not be rendered at 300 dpi (3.6 gigapixels)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(14400, 14400))
    pdf.rect(1000, 1000, 12000, 12000, fill=0)
    if with_text:
        pdf.setFont("Helvetica", 200)
        pdf.drawString(1200, 12000, "FACTURA A 0001-00001234 CUIT 20-12345678-6")
        pdf.drawString(1200, 11000, "Importe total: $ 1.234,56 Fecha 14/02/2023")
    pdf.showPage()
    pdf.save()
    settings = Settings(max_image_pixels=4_000_000)
    result = read_document(load_document(buffer.getvalue(), settings=settings), settings)
    (page,) = result.pages
    assert page.origin is (TextOrigin.TEXT if with_text else TextOrigin.OCR)
    assert any("muy grande" in warning for warning in result.warnings)
    assert result.codes == []
