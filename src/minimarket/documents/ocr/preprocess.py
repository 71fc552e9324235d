"""OpenCV preprocessing of page images before OCR: scans and phone photos made Tesseract-friendly.

Every step decides from the image itself whether it is needed, so a clean render of a PDF page goes
through almost untouched while a phone photo gets the full treatment:

1. gray conversion;
2. perspective correction: find the sheet's quadrilateral (a bright, large four-sided contour that
   does not fill the frame, with background outside every side) and warp it to a rectangle;
2b. dark bands (a header row printed white on black) inverted, before flattening would wash them out;
3. illumination flattening: divide by the background (a large-kernel closing, computed on a
   downscaled copy) — removes shadows, vignetting and yellow paper;
4. text-line direction: 0° or 90° from how characters merge when smeared along each axis (the
   0°/180° ambiguity is left to OSD in :mod:`minimarket.documents.ocr.engine`);
5. deskew: the small angle that maximises the sharpness of the row profile;
6. rescale so the text is about the size it would be at 250 dpi (from the stated resolution or the
   median character height) when above 280 dpi, or at 220 dpi when below 200 dpi;
7. light denoising, table rules and dashed separators painted over (Tesseract glues a rule touching a
   figure to it or drops the figure), and binarisation when asked (Otsu after flattening; Sauvola-like
   local threshold when the histogram is not bimodal).

All measurement is done on small copies; only the final warps touch the full-resolution image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

TARGET_DPI = 250
"""Resolution text is brought to for Tesseract. Measured on the real development invoices (word recall
against their text layer, Tesseract 5.3, psm 11): 150 dpi 0.961, 200 dpi 0.969, 250 dpi 0.972,
300 dpi 0.968 — and 300 dpi costs 18% more CPU than 250. Pages between ``KEEP_DPI_RANGE`` are left alone."""
KEEP_DPI_RANGE = (200.0, 280.0)
"""170 dpi was the lower end until phone photos at 175-200 dpi (soft, JPEG'd) proved to read better enlarged
to 220 (80 synthetic photos, psm 4: item F1 0.655 -> 0.668; scans unchanged)."""
UPSCALE_DPI = 220
"""Resolution low-resolution pictures (below ``KEEP_DPI_RANGE``) are enlarged to: word recall of 120-dpi
renders enlarged to 180/200/220 dpi: 0.962/0.966/0.975 (150 dpi ones: 0.960/0.965/0.967; 250: 0.968)."""
MAX_PREPARED_PIXELS = 36_000_000
"""Largest image handed to Tesseract (an A3 page at 300 dpi has 17.4 million pixels)."""
TYPICAL_CHAR_HEIGHT_300DPI = 24.0
"""Median height (px) of character blobs on invoices rendered at 300 dpi (measured on the dev set)."""


@dataclass(slots=True)
class PreparedPage:
    """An image ready for Tesseract and how it was obtained."""

    image: np.ndarray
    """uint8 gray (or binary 0/255) image, upright as far as we could tell."""
    dpi: float
    """Resolution of ``image`` (pixels per inch), to convert boxes to points."""
    rotation: int = 0
    """Clockwise rotation applied (degrees, multiple of 90)."""
    skew: float = 0.0
    """Small deskew angle applied (degrees)."""
    steps: list[str] = field(default_factory=list)
    """Names of the steps that changed the image (for warnings and debugging)."""
    quad: np.ndarray | None = None
    """The sheet's corners in the input picture (TL TR BR BL) when it was straightened out of it."""


def to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 gray from gray, BGR or BGRA."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def shrink(image: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    """A copy whose longest side is at most ``longest`` px, and the factor applied (pyramid halvings,
    then one area resize: several times faster than a single area resize of a full page)."""
    side = max(image.shape[:2])
    if side <= longest:
        return image, 1.0
    small = image
    while max(small.shape[:2]) >= 2 * longest:
        small = cv2.pyrDown(small)
    factor = longest / side
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(small, size, interpolation=cv2.INTER_AREA), factor


def rotate90(image: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by a multiple of 90 degrees."""
    degrees %= 360
    if degrees == 90:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if degrees == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if degrees == 270:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


# --- perspective ---------------------------------------------------------------------------------------


def find_page_quad(gray: np.ndarray) -> np.ndarray | None:
    """Corners (4×2, float32, TL TR BR BL, in ``gray``'s pixels) of a sheet of paper photographed on a
    background, or ``None`` when the sheet fills the frame or no clear quadrilateral is found.

    Candidates come from two detectors: the sheet's straight edges (long Hough lines with paper on their
    inner side: robust to shadows across the page; the few best-supported quadrilaterals) and the largest
    bright region (Otsu threshold; robust to a busy background without straight lines). Of the plausible
    sheets, the largest wins: a quadrilateral drawn by a table's rules lies inside the sheet; but a bright region
    whose outline no edge follows yields to a sheet its edges outline nearly as large. It is moved
    out to a larger plausible sheet that holds it when a side was stopped by a printed rule while the sheet's
    edge came out in pieces (:func:`_extended_sheet`).
    """
    small, factor = shrink(gray, 640)
    if _margins_are_paper(small):
        return None  # white all around: a scan or a render, or a photo filled by the sheet
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    h, w = small.shape[:2]
    margin = 0.02 * max(h, w)
    lines = _edge_lines(blur)
    sheets: list[tuple[float, np.ndarray, bool]] = []  # (area, corners, found from the sheet's edges)
    found = [(quad, True) for quad in _quads_from_edges(lines)] + [(_quad_from_brightness(blur), False)]
    for quad, from_edges in found:
        if quad is None:
            continue
        near_edge = sum(1 for x, y in quad if x < margin or y < margin or x > w - 1 - margin or y > h - 1 - margin)
        area = float(cv2.contourArea(quad))
        if near_edge >= 4 or area > 0.97 * h * w:
            continue  # the sheet fills the photo (or it is a scan): nothing to correct
        quad = order_corners(quad)
        if _plausible_sheet(small, quad):
            sheets.append((area, quad, from_edges))
    if not sheets:
        return None
    best_area, best, from_edges = max(sheets, key=lambda sheet: sheet[0])
    if not from_edges and lines is not None and _outline_score(best, lines.support) == 0:
        # a bright region whose outline no edge follows (a shadow or a grey background merged with the
        # paper) against a sheet its edges outline nearly as large: the edges are where the paper ends
        outlined = [sheet for sheet in sheets if sheet[2] and sheet[0] >= OUTLINED_SHEET_SHARE * best_area]
        if outlined:
            best_area, best, _ = max(outlined, key=lambda sheet: sheet[0])
    quad = np.asarray(_extended_sheet(small, lines, best) / factor, np.float32)
    return _past_the_print(gray, quad) if _is_ticket(quad) else quad


OUTLINED_SHEET_SHARE = 0.9
"""How large (share of its area) a sheet outlined by edges must be to win over a larger bright region whose
outline no edge supports. On 90 bench photos such regions were 0.8-3.3 % larger than the outlined sheet: a
shadow or a pale background merged with the paper, tilting a side (a header read as garbage)."""

TICKET_ASPECT = 2.5
"""Height over width from which a sheet is a till ticket: its print runs close to its edges."""


def _mean_sides(quad: np.ndarray) -> tuple[float, float]:
    """(width, height) of a quadrilateral (TL TR BR BL): the means of its opposite sides."""
    tl, tr, br, bl = quad
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width), float(height)


