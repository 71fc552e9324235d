"""A second reader for printed figures ("12.345,67"), for the blurred ones Tesseract gets wrong.

Tesseract's ``spa`` model reads blurred 8/6/5/0 and a typewriter font's commas interchangeably. This reader
knows nothing but digits, "." and ",": a small neural network (:class:`GlyphModel`, trained by
:mod:`minimarket.learning.figure_glyphs` on figures rendered in the usual invoice typefaces, blurred,
noised and JPEG-compressed) scores every piece of the word between candidate cuts, and dynamic programming
picks the cuts and characters that explain the word best. It reads words whose box Tesseract found, on
photos and enlarged pictures (:func:`minimarket.documents.ocr.engine.ocr_page`); its readings never replace
Tesseract's, they are kept beside it (:attr:`~minimarket.documents.layout.Word.alts`) for arithmetic and the
header's checks to choose from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import combinations, product
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from minimarket.documents.linetext import find_cuits, find_dates, read_figure
from minimarket.documents.ocr.tesseract import OcrWord
from minimarket.domain.money import line_adds_up

CELL_W, CELL_H = 20, 24
"""Size every candidate piece is normalised to (height from the word's digit height)."""
GARBAGE = "#"
"""Class of the pieces that are not one whole character (half a digit, two digits, a digit and a comma)."""
MAX_PIECE = 1.35
"""Widest piece tried, in digit heights (Courier's "0" with its side bearings is about 1.05)."""
MIN_PIECE = 0.1
CUTS_PER_HEIGHT = 3
"""Cut candidates every digit height / this many pixels, besides the darkness profile's local minima (30
synthetic photos, 877 figure words: 3 reads 264 item figures right in 2.0 s, 5 reads 264 in 3.7 s, 10 reads
261 in 23 s)."""
BLANK = 0.06
"""A piece whose darkest column is below this share of the word's darkest column is blank paper."""
MODEL_PATH = Path(__file__).with_name("figure_glyphs.npz")
"""The bundled model (``minimarket train figures`` writes it)."""


@dataclass(frozen=True, slots=True)
class GlyphModel:
    """A one-hidden-layer perceptron over piece features: weights exported from scikit-learn."""

    w_hidden: np.ndarray
    b_hidden: np.ndarray
    w_out: np.ndarray
    b_out: np.ndarray
    classes: tuple[str, ...]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        hidden = np.maximum(features @ self.w_hidden + self.b_hidden, 0.0)
        logits = hidden @ self.w_out + self.b_out
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            w_hidden=_flush_subnormals(self.w_hidden),
            b_hidden=_flush_subnormals(self.b_hidden),
            w_out=_flush_subnormals(self.w_out),
            b_out=_flush_subnormals(self.b_out),
            classes=np.array(self.classes),
        )

    @classmethod
    def load(cls, path: Path) -> GlyphModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                _flush_subnormals(data["w_hidden"]),
                _flush_subnormals(data["b_hidden"]),
                _flush_subnormals(data["w_out"]),
                _flush_subnormals(data["b_out"]),
                tuple(str(c) for c in data["classes"]),
            )


def _flush_subnormals(weights: np.ndarray) -> np.ndarray:
    """``weights`` as float32 with the subnormal ones (under 1.2e-38 in magnitude, worth nothing to a score)
    set to zero: the bundled model had 6,091 of them, and a matrix product through subnormals runs some
    40 times slower on x86 (43 ms instead of 1 ms for a word's 400 pieces)."""
    weights = np.asarray(weights, np.float32)
    return np.where(np.abs(weights) < np.finfo(np.float32).tiny, np.float32(0.0), weights)


@lru_cache(maxsize=1)
def bundled_model() -> GlyphModel | None:
    """The model shipped with the package, or ``None`` when it has not been trained."""
    return GlyphModel.load(MODEL_PATH) if MODEL_PATH.is_file() else None


@dataclass(frozen=True, slots=True)
class FigureReading:
    """What the figure reader made of a word: its text and the least sure character's probability."""

    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class WordImage:
    """A word's crop prepared for reading: darkness (paper 0), the digits' rows and the cut candidates; and
    what every piece's features and blank test need, measured once for the word (a word has hundreds of
    candidate pieces): the rows pieces are taken from (from ``band_top``) scaled to the darkest pixel, the
    darkest of each column within the digits' rows, and the profile level of blank paper."""

    dark: np.ndarray
    top: int
    bottom: int
    profile: np.ndarray
    cuts: list[int]
    band: np.ndarray
    band_top: int
    core_ink: np.ndarray
    blank_level: float

    @property
    def digit_height(self) -> int:
        return self.bottom - self.top


