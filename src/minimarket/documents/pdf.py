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

_WHITESPACE = {0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x2002, 0x2003, 0x2009, 0x200B, 0x3000, 0x0C, 0x00}
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


@dataclass(slots=True)
class EmbeddedImage:
    """An image object of a page, decoded to pixels, with its box on the page (points, top-left origin)."""

    page: int
    pixels: np.ndarray
    box: tuple[float, float, float, float]


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


def _char_data(textpage: pdfium.PdfTextPage) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """Code points, loose boxes (left, top, right, bottom in user space), generated and invisible flags."""
    count = textpage.count_chars()
    codes: list[int] = []
    boxes = np.zeros((count, 4), dtype=np.float64)
    generated = np.zeros(count, dtype=bool)
    invisible = np.zeros(count, dtype=bool)
    rect = pdfium_c.FS_RECTF()
    render_modes: dict[int, int] = {}
    for i in range(count):
        codes.append(pdfium_c.FPDFText_GetUnicode(textpage, i))
        if pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect):
            boxes[i] = (rect.left, rect.top, rect.right, rect.bottom)
        generated[i] = pdfium_c.FPDFText_IsGenerated(textpage, i) == 1
        obj = pdfium_c.FPDFText_GetTextObject(textpage, i)
        if obj:
            key = ctypes.cast(obj, ctypes.c_void_p).value or 0
            mode = render_modes.get(key)
            if mode is None:
                mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
                render_modes[key] = mode
            invisible[i] = mode == _RENDER_INVISIBLE
    return codes, boxes, generated, invisible


def _is_bad_char(code: int) -> bool:
    return code == 0xFFFD or 0xE000 <= code <= 0xF8FF or (code < 0x20 and code not in _WHITESPACE)


def text_quality(text: str, unmapped: int = 0, invisible_ratio: float = 0.0) -> TextQuality:
    """Judge a page's text: real characters, garbage share, vowel share of alphabetic tokens."""
    non_space = [ch for ch in text if not ch.isspace()]
    real = sum(ch.isalnum() for ch in non_space)
    bad = sum(_is_bad_char(ord(ch)) for ch in non_space) + unmapped
    tokens = _ALPHA_TOKEN.findall(text)
    vowel_ratio = sum(any(c in _VOWELS for c in tok) for tok in tokens) / len(tokens) if tokens else 1.0
    return TextQuality(
        real_chars=real,
        bad_ratio=bad / max(1, len(non_space)),
        vowel_ratio=vowel_ratio,
        invisible_ratio=invisible_ratio,
    )


def read_text_layer(page: pdfium.PdfPage, index: int) -> tuple[PageText, TextQuality]:
    """The page's words with boxes in display points, and how trustworthy the text layer looks."""
    width, height = page_size(page)
    textpage = page.get_textpage()
    try:
        codes, boxes, generated, invisible = _char_data(textpage)
        unmapped = 0
        if codes and hasattr(pdfium_c, "FPDFText_HasUnicodeMapError"):
            unmapped = sum(
                1
                for i, code in enumerate(codes)
                if code > 0x20 and pdfium_c.FPDFText_HasUnicodeMapError(textpage, i) == 1
            )
    finally:
        textpage.close()
    text = "".join(chr(c) if c < 0x110000 else "\ufffd" for c in codes)
    drawn = [i for i, c in enumerate(codes) if c not in _WHITESPACE and not generated[i]]
    invisible_ratio = float(invisible[drawn].mean()) if drawn else 0.0
    quality = text_quality(text, unmapped, invisible_ratio)
    if not codes:
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

    turn = _dominant_turn(codes, dbox, generated)
    if turn:
        dbox, width, height = _turn_boxes(dbox, turn, width, height)

    conf = SCANNER_TEXT_CONF if quality.invisible_ratio > 0.5 else 1.0
    words = list(_words(codes, dbox, generated, conf))
    page_text = PageText(
        index=index, width=width, height=height, origin=TextOrigin.TEXT, words=words, lines=group_lines(words)
    )
    return page_text, quality