def _is_ticket(quad: np.ndarray) -> bool:
    width, height = _mean_sides(quad)
    return height >= TICKET_ASPECT * max(width, 1.0)


def _past_the_print(gray: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """A ticket's ``quad`` with every side that cuts through print, with print also just beyond it, moved
    outward until it clears the print: a sheet's true edge never crosses its text, but a ticket's edge
    found a little inside it (its margin in a shadow) would crop the quantity that begins every item line.
    The neighbouring sides keep their lines."""
    out = quad.astype(np.float64).copy()
    h, w = gray.shape[:2]
    limit = int(0.05 * min(h, w)) + 1
    centre = out.mean(axis=0)
    t = np.linspace(0.1, 0.9, 200)[:, None]

    def along(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        points = np.round(a + t * (b - a)).astype(int)
        inside = (points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0) & (points[:, 1] < h)
        return gray[points[inside, 1], points[inside, 0]].astype(np.float64) if inside.sum() >= 100 else None

    for i in range(4):
        j = (i + 1) % 4
        direction = out[j] - out[i]
        normal = np.array([direction[1], -direction[0]]) / (np.linalg.norm(direction) + 1e-9)
        if np.dot(normal, (out[i] + out[j]) / 2 - centre) < 0:
            normal = -normal  # pointing out of the sheet
        beyond = along(out[i] + 6 * normal, out[j] + 6 * normal)
        if beyond is None or not _crosses_print(beyond):
            continue  # no print just beyond the side: the sheet's edge, or its blank margin
        shift = 0
        while shift < limit and (here := along(out[i] + shift * normal, out[j] + shift * normal)) is not None:
            if not _crosses_print(here):
                break
            shift += 1
        shift += 3  # a little paper beyond the first letters
        a, b = out[i] + shift * normal, out[j] + shift * normal
        corner_i = _intersect(np.array([*out[i - 1], *out[i]]), np.array([*a, *b]))
        corner_j = _intersect(np.array([*out[j], *out[(j + 1) % 4]]), np.array([*a, *b]))
        if corner_i is not None and corner_j is not None:
            out[i], out[j] = corner_i, corner_j
    return out.astype(np.float32)


def _crosses_print(values: np.ndarray) -> bool:
    """Whether a line sampled across a page crosses print: several short dark runs (strokes, lines of text)
    well below the paper's level along it, in shadow or not; not a shadow or the background (one long run)."""
    dark = values < float(np.percentile(values, 90)) - 35
    share = float(dark.mean())
    if not 0.02 < share < 0.5:
        return False
    edges = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(np.int8), [0]])))
    runs = edges[1::2] - edges[::2]
    return len(runs) >= 4 and int(runs.max()) <= 0.1 * len(values)


def _margins_are_paper(small: np.ndarray) -> bool:
    """True when a thin frame along all four borders is bright and even: no background is visible."""
    h, w = small.shape[:2]
    m = max(2, int(0.02 * min(h, w)))
    frame = np.concatenate([small[:m].ravel(), small[-m:].ravel(), small[:, :m].ravel(), small[:, -m:].ravel()])
    return bool(np.percentile(frame, 10) >= 200 and float(frame.std()) < 25)


