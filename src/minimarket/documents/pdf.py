"""PDF pages: the text layer with positions, rendering, and the images embedded in a page.

Coordinates follow :mod:`minimarket.documents.layout`: PDF points from the top-left corner of the page as
displayed (page ``/Rotate`` applied, crop box origin). Words come from pdfium's per-character boxes;
when a page's content is itself drawn rotated (a landscape invoice placed sideways on a portrait page),
the words are turned so that they read left to right and the page size is swapped accordingly.

Whether a page's text layer is worth using is decided by :func:`text_quality`: enough real characters,
few unmapped glyphs (a broken font map gives U+FFFD, private-use code points or consonant soup).
Invisible text over a full-page image (a scanner's OCR layer, e.g. Adobe Scan) is used when it passes
the same test, with a confidence below 1 so the fields layer knows it is OCR, not born-digital text.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from minimarket.documents.layout import PageText, TextOrigin, Word, group_lines

SCANNER_TEXT_CONF = 0.9
"""Confidence given to words of an invisible (scanner OCR) text layer."""

MIN_REAL_CHARS = 40
"""Fewer letters and digits than this on a page means the page has no usable text layer."""

_RENDER_INVISIBLE = 3
_VOWELS = set("aeiouáéíóúüAEIOUÁÉÍÓÚÜyY")
_ALPHA_TOKEN = re.compile(r"[^\W\d_]{4,}")


@dataclass(slots=True)
class TextQuality:
    """How trustworthy a page's text layer looks."""

    real_chars: int
    """Letters and digits."""
    bad_ratio: float
    """Share of non-space characters that are unmapped, private-use, replacement or control chars."""
    vowel_ratio: float
    """Share of alphabetic tokens (4+ letters) containing a vowel (real Spanish text: > 0.9)."""
    invisible_ratio: float
    """Share of characters drawn in invisible render mode (a scanner's OCR layer)."""

    @property
    def usable(self) -> bool:
        return self.real_chars >= MIN_REAL_CHARS and self.bad_ratio <= 0.1 and self.vowel_ratio >= 0.6


class EmbeddedImage:
    """An image object of a page with its box on the page (points, top-left origin) and a key that is
    the same for identical image data (copies ORIGINAL/DUPLICADO repeat the same QR and letterhead).

    ``pixels`` are decoded on first use (gray H×W or BGR H×W×3; empty if pdfium cannot decode them),
    which must happen while the page is still open.
    """

    __slots__ = ("_obj", "_pixels", "box", "key", "page", "px_size")

    def __init__(
        self,
        page: int,
        box: tuple[float, float, float, float],
        px_size: tuple[int, int],
        key: str,
        obj: pdfium.PdfImage | None = None,
        pixels: np.ndarray | None = None,
    ) -> None:
        self.page = page
        self.box = box
        self.px_size = px_size
        self.key = key
        self._obj = obj
        self._pixels = pixels

    @property
    def pixels(self) -> np.ndarray:
        if self._pixels is None:
            if self._obj is not None and not _alive(self._obj):
                raise RuntimeError("embedded image pixels must be decoded while the page is open")
            self._pixels = _decode_image_object(self._obj) if self._obj is not None else None
            if self._pixels is None:
                self._pixels = np.zeros((0, 0), np.uint8)
            self._obj = None
        return self._pixels

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    @property
    def squareness(self) -> float:
        """0 for a square bitmap (a QR), growing with elongation (logos, barcodes, banners)."""
        w, h = self.px_size
        return abs(float(np.log(max(w, 1) / max(h, 1))))


def page_size(page: pdfium.PdfPage) -> tuple[float, float]:
    """Width and height in points of the page as displayed (``/Rotate`` applied)."""
    width, height = page.get_size()
    return float(width), float(height)


