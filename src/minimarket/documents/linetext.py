"""Positioned lines as searchable text: label matching, values to the right of / below a label, and
typed value scanners (dates, CUITs, CAE, amounts) that tolerate the spacing accidents of PDF text and OCR.

A :class:`LineText` wraps a :class:`~minimarket.documents.layout.Line` with two strings:

* ``raw``: the words joined with single spaces (what the reader produced);
* ``norm``: the same text upper-cased, without accents and without punctuation (kept: digits with their
  ``.``/``,`` separators, ``%``, ``$``, ``/``, ``°``), used to match labels such as "C.U.I.T." or
  "Fecha de Emisión" written in any of their variants.

Both are mapped back to raw character offsets and from there to x positions, so a label found in ``norm``
tells where its value starts on the page.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from minimarket.documents.layout import Line, PageText, Word
from minimarket.documents.misreads import lookalike_figure, slipped_separator_amount
from minimarket.domain.cuit import is_valid_cuit
from minimarket.domain.numbers import NumberFormat, try_parse_amount

_KEEP_SYMBOLS = "%$/°"
LABEL_WORDS = frozenset(
    {
        "FECHA",
        "DE",
        "DEL",
        "LA",
        "EL",
        "LOS",
        "EMISION",
        "CUENTA",
        "N",
        "°",
        "N°",
        "NRO",
        "NO",
        "NUMERO",
        "VENDEDOR",
        "CUIT",
        "CUIL",
        "DNI",
        "IVA",
        "CONDICION",
        "FRENTE",
        "AL",
        "ANTE",
        "DOMICILIO",
        "COMERCIAL",
        "FISCAL",
        "TELEFONO",
        "TEL",
        "TELEFONOS",
        "LOCALIDAD",
        "PROVINCIA",
        "CP",
        "COD",
        "CODIGO",
        "POSTAL",
        "REMITO",
        "REMITOS",
        "ORDEN",
        "COMPRA",
        "VENTA",
        "VTA",
        "PAGO",
        "VTO",
        "VENCIMIENTO",
        "INICIO",
        "ACTIVIDADES",
        "ACTIVIDAD",
        "INGRESOS",
        "BRUTOS",
        "ING",
        "IIBB",
        "HASTA",
        "DESDE",
        "PERIODO",
        "FACTURADO",
        "RAZON",
        "SOCIAL",
        "APELLIDO",
        "Y",
        "NOMBRE",
        "CLIENTE",
        "SENOR",
        "SENORES",
        "ES",
        "SR",
        "SRES",
        "EMAIL",
        "E",
        "MAIL",
        "WEB",
        "HOJA",
        "PAGINA",
        "PAG",
        "PUNTO",
        "COMP",
        "COMPROBANTE",
        "MONEDA",
        "TIPO",
        "CAMBIO",
        "CAE",
        "CAEA",
        "C",
        "A",
        "OBSERVACIONES",
        "CONTACTO",
        "SUCURSAL",
        "CONDICIONES",
        "FORMA",
        "TRANSPORTE",
        "LUGAR",
        "ENTREGA",
        "HORA",
        "CELULAR",
        "WHATSAPP",
        "SITUACION",
        "RESP",
        "DIRECCION",
        "CIUDAD",
        "PARA",
        "CTA",
        "CTE",
        "PEDIDO",
        "ZONA",
        "REPARTO",
        "LISTA",
        "PRECIOS",
    }
)
"""Words that make up labels: a run of them before a ":" is the next label, not part of a value."""
_NUMERIC_PUNCT = ".,"
_DEGREE = {"º": "°", "˚": "°", "ª": "°"}


DISCOUNT_ROW = re.compile(r"^(?:BONIF|BONIFICACION|DESC|DESCUENTO|DTO|REBAJA)\b")
"""A bonus or discount line of an items table, in normalised text ("Bonif. 10,00 %  -326,91")."""


def strip_accents(text: str) -> str:
    """Remove combining accents ("Emisión" → "Emision"); keeps "ñ"→"n" too."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_CHAR_FORMS: dict[str, tuple[str, bool]] = {}