def _quad_from_brightness(blur: np.ndarray) -> np.ndarray | None:
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    if cv2.contourArea(contour) < 0.2 * blur.shape[0] * blur.shape[1]:
        return None
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.04, 0.06):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    return None


@dataclass(frozen=True, slots=True)
class EdgeLines:
    """Long straight edges of a picture with brighter paper on one side, by the sheet side they could be
    ("top": paper below...), as (length, x1 y1 x2 y2); and the edge map that supports outlines."""

    roles: dict[str, list[tuple[float, np.ndarray]]]
    support: np.ndarray


def _edge_lines(blur: np.ndarray) -> EdgeLines | None:
    """The candidate sides of a sheet: Hough segments of the Canny edges, each given the side of the sheet
    it would be from where the brighter paper lies; ``None`` when some side has no candidate."""
    h, w = blur.shape[:2]
    edges = cv2.Canny(blur, 20, 60)
    segments = cv2.HoughLinesP(
        edges, 1, np.pi / 360, threshold=50, minLineLength=int(0.15 * min(h, w)), maxLineGap=int(0.03 * max(h, w))
    )
    if segments is None:
        return None
    roles: dict[str, list[tuple[float, np.ndarray]]] = {"top": [], "bottom": [], "left": [], "right": []}
    for x1, y1, x2, y2 in segments.reshape(-1, 4).astype(np.float64):
        direction = np.array([x2 - x1, y2 - y1])
        length = float(np.hypot(*direction))
        normal = np.array([-direction[1], direction[0]]) / length
        points = np.array([x1, y1]) + np.linspace(0.1, 0.9, 15)[:, None] * direction
        sides = []
        for sign in (1.0, -1.0):
            band = [
                blur[probe[ok, 1], probe[ok, 0]]
                for offset in (4, 8, 12)
                for probe in [np.round(points + sign * offset * normal).astype(int)]
                for ok in [(probe[:, 0] >= 0) & (probe[:, 0] < w) & (probe[:, 1] >= 0) & (probe[:, 1] < h)]
                if ok.any()
            ]
            sides.append(float(np.concatenate(band).mean()) if band else np.nan)
        forward, backward = sides  # forward: the side the normal points to
        if np.isnan(forward) or np.isnan(backward) or abs(forward - backward) < 8:
            continue
        line = np.array([x1, y1, x2, y2])
        if abs(direction[0]) >= abs(direction[1]):
            paper_below = (forward > backward) == (normal[1] > 0)
            roles["top" if paper_below else "bottom"].append((length, line))
        else:
            paper_right = (forward > backward) == (normal[0] > 0)
            roles["left" if paper_right else "right"].append((length, line))
    if not all(roles.values()):
        return None
    return EdgeLines(roles, cv2.dilate(edges, np.ones((5, 5), np.uint8)) > 0)


def _quads_from_edges(lines: EdgeLines | None, keep: int = 3, joined: bool = False) -> list[np.ndarray]:
    """The sheet's four sides among a picture's edge ``lines`` (the ``keep`` best quadrilaterals, best
    first); with ``joined``, an edge found in pieces counts as one (:func:`_join_pieces`).

    For each side the few longest candidates are kept and every combination is scored by how much of the
    resulting quadrilateral's outline lies on edges, times the square root of its area: the sheet's outline
    is long and fully supported, a table inside the page is smaller.
    """
    if lines is None:
        return []
    roles, support = lines.roles, lines.support
    h, w = support.shape[:2]
    shortlist = {
        role: [line for _, line in sorted(_join_pieces(found) if joined else found, key=lambda f: -f[0])[:5]]
        for role, found in roles.items()
    }
    scored: list[tuple[float, np.ndarray]] = []
    for top in shortlist["top"]:
        for bottom in shortlist["bottom"]:
            for left in shortlist["left"]:
                for right in shortlist["right"]:
                    corners = [
                        _intersect(top, left),
                        _intersect(top, right),
                        _intersect(bottom, right),
                        _intersect(bottom, left),
                    ]
                    if any(c is None for c in corners):
                        continue
                    quad = np.array(corners, np.float32)
                    score = _outline_score(quad, support)
                    if score > 0:
                        scored.append((score, quad))
    slack = 0.05 * max(h, w)
    found: list[np.ndarray] = []
    for _score, quad in sorted(scored, key=lambda sq: -sq[0]):
        if (quad[:, 0] < -slack).any() or (quad[:, 1] < -slack).any():
            continue
        if (quad[:, 0] > w + slack).any() or (quad[:, 1] > h + slack).any():
            continue
        quad[:, 0] = quad[:, 0].clip(0, w - 1)
        quad[:, 1] = quad[:, 1].clip(0, h - 1)
        if any(np.abs(quad - other).max() < 0.02 * max(h, w) for other in found):
            continue  # the same sheet seen by nearly the same lines
        found.append(quad)
        if len(found) >= keep:
            break
    return found


COLLINEAR_PIXELS = 3.0
"""How far (in the 640-pixel copy) a segment's ends may lie from another's line to be the same edge."""


