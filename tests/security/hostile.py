"""A corpus of hostile files, generated (never committed): decompression bombs in every image format, PDFs with
huge page counts, looping page trees, broken cross-reference tables, JavaScript and embedded files, polyglots,
0- and 1-byte files, and Unicode or path-like names.

Each :class:`Case` says which error codes are acceptable (``rejected`` with that code) — or ``None`` when the
file is a harmless readable page that must simply come back as a record without crashing anything. Used by
``tests/security/test_hostile_files.py`` (through the CLI; later through the API) and ``benchmarks/memory.py``
(peak RSS per case).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

TOO_BIG = ("too_many_pixels",)
CORRUPT = ("corrupt_file",)
PAGES = ("too_many_pages",)
NOT_INVOICE = ("not_an_invoice",)


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    """The file name (Unicode and path-like names included)."""
    make: Callable[[], bytes]
    expected: tuple[str, ...]
    """Acceptable ``error.code`` values of the rejected record."""
    what: str


# --- images ------------------------------------------------------------------------------------------------------


def _png_bytes(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def png_bomb() -> bytes:
    """10000×10000 one-bit pixels (100 megapixels) in a few kB."""
    return _png_bytes(Image.new("1", (10_000, 10_000), 1), compress_level=9)


def png_header_bomb() -> bytes:
    """A valid 8×8 PNG whose IHDR declares 100000×100000 (CRC fixed): the header alone is the bomb."""
    data = bytearray(_png_bytes(Image.new("L", (8, 8), 255)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", 100_000, 100_000)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF)
    return bytes(data)


def png_16bit(side: int = 6000) -> bytes:
    """A 16-bit page (36 megapixels by default) in about 100 kB: within the pixel limit, past a small decode
    budget (the issue's case, 7700×7700 = 59 megapixels in 133 kB, is ``png_16bit(7700)``)."""
    pixels = np.zeros((side, side), dtype=np.uint16)
    pixels[::50, :] = 65535
    return _png_bytes(Image.fromarray(pixels), compress_level=9)


def jpeg_header_bomb() -> bytes:
    """A small JPEG whose SOF declares 65000×65000."""
    out = io.BytesIO()
    Image.new("L", (16, 16), 200).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_000, 65_000)
    return bytes(data)


def tiff_bomb() -> bytes:
    """10000×10000 one-bit pixels (100 megapixels), CCITT group 4 compressed."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(out, format="TIFF", compression="group4")
    return out.getvalue()


def tiff_many_frames(frames: int = 12, size: tuple[int, int] = (5000, 4000)) -> bytes:
    """Many large deflated frames (each within the pixel limit; all together past the decode budget)."""
    page = Image.new("L", size, 255)
    out = io.BytesIO()
    page.save(out, format="TIFF", save_all=True, append_images=[page] * (frames - 1), compression="tiff_deflate")
    return out.getvalue()


def tiff_thousand_pages() -> bytes:
    """A thousand tiny frames: a page count far past the limit."""
    page = Image.new("1", (8, 8), 1)
    out = io.BytesIO()
    page.save(out, format="TIFF", save_all=True, append_images=[page] * 999)
    return out.getvalue()


def webp_header_bomb() -> bytes:
    """A small lossless WebP whose VP8L header declares 16383×16383 (268 megapixels)."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 255, 255)).save(out, format="WEBP", lossless=True)
    data = bytearray(out.getvalue())
    at = data.index(b"VP8L") + 8
    bits = int.from_bytes(data[at + 1 : at + 5], "little")
    bits = (bits & ~0x0FFFFFFF) | (16382 << 14) | 16382
    data[at + 1 : at + 5] = bits.to_bytes(4, "little")
    return bytes(data)


def blank_png() -> bytes:
    return _png_bytes(Image.new("L", (300, 400), 255))


# --- PDFs --------------------------------------------------------------------------------------------------------


def _pdf(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"", broken_xref: bool = False) -> bytes:
    """A PDF from numbered object bodies (1-based), with a correct (or deliberately broken) xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % (offset + 7 if broken_xref else offset)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\n" % (len(objects) + 1, root, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % (xref + 13 if broken_xref else xref)
    return bytes(out)


_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>"
_BLANK = b"<< /Length 0 >>\nstream\n\nendstream"


def pdf_blank(catalog_extra: bytes = b"", extra: list[bytes] | None = None, broken_xref: bool = False) -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>"
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    return _pdf([catalog, pages, _PAGE, _BLANK, *(extra or [])], broken_xref=broken_xref)


def pdf_huge_page_count(count: int = 100_000) -> bytes:
    kids = b" ".join([b"3 0 R"] * count)
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count
    return _pdf([catalog, pages, _PAGE, _BLANK])


def pdf_lying_count() -> bytes:
    """/Count says two billion pages."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>"
    return _pdf([catalog, pages, _PAGE, _BLANK])