def _page_to_display(page: pdfium.PdfPage) -> np.ndarray:
    """The 2×3 affine matrix mapping PDF user space to display points (top-left origin, rotation applied)."""
    width, height = page_size(page)
    scale = 64.0  # pdfium returns integer device coordinates: work at 1/64 pt precision
    size_x, size_y = round(width * scale), round(height * scale)
    dev_x, dev_y = ctypes.c_int(), ctypes.c_int()
    left, bottom, right, top = page.get_cropbox()
    points = [(left, bottom), (right, bottom), (left, top)]
    src, dst = [], []
    for px, py in points:
        pdfium_c.FPDF_PageToDevice(page, 0, 0, size_x, size_y, 0, px, py, dev_x, dev_y)
        src.append((px, py, 1.0))
        dst.append((dev_x.value / scale, dev_y.value / scale))
    solution, *_ = np.linalg.lstsq(np.array(src), np.array(dst), rcond=None)
    return np.asarray(solution.T)


def _char_data(textpage: pdfium.PdfTextPage) -> tuple[str, np.ndarray, float, int]:
    """The page's characters (one per pdfium char index), their loose boxes (left, top, right, bottom in
    user space), the share of visible characters drawn invisibly (render mode 3), and how many
    characters have no Unicode mapping."""
    count = textpage.count_chars()
    if count <= 0:
        return "", np.zeros((0, 4)), 0.0, 0
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # characters outside the BMP: fall back to one call per character
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(count))
    boxes = np.zeros((count, 4), dtype=np.float64)
    rect = pdfium_c.FS_RECTF()
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    for i in range(count):
        if get_box(textpage, i, rect):
            boxes[i] = (rect.left, rect.top, rect.right, rect.bottom)
    visible = [i for i, ch in enumerate(text) if not ch.isspace()]
    # Render mode and Unicode-map errors: a sample of the visible characters is plenty.
    sample = visible[:: max(1, len(visible) // 200)]
    invisible = 0
    modes: dict[int, int] = {}
    unmapped = 0
    has_map_error = getattr(pdfium_c, "FPDFText_HasUnicodeMapError", None)
    for i in sample:
        obj = pdfium_c.FPDFText_GetTextObject(textpage, i)
        if obj:
            key = ctypes.cast(obj, ctypes.c_void_p).value or 0
            if key not in modes:
                modes[key] = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
            invisible += modes[key] == _RENDER_INVISIBLE
        if has_map_error is not None and has_map_error(textpage, i) == 1:
            unmapped += 1
    invisible_ratio = invisible / len(sample) if sample else 0.0
    unmapped_estimate = round(unmapped * len(visible) / len(sample)) if sample else 0
    return text, boxes, invisible_ratio, unmapped_estimate


_BAD_CHARS = re.compile("[\ufffd\ue000-\uf8ff\x01-\x08\x0e-\x1f]")
_ALNUM = re.compile(r"[^\W_]")
_SPACE = re.compile(r"\s")


def text_quality(text: str, unmapped: int = 0, invisible_ratio: float = 0.0) -> TextQuality:
    """Judge a page's text: real characters, garbage share, vowel share of alphabetic tokens."""
    text = text.replace("\x00", "\ufffd")
    non_space = len(text) - len(_SPACE.findall(text))
    real = len(_ALNUM.findall(text))
    bad = len(_BAD_CHARS.findall(text)) + unmapped
    tokens = _ALPHA_TOKEN.findall(text)
    vowel_ratio = sum(any(c in _VOWELS for c in tok) for tok in tokens) / len(tokens) if tokens else 1.0
    return TextQuality(
        real_chars=real,
        bad_ratio=bad / max(1, non_space),
        vowel_ratio=vowel_ratio,
        invisible_ratio=invisible_ratio,
    )


def read_text_layer(page: pdfium.PdfPage, index: int) -> tuple[PageText, TextQuality]:
    """The page's words with boxes in display points, and how trustworthy the text layer looks."""
    width, height = page_size(page)
    textpage = page.get_textpage()
    try:
        text, boxes, invisible_ratio, unmapped = _char_data(textpage)
    finally:
        textpage.close()
    quality = text_quality(text, unmapped, invisible_ratio)
    if not text:
        return PageText(index=index, width=width, height=height, origin=TextOrigin.TEXT), quality

    # User space -> display points.
    matrix = _page_to_display(page)
    corners = np.stack(
        [
            boxes[:, [0, 1]],  # left, top
            boxes[:, [2, 1]],  # right, top
            boxes[:, [0, 3]],  # left, bottom
            boxes[:, [2, 3]],  # right, bottom
        ],
        axis=1,
    )
    ones = np.ones((*corners.shape[:2], 1))
    display = np.concatenate([corners, ones], axis=2) @ matrix.T
    x0, x1 = display[..., 0].min(axis=1), display[..., 0].max(axis=1)
    y0, y1 = display[..., 1].min(axis=1), display[..., 1].max(axis=1)
    dbox = np.stack([x0, y0, x1, y1], axis=1)

    space = np.fromiter((ch.isspace() or ch < " " for ch in text), dtype=bool, count=len(text))
    turn = _dominant_turn(space, dbox)
    if turn:
        dbox, width, height = _turn_boxes(dbox, turn, width, height)

    conf = SCANNER_TEXT_CONF if quality.invisible_ratio > 0.5 else 1.0
    words = _words(text, space, dbox, conf)
    page_text = PageText(
        index=index, width=width, height=height, origin=TextOrigin.TEXT, words=words, lines=group_lines(words)
    )
    return page_text, quality


def _dominant_turn(space: np.ndarray, dbox: np.ndarray) -> int:
    """How many quarter turns (counter-clockwise) the text runs: 0 reads left to right, 1 bottom to top,
    2 right to left (upside down), 3 top to bottom. Decided from consecutive characters of words."""
    if len(space) < 2:
        return 0
    cx = (dbox[:, 0] + dbox[:, 2]) / 2
    cy = (dbox[:, 1] + dbox[:, 3]) / 2
    pair = ~space[:-1] & ~space[1:]
    dx, dy = np.diff(cx)[pair], np.diff(cy)[pair]
    moving = (np.abs(dx) > 1e-6) | (np.abs(dy) > 1e-6)
    dx, dy = dx[moving], dy[moving]
    if dx.size == 0:
        return 0
    horizontal = np.abs(dx) >= np.abs(dy)
    votes = [
        int(np.sum(horizontal & (dx > 0))),
        int(np.sum(~horizontal & (dy < 0))),
        int(np.sum(horizontal & (dx <= 0))),
        int(np.sum(~horizontal & (dy >= 0))),
    ]
    best = max(range(4), key=lambda k: votes[k])
    return best if votes[best] > 0.6 * dx.size else 0


def _turn_boxes(dbox: np.ndarray, turn: int, width: float, height: float) -> tuple[np.ndarray, float, float]:
    """Rotate display boxes so that text running in direction ``turn`` reads left to right."""
    x0, y0, x1, y1 = dbox.T
    if turn == 1:  # text reads bottom to top: rotate the page clockwise
        out = np.stack([height - y1, x0, height - y0, x1], axis=1)
        return out, height, width
    if turn == 3:  # text reads top to bottom: rotate counter-clockwise
        out = np.stack([y0, width - x1, y1, width - x0], axis=1)
        return out, height, width
    out = np.stack([width - x1, height - y1, width - x0, height - y0], axis=1)
    return out, width, height


def _words(text: str, space: np.ndarray, dbox: np.ndarray, conf: float) -> list[Word]:
    """Split characters into words at whitespace, at line changes, at wide gaps and where text goes back."""
    keep = np.flatnonzero(~space)
    if keep.size == 0:
        return []
    boxes = dbox[keep]
    heights = boxes[:, 3] - boxes[:, 1]
    centres = (boxes[:, 1] + boxes[:, 3]) / 2
    # A new word starts after whitespace, on another line, after a gap, or when x goes backwards.
    h = np.maximum(np.maximum(heights[1:], heights[:-1]), 1.0)
    after_space = np.diff(keep) > 1
    other_line = np.abs(centres[1:] - centres[:-1]) > 0.5 * h
    gap = boxes[1:, 0] - boxes[:-1, 2] > 0.3 * h
    backwards = boxes[1:, 2] < boxes[:-1, 0]
    starts = np.concatenate([[0], np.flatnonzero(after_space | other_line | gap | backwards) + 1])
    x0 = np.minimum.reduceat(boxes[:, 0], starts)
    y0 = np.minimum.reduceat(boxes[:, 1], starts)
    x1 = np.maximum.reduceat(boxes[:, 2], starts)
    y1 = np.maximum.reduceat(boxes[:, 3], starts)
    chars = [text[i] for i in keep]
    ends = [*starts[1:].tolist(), len(keep)]
    return [
        Word("".join(chars[a:b]), float(x0[k]), float(y0[k]), float(x1[k]), float(y1[k]), conf)
        for k, (a, b) in enumerate(zip(starts.tolist(), ends, strict=True))
    ]


# --- rendering ---------------------------------------------------------------------------------------


def render_page(
    pdf: pdfium.PdfDocument,
    index: int,
    dpi: float,
    grayscale: bool = True,
    crop: tuple[float, float, float, float] | None = None,
) -> np.ndarray:
    """Rasterise page ``index`` at ``dpi``: a 2-D uint8 array (gray) or H×W×3 (BGR).

    ``crop`` (left, top, right, bottom in display points) renders only that region of the page.
    """
    page = pdf[index]
    try:
        return render(page, dpi, grayscale, crop)
    finally:
        page.close()


def render(
    page: pdfium.PdfPage, dpi: float, grayscale: bool = True, crop: tuple[float, float, float, float] | None = None
) -> np.ndarray:
    """Rasterise an open ``page`` (see :func:`render_page`)."""
    render_crop = (0.0, 0.0, 0.0, 0.0)
    if crop is not None:
        width, height = page_size(page)
        left, top, right, bottom = crop
        render_crop = (max(0.0, left), max(0.0, height - bottom), max(0.0, width - right), max(0.0, top))
    bitmap = page.render(
        scale=dpi / 72.0,
        crop=render_crop,
        grayscale=grayscale,
        fill_color=(255, 255, 255, 255),
        may_draw_forms=False,
    )
    array = bitmap.to_numpy()
    if grayscale and array.ndim == 3:
        array = array[..., 0]
    elif not grayscale and array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    return np.ascontiguousarray(array).copy()


# --- embedded images ---------------------------------------------------------------------------------


def embedded_images(
    page: pdfium.PdfPage, index: int, min_side: int = 40, max_pixels: int = 60_000_000
) -> Iterator[EmbeddedImage]:
    """The image objects of a page (inside form XObjects too), not decoded yet.

    Images smaller than ``min_side`` on either side (bullets, rules) or larger than ``max_pixels`` are
    skipped. Each image's ``key`` hashes its raw stream, so repeated images need decoding only once.
    """
    matrix = _page_to_display(page)
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        try:
            px_w, px_h = (int(v) for v in obj.get_px_size())
            if min(px_w, px_h) < min_side or px_w * px_h > max_pixels:
                continue
            raw = obj.get_data(decode_simple=False)
            left, bottom, right, top = obj.get_bounds()
        except (pdfium.PdfiumError, AttributeError, TypeError, ValueError):
            continue
        digest = hashlib.blake2b(bytes(raw), digest_size=16)
        digest.update(f"{px_w}x{px_h}".encode())
        pts = np.array([[left, bottom, 1.0], [right, top, 1.0]]) @ matrix.T
        box = (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )
        yield EmbeddedImage(page=index, box=box, px_size=(px_w, px_h), key=digest.hexdigest(), obj=obj)


def _alive(obj: pdfium.PdfImage) -> bool:
    """True while the image's page and document are open (pdfium would crash on a freed page)."""
    page = getattr(obj, "page", None)
    if page is None or page.raw is None:
        return False
    pdf = getattr(page, "pdf", None)
    return pdf is None or pdf.raw is not None


def _decode_image_object(obj: pdfium.PdfImage) -> np.ndarray | None:
    try:
        bitmap = obj.get_bitmap(render=False)
    except (pdfium.PdfiumError, AttributeError, TypeError, ValueError):
        return None
    return _bitmap_to_array(bitmap)


def _bitmap_to_array(bitmap: pdfium.PdfBitmap) -> np.ndarray | None:
    """A pdfium bitmap as uint8 gray (H×W) or BGR (H×W×3); ``None`` for formats we do not handle."""
    try:
        array = bitmap.to_numpy()
    except (ValueError, TypeError, AttributeError):
        return None
    mode = getattr(bitmap, "mode", "")
    if array.ndim == 2:
        return np.ascontiguousarray(array).copy()
    if array.ndim == 3 and array.shape[2] >= 3:
        bgr = array[..., :3]
        if mode.startswith("RGB"):
            bgr = bgr[..., ::-1]
        return np.ascontiguousarray(bgr).copy()
    return None


# --- codes drawn as vector paths ----------------------------------------------------------------------

VECTOR_QR_MIN_SEGMENTS = 100
"""Path segments of one path object drawn as a QR code's modules (a 21×21 QR draws well over a hundred)."""
VECTOR_CODE_MIN_SIDE = 20.0
"""Points: smaller square paths are icons or bullets, not a QR code."""
VECTOR_CODE_MAX_SIDE = 300.0
"""Points (about 10 cm): larger square paths are drawings, not a QR code."""
BARCODE_MIN_BARS = 20
"""Thin, equally tall path objects side by side that make a barcode (an Interleaved 2 of 5 CAE has 100+)."""
BARCODE_MAX_BAR_WIDTH = 4.0
"""Points: the widest bar of a printed barcode."""


def vector_code_regions(page: pdfium.PdfPage) -> list[tuple[float, float, float, float]]:
    """Regions of the page (left, top, right, bottom in display points, quiet zone included) where a code
    is drawn with vector paths, not as an image: a square path object with a QR's many module segments, and
    rows of thin bars of the same height (a barcode drawn bar by bar). Rendering only these regions finds
    such codes for a fraction of the cost of rendering the whole page."""
    matrix = _page_to_display(page)
    regions: list[tuple[float, float, float, float, float]] = []  # user-space box + margin
    bars: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=4):
        try:
            left, bottom, right, top = obj.get_bounds()
        except (pdfium.PdfiumError, AttributeError, TypeError, ValueError):
            continue
        width, height = right - left, top - bottom
        if width <= 0 or height <= 0:
            continue
        if (
            min(width, height) >= VECTOR_CODE_MIN_SIDE
            and max(width, height) <= VECTOR_CODE_MAX_SIDE
            and 0.8 <= width / height <= 1.25
            and pdfium_c.FPDFPath_CountSegments(obj.raw) >= VECTOR_QR_MIN_SEGMENTS
        ):
            regions.append((left, bottom, right, top, max(4.0, 0.1 * max(width, height))))
        elif width <= BARCODE_MAX_BAR_WIDTH and height >= max(8.0, 3 * width):
            bars.setdefault((round(bottom), round(top)), []).append((left, bottom, right, top))
    for row in bars.values():
        regions.extend((*box, 10.0) for box in _bar_runs(row))
    out = []
    for left, bottom, right, top, margin in regions:
        pts = np.array([[left, bottom, 1.0], [right, top, 1.0]]) @ matrix.T
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        out.append((float(x0 - margin), float(y0 - margin), float(x1 + margin), float(y1 + margin)))
    return out


def _bar_runs(bars: list[tuple[float, float, float, float]]) -> Iterator[tuple[float, float, float, float]]:
    """Boxes of runs of at least :data:`BARCODE_MIN_BARS` bars, each within a few bar widths of the last."""
    bars.sort()
    run: list[tuple[float, float, float, float]] = []
    for bar in [*bars, None]:
        if bar is not None and (not run or bar[0] - run[-1][2] <= 3 * BARCODE_MAX_BAR_WIDTH):
            run.append(bar)
            continue
        if len(run) >= BARCODE_MIN_BARS:
            yield (run[0][0], min(b[1] for b in run), max(b[2] for b in run), max(b[3] for b in run))
        run = [bar] if bar is not None else []