def _core_rows(dark: np.ndarray) -> tuple[int, int]:
    """Rows of the digits' body: where the ink is at least a quarter of the inkiest row's (a comma's tail
    and specks from the neighbouring lines fall outside)."""
    ink = (dark > 0.5 * float(dark.max())).sum(axis=1)
    if ink.max() <= 0:
        return 0, dark.shape[0]
    on = np.flatnonzero(ink >= 0.25 * ink.max())
    return int(on[0]), int(on[-1]) + 1


def word_image(crop: np.ndarray) -> WordImage | None:
    """Measure a gray word crop (a little paper around the word); ``None`` when it holds no readable line."""
    if crop.ndim != 2 or crop.size == 0:
        return None
    paper = float(np.percentile(crop, 90))
    dark = np.clip(paper - crop.astype(np.float32), 0.0, None)
    if dark.max() < 20:
        return None
    top, bottom = _core_rows(dark)
    height = bottom - top
    if height < 6:
        return None
    y0, y1 = max(0, top - int(0.1 * height)), min(crop.shape[0], bottom + int(0.4 * height))
    profile = dark[y0:y1].sum(axis=0)
    on = np.flatnonzero(profile > BLANK * profile.max())
    first, last = int(on[0]), int(on[-1]) + 1
    step = max(1, round(height / CUTS_PER_HEIGHT))
    cuts = set(range(first, last, step)) | {last}
    inner = profile[first + 1 : last - 1]
    minima = (inner <= profile[first : last - 2]) & (inner <= profile[first + 2 : last])
    cuts.update(int(i) + first + 1 for i in np.flatnonzero(minima))
    band_top = max(0, top - max(1, int(0.1 * height)))
    band = dark[band_top : min(dark.shape[0], bottom + int(0.3 * height))] / float(dark.max())
    core_ink = band[top - band_top : bottom - band_top].max(axis=0)
    blank_level = BLANK * float(profile.max())
    return WordImage(dark, top, bottom, profile, sorted(cuts), band, band_top, core_ink, blank_level)


def piece_features(word: WordImage, a: int, b: int) -> np.ndarray:
    """Pixels of columns [a, b) scaled to the cell (height from the digit height) and where its ink lies."""
    return pieces_features(word, [(a, b)])[0]