"""Characters seen so far (up to :data:`_CHAR_FORMS_SIZE`): normalised form, kept only between two digits."""
_CHAR_FORMS_SIZE = 8192


def _char_form(ch: str) -> tuple[str, bool]:
    """The normalised form of ``ch`` ('' to drop it, ' ' for a separator) and whether that form holds only
    between two digits (a decimal or thousands separator; a separator ' ' elsewhere). Cached per character."""
    form = _CHAR_FORMS.get(ch)
    if form is None:
        form = _compute_char_form(ch)
        if len(_CHAR_FORMS) < _CHAR_FORMS_SIZE:
            _CHAR_FORMS[ch] = form
    return form


def _compute_char_form(ch: str) -> tuple[str, bool]:
    if ch.isspace():
        return " ", False
    ch = _DEGREE.get(ch, ch)
    base = strip_accents(ch).upper()
    if not base:
        return "", False
    if base.isalnum() or base in _KEEP_SYMBOLS:
        return base, False
    return (base, True) if base in _NUMERIC_PUNCT else (" ", False)


def _normalised(raw: str) -> Iterator[tuple[int, str]]:
    """Each character's index in ``raw`` and its normalised form ('' to drop it, ' ' for a separator; a decimal
    or thousands separator only between two digits)."""
    last = len(raw) - 1
    for i, ch in enumerate(raw):
        form, between_digits = _CHAR_FORMS.get(ch) or _char_form(ch)  # the dict first: this loop is hot
        if between_digits and not (0 < i < last and raw[i - 1].isdigit() and raw[i + 1].isdigit()):
            form = " "
        yield i, form


def normalize(text: str) -> str:
    """Label-matching form of ``text`` (see the module docstring), spaces collapsed."""
    return " ".join("".join(form for _, form in _normalised(text)).split())


def label(*variants: str) -> re.Pattern[str]:
    """A regex matching any of ``variants`` in normalised text.

    Each variant is written in normalised form ("FECHA DE EMISION"); letters of a word of four letters or
    more may be split by a space (OCR's "EMI SION") and words may be glued ("PUNTODEVENTA"). Short words
    match as written (so "SR" does not match the "S R" of "S.R.L."): write "C U I T" for a spaced variant.
    A "°" may stand apart ("N °"). A variant may contain regex groups written as ``(?:...)``, passed
    through unchanged.
    """
    parts = []
    for variant in variants:
        words = []
        for word in variant.split(" "):
            if word.startswith("(?") or any(c in word for c in "[]()?*+\\"):
                words.append(word)
            elif len(word.replace("°", "")) <= 3:
                words.append(re.escape(word).replace("°", r"\s?°"))
            else:
                words.append(r"\s?".join(re.escape(c) for c in word))
        parts.append(r"(?:\s|/)*".join(words))
    return re.compile(r"(?<![A-Z0-9])(?:" + "|".join(parts) + r")(?![A-Z])")


@dataclass(frozen=True, slots=True)
class Hit:
    """A label found on a line: raw offsets of the label, and the raw offset where its value starts."""

    line: LineText
    start: int
    end: int
    value_start: int

    @property
    def x0(self) -> float:
        return self.line.x_at(self.start)

    @property
    def x1(self) -> float:
        return self.line.x_at(max(self.start, self.end - 1), right=True)

    @property
    def text(self) -> str:
        return self.line.raw[self.start : self.end]

    def value_text(self, stop: re.Pattern[str] | None = None) -> str:
        """The raw text right of the label up to the next label-looking word (see :meth:`LineText.segment`)."""
        return self.line.segment(self.value_start, stop)


