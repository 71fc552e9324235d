"""OpenCV preprocessing on a real invoice page, rotated, skewed, shadowed and photographed in perspective."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from minimarket.documents.ocr.preprocess import (
    TARGET_DPI,
    UPSCALE_DPI,
    _join_pieces,
    _sides_border_background,
    estimate_scale,
    estimate_skew,
    find_page_quad,
    preprocess,
    rotate_small_angle,
    shrink,
    text_runs_vertically,
)
from minimarket.documents.pdf import render_page

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"


@pytest.fixture(scope="module")
def page150() -> np.ndarray:
    path = REAL_INVOICES / "factura128.pdf"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    with pdfium.PdfDocument(str(path)) as pdf:
        return render_page(pdf, 0, 150)


def camera_corners(
    tilt_x: float, tilt_y: float, turn: float, size: tuple[int, int] = (1400, 1900), focal: float = 1600.0
) -> np.ndarray:
    """Where a pinhole camera (principal point at the centre) sees the corners (TL TR BR BL) of an A4
    sheet tilted by ``tilt_x``/``tilt_y`` degrees and turned by ``turn`` degrees in its plane."""

    def rotation(angle: float, axis: int) -> np.ndarray:
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        i, j = [k for k in range(3) if k != axis]
        matrix = np.eye(3)
        matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
        return matrix

    width, height = 0.210, 0.297
    sheet = np.array(
        [
            [-width / 2, -height / 2, 0],
            [width / 2, -height / 2, 0],
            [width / 2, height / 2, 0],
            [-width / 2, height / 2, 0],
        ]
    )
    placed = (rotation(tilt_x, 0) @ rotation(tilt_y, 1) @ rotation(turn, 2) @ sheet.T).T + np.array([0.01, 0.0, 0.40])
    u = focal * placed[:, 0] / placed[:, 2] + size[0] / 2
    v = focal * placed[:, 1] / placed[:, 2] + size[1] / 2
    return np.stack([u, v], axis=1).astype(np.float32)


def photograph(page: np.ndarray, corners: np.ndarray, size: tuple[int, int] = (1400, 1900)) -> np.ndarray:
    """Put ``page`` (gray or BGR) on a darker, textured table with a perspective warp to ``corners``
    (TL TR BR BL), as a phone would see it."""
    h, w = page.shape[:2]
    source = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    rng = np.random.default_rng(3)
    table = cv2.GaussianBlur(rng.integers(40, 90, (size[1], size[0]), dtype=np.uint8), (0, 0), 3)
    if page.ndim == 3:
        table = cv2.merge([table, (table * 0.8).astype(np.uint8), (table * 0.6).astype(np.uint8)])
    sheet = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size) > 127
    return np.where(mask[..., None] if page.ndim == 3 else mask, sheet, table).astype(np.uint8)


def test_clean_render_is_left_alone(page150: np.ndarray) -> None:
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura128.pdf")) as pdf:
        page200 = render_page(pdf, 0, 200)
        page300 = render_page(pdf, 0, 300)
    prepared = preprocess(page200, dpi=200)
    assert [step for step in prepared.steps if step != "remove_rules"] == []  # only the table's rules go
    assert prepared.dpi == 200
    assert prepared.image.shape == page200.shape
    # 300 dpi is more than Tesseract needs: only scaled down to the target resolution.
    high = preprocess(page300, dpi=300)
    assert [step for step in high.steps if step != "remove_rules"] == ["rescale"]
    assert high.dpi == TARGET_DPI
    assert abs(high.image.shape[0] - page300.shape[0] * TARGET_DPI / 300) <= 1


def test_low_resolution_is_rescaled(page150: np.ndarray) -> None:
    scale = estimate_scale(page150)  # the factor to TARGET_DPI
    assert scale is not None and 0.8 * TARGET_DPI / 150 < scale < 1.25 * TARGET_DPI / 150
    expected = UPSCALE_DPI / 150
    prepared = preprocess(page150)  # resolution unknown: estimated from character heights
    assert "rescale" in prepared.steps
    assert 0.8 * UPSCALE_DPI < prepared.dpi < 1.25 * UPSCALE_DPI
    assert 0.8 * expected < prepared.image.shape[0] / page150.shape[0] < 1.25 * expected
    known = preprocess(page150, dpi=150)
    assert known.dpi == pytest.approx(UPSCALE_DPI)
    assert abs(known.image.shape[0] - page150.shape[0] * expected) <= 1


@pytest.mark.parametrize("rotation", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_vertical_text_is_detected(page150: np.ndarray, rotation: int) -> None:
    assert not text_runs_vertically(page150)
    turned = cv2.rotate(page150, rotation)
    assert text_runs_vertically(turned)
    prepared = preprocess(turned, dpi=150)
    assert prepared.rotation == 90
    assert prepared.image.shape[0] > prepared.image.shape[1]  # portrait again (maybe upside down: OSD's job)


@pytest.mark.parametrize("angle", [-4.0, -1.5, 2.5])
def test_skew_is_measured_and_corrected(page150: np.ndarray, angle: float) -> None:
    skewed = rotate_small_angle(page150, angle)
    measured = estimate_skew(skewed)
    assert abs(measured + angle) < 0.4
    prepared = preprocess(skewed, dpi=150)
    assert "deskew" in prepared.steps
    assert abs(estimate_skew(prepared.image)) < 0.4


def test_photo_in_perspective_is_found_and_flattened(page150: np.ndarray) -> None:
    corners = camera_corners(18, 10, 4)
    photo = photograph(page150, corners)
    quad = find_page_quad(photo)
    assert quad is not None
    assert np.abs(quad - corners).max() < 25  # pixels, on a 1400×1900 photo
    prepared = preprocess(photo)
    assert prepared.steps[0] == "perspective"
    height, width = prepared.image.shape[:2]
    assert abs(height / width - 842 / 595) < 0.08  # the sheet's A4 proportions are back
    assert find_page_quad(page150) is None  # a scan filling the frame is not "corrected"


def test_a_quadrilateral_inside_the_sheet_is_not_a_sheet(page150: np.ndarray) -> None:
    """A table's rules can outline a quadrilateral inside the page; warping to it would crop the invoice.
    Only the sheet has the table (darker background) beyond every side."""
    corners = camera_corners(12, 6, 2)
    photo = photograph(page150, corners)
    small, factor = shrink(photo, 640)
    sheet = corners * factor
    centre = sheet.mean(axis=0)
    inner = centre + (sheet - centre) * 0.7
    assert _sides_border_background(small, sheet)
    assert not _sides_border_background(small, inner)


def test_a_sheet_edge_found_in_pieces_is_one_edge_as_long_as_they_together() -> None:
    """A blurred edge with a shadow across it comes out of Hough in pieces: joined, it outranks a barcode's
    longer edge inside the page; a rule ten pixels away stays a line of its own."""
    pieces = [
        (128.0, np.array([205, 593, 333, 593], np.float64)),
        (90.0, np.array([340, 593.5, 430, 594], np.float64)),
        (70.0, np.array([40, 592.5, 110, 593], np.float64)),
        (176.0, np.array([226, 96, 402, 83], np.float64)),  # a barcode's edge
        (160.0, np.array([175, 583, 335, 583], np.float64)),  # the header box's rule, ten pixels above
    ]
    joined = sorted(_join_pieces(pieces), key=lambda found: -found[0])
    assert len(joined) == 3
    length, edge = joined[0]
    assert length == 288.0
    assert edge[0] == pytest.approx(40, abs=1) and edge[2] == pytest.approx(430, abs=1)
    assert edge[1] == pytest.approx(592.5, abs=1.5)


def test_a_sheet_whose_edge_is_found_in_pieces_is_not_cropped_at_a_printed_rule() -> None:
    """A synthetic phone photo (upside down, a shadow across it) whose bottom edge comes out of Hough in
    pieces: the first search stops at the header box's rule and would crop the title, CUIT and number off;
    the sheet is moved out to the joined edge."""
    from minimarket.catalog import bundled_catalog
    from minimarket.learning.dataset import corpus_seed
    from minimarket.synth.invoices.dataset import make_document

    photo = make_document(bundled_catalog(), corpus_seed(2030, "bench", "photo"), 15, "photo")
    picture = cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_GRAYSCALE)
    measure, _ = shrink(picture, 1000)
    quad = find_page_quad(measure)
    assert quad is not None
    height = measure.shape[0]
    assert quad[:, 1].max() > 0.9 * height, quad  # the sheet's far edge, not the rule at 0.72 of the height


def test_long_narrow_ticket_is_found() -> None:
    ticket = np.full((1800, 300), 235, np.uint8)
    for y in range(40, 1760, 24):  # lines of text
        cv2.putText(ticket, "CERV. QUILMES 1L x12  2.858,89", (12, y), cv2.FONT_HERSHEY_PLAIN, 0.9, 30, 1)
    corners = np.array([[520, 80], [830, 100], [790, 1880], [470, 1860]], np.float32)
    quad = find_page_quad(photograph(ticket, corners, size=(1400, 1950)))
    assert quad is not None and np.abs(quad - corners).max() < 25


def test_a_glare_merged_with_the_paper_does_not_move_the_sheet_s_corner() -> None:
    """A pale blur of light on the table touching the sheet's corner: the bright region (paper and glare) is a
    few per cent larger than the sheet, but no edge follows its outline; the sheet's straight edges do."""
    picture = np.full((1600, 1200), 95, np.float32)
    glare = np.zeros_like(picture)
    cv2.circle(glare, (1000, 1420), 70, 1.0, -1)
    picture += cv2.GaussianBlur(glare, (0, 0), 25) * 150
    sheet = np.array([[150, 120], [1000, 160], [980, 1400], [170, 1380]], np.float32)
    cv2.fillConvexPoly(picture, sheet.astype(np.int32), 235)
    for y in range(250, 1300, 40):  # lines of print
        cv2.line(picture, (220, y), (900, y + 30), 60, 4)
    noise = np.random.default_rng(0).normal(0, 4, picture.shape)
    quad = find_page_quad(np.clip(picture + noise, 0, 255).astype(np.uint8))
    assert quad is not None and np.abs(quad - sheet).max() < 10


