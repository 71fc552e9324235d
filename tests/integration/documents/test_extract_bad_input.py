"""Bad input end to end: ``extract`` returns a clear error record or a ``needs_review`` result, never raises.

Zero-byte file, text named .pdf, truncated PDF, encrypted PDF, 5,000-page PDF, 30000x30000 PNG
(decompression bomb), a picture of a cat, an invoice scanned rotated 90 degrees and an upside-down phone
photo, a photo cut below its header (real Tesseract).
"""

from __future__ import annotations

import io
import struct
import zlib
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from minimarket.config import REPO_ROOT
from minimarket.documents.extract import extract
from minimarket.domain.invoice import ExtractedInvoice, Status

REAL_INVOICES = REPO_ROOT.parent / "shared" / "data" / "invoices"


def _rejected(result: ExtractedInvoice, code: str) -> None:
    assert result.status == Status.REJECTED
    assert result.error is not None and result.error.code == code, result.error
    assert result.error.message and "Traceback" not in result.error.message
    assert result.items == [] and result.checks == []


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "vacio.pdf"
    path.write_bytes(b"")
    result = extract(path)
    _rejected(result, "empty_file")
    assert result.source_file == str(path)


def test_text_file_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "factura.pdf"
    path.write_text("FACTURA A\nTotal: $ 1.000,00\n", encoding="utf-8")
    result = extract(path)
    _rejected(result, "unsupported_type")
    assert "se detecta por el contenido" in result.error.message  # type: ignore[union-attr]


def test_missing_file(tmp_path: Path) -> None:
    _rejected(extract(tmp_path / "no-existe.pdf"), "not_found")


def _one_page_pdf(**kwargs: object) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, **kwargs)  # type: ignore[arg-type]
    c.drawString(100, 700, "FACTURA A  Punto de Venta: 00003 Comp. Nro: 00000128")
    c.showPage()
    c.save()
    return buffer.getvalue()