class LineText:
    """A line with raw and normalised text and offset maps (see the module docstring)."""

    __slots__ = ("_norm2raw", "line", "norm", "page", "raw", "starts")

    def __init__(self, line: Line, page: int = 0) -> None:
        self.line = line
        self.page = page
        pieces: list[str] = []
        self.starts: list[int] = []
        offset = 0
        for word in line.words:
            self.starts.append(offset)
            pieces.append(word.text)
            offset += len(word.text) + 1
        self.raw = " ".join(pieces)
        norm_chars: list[str] = []
        norm2raw: list[int] = []
        for i, out in _normalised(self.raw):
            for ch in out:
                if ch == " " and (not norm_chars or norm_chars[-1] == " "):
                    continue
                norm_chars.append(ch)
                norm2raw.append(i)
        self.norm = "".join(norm_chars)
        self._norm2raw = norm2raw

    # --- geometry -------------------------------------------------------------------------------------
    def with_lookalike_figures(self) -> LineText:
        """The line with every garbled figure that has no second reading given one: its letters that look
        like digits read as those digits ("10SO97" → "105097", "L3IG9S" → "131695"), for the arithmetic
        to try as it tries the figure reader's."""
        words = [
            replace(w, alts=(lookalike,)) if not w.alts and (lookalike := lookalike_figure(w.text)) else w
            for w in self.line.words
        ]
        return LineText(Line(words), self.page)

    def read_again(self, chosen: Mapping[int, int] | None = None) -> LineText:
        """The line with its words ``chosen`` (word index → which of its other readings, 0 the likeliest;
        every word with one, its likeliest, by default) taken as the figure reader read them
        (:attr:`~minimarket.documents.layout.Word.alts`), their first reading kept as the likeliest other."""
        picks = chosen if chosen is not None else {i: 0 for i, w in enumerate(self.line.words) if w.alts}
        words = list(self.line.words)
        for i, k in picks.items():
            w = words[i]
            if k < len(w.alts):
                words[i] = replace(w, text=w.alts[k], alts=(w.text, *w.alts[:k], *w.alts[k + 1 :]))
        return LineText(Line(words), self.page)

    @property
    def words(self) -> list[Word]:
        return self.line.words

    @property
    def y0(self) -> float:
        return self.line.y0

    @property
    def y1(self) -> float:
        return self.line.y1

    @property
    def cy(self) -> float:
        return (self.line.y0 + self.line.y1) / 2

    @property
    def x0(self) -> float:
        return self.line.x0

    @property
    def x1(self) -> float:
        return self.line.x1

    @property
    def height(self) -> float:
        heights = sorted(w.height for w in self.line.words)
        return heights[len(heights) // 2] if heights else 0.0

    def word_index(self, raw_offset: int) -> int:
        """Index of the word holding raw offset ``raw_offset`` (the next word if it is a space)."""
        index = 0
        for i, start in enumerate(self.starts):
            if start <= raw_offset:
                index = i
            else:
                break
        word = self.line.words[index]
        if raw_offset >= self.starts[index] + len(word.text) and index + 1 < len(self.starts):
            return index + 1
        return index

    def x_at(self, raw_offset: int, right: bool = False) -> float:
        """Interpolated x of a raw character (its left edge, or right edge with ``right``)."""
        if not self.line.words:
            return 0.0
        raw_offset = max(0, min(raw_offset, len(self.raw) - 1))
        i = self.word_index(raw_offset)
        word = self.line.words[i]
        n = max(len(word.text), 1)
        k = min(max(raw_offset - self.starts[i], 0), n - 1) + (1 if right else 0)
        return word.x0 + (word.x1 - word.x0) * k / n

    # --- labels ------------------------------------------------------------------------------------------
    def find(self, pattern: re.Pattern[str]) -> list[Hit]:
        """Every match of ``pattern`` on the normalised text, mapped to raw offsets."""
        hits = []
        for m in pattern.finditer(self.norm):
            if m.end() <= m.start():
                continue
            start = self._norm2raw[m.start()]
            end = self._norm2raw[m.end() - 1] + 1
            hits.append(Hit(self, start, end, self._skip_punct(end)))
        return hits

    def _skip_punct(self, offset: int) -> int:
        raw = self.raw
        while offset < len(raw) and raw[offset] in " .:;#°º-=)]}>|/\\*\u00b0":
            # keep a minus that starts a number
            if raw[offset] == "-" and offset + 1 < len(raw) and raw[offset + 1].isdigit():
                break
            offset += 1
        return offset

    def segment(self, start: int, stop: re.Pattern[str] | None = None) -> str:
        """Raw text from ``start`` up to the next label ("Hasta:", "Fecha de Emisión:", "Cuenta N° :"),
        the first match of ``stop`` on the normalised text, or a wide horizontal gap."""
        raw = self.raw
        end = len(raw)
        first_word = self.word_index(start) if raw else 0
        for m in re.finditer(r":", raw[start:]):
            colon = start + m.start()
            prev_ch = raw[colon - 1] if colon > 0 else " "
            next_ch = raw[colon + 1] if colon + 1 < len(raw) else " "
            if prev_ch.isdigit() and next_ch.isdigit():
                continue  # a time such as 19:06:59
            j = self.word_index(colon)
            if self.starts[j] == colon and j > 0:
                j -= 1  # a lone ":" closes the previous word's label
            glued = colon > self.starts[j] and not raw[self.starts[j] : colon].strip().isdigit()
            phrase_start = colon
            while j >= first_word:
                word = normalize(raw[self.starts[j] : min(colon, self.starts[j] + len(self.line.words[j].text))])
                if glued or (word and all(part in LABEL_WORDS for part in word.split())):
                    phrase_start = self.starts[j]
                    glued = False
                    j -= 1
                else:
                    break
            end = min(end, max(phrase_start, start))
            break
        if stop is not None:
            for sm in stop.finditer(self.norm):
                raw_at = self._norm2raw[sm.start()]
                if raw_at > start:
                    end = min(end, raw_at)
                    break
        # a gap wider than ~4 character heights separates columns
        h = max(self.height, 1.0)
        for i in range(first_word + 1, len(self.line.words)):
            if self.starts[i] >= end:
                break
            if self.line.words[i].x0 - self.line.words[i - 1].x1 > 4.0 * h:
                end = min(end, self.starts[i])
                break
        return raw[start:end].strip()

    def phrase_ends(self, gap: float = 1.2) -> list[int]:
        """Normalised-text offsets where a wide horizontal gap (``gap`` × line height) splits the line
        into phrases; the last one is ``len(norm)``."""
        h = max(self.height, 1.0)
        ends: list[int] = []
        for i in range(1, len(self.line.words)):
            if self.line.words[i].x0 - self.line.words[i - 1].x1 > gap * h:
                raw_at = self.starts[i]
                k = next((n for n, r in enumerate(self._norm2raw) if r >= raw_at), len(self.norm))
                ends.append(k)
        ends.append(len(self.norm))
        return ends

    def words_between(self, x0: float, x1: float) -> list[Word]:
        return [w for w in self.line.words if w.x1 > x0 and w.x0 < x1]

    def __repr__(self) -> str:
        return f"LineText(p{self.page} y={self.y0:.0f} {self.raw!r})"


def line_texts(lines: Iterable[Line], page: int = 0) -> list[LineText]:
    return [LineText(line, page) for line in lines if line.words]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def regroup_lines(words: Iterable[Word]) -> list[Line]:
    """Group words into visual lines, stricter than :func:`~minimarket.documents.layout.group_lines`:
    a word joins a line only if its vertical centre is close to the line's, relative to the *smaller*
    of the two heights, and it does not overlap a word already on the line horizontally. A big title
    ("FACTURA") printed just above a row of small text stays a line of its own instead of being
    interleaved with it. A mark without letters or digits (a dash, a dot, a bit of a rule: one point tall)
    is measured against the line's height, not its own, so that it neither stays a line of its own that
    captures the figures printed level with it nor splits a table row."""
    ordered = sorted((w for w in words if w.text.strip()), key=lambda w: (w.cy, w.x0))
    lines: list[list[Word]] = []
    centres: list[float] = []
    heights: list[float] = []  # the median of each line's word heights
    sorted_heights: list[list[float]] = []
    solid: list[bool] = []
    for word in ordered:
        best: int | None = None
        best_dy = 0.0
        has_text = _has_alnum(word.text)
        cy, height, x0, x1 = word.cy, word.height, word.x0, word.x1
        for i in range(len(lines) - 1, max(-1, len(lines) - 8), -1):
            h = max(min(heights[i], height) if has_text and solid[i] else max(heights[i], height), 1.0)
            dy = abs(cy - centres[i])
            if dy > 0.5 * h or _overlaps_one(x0, x1, lines[i]):
                continue
            if best is None or dy < best_dy:
                best, best_dy = i, dy
        if best is None:
            lines.append([word])
            centres.append(cy)
            heights.append(height)
            sorted_heights.append([height])
            solid.append(has_text)
        else:
            solid[best] = solid[best] or has_text
            lines[best].append(word)
            n = len(lines[best])
            centres[best] = (centres[best] * (n - 1) + cy) / n
            hs = sorted_heights[best]
            bisect.insort(hs, height)
            heights[best] = hs[len(hs) // 2]
    lines = _merge_level_lines(lines, centres)
    result = [Line(sorted(line, key=lambda w: w.x0)) for line in lines]
    result.sort(key=lambda line: ((line.y0 + line.y1) / 2, line.x0))
    return result


def _overlaps_one(x0: float, x1: float, words: list[Word]) -> bool:
    """Whether the span ``x0``-``x1`` overlaps one of ``words`` by over 0.3 of the narrower (at least 0.5 pt)."""
    width = x1 - x0
    for o in words:
        overlap = min(x1, o.x1) - max(x0, o.x0)
        if overlap > 0 and overlap > 0.3 * max(min(width, o.x1 - o.x0), 0.5):
            return True
    return False


SAME_LEVEL = 0.25
"""Lines whose centres are this close (× the smaller line's tallest word) are one visual line."""


def _merge_level_lines(lines: list[list[Word]], centres: list[float]) -> list[list[Word]]:
    """Join lines printed at the same level that one overlapping box split: OCR boxes of neighbours can
    overlap ('Bonif.' over the '%' after it, a word boxed over its whole phrase), the second word then
    starts a line of its own and the rest of the row, level with both, follows whichever centre is nearer
    — a table header or row cut in two. Lines are joined when their centres are level, their heights
    alike and one of them has at most one word overlapping the other (a title printed over a row is taller
    than the row, or overlaps it with several words)."""
    order = sorted(range(len(lines)), key=lambda i: centres[i])
    merged: list[list[Word]] = []
    level: list[tuple[float, float]] = []
    for i in order:
        # the tallest box: OCR boxes hug the letters, and a line of lower-case words looks half as tall
        words, c, h = lines[i], centres[i], max(max(w.height for w in lines[i]), 1.0)
        if merged:
            pc, ph = level[-1]
            prev = merged[-1]
            if (
                abs(c - pc) <= SAME_LEVEL * min(h, ph)
                and max(h, ph) <= SAME_HEIGHT * min(h, ph)
                and len(prev) + len(words) > 2
                and min(_overlapping(words, prev), _overlapping(prev, words)) <= 1
            ):
                n, m = len(prev), len(words)
                prev.extend(words)
                level[-1] = ((pc * n + c * m) / (n + m), max(h, ph))
                continue
        merged.append(list(words))
        level.append((c, h))
    return merged


SAME_HEIGHT = 2.0
"""Lines whose tallest words differ more than this factor in height are not joined."""


def _overlapping(words: list[Word], others: list[Word]) -> int:
    """How many of ``words`` overlap one of ``others`` horizontally."""
    return sum(
        1
        for a in words
        if any(_overlap(a.x0, a.x1, b.x0, b.x1) > 0.3 * max(min(a.x1 - a.x0, b.x1 - b.x0), 0.5) for b in others)
    )


# --- typed scanners -----------------------------------------------------------------------------------

_DATE = re.compile(r"(?<!\d)(\d(?: ?\d)?)\s*([/.\-])\s*(\d(?: ?\d)?)\s*\2\s*(\d(?: ?\d){3}|\d ?\d)(?!\d)")
_MONTHS = {
    "ENE": 1,
    "FEB": 2,
    "MAR": 3,
    "ABR": 4,
    "MAY": 5,
    "JUN": 6,
    "JUL": 7,
    "AGO": 8,
    "SEP": 9,
    "SET": 9,
    "OCT": 10,
    "NOV": 11,
    "DIC": 12,
}
_DATE_WORDS = re.compile(
    r"(?<!\d)(\d{1,2})\s*(?:DE\s+|[-/.]\s*)?(ENE|FEB|MAR|ABR|MAY|JUN|JUL|AGO|SEP|SET|OCT|NOV|DIC)[A-Z]*\.?\s*"
    r"(?:DE\s+|[-/]\s*)?(\d{4})(?!\d)"
)


def _year(text: str) -> int:
    year = int(text)
    if year < 100:
        year += 2000 if year < 70 else 1900
    return year


YEARS = (1900, 2099)
"""Years a date on an invoice can have (activity start dates go back decades; CAE due dates are days ahead)."""


def find_dates(text: str) -> list[tuple[int, dt.date]]:
    """Every valid date in ``text`` as (offset, date): dd/mm/yyyy, dd-mm-yy, dd.mm.yyyy, "08 / 02 / 23",
    "1 8/02/2023" (a digit split by a stray space) and "14 de febrero de 2023"."""
    found: list[tuple[int, dt.date]] = []
    for m in _DATE.finditer(text):
        day, month, year = (int(g.replace(" ", "")) for g in (m.group(1), m.group(3), m.group(4)))
        year = _year(str(year)) if year < 100 else year
        if not YEARS[0] <= year <= YEARS[1]:
            continue  # "24/01/4040": a misread year, not a date
        try:
            found.append((m.start(), dt.date(year, month, day)))
        except ValueError:
            continue
    upper = strip_accents(text).upper()
    for m in _DATE_WORDS.finditer(upper):
        try:
            found.append((m.start(), dt.date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))))
        except ValueError:
            continue
    found.sort(key=lambda item: item[0])
    return found


