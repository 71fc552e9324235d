"""Find and decode the AFIP QR and the legacy Interleaved 2 of 5 CAE barcode with zxing-cpp.

:func:`find_codes` climbs a ladder of attempts, cheapest first, and stops at the first rung that finds
something: the image as given; a downscaled copy (phone photos are large, zxing likes modules of a few
pixels); an upscaled copy (small embedded images); binarised copies (uneven light); and finally crops
around candidate regions (square, dense, high-contrast blobs) tried at several sizes; last, and only
where a candidate looks like a QR code (:func:`looks_like_qr`), those crops deconvolved. Only raw text is
returned; parsing is :mod:`minimarket.domain.qr` / :mod:`minimarket.domain.barcode`'s job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np
import zxingcpp

from minimarket.documents.layout import DecodedCode
from minimarket.documents.ocr.deblur import OUT_OF_FOCUS, Blur, Deblurrer, blur_candidates

CAE_BARCODE_LENGTHS = (40, 42)
"""Digits in the legacy CAE barcode (CUIT 11 + type 2-3 + point of sale 4-5 + CAE 14 + due date 8 + check)."""

CODE_SMOOTHING = 0.003
"""Regularisation of the deconvolution tried on QR regions (see :class:`~minimarket.documents.ocr.deblur.Deblurrer`)."""

_FORMATS = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.ITF])
_KIND = {zxingcpp.BarcodeFormat.QRCode: "qr", zxingcpp.BarcodeFormat.ITF: "i2of5"}

QUICK = 1
"""Effort: the image as given plus one resize (clean embedded images, crisp renders of text PDFs)."""
MEDIUM = 2
"""Effort: adds binarised copies and lightly sharpened crops of candidate regions."""
FULL = 3
"""Effort: every rung, including strongly sharpened candidate crops at several sizes (phone photos)."""


def to_gray(image: np.ndarray) -> np.ndarray:
    """A uint8 gray view of a gray, BGR or BGRA image."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


Corners = tuple[tuple[float, float], ...]
Found = tuple[str, str, Corners]
"""(kind, text, corners in the searched image's pixels)."""


def _decode(
    gray: np.ndarray,
    binarizer: zxingcpp.Binarizer | None = None,
    scale: float = 1.0,
    offset: tuple[int, int] = (0, 0),
) -> list[Found]:
    """Codes in ``gray``, which is the searched image scaled by ``scale`` and cropped at ``offset`` (x, y):
    the corners are mapped back to the searched image."""
    results = zxingcpp.read_barcodes(
        np.ascontiguousarray(gray),
        formats=_FORMATS,
        try_rotate=True,
        try_downscale=True,
        binarizer=binarizer if binarizer is not None else zxingcpp.Binarizer.LocalAverage,
    )
    found = []
    for result in results:
        if not result.valid or not result.text:
            continue
        kind = _KIND.get(result.format)
        if kind is None:
            continue
        text = result.text
        if kind == "i2of5" and not _plausible_cae_barcode(text):
            continue
        position = result.position
        points = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
        corners = tuple((p.x / scale + offset[0], p.y / scale + offset[1]) for p in points)
        found.append((kind, text, corners))
    return found


def _plausible_cae_barcode(text: str) -> bool:
    return text.isdigit() and len(text) in CAE_BARCODE_LENGTHS


def _resize(gray: np.ndarray, factor: float) -> np.ndarray:
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=interpolation)


def _fit(gray: np.ndarray, longest: int) -> np.ndarray:
    side = max(gray.shape[:2])
    return _resize(gray, longest / side) if side > longest else gray


def _attempts(gray: np.ndarray, effort: int, deblur: bool = True) -> Iterator[Callable[[], list[Found]]]:
    """The ladder of decoding attempts for one image, cheapest first."""
    side = max(gray.shape[:2])
    # 1. As given (a page rendered at a moderate resolution, a clean embedded QR).
    if side <= 2600:
        yield lambda: _decode(gray)
    # 2. Downscaled (photos: zxing struggles with huge modules and sensor noise) or upscaled (thumbnails).
    if side > 1800:
        yield lambda: _decode(_fit(gray, 1600), scale=1600 / side)
    elif side < 600:
        yield lambda: _decode(_resize(gray, 2.0), scale=2.0)
    if effort < MEDIUM:
        return
    if side > 2600:
        yield lambda: _decode(gray)
    # 3. Binarised: Otsu after flattening the illumination, and a local mean threshold.
    flat = _flatten(gray)
    yield lambda: _decode(flat, zxingcpp.Binarizer.BoolCast)
    yield lambda: _decode(_fit(flat, 2000), zxingcpp.Binarizer.GlobalHistogram, scale=min(1.0, 2000 / side))
    yield lambda: _decode(gray, zxingcpp.Binarizer.GlobalHistogram)
    # 4. Crops around square, dense candidate regions, at several module sizes.
    yield lambda: _decode_candidates(gray, effort)
    if effort < FULL or not deblur:
        return
    # 5. Candidate regions with the picture's likely motion blurs taken out (a hand that moved smears a
    # QR's modules together).
    yield lambda: _decode_deblurred(gray)