def pdf_looping_tree() -> bytes:
    """A page tree whose node lists itself (and its parent) among its kids."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [2 0 R 5 0 R 3 0 R] /Count 3 >>"
    inner = b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 5 0 R] /Count 2 >>"
    return _pdf([catalog, pages, _PAGE, _BLANK, inner])


def pdf_self_referencing_objects() -> bytes:
    """Objects that are references to each other all the way down (a resolver without a guard loops)."""
    catalog = b"<< /Type /Catalog /Pages 6 0 R >>"
    return _pdf([catalog, b"3 0 R", b"2 0 R", _BLANK, b"<< /A 5 0 R >>", b"7 0 R", b"6 0 R"])


def pdf_javascript() -> bytes:
    action = b"<< /S /JavaScript /JS (app.alert('hola'); this.exportDataObject({cName: 'x', nLaunch: 2});) >>"
    return pdf_blank(b"/OpenAction 5 0 R /AA << /WC 5 0 R >> ", [action])


def pdf_embedded_file() -> bytes:
    payload = b"MZ\x90\x00 this would be an executable"
    stream = b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(payload) + payload + b"\nendstream"
    spec = b"<< /Type /Filespec /F (factura.exe) /UF (factura.exe) /EF << /F 5 0 R >> >>"
    names = b"/Names << /EmbeddedFiles << /Names [(factura.exe) 6 0 R] >> >> "
    return pdf_blank(names, [stream, spec])


def pdf_truncated() -> bytes:
    data = pdf_blank()
    return data[: len(data) // 2]


def pdf_encrypted_trailer() -> bytes:
    """A trailer announcing encryption with a dictionary that makes no sense."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    encrypt = b"<< /Filter /Standard /V 5 /R 6 /Length 256 /O (x) /U (y) /P -1 >>"
    return _pdf([catalog, pages, _PAGE, _BLANK, encrypt], trailer_extra=b"/Encrypt 5 0 R /ID [(a)(a)] ")


# --- polyglots and tiny files ------------------------------------------------------------------------------------


def polyglot_png_pdf() -> bytes:
    """A blank PNG followed by a whole PDF: the bytes say PNG first, and it reads as a blank picture."""
    return blank_png() + pdf_blank()


def polyglot_pdf_zip() -> bytes:
    """'%PDF-' in the first kilobyte of a ZIP archive with an HTML file: neither a PDF nor an image."""
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("%PDF-1.7 index.html", "<script>alert(1)</script>")
    return out.getvalue() + b"%%EOF"


def html_with_pdf_magic() -> bytes:
    return b"<html><!-- %PDF-1.4 --><script>fetch('http://example.invalid')</script></html>\n%%EOF\n"


CASES: tuple[Case, ...] = (
    Case("bomba.png", png_bomb, TOO_BIG, "PNG bomb: 100 megapixels in a few kB"),
    Case("bomba-cabecera.png", png_header_bomb, TOO_BIG, "PNG whose header declares 10^10 pixels"),
    Case("pagina-16-bits.png", png_16bit, TOO_BIG, "16-bit PNG past the decode budget"),
    Case("bomba.jpg", jpeg_header_bomb, TOO_BIG, "JPEG declaring 65000×65000"),
    Case("bomba.tif", tiff_bomb, TOO_BIG, "TIFF G4 bomb: 100 megapixels"),
    Case("muchos-cuadros.tif", tiff_many_frames, TOO_BIG, "multi-frame TIFF past the decode budget"),
    Case("mil-paginas.tif", tiff_thousand_pages, PAGES, "TIFF with 1000 frames"),
    Case("bomba.webp", webp_header_bomb, (*TOO_BIG, *CORRUPT), "WebP declaring 16383×16383"),
    Case("cien-mil-paginas.pdf", pdf_huge_page_count, PAGES, "PDF with 100000 pages"),
    Case("cuenta-falsa.pdf", pdf_lying_count, (*PAGES, *NOT_INVOICE, *CORRUPT), "PDF whose /Count lies"),
    Case("arbol-en-bucle.pdf", pdf_looping_tree, (*CORRUPT, *NOT_INVOICE, *PAGES), "page tree that loops"),
    Case("referencias-en-bucle.pdf", pdf_self_referencing_objects, (*CORRUPT, *NOT_INVOICE), "objects in a loop"),
    Case("xref-roto.pdf", lambda: pdf_blank(broken_xref=True), (*NOT_INVOICE, *CORRUPT), "wrong xref offsets"),
    Case("javascript.pdf", pdf_javascript, NOT_INVOICE, "PDF with OpenAction JavaScript"),
    Case("adjunto.pdf", pdf_embedded_file, NOT_INVOICE, "PDF with an embedded executable"),
    Case("cortado.pdf", pdf_truncated, CORRUPT, "PDF cut in half"),
    Case("cifrado-raro.pdf", pdf_encrypted_trailer, ("encrypted_pdf", *CORRUPT, *NOT_INVOICE), "bogus /Encrypt"),
    Case("poliglota-png-pdf.png", polyglot_png_pdf, NOT_INVOICE, "PNG followed by a PDF"),
    Case("poliglota.zip.pdf", polyglot_pdf_zip, ("unsupported_type", *CORRUPT), "ZIP with %PDF- inside"),
    Case("pagina.html.pdf", html_with_pdf_magic, CORRUPT, "HTML with PDF magic"),
    Case("vacio.pdf", lambda: b"", ("empty_file",), "0 bytes"),
    Case("un-byte.png", lambda: b"\x89", ("unsupported_type",), "1 byte"),
    Case("factura ñandú 😀 ١٢٣.png", blank_png, NOT_INVOICE, "Unicode name"),
    Case("..%2F..%2Fetc%2Fpasswd.png", blank_png, NOT_INVOICE, "path-traversal-looking name"),
    Case("\u202egnp.exe.png", blank_png, NOT_INVOICE, "right-to-left override in the name"),
    Case("-rf --save.png", blank_png, NOT_INVOICE, "a name that looks like options"),
    Case("línea\nnueva.png", blank_png, NOT_INVOICE, "a newline in the name"),
)


def build(folder: Path, cases: tuple[Case, ...] = CASES) -> dict[str, Path]:
    """Write every case into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for case in cases:
        path = folder / case.name
        path.write_bytes(case.make())
        out[case.name] = path
    return out