def _join_pieces(found: list[tuple[float, np.ndarray]]) -> list[tuple[float, np.ndarray]]:
    """Segments of one straight edge found in pieces (a blurred sheet edge, a shadow across it) joined into
    one line spanning them all, as long as they are together."""
    joined: list[tuple[float, np.ndarray]] = []
    for length, line in sorted(found, key=lambda f: -f[0]):
        for k, (total, kept) in enumerate(joined):
            start, end = kept[:2], kept[2:]
            direction = (end - start) / max(float(np.hypot(*(end - start))), 1e-9)
            normal = np.array([-direction[1], direction[0]])
            if max(abs(float(np.dot(point - start, normal))) for point in (line[:2], line[2:])) > COLLINEAR_PIXELS:
                continue
            along = [float(np.dot(point - start, direction)) for point in (start, end, line[:2], line[2:])]
            joined[k] = (
                total + length,
                np.concatenate([start + min(along) * direction, start + max(along) * direction]),
            )
            break
        else:
            joined.append((length, line))
    return joined


def _extended_sheet(small: np.ndarray, lines: EdgeLines | None, quad: np.ndarray) -> np.ndarray:
    """The sheet found, or a larger plausible one that holds it and shares two of its corners: one side of
    the sheet moved out to an edge found in pieces (a blurred edge with a shadow across it), where the first
    search stopped at a rule printed on the page and cropped the header box."""
    h, w = small.shape[:2]
    near = 0.02 * max(h, w)
    area = float(cv2.contourArea(quad))
    best, best_area = quad, area
    for other in _quads_from_edges(lines, keep=6, joined=True):
        other = order_corners(other)
        other_area = float(cv2.contourArea(other))
        if other_area <= 1.1 * best_area or not _plausible_sheet(small, other):
            continue
        shared = sum(float(np.hypot(*(a - b))) < near for a, b in zip(quad, other, strict=True))
        contour = other.reshape(-1, 1, 2)
        holds = all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) > -near for x, y in quad)
        if shared >= 2 and holds:
            best, best_area = other, other_area
    return best


def _outline_score(quad: np.ndarray, support: np.ndarray) -> float:
    """Share of the quadrilateral's outline lying on edges (× √area); 0 for degenerate shapes."""
    h, w = support.shape
    area = float(cv2.contourArea(quad))
    if area < 0.2 * h * w or not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
        return 0.0
    samples = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        t = np.linspace(0.0, 1.0, 60)[:, None]
        samples.append(a + t * (b - a))
    points = np.round(np.concatenate(samples)).astype(int)
    inside = (points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0) & (points[:, 1] < h)
    on_edge = support[points[inside, 1], points[inside, 0]].sum() / len(points)
    if on_edge < 0.6:
        return 0.0
    return float(on_edge**2 * np.sqrt(area))


def _intersect(a: np.ndarray, b: np.ndarray) -> tuple[float, float] | None:
    """Intersection of the infinite lines through segments ``a`` and ``b`` (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = a
    x3, y3, x4, y4 = b
    denominator = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(denominator) < 1e-9:
        return None
    p = x1 * y2 - y1 * x2
    q = x3 * y4 - y3 * x4
    return (p * (x3 - x4) - (x1 - x2) * q) / denominator, (p * (y3 - y4) - (y1 - y2) * q) / denominator


def _plausible_sheet(gray: np.ndarray, quad: np.ndarray) -> bool:
    """A sheet of paper: convex, sides of sensible proportions, corners not too sharp, and clearly
    brighter than what surrounds it (a bright blob in a photo of a cat is not a page)."""
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.int32)):
        return False
    width, height = _mean_sides(quad)
    if min(width, height) < 1 or not 0.1 <= height / width <= 10:  # tickets are long and narrow
        return False
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
        if abs(cos) > 0.5:  # corner angle outside 60°..120°
            return False
    inside = np.zeros(gray.shape[:2], np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    ring = cv2.subtract(cv2.dilate(inside, np.ones((25, 25), np.uint8)), inside)
    if not ring.any():
        return False
    paper = float(np.median(gray[inside > 0]))
    surround = float(np.median(gray[ring > 0]))
    return paper > 120 and paper - surround > 35 and _sides_border_background(gray, quad)


def _sides_border_background(gray: np.ndarray, quad: np.ndarray, min_step: float = 10.0) -> bool:
    """Every side of the quadrilateral that lies inside the picture has, just outside it, something clearly
    darker than the sheet's paper: the table (or the background) around the sheet. A table's rule or a
    column line inside the sheet has paper on its outer side too, and warping to it would crop the page.
    (The paper level is the median inside the whole quadrilateral: a shadow along one edge does not hide
    the table beyond it.)"""
    h, w = gray.shape[:2]
    inside = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    paper = float(np.median(gray[inside > 0]))
    centre = quad.mean(axis=0)
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        direction = b - a
        length = float(np.hypot(*direction))
        if length < 1:
            return False
        normal = np.array([-direction[1], direction[0]]) / length
        if np.dot(centre - a, normal) > 0:
            normal = -normal  # pointing outwards
        points = a + np.linspace(0.1, 0.9, 25)[:, None] * direction
        band = []
        for offset in (4.0, 8.0, 12.0):
            probe = np.round(points + offset * normal).astype(int)
            ok = (probe[:, 0] >= 0) & (probe[:, 0] < w) & (probe[:, 1] >= 0) & (probe[:, 1] < h)
            band.append(gray[probe[ok, 1], probe[ok, 0]])
        values = np.concatenate(band)
        if values.size < 20:
            continue  # the side runs along the picture's edge: nothing to compare
        if paper - float(np.median(values)) < min_step:
            return False
    return True


def order_corners(points: np.ndarray) -> np.ndarray:
    """Sort four points as top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def sheet_aspect(quad: np.ndarray, image_shape: tuple[int, ...]) -> float | None:
    """Height/width of the real sheet seen as ``quad`` (TL TR BR BL) in a photo, undoing foreshortening.

    Zhang & He, "Whiteboard scanning and image enhancement" (2007): with the principal point at the
    image centre and square pixels, the focal length and then the true aspect ratio follow from the
    four corners. ``None`` when the geometry is degenerate (e.g. a frontal shot: no perspective to undo).
    """
    h, w = image_shape[:2]
    u0, v0 = w / 2.0, h / 2.0
    tl, tr, br, bl = (np.array([x, y, 1.0]) for x, y in quad)
    m1, m2, m3, m4 = tl, tr, bl, br
    k2 = np.dot(np.cross(m1, m4), m3) / np.dot(np.cross(m2, m4), m3)
    k3 = np.dot(np.cross(m1, m4), m2) / np.dot(np.cross(m3, m4), m2)
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    if abs(n2[2]) < 1e-9 or abs(n3[2]) < 1e-9:
        return None  # parallel sides: an affine view, the simple side ratio is right
    f2 = -(
        (n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0)
        + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
    ) / (n2[2] * n3[2])
    if not np.isfinite(f2) or f2 <= 0:
        return None
    f = np.sqrt(f2)
    a_inv = np.linalg.inv(np.array([[f, 0, u0], [0, f, v0], [0, 0, 1.0]]))
    b = a_inv.T @ a_inv
    ratio2 = float(n2 @ b @ n2) / float(n3 @ b @ n3)  # (width / height)²
    if not np.isfinite(ratio2) or ratio2 <= 0:
        return None
    return float(1.0 / np.sqrt(ratio2))


