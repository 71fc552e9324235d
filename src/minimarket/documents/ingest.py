"""Ingest: bytes or a path in, a checked :class:`Document` out.

The type is detected from the bytes (magic numbers), never from the file name. Every limit from
:class:`~minimarket.config.Settings` (bytes, pixels, pages) is enforced from headers alone, before anything
big is decoded: an image's dimensions come from its header (PIL opens lazily) and a PDF's page count from
its page tree (pypdfium2 loads no page to count them). Encrypted, truncated and corrupt files are refused
with a :class:`DocumentError` whose ``code`` is stable and whose ``message`` (Spanish, for the shop's
manager) says what was wrong and what is accepted.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from minimarket.config import Settings, get_settings

if TYPE_CHECKING:
    import pypdfium2

ACCEPTED = "PDF, PNG, JPEG, TIFF o WebP"
"""What we accept, in the words used by every error message."""

KINDS = ("pdf", "png", "jpeg", "tiff", "webp")
IMAGE_KINDS = ("png", "jpeg", "tiff", "webp")

ERROR_CODES = (
    "empty_file",
    "unsupported_type",
    "too_large",
    "too_many_pixels",
    "too_many_pages",
    "encrypted_pdf",
    "corrupt_file",
    "not_found",
    "timeout",
    "not_an_invoice",
)
"""Stable error codes (clients and the HTTP layer switch on them)."""

_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "webp": "WEBP"}
_PDFIUM_ERR_PASSWORD = 4
_PDFIUM_ERR_SECURITY = 5
_ENCRYPT_KEY = re.compile(rb"/Encrypt\b")


class DocumentError(Exception):
    """A document we cannot read: ``code`` is one of :data:`ERROR_CODES`, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(slots=True)
class Document:
    """A document that passed ingest: its bytes, detected kind and SHA-256 (hex)."""

    name: str
    data: bytes = field(repr=False)
    kind: str
    sha256: str
    pages: int = 1
    """Number of pages (PDF pages, TIFF frames; 1 for other images), counted without rendering."""
    width: int = 0
    """Pixel width of an image document (0 for PDFs)."""
    height: int = 0
    """Pixel height of an image document (0 for PDFs)."""


def detect_kind(data: bytes) -> str | None:
    """The document kind from its magic bytes ("pdf", "png", "jpeg", "tiff", "webp"), else ``None``."""
    head = data[:1024]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    # The PDF header may be preceded by junk (the spec allows it within the first 1024 bytes).
    if b"%PDF-" in head:
        return "pdf"
    return None


def detect_file_kind(path: str | Path) -> str | None:
    """:func:`detect_kind` of a file's first bytes, without reading the rest (``OSError`` when unreadable)."""
    with open(path, "rb") as fh:
        return detect_kind(fh.read(1024))


def load_document(source: str | Path | bytes, name: str | None = None, settings: Settings | None = None) -> Document:
    """Read and check a document from a path or from bytes; raise :class:`DocumentError` if it is unusable."""
    settings = settings or get_settings()
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = name or "documento"
        _check_size(len(data), settings)
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise DocumentError("not_found", f"No existe el archivo «{path}».") from None
        except OSError as exc:
            raise DocumentError("not_found", f"No se pudo abrir «{path}»: {exc.strerror}.") from None
        if path.is_dir():
            raise DocumentError("unsupported_type", f"«{path}» es una carpeta; se aceptan archivos {ACCEPTED}.")
        _check_size(size, settings)
        data = path.read_bytes()
        _check_size(len(data), settings)

    kind = detect_kind(data)
    if kind is None:
        raise DocumentError(
            "unsupported_type",
            f"«{name}» no es un tipo de archivo admitido (se detecta por el contenido, no por el nombre); "
            f"se aceptan {ACCEPTED}.",
        )
    if kind == "pdf":
        pages, width, height = check_pdf(data, name, settings), 0, 0
    else:
        pages, width, height = check_image(data, kind, name, settings)
    return Document(
        name=name,
        data=data,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=pages,
        width=width,
        height=height,
    )


