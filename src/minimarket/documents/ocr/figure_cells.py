"""The figures of a table's number columns that Tesseract left out or garbled, read from the ink again.

On a soft phone photo Tesseract misses figures two ways: its page segmentation judges a whole column of an
items table (the unit prices, or the first amounts) to be noise and returns no word for it, or it reads
blurred digits as letters and splits them ("27.301,46" as "DAN MO"). Either way no row adds up. The figure
reader (:mod:`.figures`), trained on blurred figures alone, reads most of those cells right.

:func:`reread_figure_cells` cuts the page's ink into cells (pieces one text line tall, characters joined
along the line) and reads with the figure reader the cells that stand in a number column (right-aligned
with at least :data:`COLUMN_PEERS` other figures or cells of other lines) and that Tesseract read as nothing,
or as something no word or figure would be. Left as Tesseract read them: figures, words read surely or in
lowercase (a title, a unit: "bulto"), rates, signs, dates and bracketed figures, a column of product codes
(digit runs of one length), and a column's title above its figures. A reading is kept when it is a
well-formed printed figure ("649,38", "1.084,68", "4,000") other than zero; it replaces the words Tesseract
made of the cell, on their line. It only sets figures on rows: whether a row's figures are right is still
settled by its arithmetic and the invoice's totals, and a row that does not add up stays doubtful.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import cv2
import numpy as np

from minimarket.documents.ocr.figures import (
    AMOUNT_CHARS,
    FIGURE_ALTERNATIVES,
    FigureReading,
    GlyphModel,
    one_blas_thread,
    read_word_alternatives,
)
from minimarket.documents.ocr.preprocess import drop_rules, ink_mask, to_gray
from minimarket.documents.ocr.tesseract import OcrWord

CELL_CONF = 50.0
"""Confidence (0..100) of a figure only the figure reader read: believed as far as arithmetic confirms it."""
PRINTED_FIGURE = re.compile(r"^(?:\d{1,3}(?:[.,]\d{3})*|\d+)[.,]\d{2,3}$")
"""A figure as printed in a table cell: digits, thousands grouped or not, and two or three decimals."""
NOT_A_FIGURE = re.compile(r"[%$/:()-]")
"""Signs Tesseract saw in a cell that make it something else than a bare figure (a rate, a sign and an
amount, a date, a key, a figure in brackets): left as Tesseract read it."""
SURE_WORD_CONF = 80.0
"""A word of two letters or more Tesseract read with this confidence is a word (a column's title, a unit), not
a garbled figure: its cell is left as read."""
LOWERCASE_WORD_CONF = 50.0
"""Likewise a word of three lowercase letters or more read with this confidence ("bulto" at 66 to 72 on a photo;
blurred figures read as "DAN", "M0", "19D")."""
TITLE_LETTERS = 4
"""Letters of a word read above every figure of its column for the cell to be the column's title."""
CODE_RUNS, CODE_SHARE = 3, 0.6
"""A column is of codes when at least this many words of it were read and this share are digit runs of one
length."""
COLUMN_PEERS = 2
"""Other figures, on other lines, a cell's right edge must line up with to be taken for a number column."""
MIN_WIDTH, MAX_WIDTH = 1.2, 8.0
"""Widths (in line heights) of a cell read as one figure: from "0,50" to "1.234.567,89"."""
MIN_HEIGHT, MAX_HEIGHT = 0.35, 1.3
"""Heights (in line heights) of a cell read as one figure."""
COVERS = 0.3
"""Share of a word's box or of a cell's that their overlap must be for the word to be Tesseract's reading of
(part of) the cell."""
MIN_INK = 0.08
"""Least share of a cell's box that is ink: a speck of ringing or a stray line is not a figure."""


@dataclass(frozen=True, slots=True)
class _Cell:
    left: int
    top: int
    right: int
    bottom: int
    covered: tuple[int, ...]
    """Indices of the words Tesseract read in this cell."""


def reread_figure_cells(image: np.ndarray, words: Sequence[OcrWord], model: GlyphModel) -> list[OcrWord]:
    """``words`` (Tesseract's reading of ``image``, the gray page) with the figures of its number columns that
    Tesseract missed added, and those it garbled in place of its words for them; ``words`` as given when the
    page has too few confident words to tell its line height."""
    heights = [w.bottom - w.top for w in words if w.conf >= 60 and len(w.text) >= 3]
    if len(heights) < 5:
        return list(words)
    line = float(median(heights))
    figures = [(w.right, w.top, w.bottom) for w in words if PRINTED_FIGURE.match(w.text)]
    cells = [
        cell
        for cell in _cells(image, words, line)
        if not _read_as_something_else([words[n].text for n in cell.covered], [words[n].conf for n in cell.covered])
        and not _in_code_column(cell, words, line)
    ]
    # a cell with no other cell or figure right-aligned with it stands in no column: not worth reading
    candidates = figures + [(cell.right, cell.top, cell.bottom) for cell in cells]
    read: list[tuple[_Cell, str]] = []
    with one_blas_thread():
        for cell in cells:
            if _peers(cell, candidates, line) < COLUMN_PEERS:
                continue
            pad = max(2, int(0.25 * (cell.bottom - cell.top)))
            crop = image[max(0, cell.top - pad) : cell.bottom + pad, max(0, cell.left - pad) : cell.right + pad]
            text = _figure_text(read_word_alternatives(crop, model, AMOUNT_CHARS, count=1 + FIGURE_ALTERNATIVES))
            if text is not None:
                read.append((cell, text))
    edges = figures + [(cell.right, cell.top, cell.bottom) for cell, _ in read]
    replaced: set[int] = set()
    added = []
    for cell, text in read:
        if _peers(cell, edges, line) < COLUMN_PEERS or _a_title(cell, words, edges):
            continue
        block, number = _line_of(words, cell)
        added.append(OcrWord(text, cell.left, cell.top, cell.right, cell.bottom, CELL_CONF, block, number))
        replaced.update(cell.covered)
    return [w for n, w in enumerate(words) if n not in replaced] + added


def _read_as_something_else(texts: Sequence[str], confs: Sequence[float]) -> bool:
    """Whether Tesseract read a cell as figures already, or as something else than a figure."""
    if texts and all(PRINTED_FIGURE.match(text) for text in texts):
        return True
    if any(NOT_A_FIGURE.search(text) for text in texts):
        return True
    return any(_a_word(text, conf) for text, conf in zip(texts, confs, strict=True))


def _in_code_column(cell: _Cell, words: Sequence[OcrWord], line: float) -> bool:
    """Whether the words Tesseract read right-aligned with ``cell`` on other lines are mostly digit runs of one
    length: product codes (a code column's cells are all as wide), whose digits the figure reader would
    split with a separator ("55956" as "559.56")."""
    column = [
        w.text
        for n, w in enumerate(words)
        if n not in cell.covered
        and abs(w.right - cell.right) <= 0.5 * line
        and (w.bottom <= cell.top or w.top >= cell.bottom)
    ]
    lengths = Counter(len(text) for text in column if text.isdigit())
    return len(column) >= CODE_RUNS and bool(lengths) and lengths.most_common(1)[0][1] >= CODE_SHARE * len(column)


def _a_word(text: str, conf: float) -> bool:
    """A word Tesseract read with some confidence: two letters or more read surely, or a lowercase word (a
    unit, a description: blurred digits stand as tall as capitals and read as capitals or digits)."""
    letters = sum(c.isalpha() for c in text)
    if conf >= SURE_WORD_CONF and letters >= 2:
        return True
    return conf >= LOWERCASE_WORD_CONF and sum(c.islower() for c in text) >= 3


def _peers(cell: _Cell, edges: Sequence[tuple[int, int, int]], line: float) -> int:
    """How many figures on other lines end where ``cell`` ends (within half a line height)."""
    return sum(
        abs(right - cell.right) <= 0.5 * line and (bottom <= cell.top or top >= cell.bottom)
        for right, top, bottom in edges
    )


def _a_title(cell: _Cell, words: Sequence[OcrWord], edges: Sequence[tuple[int, int, int]]) -> bool:
    """A cell read as a word of four letters or more above every figure of its column: the column's title
    ("Precio" read doubtfully; a blurred figure reads as short runs of capitals, "DAN MO")."""
    worded = any(sum(c.isalpha() for c in words[n].text) >= TITLE_LETTERS for n in cell.covered)
    height = cell.bottom - cell.top
    return worded and not any(bottom <= cell.top and abs(right - cell.right) <= height for right, _, bottom in edges)


def _line_of(words: Sequence[OcrWord], cell: _Cell) -> tuple[int, int]:
    """(block, line) of the Tesseract line ``cell`` sits on: that of the words it replaces, else of the words
    overlapping its rows the most, else (-1, its top)."""
    if cell.covered:
        first = words[cell.covered[0]]
        return first.block, first.line
    overlaps: dict[tuple[int, int], int] = {}
    for word in words:
        overlap = min(cell.bottom, word.bottom) - max(cell.top, word.top)
        if overlap > 0.5 * min(cell.bottom - cell.top, word.bottom - word.top):
            key = (word.block, word.line)
            overlaps[key] = overlaps.get(key, 0) + overlap
    return max(overlaps, key=lambda key: overlaps[key]) if overlaps else (-1, cell.top)


def _figure_text(readings: Sequence[FigureReading]) -> str | None:
    """The likeliest reading that is a well-formed figure, not zero, once specks read as separators at either
    end are dropped."""
    for reading in readings:
        text = reading.text.strip(".,")
        if PRINTED_FIGURE.match(text) and text.strip("0.,"):  # nothing but zeros is paper or a word
            return text
    return None


def _cells(image: np.ndarray, words: Sequence[OcrWord], line: float) -> list[_Cell]:
    """The pieces of ink one text line tall (table rules left out), with the words over each."""
    ink = drop_rules(ink_mask(to_gray(image)))
    joined = cv2.dilate(ink, np.ones((1, max(3, round(line * 0.6))), np.uint8))  # along the line, not across
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = np.array([(w.left, w.top, w.right, w.bottom) for w in words], np.int64).reshape(-1, 4)
    areas = np.maximum(1, (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    cells = []
    for left, top, width, height, _area in stats[1:count].tolist():
        if not (MIN_HEIGHT * line <= height <= MAX_HEIGHT * line and MIN_WIDTH * line <= width <= MAX_WIDTH * line):
            continue
        if float(ink[top : top + height, left : left + width].mean()) / 255 < MIN_INK:
            continue
        right, bottom = left + width, top + height
        # the words over the cell: their overlap is COVERS of the word's box or of the cell's
        shared = np.clip(np.minimum(right, boxes[:, 2]) - np.maximum(left, boxes[:, 0]), 0, None) * np.clip(
            np.minimum(bottom, boxes[:, 3]) - np.maximum(top, boxes[:, 1]), 0, None
        )
        over = (shared > 0) & ((shared >= COVERS * areas) | (shared >= COVERS * width * height))
        cells.append(_Cell(left, top, right, bottom, tuple(np.flatnonzero(over).tolist())))
    return cells