def first_date(text: str) -> dt.date | None:
    dates = find_dates(text)
    return dates[0][1] if dates else None


_DIGIT_RUN = re.compile(r"\d[\d \-./]*\d")


def digit_runs(text: str) -> Iterator[tuple[int, str]]:
    """Runs of digits joined by spaces, dashes, dots or slashes, as (offset, digits only)."""
    for m in _DIGIT_RUN.finditer(text):
        yield m.start(), re.sub(r"\D", "", m.group(0))


_CUIT_SHAPE = re.compile(r"(?<!\d)(\d{2})\s?[-./ ]?\s?(\d(?:\s?\d){7})\s?[-./ ]?\s?(\d)(?!\d)")


def find_cuits(text: str) -> list[tuple[int, str]]:
    """Valid CUITs in ``text`` as (offset, 11 digits): "30-51758323-1", "30517583231", "30 - 50001770 - 4",
    "2031 5600449"; the check digit must be right."""
    found: list[tuple[int, str]] = []
    seen: set[int] = set()
    for m in _CUIT_SHAPE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) == 11 and is_valid_cuit(digits):
            found.append((m.start(), digits))
            seen.add(m.start())
    for offset, digits in digit_runs(text):
        if offset not in seen and len(digits) == 11 and is_valid_cuit(digits):
            found.append((offset, digits))
    found.sort()
    return found