def _check_size(size: int, settings: Settings) -> None:
    if size == 0:
        raise DocumentError("empty_file", f"El archivo está vacío (0 bytes); se aceptan archivos {ACCEPTED}.")
    if size > settings.max_upload_bytes:
        raise DocumentError(
            "too_large",
            f"El archivo pesa {_mb(size)}; el máximo admitido es {_mb(settings.max_upload_bytes)}.",
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


# --- PDF ---------------------------------------------------------------------------------------------


def open_pdf(data: bytes, name: str = "documento") -> pypdfium2.PdfDocument:
    """Open PDF bytes with pypdfium2, mapping its failures to :class:`DocumentError`."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        # pdfium's last error is per thread and some load failures leave it unset, so a broken file
        # opened after an encrypted one reports "password" again: believe it only if the file
        # declares an /Encrypt dictionary.
        if exc.err_code in (_PDFIUM_ERR_PASSWORD, _PDFIUM_ERR_SECURITY) and _ENCRYPT_KEY.search(data):
            raise DocumentError(
                "encrypted_pdf",
                f"«{name}» es un PDF protegido con contraseña o cifrado; quite la protección y vuelva a "
                "subirlo (se aceptan PDF sin contraseña).",
            ) from None
        raise DocumentError(
            "corrupt_file",
            f"«{name}» no es un PDF válido o está dañado; se aceptan archivos {ACCEPTED} completos.",
        ) from None


def check_pdf(data: bytes, name: str, settings: Settings) -> int:
    """Check a PDF without rendering it: not truncated, not encrypted, within the page limit.

    Returns the page count.
    """
    # A complete PDF ends with %%EOF (possibly followed by a little whitespace or junk). pdfium repairs
    # truncated files silently, so a missing trailer is the only reliable sign of a cut download.
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(
            "corrupt_file",
            f"«{name}» es un PDF incompleto (le falta el final del archivo, suele pasar con descargas "
            "cortadas); vuelva a descargarlo y súbalo completo.",
        )
    pdf = open_pdf(data, name)
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages == 0:
        raise DocumentError("corrupt_file", f"«{name}» es un PDF sin páginas o dañado.")
    if pages > settings.max_pdf_pages:
        raise DocumentError(
            "too_many_pages",
            f"«{name}» tiene {pages} páginas; se admiten hasta {settings.max_pdf_pages} por documento.",
        )
    return pages


# --- images ------------------------------------------------------------------------------------------


def configure_pil(settings: Settings) -> None:
    """Make PIL's own decompression-bomb guard agree with our pixel limit.

    PIL warns above ``MAX_IMAGE_PIXELS`` and refuses above twice that; we check the header ourselves
    first (:func:`check_image`), and the decoder (:func:`decode_image`) turns PIL's warning into an error,
    so both guards refuse at the same size.
    """
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels


def check_image(data: bytes, kind: str, name: str, settings: Settings) -> tuple[int, int, int]:
    """Check an image from its header only: decodable format, pixel limit, frame limit.

    Returns ``(frames, width, height)``.
    """
    configure_pil(settings)
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x the limit PIL only warns at open; our own check below refuses.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]])
        with img:
            width, height = img.size
            _check_pixels(width, height, name, settings)
            # Only TIFF frames are pages; MPO phone JPEGs and animated WebP carry extra frames that are not.
            frames = int(getattr(img, "n_frames", 1) or 1) if kind == "tiff" else 1
    except DocumentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(name, exc, settings) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise DocumentError(
            "corrupt_file",
            f"«{name}» parece una imagen {kind.upper()} pero está dañada o incompleta; "
            f"se aceptan archivos {ACCEPTED} completos.",
        ) from None
    if frames > settings.max_pdf_pages:
        raise DocumentError(
            "too_many_pages",
            f"«{name}» tiene {frames} páginas; se admiten hasta {settings.max_pdf_pages} por documento.",
        )
    _check_memory(data, kind, name, settings)
    return frames, width, height


_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3}
"""Bytes a decoded pixel takes in PIL's mode (others, such as RGBA, CMYK, I and F, take 4; I;16 takes 2)."""

READING_BYTES_PER_PIXEL = 8
"""What reading one page needs on top of its decoded pixels, per pixel of the page: the gray copy, the binarised
and deskewed copies OCR works on (measured with benchmarks/memory.py: a 59-megapixel 16-bit page peaks at
about 8 bytes per pixel in all)."""


def _mode_bytes(mode: str) -> int:
    if mode.startswith("I;16"):
        return 2
    return _BYTES_PER_PIXEL.get(mode, 4)


def decode_memory_bytes(frames: list[tuple[int, int, str]]) -> int:
    """Estimated peak memory to decode and read an image document of ``(width, height, mode)`` frames."""
    if not frames:
        return 0
    decoded = sum(w * h * max(_mode_bytes(mode), 1) for w, h, mode in frames)
    largest = max(w * h for w, h, _ in frames)
    return decoded + largest * READING_BYTES_PER_PIXEL


def _frames(data: bytes, kind: str, limit: int) -> list[tuple[int, int, str]]:
    """(width, height, mode) of each frame (at most ``limit``), from the headers only."""
    out: list[tuple[int, int, str]] = []
    with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]]) as img:
        count = int(getattr(img, "n_frames", 1) or 1) if kind == "tiff" else 1
        for index in range(min(count, limit)):
            if index:
                img.seek(index)
            out.append((img.size[0], img.size[1], img.mode))
    return out