def warp_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp the quadrilateral ``quad`` (TL TR BR BL) of ``image`` to an upright rectangle with the
    sheet's true proportions (foreshortening undone when it can be estimated)."""
    tl, tr, br, bl = quad
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    aspect = sheet_aspect(quad, image.shape)
    # the estimate is ill-conditioned for nearly frontal views (a pixel more on a corner can swing it from
    # portrait to landscape): trust it only as a correction of the sides' own proportion
    if aspect is not None and 0.3 < aspect < 3.5 and 0.8 < aspect / (height / width) < 1.25:
        height = max(height, width * aspect)
        width = height / aspect
    width_px, height_px = round(width), round(height)
    target = np.array([[0, 0], [width_px - 1, 0], [width_px - 1, height_px - 1], [0, height_px - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (width_px, height_px), flags=cv2.INTER_LINEAR, borderValue=255)


# --- illumination ---------------------------------------------------------------------------------------


def background(gray: np.ndarray) -> np.ndarray:
    """The paper's brightness, on a small copy (≤ 500 px): text removed by a closing and a median.
    :func:`flatten` brings it to the page's size."""
    small, _ = shrink(gray, 500)
    k = max(7, int(min(small.shape[:2]) / 40) | 1)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.medianBlur(bg, k if k <= 255 else 255)


def needs_flattening(bg: np.ndarray) -> bool:
    """True when the paper is not evenly white (shadows, gradients, gray paper)."""
    small, _ = shrink(bg, 200)
    low, high = np.percentile(small, [5, 95])
    return bool(high - low > 12 or high < 235)


def flatten(gray: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Divide by the background: paper becomes white everywhere, ink keeps its relative darkness."""
    if bg.shape[:2] != gray.shape[:2]:
        bg = cv2.resize(bg, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(bg, 1), scale=255)


# --- orientation and skew ---------------------------------------------------------------------------------


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels (255) of a gray page, by Otsu's threshold."""
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def drop_rules(mask: np.ndarray) -> np.ndarray:
    """Remove long horizontal and vertical rules (table borders) that would look like text lines."""
    h, w = mask.shape[:2]
    horiz = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, max(10, w // 15)), np.uint8))
    vert = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((max(10, h // 15), 1), np.uint8))
    return cv2.subtract(mask, cv2.bitwise_or(horiz, vert))


def char_heights(gray: np.ndarray) -> np.ndarray:
    """Heights (px) of blobs that look like characters."""
    mask = drop_rules(ink_mask(gray))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros(0)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    max_h = gray.shape[0] * 0.05
    keep = (h >= 4) & (h <= max_h) & (w <= 3 * h) & (w >= 1) & (area >= 6)
    return h[keep].astype(np.float64)


def text_runs_vertically(gray: np.ndarray) -> bool:
    """True when text lines run top-to-bottom (the page is rotated by 90° or 270°).

    Characters smeared along the reading direction merge into long thin bars; smeared across it they
    merge into blocks. We compare how much bar length each direction produces.
    """
    small, _ = shrink(gray, 800)
    mask = drop_rules(ink_mask(small))
    heights = char_heights(small)
    size = float(np.median(heights)) if heights.size else 8.0
    k = max(3, int(size * 1.2))

    def bars(kernel: np.ndarray, axis: int) -> float:
        smeared = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
        _count, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
        w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
        long_side, short_side = (w, h) if axis == 0 else (h, w)
        thin = (long_side > 4 * short_side) & (short_side < 3 * size)
        return float(long_side[thin].sum())

    horizontal = bars(np.ones((1, k), np.uint8), 0)
    vertical = bars(np.ones((k, 1), np.uint8), 1)
    return vertical > 1.5 * max(horizontal, 1.0)


def estimate_skew(gray: np.ndarray, limit: float = 6.0) -> float:
    """The small rotation (degrees, counter-clockwise positive as in OpenCV) that makes text lines
    horizontal, from the sharpness of the row projection of a downscaled ink mask."""
    small, _ = shrink(gray, 700)
    mask = ink_mask(small)
    h, w = mask.shape
    centre = (w / 2, h / 2)

    def score(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rotated = cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_NEAREST)
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-limit, limit + 0.01, 1.0), key=score)
    fine = max(np.arange(best - 1.0, best + 1.01, 0.2), key=score)
    return float(round(fine, 2))


def rotate_small_angle(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by ``angle`` degrees (counter-clockwise) around the centre, keeping the whole page."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=255)


# --- scale and binarisation ----------------------------------------------------------------------------------


def estimate_scale(gray: np.ndarray) -> float | None:
    """Factor that brings the median character height to its typical size at TARGET_DPI; ``None`` when
    there are too few character-like blobs to tell."""
    small, factor = shrink(gray, 2000)
    heights = char_heights(small)
    if heights.size < 30:
        return None
    median = float(np.median(heights)) / factor
    return TYPICAL_CHAR_HEIGHT_300DPI * (TARGET_DPI / 300) / median


def binarise(gray: np.ndarray) -> np.ndarray:
    """Otsu on a flattened image; a local (Sauvola-like, Gaussian-weighted) threshold as fallback when
    the histogram is not clearly bimodal."""
    threshold, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = gray < threshold
    if dark.any() and (~dark).any():
        ink, paper = float(gray[dark].mean()), float(gray[~dark].mean())
        if paper - ink > 60:
            return np.asarray(binary)
    block = max(15, (min(gray.shape[:2]) // 60) | 1)
    return np.asarray(cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 15))


# --- dark bands and table rules ------------------------------------------------------------------------------

BAND_MIN_WIDTH = 0.08
"""Share of the page width a dark band must span to be inverted (a header row printed white on black)."""


def dark_band_mask(gray: np.ndarray, small: np.ndarray | None = None) -> np.ndarray | None:
    """Mask (``gray``'s size, 255 inside) of wide bands filled with dark ink — white text printed on a dark
    header row or title bar, which Tesseract cannot read — or ``None`` when there are none.

    Measured on a small copy: pixels much darker than the paper around them (a large max filter), whose
    density over a window a little wider than a character is high (text, even bold, stays under about
    40 %), grouped into regions wide enough to be a band and not taller than a fifth of the page. ``small`` is
    that copy when the caller has it already (``shrink(gray, 1000)``).
    """
    if small is None:
        small, _ = shrink(gray, 1000)
    h, w = small.shape[:2]
    k = max(15, (max(h, w) // 10) | 1)
    paper = cv2.dilate(small, np.ones((k, k), np.uint8)).astype(np.float32)
    dark = (small.astype(np.float32) < 0.5 * paper).astype(np.float32)
    density = cv2.blur(dark, (max(5, w // 30), max(3, h // 150)))
    band = (density > 0.6).astype(np.uint8)
    if not band.any():
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=4)
    small_mask = np.zeros((h, w), np.uint8)
    for i in range(1, count):
        x, y, bw, bh = stats[i, :4]
        if bw < BAND_MIN_WIDTH * w or not 0.006 * h <= bh <= 0.2 * h:
            continue
        if dark[y : y + bh, x : x + bw].mean() < 0.5:
            continue  # mostly paper: a dense block of text, not a filled band
        # the band's outline with its white letters (holes in the dark mask) filled in
        contours, _ = cv2.findContours((labels == i).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(small_mask, contours, -1, 255, thickness=cv2.FILLED)
    if not small_mask.any():
        return None
    inner = cv2.erode(small_mask, np.ones((5, 5), np.uint8))  # stay inside the band's edge
    mask = cv2.resize(inner, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return (np.asarray(mask > 127, np.uint8) * 255) if mask.any() else None


def invert_dark_bands(gray: np.ndarray, small: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """``gray`` with dark bands (:func:`dark_band_mask`, measured on ``small`` if given) inverted, so their
    white text reads as dark text on paper; and whether anything changed."""
    mask = dark_band_mask(gray, small)
    if mask is None:
        return gray, False
    out = gray.copy()
    inside = mask > 0
    out[inside] = 255 - gray[inside]
    return out, True


def _chains_of_marks(ink: np.ndarray, char_height: float) -> np.ndarray:
    """Mask of rows of small marks — dashed separators ("-------"), dotted leaders ("TOTAL......") —
    five or more small blobs on one line, close to each other, with nothing between them (the periods
    of "C.U.I.T." have letters between them)."""
    mask = np.zeros_like(ink)
    full = ink
    if char_height >= 12:  # measured at half resolution (4x cheaper), painted at full resolution
        ink = cv2.resize(ink, (ink.shape[1] // 2, ink.shape[0] // 2), interpolation=cv2.INTER_AREA)
        ink = np.asarray(ink > 0, np.uint8) * 255
        char_height /= 2
    factor = full.shape[0] / ink.shape[0]
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 6:
        return mask
    left, top = stats[:, cv2.CC_STAT_LEFT].tolist(), stats[:, cv2.CC_STAT_TOP].tolist()
    width, height = stats[:, cv2.CC_STAT_WIDTH].tolist(), stats[:, cv2.CC_STAT_HEIGHT].tolist()
    cy = centroids[:, 1].tolist()
    limit = max(3.0, 0.5 * char_height)  # dots and dashes; lower-case letters are 0.7
    small = [k for k in range(1, count) if height[k] <= limit and width[k] <= 1.5 * char_height]
    if len(small) < 5:
        return mask
    integral = cv2.integral((ink > 0).astype(np.uint8))
    tolerance = max(2.0, 0.15 * char_height)
    small.sort(key=lambda k: cy[k])
    rows: list[list[int]] = [[small[0]]]
    for k in small[1:]:
        if cy[k] - cy[rows[-1][-1]] <= tolerance:
            rows[-1].append(k)
        else:
            rows.append([k])

    def clear_between(a: int, b: int) -> bool:
        x0, x1 = left[a] + width[a], left[b]
        if not 0 <= x1 - x0 <= char_height:
            return False
        if x1 == x0:
            return True
        y0, y1 = max(0, int(cy[a] - char_height)), min(ink.shape[0], int(cy[a] + 0.5 * char_height) + 1)
        inked = int(integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0])
        return inked <= 0.05 * (y1 - y0) * (x1 - x0)  # a speck of dust is not a letter

    for row in rows:
        if len(row) < 5:
            continue
        row.sort(key=lambda k: left[k])
        run = [row[0]]
        for k in [*row[1:], 0]:
            if k and clear_between(run[-1], k):
                run.append(k)
                continue
            if len(run) >= 5 and left[run[-1]] + width[run[-1]] - left[run[0]] >= 3 * char_height:
                for m in run:
                    y0, x0 = int(top[m] * factor), int(left[m] * factor)
                    y1, x1 = int((top[m] + height[m]) * factor) + 1, int((left[m] + width[m]) * factor) + 1
                    mask[y0:y1, x0:x1] = full[y0:y1, x0:x1]
            run = [k]
    return mask


RULE_INK_CONTRAST = 25
"""How much darker than the paper around it (gray levels) a pixel must be to count as ink of a rule."""


def _rule_ink(gray: np.ndarray, char_height: float) -> np.ndarray:
    """Ink for rule finding: pixels clearly darker than the paper around them, the paper level being the
    brightest value within about two character heights. (A local mean threshold lost a blurred rule
    right under a line of text, whose dark strokes pull the mean down: its fragments under the figures
    survived and Tesseract read "19079,93" as "1907993" or glued the row to the next.)"""
    size = max(15, int(2 * char_height) | 1)
    paper = cv2.dilate(gray, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    return np.asarray(cv2.subtract(paper, gray) > RULE_INK_CONTRAST, np.uint8) * 255


RULES_AT_HALF_FROM = 19.0
"""Character height (pixels) from which rules are looked for at half resolution: a rule is still a line there,
and the page's morphology costs a quarter (about 40 ms a page at 250 dpi)."""


def rule_mask(gray: np.ndarray, char_height: float) -> np.ndarray:
    """Mask of thin straight rules (table borders, underlines, column separators), dashed separators and
    dotted leaders in a deskewed page whose characters are about ``char_height`` pixels tall
    (:func:`rule_lines`, at half resolution when the characters are at least :data:`RULES_AT_HALF_FROM`
    pixels tall), dilated by two pixels across each rule to take its blurred edges."""
    if char_height < RULES_AT_HALF_FROM:
        horizontal, vertical = rule_lines(gray, char_height)
    else:
        half = cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA)
        size = (gray.shape[1], gray.shape[0])
        horizontal, vertical = (
            cv2.resize(lines, size, interpolation=cv2.INTER_NEAREST) for lines in rule_lines(half, char_height, 0.5)
        )
    horizontal = cv2.dilate(horizontal, np.ones((5, 3), np.uint8))
    vertical = cv2.dilate(vertical, np.ones((3, 5), np.uint8))
    return np.asarray(cv2.bitwise_or(horizontal, vertical))


def rule_lines(gray: np.ndarray, char_height: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Masks (horizontal, vertical) of the rules in ``gray``, a page whose characters are ``char_height``
    pixels tall, shrunk by ``scale``.

    Ink is found with a local threshold (a blurred rule in a photo is gray, a gray table fill is not ink);
    horizontal rules are also looked for in the ink that stands out from the paper (:func:`_rule_ink`),
    which keeps a rule right under a line of text whole. Horizontal rules: runs longer than 6 character
    heights (longer than a bold word), taken only where the ink is as thin as a rule (where a letter
    touches or crosses the rule, or in a filled box, the ink is thicker and stays); rows of small marks
    (:func:`_chains_of_marks`).
    Vertical rules: runs longer than 3 character heights (a letter's stem, even a large title's, is
    shorter) and thin.
    """
    char_height *= scale
    block = max(15, int(2 * char_height) | 1)
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 25)
    thin = max(3.0, 0.35 * char_height / scale)  # in the page's pixels
    stroke = max(2, round((max(4, round(thin)) + 1) * scale))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(25, int(3 * char_height)), 1), np.uint8))
    vertical = cv2.subtract(vertical, cv2.morphologyEx(vertical, cv2.MORPH_OPEN, np.ones((1, stroke), np.uint8)))
    long_h = np.ones((1, max(30, int(6 * char_height))), np.uint8)  # longer than a bold word
    horizontal = _chains_of_marks(ink, char_height)
    for found in (ink, _rule_ink(gray, char_height)):
        bars = cv2.morphologyEx(found, cv2.MORPH_OPEN, long_h)
        # only where the ink is as thin as a rule: where a letter touches or crosses the rule, its stroke stays
        bars = cv2.subtract(bars, cv2.morphologyEx(found, cv2.MORPH_OPEN, np.ones((stroke, 1), np.uint8)))
        horizontal = cv2.bitwise_or(horizontal, bars)
    return horizontal, vertical


def remove_rules(gray: np.ndarray, char_height: float) -> tuple[np.ndarray, bool]:
    """``gray`` with its table rules (:func:`rule_mask`) painted over with paper: Tesseract glues a rule
    touching a figure to it ("2|", "[1") or drops the figure altogether. Whether anything changed."""
    mask = rule_mask(gray, char_height)
    lines = mask > 0
    if not lines.any():
        return gray, False
    out = gray.copy()
    out[lines] = 255
    return out, True


# --- the pipeline --------------------------------------------------------------------------------------------


def preprocess(
    image: np.ndarray,
    dpi: float | None = None,
    binarize: bool = False,
    fixed_geometry: bool = False,
    sheet: np.ndarray | None = None,
) -> PreparedPage:
    """Prepare a page image (gray/BGR uint8) for Tesseract; see the module docstring for the steps.

    ``dpi`` is the image's resolution when known (a PDF render); without it the resolution is
    estimated from character heights and the image is rescaled to about 250 dpi. ``fixed_geometry``
    skips perspective, rotation and deskew (only uniform scaling), so that boxes found on the result map
    back to the input by a scale factor alone (used for images placed on a PDF page). ``sheet`` gives the
    sheet's corners in ``image`` when they are already known (:attr:`PreparedPage.quad` of the same picture
    before it was deblurred: a deblurred picture's ringing can move the edges found).
    """
    gray = to_gray(image)
    steps: list[str] = []
    measure, _ = shrink(gray, 1000)  # a small copy for the measurements, redone after each warp

    quad = None if fixed_geometry else find_page_quad(measure) if sheet is None else sheet
    if quad is not None:
        if sheet is None:
            quad = quad * (max(gray.shape[:2]) / max(measure.shape[:2]))
        gray = warp_quad(gray, quad)
        measure, _ = shrink(gray, 1000)
        steps.append("perspective")
        dpi = None  # the warp changes the scale: measure it again

    gray, inverted = invert_dark_bands(gray, measure)
    if inverted:
        measure, _ = shrink(gray, 1000)
        steps.append("invert_bands")

    bg = background(measure)
    if needs_flattening(bg):
        gray = flatten(gray, bg)
        measure = flatten(measure, bg)
        steps.append("flatten")

    rotation = 0
    if not fixed_geometry and text_runs_vertically(measure):
        gray = rotate90(gray, 90)
        measure = rotate90(measure, 90)
        rotation = 90
        steps.append("rotate90")

    skew = 0.0 if fixed_geometry else estimate_skew(measure)
    if abs(skew) >= 0.3:
        gray = rotate_small_angle(gray, skew)
        steps.append("deskew")
    else:
        skew = 0.0

    scale = estimate_scale(gray) if dpi is None else TARGET_DPI / dpi
    current = TARGET_DPI / scale if scale else None  # the page's resolution, stated or estimated
    if current is not None and not KEEP_DPI_RANGE[0] <= current <= KEEP_DPI_RANGE[1]:
        # Never blow a picture up past MAX_PREPARED_PIXELS (noise can look like tiny characters).
        room = float(np.sqrt(MAX_PREPARED_PIXELS / (gray.shape[0] * gray.shape[1])))
        target = UPSCALE_DPI if current < KEEP_DPI_RANGE[0] else TARGET_DPI
        scale = float(np.clip(target / current, 0.25, min(4.0, max(room, 0.25))))
        # Mild downscaling (300 -> 250 dpi) needs no area averaging: linear is 5x cheaper and as good.
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_LINEAR if scale > 0.7 else cv2.INTER_AREA
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)
        steps.append("rescale")
        if scale > 1:
            steps.append("enlarge")
        effective = current * scale
    else:
        effective = current if current is not None else TARGET_DPI

    if "flatten" in steps or "perspective" in steps:
        gray = cv2.medianBlur(gray, 3)
        steps.append("denoise")
    gray, ruled = remove_rules(gray, TYPICAL_CHAR_HEIGHT_300DPI * effective / 300)
    if ruled:
        steps.append("remove_rules")
    if binarize:
        gray = binarise(gray)
        steps.append("binarise")
    return PreparedPage(image=gray, dpi=float(effective), rotation=rotation, skew=skew, steps=steps, quad=quad)