def find_long_number(text: str, length: int) -> str | None:
    """The first run of exactly ``length`` digits (spaces between digits allowed), e.g. a CAE."""
    for m in re.finditer(r"\d(?:[ ]?\d)+", text):
        digits = m.group(0).replace(" ", "")
        if len(digits) == length:
            return digits
    return None


@dataclass(frozen=True, slots=True)
class NumberToken:
    """A number on a line: raw text, parsed value (None if it does not parse), and its x-extent."""

    text: str
    value: Decimal | None
    x0: float
    x1: float
    percent: bool = False

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


_REFERENCE_WORDS = frozenset({"RG", "R G", "LEY", "RES", "RESOLUCION", "DECRETO", "DTO", "ART", "INC", "DEC"})
_RATES = frozenset(Decimal(r) for r in ("0", "2.5", "5", "10.5", "21", "27"))
_NUMBER_PIECE = re.compile(r"[-(]?(?:\$\s?)?-?\d[\d.,]*\)?(?:\s?%)?|[-(]?(?:\$\s?)?[.,]\d+\)?(?:\s?%)?")


def number_tokens(lt: LineText, fmt: NumberFormat | None, start: int = 0, end: int | None = None) -> list[NumberToken]:
    """Numbers on ``lt`` between raw offsets ``start`` and ``end``, with positions.

    A word like "63,884.30(21.00)" yields two numbers; "$" and "%" signs are absorbed; a lone "$"
    between a label and its value is ignored.
    """
    raw = lt.raw
    end = len(raw) if end is None else end
    tokens: list[NumberToken] = []
    for m in _NUMBER_PIECE.finditer(raw, start, end):
        text = m.group(0).strip()
        # a number glued to letters is a code or a word ("AE-121", "Nº2730591", "208/"): skip it
        before = raw[m.start() - 1] if m.start() > 0 else " "
        after = raw[m.end()] if m.end() < len(raw) else " "
        if before.isalpha() or after.isalpha():
            continue
        previous_word = normalize(raw[max(0, m.start() - 12) : m.start()]).split()[-1:]
        if previous_word and previous_word[0] in _REFERENCE_WORDS:
            continue  # "RG 2408", "Ley 27.743": a regulation, not a figure
        percent = text.endswith("%")
        core = text.rstrip("%").strip().rstrip(".,")
        if core.startswith("(") and not core.endswith(")"):
            core = core[1:]
        if core.endswith(")") and not core.startswith("("):
            core = core[:-1]
        value = read_figure(core, fmt, ocr=lt.line.conf < 0.999)
        if value is not None and value < 0 and core.startswith("(") and -value in _RATES:
            value, percent = -value, True  # "(21,00)": a VAT rate printed in parentheses
        if value is not None and abs(value) >= Decimal("1e12"):
            value = None  # a CAE, a CBU or a phone number, not an amount
        first_digit = m.start() + next((k for k, ch in enumerate(m.group(0)) if ch.isdigit() or ch in ".,"), 0)
        tokens.append(NumberToken(text, value, lt.x_at(first_digit), lt.x_at(m.end() - 1, right=True), percent))
    if lt.line.conf < 0.999:
        tokens = merge_split_amounts(tokens, lt.height, fmt)
    return tokens