def _flatten(gray: np.ndarray) -> np.ndarray:
    """Divide by a blurred background and Otsu-threshold: removes shadows and gradients."""
    small = _fit(gray, 1600)
    k = max(15, (min(small.shape[:2]) // 20) | 1)
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    norm = cv2.divide(gray, np.maximum(background, 1), scale=255)
    _, binary = cv2.threshold(norm, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(binary)


def candidate_regions(
    gray: np.ndarray, max_regions: int = 6, square_only: bool = False
) -> list[tuple[int, int, int, int]]:
    """Square-ish regions dense in dark/light transitions (QR codes, barcodes), as (x, y, w, h) boxes
    in ``gray``'s pixels, square ones first, then larger first (only square ones with ``square_only``).
    Found on a downscaled copy with a gradient + closing filter."""
    scale = min(1.0, 1200 / max(gray.shape[:2]))
    small = _resize(gray, scale) if scale < 1 else gray
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    _, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    k = max(5, int(min(small.shape[:2]) / 80))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_total = small.shape[0] * small.shape[1]
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        area = w * h
        if area < area_total * 0.002 or area > area_total * 0.25:
            continue
        aspect = w / h
        fill = cv2.contourArea(contour) / area
        square = 0.6 <= aspect <= 1.6 and fill > 0.6
        barcode = (aspect > 4 or aspect < 0.25) and fill > 0.6
        if square or (barcode and not square_only):
            boxes.append((square, area, x, y, w, h))
    boxes.sort(reverse=True)  # square (QR-like) regions first, larger first
    regions = []
    for _, _, x, y, w, h in boxes[:max_regions]:
        margin = int(0.15 * max(w, h))
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1 = min(small.shape[1], x + w + margin)
        y1 = min(small.shape[0], y + h + margin)
        regions.append((int(x0 / scale), int(y0 / scale), int((x1 - x0) / scale), int((y1 - y0) / scale)))
    return regions


def _decode_candidates(gray: np.ndarray, effort: int) -> list[Found]:
    """Crop each candidate region, bring it to a few sizes and sharpen it more and more: a dense QR in a
    phone photo has modules of 3-4 blurred pixels, which an unsharp mask at the module scale restores."""
    sizes = (500, 700) if effort < FULL else (500, 700, 900)
    strengths = (0.0, 2.0) if effort < FULL else (0.0, 2.0, 3.0)
    # Zxing's local-average binariser only: the global histogram one never found a code here that the
    # local one missed (180 synthetic scans and photos), and it doubled the cost of a page without a code.
    for x, y, w, h in candidate_regions(gray, max_regions=4):
        crop = gray[y : y + h, x : x + w]
        side = max(crop.shape[:2])
        for target in sizes:
            scaled = _resize(crop, target / side)
            for amount in strengths:
                variant = _sharpen(scaled, amount * target / 500, amount) if amount else scaled
                found = _decode(variant, zxingcpp.Binarizer.LocalAverage, scale=target / side, offset=(x, y))
                if found:
                    return found
    return []


def _decode_deblurred(gray: np.ndarray) -> list[Found]:
    """The square candidate regions that look like a QR code (:func:`looks_like_qr`) deconvolved with an
    out-of-focus blur, then with each motion blur the picture may show and its neighbours (one pixel longer
    or shorter, a few degrees either way: the estimate is rough, zxing is the judge), lightly regularised
    (modules want sharp edges more than quiet paper), at two sizes. Nothing is deconvolved, and the blur is
    not even estimated, on a page with no QR-like region (an invoice with a barcode or no code at all)."""
    regions = [box for box in candidate_regions(gray, max_regions=4, square_only=True)[:3] if looks_like_qr(gray, box)]
    if not regions:
        return []
    variants = _BlurVariants(gray)
    for x, y, w, h in regions:
        crop = gray[y : y + h, x : x + w]
        side = max(crop.shape[:2])
        deblurrer = Deblurrer(crop)
        for blur in variants:
            sharp = deblurrer.remove(blur, smoothing=CODE_SMOOTHING)
            for target in (500, 700):
                found = _decode(_resize(sharp, target / side), scale=target / side, offset=(x, y))
                if found:
                    return found
    return []


class _BlurVariants:
    """The blurs to take out of a picture's QR, likeliest first: :data:`OUT_OF_FOCUS`, then each motion blur the
    picture may show and its neighbours (one pixel longer or shorter, a few degrees either way). The motion
    blurs are estimated when first asked for (the cepstrum costs 40-70 ms a photo), once for all regions."""

    def __init__(self, gray: np.ndarray) -> None:
        self.gray = gray
        self.motion: list[Blur] | None = None

    def __iter__(self) -> Iterator[Blur]:
        yield OUT_OF_FOCUS
        if self.motion is None:
            self.motion = list(
                dict.fromkeys(
                    Blur(blur.length + dl, (blur.angle + da) % 180)
                    for blur in blur_candidates(self.gray, limit=2)
                    for dl in (0, -1, 1)
                    for da in (0, -4, 4)
                    if blur.length + dl >= 2
                )
            )
        yield from self.motion


QR_MIN_CONTRAST = 140.0
"""Gray levels between the dark and the light of a QR region (its 5th and 95th percentiles): black modules on
white paper, even blurred. The QR codes of the OCR throughput set (8 real renders, 6 synthetic scans, 6 photos;
blurred ones included) gave 176-223; the other square candidates (a table's texture around a photographed
sheet, a letterhead, a block of text) 82-132."""
QR_MIN_EDGES = 0.2
"""Share of a QR region's pixels on a strong edge, across and along (modules are small squares): those QR
codes gave 0.25-0.40 each way, the other candidates 0.07-0.22 at least one way."""


def looks_like_qr(gray: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether the region ``box`` (x, y, w, h) of ``gray`` looks like a QR code: contrasted and dense in edges
    both ways (measured on a copy 200 pixels across, in well under a millisecond)."""
    x, y, w, h = box
    crop = gray[y : y + h, x : x + w]
    if crop.size == 0:
        return False
    factor = 200 / max(crop.shape[:2])
    small = _resize(crop, factor) if factor < 1 else crop
    low, high = np.percentile(small, [5, 95])
    contrast = float(high - low)
    if contrast < QR_MIN_CONTRAST:
        return False
    pixels = small.astype(np.float32)
    across = float((np.abs(cv2.Sobel(pixels, cv2.CV_32F, 1, 0)) > 0.5 * contrast).mean())
    along = float((np.abs(cv2.Sobel(pixels, cv2.CV_32F, 0, 1)) > 0.5 * contrast).mean())
    return min(across, along) >= QR_MIN_EDGES


def _sharpen(gray: np.ndarray, sigma: float = 2.0, amount: float = 0.8) -> np.ndarray:
    """Unsharp mask: ``gray + amount × (gray − blur(gray, sigma))``."""
    blur = cv2.GaussianBlur(gray, (0, 0), sigma)
    return cv2.addWeighted(gray, 1 + amount, blur, -amount, 0)


def find_codes(
    image: np.ndarray, page: int, where: str = "render", effort: int = FULL, deblur: bool = True
) -> list[DecodedCode]:
    """Decode QR and plausible CAE I2of5 barcodes in ``image`` (gray/BGR uint8), cheapest attempt first.

    ``effort`` is :data:`QUICK` (one or two attempts), :data:`MEDIUM` or :data:`FULL` (the whole ladder;
    its deblurred rung only with ``deblur``: ``Settings.ocr_deblur``).
    """
    if image.size == 0:
        return []
    gray = to_gray(image)
    for attempt in _attempts(gray, effort, deblur):
        found = attempt()
        if found:
            unique: dict[tuple[str, str], Corners] = {}
            for kind, text, corners in found:
                unique.setdefault((kind, text), corners)
            return [
                DecodedCode(kind=kind, text=text, page=page, where=where, corners=corners)
                for (kind, text), corners in unique.items()
            ]
    return []


_RING = 7
"""Pixels of paper around a code that give its colour (a 15 × 15 dilation)."""


def blank_codes(image: np.ndarray, codes: list[DecodedCode]) -> np.ndarray:
    """``image`` with the codes found in it painted over with the paper around them (a copy; the input is
    kept). A QR's modules read as lines of garbage that Tesseract glues to the printed text next to it
    (the CAE and its due date are usually printed beside the QR) and cost it time."""
    placed = [code for code in codes if code.corners]
    if not placed:
        return image
    out = image.copy()
    h, w = out.shape[:2]
    for code in placed:
        assert code.corners is not None
        corners = np.array(code.corners, np.float32)
        centre = corners.mean(axis=0)
        # a QR's quiet zone; a barcode keeps the digits printed under it
        grow = 1.12 if code.kind == "qr" else 1.04
        polygon = np.round(centre + (corners - centre) * grow).astype(np.int32)
        # the code's box and the ring around it, not the whole page (a page-sized mask costs 15 ms)
        x0, y0 = np.maximum(polygon.min(axis=0) - _RING, 0)
        x1, y1 = np.minimum(polygon.max(axis=0) + _RING + 1, (w, h))
        if x0 >= x1 or y0 >= y1:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, polygon - (x0, y0), 255)
        if not mask.any():
            continue
        ring = cv2.subtract(cv2.dilate(mask, np.ones((2 * _RING + 1, 2 * _RING + 1), np.uint8)), mask)
        box = out[y0:y1, x0:x1]
        # the paper around the code (its brighter part: the code may sit at the sheet's edge in a photo)
        paper = np.percentile(box[ring > 0], 80, axis=0) if ring.any() else 255
        box[mask > 0] = paper
    return out