def test_a_known_sheet_is_used_as_given() -> None:
    """The same picture deblurred is straightened along the sheet found in it as taken."""
    ticket = np.full((1800, 300), 235, np.uint8)
    for y in range(40, 1760, 24):
        cv2.putText(ticket, "CERV. QUILMES 1L x12  2.858,89", (12, y), cv2.FONT_HERSHEY_PLAIN, 0.9, 30, 1)
    corners = np.array([[520, 80], [830, 100], [790, 1880], [470, 1860]], np.float32)
    photo = photograph(ticket, corners, size=(1400, 1950))
    found = preprocess(photo)
    assert found.quad is not None and np.abs(found.quad - corners).max() < 25
    given = corners + np.float32(3)
    again = preprocess(photo, sheet=given)
    assert again.quad is given and "perspective" in again.steps


def test_a_ticket_side_found_inside_it_is_moved_out_past_the_print() -> None:
    """A ticket's left edge found through the first letters of its lines (its margin in a shadow): the side
    moves out past the print; sides already on the ticket's edge stay where they are."""
    from minimarket.documents.ocr.preprocess import _is_ticket, _past_the_print

    ticket = np.full((1800, 300), 235, np.uint8)
    for y in range(40, 1760, 24):
        cv2.putText(ticket, "CERV. QUILMES 1L x12  2.858,89", (12, y), cv2.FONT_HERSHEY_PLAIN, 0.9, 30, 1)
    corners = np.array([[520, 80], [830, 100], [790, 1880], [470, 1860]], np.float32)
    photo = photograph(ticket, corners, size=(1400, 1950))
    assert _is_ticket(corners)
    assert np.abs(_past_the_print(photo, corners) - corners).max() <= 3
    cut = corners + np.array([[20, 0], [0, 0], [0, 0], [20, 0]], np.float32)  # left side through the text
    moved = _past_the_print(photo, cut)
    assert moved[0, 0] <= 532 and moved[3, 0] <= 482  # back before the text's first letters
    assert np.abs(moved[1:3] - cut[1:3]).max() <= 3


def test_shadow_is_flattened(page150: np.ndarray) -> None:
    h, w = page150.shape
    ramp = np.linspace(1.0, 0.45, w)[None, :] * np.linspace(1.0, 0.8, h)[:, None]
    shadowed = (page150 * ramp).clip(0, 255).astype(np.uint8)
    prepared = preprocess(shadowed, dpi=150)
    assert "flatten" in prepared.steps
    paper = prepared.image[prepared.image > 128]
    assert paper.mean() > 235  # the paper is white again on both sides
    left, right = prepared.image[:, : w // 4], prepared.image[:, -w // 4 :]
    assert abs(float(np.median(left)) - float(np.median(right))) < 10