def read_figure(text: str, fmt: NumberFormat | None, ocr: bool) -> Decimal | None:
    """A printed figure's value in the document's number format; a figure OCR read with its separators
    slipped ("45,660,63") gets its only possible value (:func:`slipped_separator_amount`). A text layer's
    figures are taken as printed."""
    value = try_parse_amount(text, fmt)
    if value is None and ocr:
        value = slipped_separator_amount(text.replace("$", "").strip())
    return value


def merged_amount(left: str, right: str, fmt: NumberFormat | None) -> Decimal | None:
    """The amount OCR split in two at a space: "19 175,91" or "25. 549,04" (a thousands group), "2,331 09"
    (a dropped decimal separator) or "4808, 12" (cut after it); ``None`` if the two pieces do not join into
    one amount."""
    left, right = left.strip(), right.strip()
    sign = Decimal(-1) if left.startswith("-") else Decimal(1)
    left = left.lstrip("-")
    if not re.fullmatch(r"\d[\d.,]*", left) or not re.fullmatch(r"\d[\d.,]*", right):
        return None
    joined = _merged_unsigned(left, right, fmt)
    return None if joined is None else sign * joined


def _merged_unsigned(left: str, right: str, fmt: NumberFormat | None) -> Decimal | None:
    if re.fullmatch(r"\d{2}", right) and re.fullmatch(r"\d+[.,]", left):  # "4808, 12": cut after the comma
        return Decimal(f"{left[:-1]}.{right}")
    if re.fullmatch(r"\d{2}", right) and re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", left):
        # thousands groups, whatever the separator read ("16.622 32" in a table of "2,939.80"): the decimal
        # separator is the one lost at the space
        return Decimal(f"{re.sub(r'[.,]', '', left)}.{right}")
    if re.fullmatch(r"\d{2}", right) and not re.search(r"[.,]\d{1,2}$", left):
        whole = try_parse_amount(left, fmt)
        if whole is None or whole != whole.to_integral_value():
            return None
        return Decimal(f"{int(whole)}.{right}")
    if re.fullmatch(r"\d{1,3}[.,]?", left) and re.fullmatch(r"\d{3}(?:[.,]\d{3})*[.,]\d{2}", right):
        decimal_sep = right[-3]
        thousands = "." if decimal_sep == "," else ","
        return try_parse_amount(left.rstrip(".,") + thousands + right, fmt)
    return None


