"""Ingest: type detection from bytes, limits enforced from headers, bad files refused with clear errors.

Every bad file is built here, in ``tmp_path`` or in memory: a zero-byte file, a text file named .pdf,
a truncated copy of a real PDF, a really encrypted PDF (RC4, Standard security handler, built by hand
and checked to open with its password), a 5,000-page PDF, and a PNG whose header declares 30000×30000.
"""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from minimarket.config import Settings
from minimarket.documents.ingest import (
    ACCEPTED,
    ERROR_CODES,
    DocumentError,
    decode_image,
    detect_kind,
    load_document,
)
from tests.security.hostile import pdf_self_referencing_objects

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"

# --- builders ----------------------------------------------------------------------------------------------


def build_pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF file from numbered object bodies (object n is ``objects[n - 1]``), with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\n" % (len(objects) + 1, root, trailer_extra))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    """A valid PDF with ``pages`` empty pages sharing one content stream (built in milliseconds)."""
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * pages
    return build_pdf(objects)


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted_pdf(user_password: bytes = b"secreto", owner_password: bytes = b"dueno") -> bytes:
    """A one-page PDF saying "Hola", encrypted with the Standard security handler (V1 R2, RC4 40-bit),
    following the PDF 1.7 reference, algorithms 3.1 to 3.4."""
    file_id = hashlib.md5(b"minimarket-test").digest()
    permissions = -44  # print allowed, everything else denied (bits 1-2 and 7-8, 13-32 set)
    owner_key = hashlib.md5((owner_password + _PAD)[:32]).digest()[:5]
    o_entry = _rc4(owner_key, (user_password + _PAD)[:32])
    key = hashlib.md5((user_password + _PAD)[:32] + o_entry + struct.pack("<i", permissions) + file_id).digest()[:5]
    u_entry = _rc4(key, _PAD)

    def encrypt(number: int, data: bytes) -> bytes:
        object_key = hashlib.md5(key + struct.pack("<i", number)[:3] + b"\x00\x00").digest()[:10]
        return _rc4(object_key, data)

    content = encrypt(4, b"BT /F1 24 Tf 72 720 Td (Hola) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + o_entry.hex().encode()
        + b"> /U <"
        + u_entry.hex().encode()
        + b"> /P %d >>" % permissions,
    ]
    trailer = b"/Encrypt 6 0 R /ID [<" + file_id.hex().encode() + b"> <" + file_id.hex().encode() + b">] "
    return build_pdf(objects, trailer_extra=trailer)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny PNG file whose IHDR declares ``width``×``height`` (8-bit gray): a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def image_bytes(array: np.ndarray, fmt: str, **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def real_pdf() -> Path:
    path = REAL_INVOICES / "factura128.pdf"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    return path


# --- detection -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\xef\xbb\xbf  \n%PDF-1.4", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"II*\x00\x08\x00", "tiff"),
        (b"MM\x00*\x00\x00", "tiff"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"Hola, esto es texto", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_detect_kind_reads_magic_bytes(head: bytes, kind: str | None) -> None:
    assert detect_kind(head) == kind


def test_kind_comes_from_bytes_not_name(tmp_path: Path) -> None:
    png = image_bytes(np.full((50, 60), 255, np.uint8), "PNG")
    path = tmp_path / "factura.pdf"
    path.write_bytes(png)
    doc = load_document(path)
    assert doc.kind == "png"
    assert doc.name == "factura.pdf"
    assert (doc.width, doc.height) == (60, 50)
    assert doc.sha256 == hashlib.sha256(png).hexdigest()


def test_real_pdf_loads_with_page_count() -> None:
    path = real_pdf()
    doc = load_document(path)
    assert doc.kind == "pdf"
    assert doc.pages == 3
    assert doc.data == path.read_bytes()
    same = load_document(path.read_bytes(), name="x.pdf")
    assert same.sha256 == doc.sha256
    assert same.name == "x.pdf"


# --- bad input ---------------------------------------------------------------------------------------------


def _error(source: object, settings: Settings | None = None, name: str | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_document(source, name=name, settings=settings)  # type: ignore[arg-type]
    error = info.value
    assert error.code in ERROR_CODES
    assert error.message and len(error.message) > 20
    return error


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "vacio.pdf"
    path.write_bytes(b"")
    error = _error(path)
    assert error.code == "empty_file"
    assert ACCEPTED in error.message
    assert _error(b"").code == "empty_file"


def test_text_file_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "factura.pdf"
    path.write_text("Factura A 0001-00001234\nTotal: $ 1.000,00\n", encoding="utf-8")
    error = _error(path)
    assert error.code == "unsupported_type"
    assert "PDF" in error.message and "PNG" in error.message


def test_missing_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "no-existe.pdf").code == "not_found"


def test_truncated_pdf(tmp_path: Path) -> None:
    data = real_pdf().read_bytes()
    path = tmp_path / "cortado.pdf"
    path.write_bytes(data[: len(data) * 2 // 3])
    error = _error(path)
    assert error.code == "corrupt_file"
    assert "incompleto" in error.message


def test_pdf_header_with_garbage_body() -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
    assert _error(data).code == "corrupt_file"


def test_encrypted_pdf_is_refused() -> None:
    data = encrypted_pdf()
    # The file is really encrypted: pdfium opens it with the password and reads the text...
    with pdfium.PdfDocument(data, password="secreto") as pdf:
        text = pdf[0].get_textpage().get_text_bounded()
    assert "Hola" in text
    # ...and ingest refuses it with a specific error.
    error = _error(data, name="protegido.pdf")
    assert error.code == "encrypted_pdf"
    assert "contraseña" in error.message


def test_a_broken_pdf_after_an_encrypted_one_is_corrupt_not_encrypted() -> None:
    # pdfium keeps its last error per thread and leaves it unset on some load failures: a broken file
    # read right after an encrypted one used to be reported as "protected with a password".
    assert _error(encrypted_pdf()).code == "encrypted_pdf"
    looping = pdf_self_referencing_objects()
    with pytest.raises(pdfium.PdfiumError) as raised:
        pdfium.PdfDocument(looping)
    assert raised.value.err_code == 4  # the stale "incorrect password" this guards against
    assert _error(looping).code == "corrupt_file"


def test_5000_page_pdf_is_refused_by_the_page_limit(tmp_path: Path) -> None:
    path = tmp_path / "enorme.pdf"
    path.write_bytes(many_pages_pdf(5000))
    with pdfium.PdfDocument(str(path)) as pdf:
        assert len(pdf) == 5000  # a valid PDF, not a broken one
    started = time.monotonic()
    error = _error(path)
    elapsed = time.monotonic() - started
    assert error.code == "too_many_pages"
    assert "5000" in error.message and "30" in error.message
    assert elapsed < 30  # generous: it must not read the pages one by one (a hang guard, not a benchmark)


def test_page_limit_comes_from_settings() -> None:
    data = many_pages_pdf(3)
    assert load_document(data, settings=Settings(max_pdf_pages=3)).pages == 3
    assert _error(data, settings=Settings(max_pdf_pages=2)).code == "too_many_pages"


def test_too_large_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "grande.pdf"
    path.write_bytes(many_pages_pdf(1) + b" " * 5000)
    error = _error(path, settings=Settings(max_upload_bytes=4096))
    assert error.code == "too_large"
    assert _error(path.read_bytes(), settings=Settings(max_upload_bytes=4096)).code == "too_large"


def test_decompression_bomb_png_is_refused_from_its_header(tmp_path: Path) -> None:
    data = png_with_declared_size(30000, 30000)
    assert len(data) < 200
    path = tmp_path / "bomba.png"
    path.write_bytes(data)
    error = _error(path)
    assert error.code == "too_many_pixels"
    assert "900 millones" in error.message


def test_decoder_refuses_bombs_too() -> None:
    """Even a Document built by hand (skipping load_document) is not decoded past the pixel limit."""
    from minimarket.documents.ingest import Document

    data = png_with_declared_size(30000, 30000)
    doc = Document(name="bomba.png", data=data, kind="png", sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(DocumentError) as info:
        decode_image(doc)
    assert info.value.code == "too_many_pixels"


def test_pixel_limit_comes_from_settings() -> None:
    data = image_bytes(np.full((100, 100), 200, np.uint8), "PNG")
    assert load_document(data, settings=Settings(max_image_pixels=10_000)).kind == "png"
    assert _error(data, settings=Settings(max_image_pixels=9_999)).code == "too_many_pixels"


def test_truncated_image_is_refused_when_decoded() -> None:
    rng = np.random.default_rng(0)
    data = image_bytes(rng.integers(0, 255, (400, 300, 3), dtype=np.uint8), "JPEG", quality=90)
    cut = data[: len(data) // 2]
    doc = load_document(cut, name="foto.jpg")  # the header is fine...
    with pytest.raises(DocumentError) as info:
        decode_image(doc)  # ...the pixels are not
    assert info.value.code == "corrupt_file"


def test_broken_png_header() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    assert _error(data).code == "corrupt_file"


def test_multipage_tiff_counts_pages() -> None:
    frames = [Image.fromarray(np.full((80, 60), v, np.uint8)) for v in (50, 150, 250)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    doc = load_document(buffer.getvalue())
    assert (doc.kind, doc.pages) == ("tiff", 3)
    pages = decode_image(doc)
    assert [int(p.pixels.mean()) for p in pages] == [50, 150, 250]
    assert _error(buffer.getvalue(), settings=Settings(max_pdf_pages=2)).code == "too_many_pages"


# --- decoding ------------------------------------------------------------------------------------------------


def test_exif_orientation_is_honoured() -> None:
    """A camera stores pixels sideways and says so in EXIF: decoding returns the upright picture."""
    upright = np.full((120, 80, 3), 255, np.uint8)
    upright[:20, :, :] = 0  # a black band at the top of the upright picture
    stored = np.ascontiguousarray(np.rot90(upright, k=1))  # sensor pixels: rotated 90° counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = image_bytes(stored, "JPEG", quality=95, exif=exif.tobytes())
    doc = load_document(data)
    (page,) = decode_image(doc)
    assert page.pixels.shape[:2] == (120, 80)
    gray = page.pixels.mean(axis=2)
    assert gray[:15].mean() < 40 and gray[30:].mean() > 215


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_every_exif_orientation_matches_pil(orientation: int, fmt: str) -> None:
    """The fast OpenCV decoder turns pictures exactly as PIL's exif_transpose does."""
    from PIL import ImageOps

    rng = np.random.default_rng(orientation)
    stored = np.zeros((60, 90, 3), np.uint8)
    stored[:20, :30] = (255, 0, 0)  # a red corner block makes every flip/turn distinguishable
    stored[40:, 70:] = rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = image_bytes(stored, fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))
    (page,) = decode_image(load_document(data))
    with Image.open(io.BytesIO(data)) as img:
        expected = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))[..., ::-1]
    assert page.pixels.shape == expected.shape
    assert np.abs(page.pixels.astype(int) - expected.astype(int)).mean() < 2


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_formats_decode_to_bgr(fmt: str) -> None:
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    doc = load_document(image_bytes(rgb, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    (page,) = decode_image(doc)
    assert page.pixels.shape == (30, 40, 3)
    assert tuple(int(v) for v in page.pixels[5, 5]) == (0, 0, 255)  # BGR


def test_transparent_png_is_composited_on_white() -> None:
    rgba = np.zeros((20, 20, 4), np.uint8)  # fully transparent black
    doc = load_document(image_bytes(rgba, "PNG"))
    (page,) = decode_image(doc)
    assert int(page.pixels.min()) == 255


def test_scanner_dpi_is_kept_camera_dpi_is_not() -> None:
    page = np.full((3508, 2480), 255, np.uint8)
    scan = load_document(image_bytes(page, "PNG", dpi=(300, 300)))
    photo = load_document(image_bytes(page, "JPEG", dpi=(72, 72)))
    assert decode_image(scan)[0].dpi == 300
    assert decode_image(photo)[0].dpi is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_gray_decoding_is_upright_and_close_to_the_colour_one(fmt: str) -> None:
    """``gray=True`` gives the same upright picture as converting the colour decode to gray."""
    import cv2

    stored = np.full((60, 90, 3), 255, np.uint8)
    stored[:15, :, :] = (30, 60, 200)  # a coloured band on top
    exif = Image.Exif()
    exif[0x0112] = 6
    data = image_bytes(stored, fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))
    (colour,) = decode_image(load_document(data))
    (gray,) = decode_image(load_document(data), gray=True)
    assert gray.pixels.ndim == 2 and gray.pixels.shape == colour.pixels.shape[:2] == (90, 60)
    expected = cv2.cvtColor(colour.pixels, cv2.COLOR_BGR2GRAY).astype(int)
    # a JPEG's gray is its luma plane: a few levels off where the subsampled colour changes
    assert np.abs(gray.pixels.astype(int) - expected).max() <= (8 if fmt == "JPEG" else 2)