def pieces_features(word: WordImage, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """:func:`piece_features` of every span (columns [a, b)) of the word, one row each: the cells one by
    one, where the ink lies for all of them at once (from running counts over the word's columns)."""
    band, height = word.band, word.digit_height
    rows_total, columns = band.shape
    features = np.zeros((len(spans), CELL_H * CELL_W + 6), np.float32)
    if not spans:
        return features
    cells = features[:, : CELL_H * CELL_W].reshape(len(spans), CELL_H, CELL_W)
    for k, (a, b) in enumerate(spans):
        nw = max(1, min(CELL_W, round((b - a) * CELL_H / rows_total)))
        x = (CELL_W - nw) // 2
        cells[k, :, x : x + nw] = cv2.resize(band[:, a:b], (nw, CELL_H), interpolation=cv2.INTER_AREA)
    starts = np.array([a for a, _ in spans])
    ends = np.array([b for _, b in spans])
    widths = (ends - starts).astype(np.float64)
    # columns with ink in the digits' rows: the first at or after a, the last before b
    index = np.arange(columns)
    inked = word.core_ink > 0.25
    next_ink = np.minimum.accumulate(np.where(inked, index, columns)[::-1])[::-1]
    last_ink = np.maximum.accumulate(np.where(inked, index, -1))
    first_col, last_col = next_ink[starts], last_ink[ends - 1]
    has_cols = first_col < ends
    first_col, last_col = (first_col - starts).astype(np.float64), (last_col - starts).astype(np.float64)
    # rows with ink anywhere in [a, b)
    running = np.zeros((rows_total, columns + 1), np.int32)
    np.cumsum(band > 0.35, axis=1, out=running[:, 1:])
    hit = (running[:, ends] - running[:, starts]) > 0
    has_rows = hit.any(axis=0)
    first_row = hit.argmax(axis=0).astype(np.float64)
    last_row = (rows_total - 1 - hit[::-1].argmax(axis=0)).astype(np.float64)
    shift = word.band_top - word.top
    geometry = np.stack(
        [
            widths / height,
            np.where(has_cols, (last_col - first_col + 1) / height, 0.0),
            np.where(has_rows, (first_row + shift) / height, 0.0),
            np.where(has_rows, (last_row + 1 + shift) / height, 0.0),
            np.where(has_cols, first_col / widths, 0.0),
            np.where(has_cols, (widths - 1 - last_col) / widths, 0.0),
        ],
        axis=1,
    )
    features[:, CELL_H * CELL_W :] = geometry
    return features


def is_blank(word: WordImage, a: int, b: int) -> bool:
    """Whether columns [a, b) of the word are paper between characters."""
    return float(word.profile[a:b].max()) < word.blank_level


def candidate_pieces(word: WordImage) -> list[tuple[int, int]]:
    """(start, end) indices into ``word.cuts`` of every piece wide enough to be a character."""
    height = word.digit_height
    out = []
    cuts = word.cuts
    for i, a in enumerate(cuts):
        for j in range(i + 1, len(cuts)):
            width = cuts[j] - a
            if width > MAX_PIECE * height:
                break
            if width >= MIN_PIECE * height:
                out.append((i, j))
    return out


def read_word(crop: np.ndarray, model: GlyphModel, allowed: str | None = None) -> FigureReading | None:
    """The most likely figure text of a gray word crop, by dynamic programming over the cut candidates;
    with ``allowed``, only those characters (an amount has no "/" or "-")."""
    readings = read_word_alternatives(crop, model, allowed, count=1)
    return readings[0] if readings else None


def read_word_alternatives(
    crop: np.ndarray, model: GlyphModel, allowed: str | None = None, count: int = 3
) -> list[FigureReading]:
    """The ``count`` most likely figure texts of a gray word crop, most likely first: dynamic programming
    over the cut candidates keeping, at every cut, the best ``count`` distinct texts of the word so far,
    each piece read as any of its :data:`CLASSES_PER_PIECE` likeliest characters."""
    word = word_image(crop)
    if word is None:
        return []
    pieces = candidate_pieces(word)
    if not pieces:
        return []
    cuts = word.cuts
    inked = _inked_pieces(word, pieces)
    spans = [(cuts[i], cuts[j]) for (i, j), ink in zip(pieces, inked, strict=True) if ink]
    proba = model.predict_proba(pieces_features(word, spans)) if spans else np.zeros((0, len(model.classes)))
    if GARBAGE in model.classes:
        proba[:, model.classes.index(GARBAGE)] = 0.0
    if allowed is not None:
        proba[:, [k for k, c in enumerate(model.classes) if c not in allowed]] = 0.0
    per_piece = 1 if count == 1 else CLASSES_PER_PIECE
    likeliest = np.argsort(-proba, axis=1)[:, :per_piece] if len(proba) else np.zeros((0, per_piece), int)
    characters, chances = likeliest.tolist(), np.take_along_axis(proba, likeliest, axis=1).tolist()
    rows: dict[tuple[int, int], int] = {}
    for piece, ink in zip(pieces, inked, strict=True):
        if ink:
            rows[piece] = len(rows)
    blank_step = [("", -0.01, 1.0)]  # blank paper between characters is read as nothing
    # at every cut: the best texts that end there, as (log-probability, text, least sure character)
    best: list[dict[str, tuple[float, float]]] = [{} for _ in cuts]
    best[0][""] = (0.0, 1.0)
    for i, j in sorted(pieces, key=lambda p: (p[1], p[0])):
        starting = best[i]
        if not starting:
            continue
        k = rows.get((i, j))
        steps = (
            blank_step
            if k is None
            else [(model.classes[c], math.log(max(p, 1e-6)), p) for c, p in zip(characters[k], chances[k], strict=True)]
        )
        ending = best[j]
        for text, (score, least) in starting.items():
            for char, gain, prob in steps:
                total = score + gain
                key = text + char
                known = ending.get(key)
                if known is None or total > known[0]:
                    ending[key] = (total, (prob if prob < least else least) if char else least)
        if len(ending) > count:
            best[j] = dict(sorted(ending.items(), key=lambda item: -item[1][0])[:count])
    found = sorted(((s, t, least) for t, (s, least) in best[-1].items() if t), key=lambda r: -r[0])
    return [FigureReading(text, least) for _, text, least in found[:count]]


def _inked_pieces(word: WordImage, pieces: list[tuple[int, int]]) -> list[bool]:
    """For each piece (indices into ``word.cuts``), whether it holds ink (:func:`is_blank` is false): the
    darkest column of every piece from one cut, from a running maximum over the profile."""
    cuts, profile = word.cuts, word.profile
    starts: dict[int, np.ndarray] = {}
    inked = []
    for i, j in pieces:
        running = starts.get(i)
        if running is None:
            running = starts[i] = np.maximum.accumulate(profile[cuts[i] : cuts[-1]]).tolist()
        inked.append(not running[cuts[j] - cuts[i] - 1] < word.blank_level)
    return inked


CLASSES_PER_PIECE = 3
"""Characters a piece may be read as when several readings of a word are wanted."""


FIGURE_WORD = re.compile(r"^[\d.,]*\d[\d.,]*$")
"""Item figures the figure reader reads again: digits and separators only (no percentages)."""
AMOUNT_CHARS = "0123456789.,"
"""What an amount, a price or a quantity is printed with."""
KEY_WORD = re.compile(r"^(?=(?:\D*\d){6})[\d/-]+$")
"""Header keys it reads again wherever they are: CUITs, dates, a point of sale and number, a CAE."""


_DECIMALS = re.compile(r"\d[.,]\d{1,3}$")


def _plausible_alternative(first: str, second: str) -> bool:
    """A second reading worth trying: different, with digits, and keeping the decimals the first one saw
    (a "47.127,69" read "4712769" would make a row add up a hundred times too big)."""
    if second == first or not any(c.isdigit() for c in second):
        return False
    return not _DECIMALS.search(first) or bool(_DECIMALS.search(second))


MIN_FIGURES_PER_LINE = 3
"""Only lines with a quantity, a price and an amount are read again: arithmetic can check nothing less."""


def in_shape_of(first: str, digits: str) -> str:
    """``digits`` laid out like ``first`` when they are as many: the model reads no "/" or "-", so a date
    or a CUIT read again ("24012026" for "24/01/4040") gets the first reading's separators back
    ("24/01/2026")."""
    if not digits.isdigit() or sum(c.isdigit() for c in first) != len(digits):
        return digits
    given = iter(digits)
    return "".join(next(given) if c.isdigit() else c for c in first)


def _values(text: str) -> set[Decimal]:
    """What a figure may be worth, in either number format (the document's is not known yet)."""
    found = {read_figure(text, fmt, ocr=True) for fmt in ("ar", "us")}
    return {v for v in found if v is not None and v > 0}


def _adds_up(texts: list[str]) -> bool:
    """Whether three of a line's figures, in order, already are quantity × price = amount: Tesseract's
    reading of the line needs no second one."""
    values = [_values(text) for text in texts]
    for i, j, k in combinations(range(len(values)), 3):
        for q, p, a in product(values[i], values[j], values[k]):
            if a >= p and line_adds_up(q, p, a):
                return True
    return False


def _valid_key(text: str) -> bool:
    """A CUIT with its check digit right or a real date: Tesseract's reading of the key needs no second."""
    if find_cuits(text):
        return True
    return bool(find_dates(text)) and "/" in text


def box_crop(image: np.ndarray, word: OcrWord, band: tuple[int, int] | None = None) -> np.ndarray:
    """The word's box in ``image`` with a quarter of its height of paper around it; with ``band`` (top, bottom
    of its line's text), only those rows of it."""
    top, bottom = (word.top, word.bottom) if band is None else band
    pad = int(0.25 * (bottom - top))
    return image[max(0, top - pad) : bottom + pad, max(0, word.left - pad) : word.right + pad]


TALL_BOX = 1.5
"""A word box this many times taller than its line's text reaches into the next line (Tesseract's boxes on a
blurred photo often do): the figure reader reads only the line's rows of it."""


def _line_bands(words: Sequence[OcrWord]) -> dict[tuple[int, int], tuple[int, int]]:
    """(top, bottom) of the text of each Tesseract line with at least :data:`BAND_WORDS` words of two letters or
    digits: the median box of those no taller than :data:`TALL_BOX` times their median height (a dot or a
    dash is no measure of a line, a box reaching into the next line neither)."""
    lines: dict[tuple[int, int], list[OcrWord]] = {}
    for word in words:
        if len(_ALNUM.findall(word.text)) >= 2:
            lines.setdefault((word.block, word.line), []).append(word)
    bands = {}
    for key, members in lines.items():
        if len(members) < BAND_WORDS:
            continue
        usual_height = float(np.median([w.bottom - w.top for w in members]))
        usual = [w for w in members if w.bottom - w.top <= TALL_BOX * usual_height]
        bands[key] = (int(np.median([w.top for w in usual])), int(np.median([w.bottom for w in usual])))
    return bands


BAND_WORDS = 3
_ALNUM = re.compile(r"[^\W_]")


def _band_of(word: OcrWord, bands: dict[tuple[int, int], tuple[int, int]]) -> tuple[int, int] | None:
    """The rows the figure reader reads of ``word``: its line's text when the box is much taller and holds it."""
    band = bands.get((word.block, word.line))
    if band is None:
        return None
    top, bottom = band
    if word.bottom - word.top <= TALL_BOX * (bottom - top) or top < word.top or bottom > word.bottom:
        return None
    return top, bottom


def second_readings(image: np.ndarray, words: Sequence[OcrWord]) -> list[tuple[str, ...]]:
    """The figure reader's readings of the words of ``words`` (boxes in ``image``'s pixels) worth reading
    again, where they differ from Tesseract's, most likely first: the figures of a line with at least
    :data:`MIN_FIGURES_PER_LINE` of them that does not add up (up to :data:`FIGURE_ALTERNATIVES`), and the
    header keys that are not valid as read (one). Empty for the other words, or for all of them when no model
    is bundled."""
    model = bundled_model()
    out: list[tuple[str, ...]] = [()] * len(words)
    if model is None:
        return out
    with one_blas_thread():
        return _read_lines(image, words, model, out)


FIGURE_ALTERNATIVES = 2
"""Readings of an item figure kept beside Tesseract's: on 40 synthetic phone photos, the figures of 34 lines
that did not add up were set right by arithmetic with the two likeliest (21 with one, 35 with six), while
the combinations that add up by chance grew with every reading more (8, 23, 46)."""


@lru_cache(maxsize=1)
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> Any:
    """The forward pass is a few small products: a second BLAS thread only spins (and, in a pool of
    extraction workers, takes a core from another page's Tesseract)."""
    return _blas().limit(limits=1, user_api="blas")


def _figure_lines(words: Sequence[OcrWord], least: int = MIN_FIGURES_PER_LINE) -> list[list[int]]:
    """The indices of the figures of each Tesseract line with at least ``least`` of them."""
    lines: dict[tuple[int, int], list[int]] = {}
    for n, word in enumerate(words):
        if FIGURE_WORD.match(word.text):
            lines.setdefault((word.block, word.line), []).append(n)
    return [members for members in lines.values() if len(members) >= least]


def rows_add_up(words: Sequence[OcrWord]) -> bool:
    """Whether the reading has lines with two figures or more and every one of them has three that are
    quantity × price = amount: an items table read whole, with nothing left for the figure cells to mend."""
    rows = [[words[n].text for n in members] for members in _figure_lines(words, least=2)]
    return bool(rows) and all(len(texts) >= MIN_FIGURES_PER_LINE and _adds_up(texts) for texts in rows)


def lines_adding_up(words: Sequence[OcrWord]) -> int:
    """How many lines of a reading have three figures that are quantity × price = amount (in either number
    format): how much of an invoice's items table reads right."""
    return sum(_adds_up([words[n].text for n in members]) for members in _figure_lines(words))


def _read_lines(
    image: np.ndarray, words: Sequence[OcrWord], model: GlyphModel, out: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    chosen = {n for members in _figure_lines(words) if not _adds_up([words[n].text for n in members]) for n in members}
    chosen.update(n for n, word in enumerate(words) if KEY_WORD.match(word.text) and not _valid_key(word.text))
    bands = _line_bands(words)
    for n in sorted(chosen):
        word = words[n]
        key = bool(KEY_WORD.match(word.text))
        # a key's best reading only: its next ones would make a valid CUIT or date by chance too often
        wanted, count = (1, 1) if key else (FIGURE_ALTERNATIVES, FIGURE_ALTERNATIVES + 1)
        crop = box_crop(image, word, _band_of(word, bands))
        readings = read_word_alternatives(crop, model, None if key else AMOUNT_CHARS, count)
        texts = [in_shape_of(word.text, r.text) if key else r.text for r in readings]
        plausible = [t for t in dict.fromkeys(texts) if _plausible_alternative(word.text, t)]
        out[n] = tuple(plausible[:wanted])
    return out