def _space_limit(a: NumberToken | Any, b: NumberToken | Any, height: float) -> float:
    """The widest gap that is still one space between two numbers: about two character widths."""
    widths = [(t.x1 - t.x0) / max(len(t.text.replace(" ", "")), 1) for t in (a, b)]
    return max(2.0 * max(widths), 0.5 * max(height, 1.0))


def merge_split_amounts(tokens: list[NumberToken], height: float, fmt: NumberFormat | None) -> list[NumberToken]:
    """Join numbers that OCR cut at a space-sized gap (see :func:`merged_amount`); other tokens unchanged."""
    out: list[NumberToken] = []
    for token in sorted(tokens, key=lambda t: t.x0):
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.percent
            and not token.percent
            and 0 <= token.x0 - prev.x1 <= _space_limit(prev, token, height)
        ):
            value = merged_amount(prev.text.lstrip("$ "), token.text, fmt)
            if value is not None:
                out[-1] = NumberToken(f"{prev.text} {token.text}", value, prev.x0, token.x1)
                continue
        out.append(token)
    return out


@dataclass(slots=True)
class PageView:
    """One page's lines ready for field extraction."""

    index: int
    width: float
    height: float
    lines: list[LineText]
    ocr: bool = False

    @property
    def median_height(self) -> float:
        heights = sorted(w.height for lt in self.lines for w in lt.words if w.height > 0)
        return heights[len(heights) // 2] if heights else 10.0

    @property
    def text(self) -> str:
        return "\n".join(lt.raw for lt in self.lines)

    def lines_near(self, lt: LineText, above: float, below: float) -> list[LineText]:
        """Lines whose centre lies within ``above`` points above and ``below`` points below ``lt``'s centre."""
        return [o for o in self.lines if -above <= o.cy - lt.cy <= below]


def page_view(page: PageText) -> PageView:
    """A :class:`PageView` of a reader's page, with lines regrouped by :func:`regroup_lines`."""
    words = page.words or [w for line in page.lines for w in line.words]
    lines = regroup_lines(words)
    return PageView(page.index, page.width, page.height, line_texts(lines, page.index), page.origin == "ocr")


def second_reading_views(views: Sequence[PageView]) -> list[PageView] | None:
    """The pages with every word the figure reader read differently taken as it read it
    (:attr:`~minimarket.documents.layout.Word.alts`); ``None`` when no word has a second reading."""
    if not any(word.alt for view in views for lt in view.lines for word in lt.words):
        return None
    out = []
    for view in views:
        lines = [lt.read_again() if any(w.alt for w in lt.words) else lt for lt in view.lines]
        out.append(PageView(view.index, view.width, view.height, lines, view.ocr))
    return out