def _check_memory(data: bytes, kind: str, name: str, settings: Settings) -> None:
    """Refuse, from the headers, an image document whose decoding and reading would pass the memory budget."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            frames = _frames(data, kind, settings.max_pdf_pages)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(name, exc, settings) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise DocumentError(
            "corrupt_file", f"«{name}» es una imagen {kind.upper()} dañada; se aceptan archivos {ACCEPTED} completos."
        ) from None
    for width, height, _ in frames:
        _check_pixels(width, height, name, settings)
    needed = decode_memory_bytes(frames)
    budget = settings.decode_memory_mb * 1024 * 1024
    if needed > budget:
        pages = f"{len(frames)} páginas de hasta" if len(frames) > 1 else "una página de"
        largest = max(w * h for w, h, _ in frames)
        raise DocumentError(
            "too_many_pixels",
            f"«{name}» necesitaría unos {needed // (1024 * 1024):,} MB de memoria para leerse ({pages} "
            f"{_mpx(largest)} de píxeles); el máximo es {settings.decode_memory_mb:,} MB "
            "(MINIMARKET_DECODE_MEMORY_MB). Escanee a 300 dpi o envíe una foto más chica.".replace(",", "."),
        )


def _check_pixels(width: int, height: int, name: str, settings: Settings) -> None:
    if width <= 0 or height <= 0:
        raise DocumentError("corrupt_file", f"«{name}» declara un tamaño de imagen inválido ({width}×{height}).")
    if width * height > settings.max_image_pixels:
        raise DocumentError(
            "too_many_pixels",
            f"«{name}» mide {width}×{height} píxeles ({_mpx(width * height)}); se admiten hasta "
            f"{_mpx(settings.max_image_pixels)} de píxeles (una foto de celular tiene unos 12 millones).",
        )


def _bomb_error(name: str, exc: Exception, settings: Settings) -> DocumentError:
    """PIL refused at open (its guard fires before we can read the size): report the size it saw."""
    match = re.search(r"\((\d+) pixels\)", str(exc))
    size = f" ({_mpx(int(match.group(1)))} de píxeles)" if match else ""
    return DocumentError(
        "too_many_pixels",
        f"«{name}» es una imagen demasiado grande{size}; se admiten hasta "
        f"{_mpx(settings.max_image_pixels)} de píxeles (una foto de celular tiene unos 12 millones).",
    )


def _mpx(pixels: int) -> str:
    return f"{pixels / 1e6:.0f} millones"


# --- decoding ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class DecodedPage:
    """One decoded image page: pixels (uint8 gray H×W or BGR H×W×3), upright per EXIF, and its dpi if
    the file states a plausible one."""

    pixels: np.ndarray = field(repr=False)
    dpi: float | None


def decode_image(doc: Document, settings: Settings | None = None, gray: bool = False) -> list[DecodedPage]:
    """Decode an image document (every TIFF frame), honouring the EXIF orientation; ``gray`` asks for
    uint8 gray pixels (a JPEG then skips its colour conversion altogether).

    Raises ``DocumentError("corrupt_file")`` for truncated or undecodable data and
    ``DocumentError("too_many_pixels")`` if a frame exceeds the pixel limit.
    """
    settings = settings or get_settings()
    if doc.kind not in IMAGE_KINDS:
        raise ValueError(f"not an image document: {doc.kind}")
    configure_pil(settings)
    pages: list[DecodedPage] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(doc.data), formats=[_PIL_FORMATS[doc.kind]]) as img:
                frames = ImageSequence.Iterator(img) if doc.kind == "tiff" else [img]
                for frame in frames:
                    if len(pages) >= settings.max_pdf_pages:
                        break
                    _check_pixels(frame.size[0], frame.size[1], doc.name, settings)
                    pixels = _fast_decode(doc, frame, gray)
                    if pixels is None:
                        frame.load()
                        upright = ImageOps.exif_transpose(frame) or frame
                        pixels = _to_array(upright)
                        if gray and pixels.ndim == 3:
                            pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
                    pages.append(DecodedPage(pixels=pixels, dpi=_plausible_dpi(frame)))
    except DocumentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(doc.name, exc, settings) from None
    except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError):
        raise DocumentError(
            "corrupt_file",
            f"«{doc.name}» es una imagen {doc.kind.upper()} dañada o incompleta; "
            f"se aceptan archivos {ACCEPTED} completos.",
        ) from None
    return pages


def _fast_decode(doc: Document, img: Image.Image, gray: bool = False) -> np.ndarray | None:
    """Decode a plain gray/RGB PNG, JPEG or WebP with OpenCV (2-3x faster than PIL plus conversions),
    applying the EXIF orientation; ``None`` when the file needs PIL's care (transparency, 16 bits,
    palettes, TIFF frames) or looks truncated (OpenCV would silently return a partial picture)."""
    if doc.kind not in ("png", "jpeg", "webp") or img.mode not in ("L", "RGB") or "transparency" in img.info:
        return None
    if doc.kind == "jpeg" and b"\xff\xd9" not in doc.data[-8192:]:
        return None
    if doc.kind == "png" and b"IEND" not in doc.data[-64:]:
        return None
    flags = (cv2.IMREAD_GRAYSCALE if gray or img.mode == "L" else cv2.IMREAD_COLOR) | cv2.IMREAD_IGNORE_ORIENTATION
    pixels = cv2.imdecode(np.frombuffer(doc.data, np.uint8), flags)
    if pixels is None or pixels.shape[:2] != (img.height, img.width):
        return None
    if doc.kind == "png" and b"eXIf" not in doc.data:
        return pixels  # no EXIF chunk: asking PIL for it would decode the whole picture a second time
    orientation = img.getexif().get(0x0112, 1)
    return _orient(pixels, int(orientation) if isinstance(orientation, int) else 1)


def _orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) so the picture is displayed upright (as PIL's exif_transpose)."""
    if orientation == 2:
        return cv2.flip(pixels, 1)
    if orientation == 3:
        return cv2.rotate(pixels, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(pixels, 0)
    if orientation == 5:
        return cv2.transpose(pixels)
    if orientation == 6:
        return cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(pixels), -1)
    if orientation == 8:
        return cv2.rotate(pixels, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return pixels


def _to_array(img: Image.Image) -> np.ndarray:
    """uint8 gray or BGR pixels of any PIL mode (transparency composited over white paper)."""
    if img.mode in ("1", "L"):
        return np.asarray(img.convert("L"))
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return _scaled_to_bytes(np.asarray(img))
    if img.mode in ("LA", "RGBA", "PA", "P") and ("transparency" in img.info or img.mode.endswith("A")):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    rgb = np.asarray(img.convert("RGB"))
    return np.ascontiguousarray(rgb[..., ::-1])


def _scaled_to_bytes(array: np.ndarray, rows: int = 512) -> np.ndarray:
    """16/32-bit gray to uint8 (its brightest value becomes 255), a band of rows at a time: the float copy a
    whole 59-megapixel page would need (470 MB) never exists."""
    top = float(array.max()) or 1.0
    out = np.empty(array.shape[:2], dtype=np.uint8)
    scale = np.float32(255.0 / top)
    for start in range(0, array.shape[0], rows):
        band = array[start : start + rows].astype(np.float32)
        band *= scale
        np.clip(band, 0, 255, out=band)
        out[start : start + rows] = band
    return out


def _plausible_dpi(img: Image.Image) -> float | None:
    """The stated resolution if it is believable for a scanned page (cameras write 72 dpi regardless)."""
    dpi = img.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else float(dpi) if dpi else 0.0
    except (TypeError, ValueError):
        return None
    if not 100 <= value <= 1200:
        return None
    width_in, height_in = img.size[0] / value, img.size[1] / value
    if not (2 <= min(width_in, height_in) <= 20 and max(width_in, height_in) <= 30):
        return None
    return float(round(value))