def _dominant_turn(codes: list[int], dbox: np.ndarray, generated: np.ndarray) -> int:
    """How many quarter turns (counter-clockwise) the text runs: 0 reads left to right, 1 bottom to top,
    2 right to left (upside down), 3 top to bottom. Decided from consecutive characters of words."""
    votes = [0, 0, 0, 0]
    cx = (dbox[:, 0] + dbox[:, 2]) / 2
    cy = (dbox[:, 1] + dbox[:, 3]) / 2
    for i in range(len(codes) - 1):
        if codes[i] in _WHITESPACE or codes[i + 1] in _WHITESPACE or generated[i] or generated[i + 1]:
            continue
        dx, dy = cx[i + 1] - cx[i], cy[i + 1] - cy[i]
        if abs(dx) < 1e-6 and abs(dy) < 1e-6:
            continue
        if abs(dx) >= abs(dy):
            votes[0 if dx > 0 else 2] += 1
        else:
            votes[3 if dy > 0 else 1] += 1
    total = sum(votes)
    if total == 0:
        return 0
    best = max(range(4), key=lambda k: votes[k])
    return best if votes[best] > 0.6 * total else 0


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


def _words(codes: list[int], dbox: np.ndarray, generated: np.ndarray, conf: float) -> Iterator[Word]:
    """Split characters into words at whitespace, at line changes and at wide horizontal gaps."""
    chars: list[int] = []
    box = [0.0, 0.0, 0.0, 0.0]

    def flush() -> Word | None:
        if not chars:
            return None
        word = Word("".join(chr(c) for c in chars), box[0], box[1], box[2], box[3], conf)
        chars.clear()
        return word

    prev = -1
    for i, code in enumerate(codes):
        if code in _WHITESPACE or code < 0x20:
            word = flush()
            if word:
                yield word
            prev = -1
            continue
        x0, y0, x1, y1 = (float(v) for v in dbox[i])
        if chars and prev >= 0:
            px0, py0, px1, py1 = (float(v) for v in dbox[prev])
            h = max(y1 - y0, py1 - py0, 1.0)
            same_line = abs((y0 + y1) / 2 - (py0 + py1) / 2) <= 0.5 * h
            gap = x0 - px1
            if not same_line or gap > 0.3 * h or x1 < px0:
                word = flush()
                if word:
                    yield word
        box = [x0, y0, x1, y1] if not chars else [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
        chars.append(code)
        prev = i
    word = flush()
    if word:
        yield word


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
    finally:
        page.close()


# --- embedded images ---------------------------------------------------------------------------------


def embedded_images(
    page: pdfium.PdfPage, index: int, min_side: int = 40, max_pixels: int = 60_000_000
) -> Iterator[EmbeddedImage]:
    """Decode the image objects of a page (inside form XObjects too), as gray or BGR arrays.

    Images smaller than ``min_side`` on either side (bullets, rules) or larger than ``max_pixels`` are
    skipped; images pdfium cannot decode are skipped silently (they are decoration for our purposes).
    """
    matrix = _page_to_display(page)
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        try:
            px_w, px_h = obj.get_px_size()
            if min(px_w, px_h) < min_side or px_w * px_h > max_pixels:
                continue
            bitmap = obj.get_bitmap(render=False)
        except (pdfium.PdfiumError, AttributeError, TypeError, ValueError):
            continue
        array = _bitmap_to_array(bitmap)
        if array is None:
            continue
        try:
            left, bottom, right, top = obj.get_bounds()
        except pdfium.PdfiumError:
            left = bottom = right = top = 0.0
        pts = np.array([[left, bottom, 1.0], [right, top, 1.0]]) @ matrix.T
        box = (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )
        yield EmbeddedImage(page=index, pixels=array, box=box)


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