def test_truncated_pdf() -> None:
    data = _one_page_pdf()
    result = extract(data[: len(data) // 2], name="cortado.pdf")
    _rejected(result, "corrupt_file")
    assert result.source_file == "cortado.pdf"


def test_encrypted_pdf() -> None:
    result = extract(_one_page_pdf(encrypt="secreto"), name="protegido.pdf")
    _rejected(result, "encrypted_pdf")
    assert result.sha256 is None or len(result.sha256) == 64


def test_five_thousand_pages() -> None:
    pdf = pdfium.PdfDocument.new()
    for _ in range(5000):
        pdf.new_page(200, 200)
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    result = extract(buffer.getvalue(), name="enorme.pdf")
    _rejected(result, "too_many_pages")
    assert "5000" in result.error.message  # type: ignore[union-attr]


def _png_bomb(width: int, height: int) -> bytes:
    """A real PNG of ``width``×``height`` black 1-bit pixels: a few hundred KB that decode to gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_decompression_bomb_png() -> None:
    result = extract(_png_bomb(30000, 30000), name="bomba.png")
    _rejected(result, "too_many_pixels")


def _cat() -> bytes:
    rng = np.random.default_rng(7)
    base = cv2.resize(rng.integers(60, 200, (24, 32, 3), dtype=np.uint8), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    fur = cv2.GaussianBlur(rng.normal(0, 25, (1200, 1600, 3)), (0, 0), 1.5)
    image = (base + fur).clip(0, 255).astype(np.uint8)
    for x in (620, 980):
        cv2.ellipse(image, (x, 500), (70, 45), 0, 0, 360, (40, 160, 90), -1)
        cv2.ellipse(image, (x, 500), (12, 40), 0, 0, 360, (10, 10, 10), -1)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return buffer.tobytes()


def test_picture_of_a_cat_is_not_an_invoice() -> None:
    result = extract(_cat(), name="gato.jpg")
    _rejected(result, "not_an_invoice")
    assert "no parece una factura" in result.error.message  # type: ignore[union-attr]
    assert result.sha256 is not None


def test_an_invoice_too_blurred_to_read_goes_to_review_not_rejected() -> None:
    """A picture whose only legible words are an invoice's title is an invoice a person must look at."""
    image = np.full((1200, 1600, 3), 255, np.uint8)
    cv2.putText(image, "FACTURA", (420, 300), cv2.FONT_HERSHEY_SIMPLEX, 4, (0, 0, 0), 10)
    cv2.putText(image, "Original", (560, 420), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 4)
    ok, buffer = cv2.imencode(".png", image)
    assert ok
    result = extract(buffer.tobytes(), name="borrosa.png")
    assert result.status == "needs_review" and result.error is None
    legible = [c for c in result.checks if c.name == "legible"]
    assert legible and not legible[0].ok and "foto más nítida" in legible[0].detail


def test_a_photo_cut_below_its_header_goes_to_review_not_rejected() -> None:
    """A photo whose sheet was found below the header box: no title, CUIT or number, but a CAE, a net and an
    items table that adds up. That is an invoice a person must look at, not "not an invoice"."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(595, 842))
    pdf.setFont("Courier", 10)
    rows = [
        ("CANT", "DESCRIPCION", "P.UNIT", "IMPORTE"),
        ("2,00", "GALLETITAS DIVERSION ARCOR 400 GRS", "1384,07", "2768,14"),
        ("3,00", "CAFE MOLIDO LA VIRGINIA 250 GRS", "3770,39", "11311,17"),
        ("1,00", "TE NEGRO LA VIRGINIA X25", "687,26", "687,26"),
    ]
    for n, (qty, desc, price, amount) in enumerate(rows):
        y = 780 - 18 * n
        pdf.drawString(40, y, qty)
        pdf.drawString(90, y, desc)
        pdf.drawRightString(460, y, price)
        pdf.drawRightString(555, y, amount)
    pdf.drawString(300, 680, "NETO GRAV. 21%")
    pdf.drawRightString(555, 680, "14766,57")
    pdf.drawString(40, 640, "CAE: 76427046937032   VTO. CAE: 02/11/2026")
    pdf.save()
    page = pdfium.PdfDocument(buffer.getvalue())[0]
    image = np.asarray(page.render(scale=200 / 72).to_pil().convert("L"))
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    result = extract(encoded.tobytes(), name="cortada.png")
    assert result.status == "needs_review" and result.error is None
    assert [(i.quantity, i.amount) for i in result.items][:1] == [(2, Decimal("2768.14"))]


@pytest.fixture(scope="module")
def invoice_page() -> np.ndarray:
    """Page 1 of the real Factura C 128, rendered at 200 dpi (BGR)."""
    path = REAL_INVOICES / "factura128.pdf"
    if not path.is_file():
        pytest.skip(f"shared development invoices not found at {REAL_INVOICES}")
    pdf = pdfium.PdfDocument(str(path))
    image = np.asarray(pdf[0].render(scale=200 / 72).to_pil().convert("RGB"))[..., ::-1]
    pdf.close()
    return np.ascontiguousarray(image)


def _check_factura_128(result: ExtractedInvoice) -> None:
    assert result.status in (Status.ACCEPTED, Status.NEEDS_REVIEW)
    assert result.error is None
    assert (result.afip_code, result.point_of_sale, result.number) == (11, 3, 128)
    assert result.issuer_cuit == "23100588994"
    assert str(result.total) == "178000.00"
    if result.status == Status.NEEDS_REVIEW:
        assert result.failed_checks, "needs_review must say why"


def test_invoice_scanned_rotated_90_degrees(invoice_page: np.ndarray) -> None:
    ok, buffer = cv2.imencode(".png", cv2.rotate(invoice_page, cv2.ROTATE_90_CLOCKWISE))
    assert ok
    result = extract(buffer.tobytes(), name="girada.png")
    _check_factura_128(result)
    assert result.sources["issuer_cuit"] in ("ocr", "qr")


def test_upside_down_phone_photo(invoice_page: np.ndarray) -> None:
    h, w = invoice_page.shape[:2]
    pad = 60
    photo = cv2.copyMakeBorder(invoice_page, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(70, 55, 40))
    light = np.linspace(1.0, 0.7, w + 2 * pad)[None, :, None]
    photo = (photo * light).clip(0, 255).astype(np.uint8)
    ok, buffer = cv2.imencode(".jpg", cv2.rotate(photo, cv2.ROTATE_180), [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok and h > 0
    _check_factura_128(extract(buffer.tobytes(), name="al-reves.jpg"))


@pytest.mark.parametrize("workers", [1, 2])
def test_per_document_timeout_gives_a_record_and_the_rest_go_on(
    workers: int, invoice_page: np.ndarray, tmp_path: Path
) -> None:
    from minimarket.config import Settings
    from minimarket.documents.extract import extract_many

    # four pages' worth of scan on one page (≈ 4 s of OCR on a quiet machine) against a text PDF (≈ 0.05 s):
    # the budget sits 30x above the fast one, so a busy machine does not time out both
    slow = tmp_path / "escaneo.png"
    ok, buffer = cv2.imencode(".png", np.vstack([np.hstack([invoice_page, invoice_page])] * 2))
    assert ok
    slow.write_bytes(buffer.tobytes())
    fast = REAL_INVOICES / "factura1360.pdf"
    results = list(extract_many([slow, fast], workers=workers, settings=Settings(extract_timeout_seconds=1.5)))
    assert [r.status for r in results] == [Status.REJECTED, Status.ACCEPTED]
    assert results[0].error is not None and results[0].error.code == "timeout"
    assert "1.5 s" in results[0].error.message
