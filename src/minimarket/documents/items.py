"""Line items: find the items table by its header row, give each column a role from its label, cut the
rows by geometry and join wrapped descriptions.

Three replaceable steps (rules today, a learned model later, see issue 4):

1. :class:`HeaderFinder` finds the header row and its columns (:class:`TableLayout`);
2. :class:`CellAssigner` puts every token of a line into a column (:class:`RowCells`);
3. :class:`RowClassifier` says what each line is (:class:`RowKind`: an item, the continuation of a
   description, a carried-forward subtotal to skip, or the end of the table).

:func:`extract_items` wires them together; pass other implementations to swap any of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from itertools import combinations, product
from typing import Protocol

from rapidfuzz.distance import Levenshtein

from minimarket.documents.arithmetic_rows import items_by_arithmetic
from minimarket.documents.layout import Line, Word
from minimarket.documents.linetext import (
    DISCOUNT_ROW,
    LineText,
    PageView,
    _space_limit,
    merged_amount,
    normalize,
    read_figure,
)
from minimarket.documents.misreads import FIRST_LETTER_MISREADS, lost_separator, only_fit
from minimarket.domain.afip import VALID_VAT_RATES
from minimarket.domain.invoice import LineItem
from minimarket.domain.money import LINE_TOLERANCE, line_adds_up, to_cents
from minimarket.domain.numbers import NumberFormat, format_amount


class ColumnRole(StrEnum):
    """What a column of the items table holds."""

    CODE = "code"
    DESCRIPTION = "description"
    QUANTITY = "quantity"
    UNIT = "unit"
    UNIT_PRICE = "unit_price"
    DISCOUNT_PCT = "discount_pct"
    DISCOUNT_AMOUNT = "discount_amount"
    AMOUNT = "amount"
    AMOUNT_GROSS = "amount_gross"
    VAT_RATE = "vat_rate"
    VAT_AMOUNT = "vat_amount"
    OTHER = "other"


TEXT_ROLES = frozenset({ColumnRole.CODE, ColumnRole.DESCRIPTION, ColumnRole.UNIT, ColumnRole.OTHER})
NUMERIC_ROLES = frozenset(set(ColumnRole) - TEXT_ROLES)

# (role, normalised variants); longer variants win over shorter ones at the same place.
_LEXICON: tuple[tuple[ColumnRole, tuple[str, ...]], ...] = (
    (
        ColumnRole.AMOUNT_GROSS,
        (
            "SUBTOTAL C/IVA",
            "SUBTOTAL CON IVA",
            "TOTAL C/IVA",
            "TOTAL CON IVA",
            "IMPORTE C/IVA",
            "IMPORTE CON IVA",
            "PRECIO FINAL",
            "IMPORTE FINAL",
        ),
    ),
    (
        ColumnRole.DISCOUNT_AMOUNT,
        (
            "IMP BONIF",
            "IMPORTE BONIF",
            "IMP BONIFICACION",
            "IMPORTE BONIFICACION",
            "IMP DESC",
            "IMPORTE DESCUENTO",
            "IMP DTO",
            "BONIF $",
            "DTO $",
            "DESC $",
            "$ BONIF",
            "$ DTO",
            "$ DESC",
            "BONIFICACION $",
            "DESCUENTO $",
        ),
    ),
    (
        ColumnRole.DISCOUNT_PCT,
        (
            "% BONIF",
            "%BONIF",
            "BONIF %",
            "% DTO",
            "DTO %",
            "% DESC",
            "DESC %",
            "BONIFICACIONES",
            "BONIFICACION",
            "BONIF",
            "DESCUENTO",
            "DTO",
            "DESC",
            "% BON",
            "BON",
        ),
    ),
    (ColumnRole.VAT_RATE, ("ALICUOTA IVA", "ALIC IVA", "ALICUOTA", "ALIC", "% IVA", "IVA %", "TASA IVA", "TASA")),
    (ColumnRole.VAT_AMOUNT, ("IMPORTE IVA", "IMP IVA", "$ IVA", "IVA $", "MONTO IVA", "IVA")),
    (
        ColumnRole.UNIT_PRICE,
        (
            "PRECIO UNITARIO",
            "PRECIO UNIT",
            "PRECIO UNI",
            "PRECIO UN",
            "PRECIO X UNIDAD",
            "P UNITARIO",
            "P UNIT",
            "PUNIT",
            "IMPORTE UNITARIO",
            "VALOR UNITARIO",
            "PRECIO LISTA",
            "UNITARIO",
            "P U",
            "PRECIO",
        ),
    ),
    (
        ColumnRole.AMOUNT,
        (
            "PRECIO NETO",
            "PRECIO TOTAL",
            "IMPORTE NETO",
            "SUB TOTAL",
            "SUBTOTAL",
            "TOTAL NETO",
            "IMPORTE",
            "TOTAL",
            "MONTO",
            "NETO",
            "VALOR",
        ),
    ),
    (ColumnRole.QUANTITY, ("CANTIDAD", "CANT", "CANTID", "UNIDADES", "BULTOS", "CANT UNID")),
    (
        ColumnRole.UNIT,
        (
            "UNIDAD DE MEDIDA",
            "U MEDIDA",
            "U DE MEDIDA",
            "U MED",
            "UNID MEDIDA",
            "MEDIDA",
            "U M",
            "UM",
            "UNIDAD",
            "UNID",
            "UN",
            "PRESENTACION",
        ),
    ),
    (
        ColumnRole.DESCRIPTION,
        (
            "PRODUCTO / SERVICIO",
            "PRODUCTO SERVICIO",
            "DESCRIPCION DEL PRODUCTO",
            "DESCRIPCION",
            "DESCRIPC",
            "DETALLE",
            "CONCEPTO",
            "DENOMINACION",
            "PRODUCTO",
            "ARTICULO",
            "SERVICIO",
            "DESCRIP",
        ),
    ),
    (ColumnRole.CODE, ("CODIGO", "COD ART", "COD", "ITEM", "ART", "REF", "SKU", "PLU", "EAN")),
)


def _variant_regex(variant: str) -> str:
    words = []
    for word in variant.split(" "):
        words.append(r"\s?".join(re.escape(c) for c in word))
    return r"(?:\s|/)*".join(words)


_HEADER_PATTERNS: list[tuple[ColumnRole, re.Pattern[str]]] = sorted(
    (
        (role, re.compile(r"(?<![A-Z0-9])" + _variant_regex(variant)))
        for role, variants in _LEXICON
        for variant in variants
    ),
    key=lambda item: -len(item[1].pattern),
)


@dataclass(slots=True)
class Column:
    """A column of the items table: its role, label and horizontal extent of its label."""

    role: ColumnRole
    label: str
    x0: float
    x1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(slots=True)
class TableLayout:
    """The items table header on one page."""

    page: int
    y0: float
    y1: float
    columns: list[Column]

    def column(self, role: ColumnRole) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)


def segment_header(lt: LineText, fuzzy: bool = False) -> list[Column]:
    """Cut a header line into labelled columns: the line is split into phrases at wide gaps ("Precio" and
    "Total" far apart are two columns), and each phrase is segmented greedily, longest label first (glued
    words allowed, as in OCR's "CantidadU."). ``fuzzy`` also takes a label with one letter misread, lost
    or added ("CAT." for "CANT.", "Dio. %" for "Dto. %")."""
    columns: list[Column] = []
    h = max(lt.height, 1.0)
    phrase: list[Word] = []
    for word in lt.words:
        if phrase and word.x0 - phrase[-1].x1 > 1.2 * h:
            columns.extend(_segment_phrase(LineText(Line(phrase), lt.page), fuzzy))
            phrase = []
        phrase.append(word)
    if phrase:
        columns.extend(_segment_phrase(LineText(Line(phrase), lt.page), fuzzy))
    return columns


_FUZZY_VARIANTS: list[tuple[ColumnRole, str]] = sorted(
    ((role, v) for role, variants in _LEXICON for v in variants if len(v.replace(" ", "")) >= 4),
    key=lambda item: -len(item[1]),
)
"""Labels of four letters or more: short ones ("UN", "ART") are too easily something else one letter off."""

LONG_LABEL = 7
"""Letters from which a label may be two edits off ("Descrimpuión", "impone" for "Importe")."""


def _fuzzy_label(norm: str, pos: int) -> tuple[int, ColumnRole] | None:
    """The longest label that the text at ``pos`` is one edit away from (two for a label of
    :data:`LONG_LABEL` letters or more; same first letter or a look-alike, ending at a word boundary), and
    where it ends; ``None`` when none is, or when two roles fit equally."""
    found: list[tuple[int, int, ColumnRole]] = []
    for role, variant in _FUZZY_VARIANTS:
        if norm[pos] != variant[0] and norm[pos] not in FIRST_LETTER_MISREADS.get(variant[0], ""):
            continue
        bare = variant.replace(" ", "")
        for size in range(len(variant) - 1, len(variant) + 3):
            end = pos + size
            if end > len(norm) or (end < len(norm) and norm[end] != " ") or norm[end - 1] == " ":
                continue
            text = norm[pos:end]
            if text.count(" ") > variant.count(" ") + 1:
                continue
            # one space more than the label is an OCR split ("DESCS IPCION"): compared without spaces
            budget = 2 if len(bare) >= LONG_LABEL else 1
            if Levenshtein.distance(text.replace(" ", ""), bare, score_cutoff=budget) <= budget:
                found.append((len(variant), end, role))
    if not found:
        return None
    longest = max(n for n, _, _ in found)
    best = {(end, role) for n, end, role in found if n == longest}
    return next(iter(best)) if len(best) == 1 else None


def _segment_phrase(lt: LineText, fuzzy: bool = False) -> list[Column]:
    norm = lt.norm
    columns: list[Column] = []
    pos = 0
    while pos < len(norm):
        if norm[pos] == " ":
            pos += 1
            continue
        if pos > 0 and norm[pos - 1].isalnum() and norm[pos].isalnum():
            pos += 1
            continue
        best: tuple[int, ColumnRole] | None = None
        for role, pattern in _HEADER_PATTERNS:
            m = pattern.match(norm, pos)
            if m and m.end() > pos and (best is None or m.end() > best[0]):
                end = m.end()
                # a label ends at a word boundary, or glued to a capitalised next word in the raw text
                if end < len(norm) and norm[end].isalpha() and not _raw_glued_boundary(lt, end):
                    continue
                best = (end, role)
        if best is None and fuzzy and (pos == 0 or norm[pos - 1] == " "):
            best = _fuzzy_label(norm, pos)
        if best is None:
            pos += 1
            continue
        end, role = best
        start_raw = lt._norm2raw[pos]
        end_raw = lt._norm2raw[end - 1] + 1
        columns.append(Column(role, lt.raw[start_raw:end_raw], lt.x_at(start_raw), lt.x_at(end_raw - 1, right=True)))
        pos = end
    return columns


def _raw_glued_boundary(lt: LineText, norm_end: int) -> bool:
    """Whether the raw text has an upper-case letter right after a lower-case one at this point
    ("CantidadU." → "Cantidad" + "U.")."""
    raw_at = lt._norm2raw[norm_end]
    prev = lt.raw[raw_at - 1] if raw_at > 0 else " "
    return lt.raw[raw_at].isupper() and prev.islower()


class HeaderFinder(Protocol):
    def find(self, view: PageView, start_y: float = 0.0) -> TableLayout | None: ...


_HEADER_SKIP = re.compile(r"\d{2,}[.,]\d{2}")


class RuleHeaderFinder:
    """The first line with a description column and a numeric column (or three roles), merged with the
    label pieces stacked above or below it ("Alicuota" / "IVA")."""

    def find(self, view: PageView, start_y: float = 0.0) -> TableLayout | None:
        for i, lt in enumerate(view.lines):
            if lt.y0 < start_y or _HEADER_SKIP.search(lt.raw):
                continue
            columns = segment_header(lt)
            exact = self._is_header(lt, columns)
            if not exact and len({c.role for c in columns}) < 2:
                continue
            # a label misread in a photo ("CAT.", "Dio. %"): labels one letter off count too on a line that
            # has two or more labels read right
            fuzzy = segment_header(lt, fuzzy=True)
            if len(fuzzy) > len(columns) and self._is_header(lt, fuzzy):
                columns = fuzzy
            elif not exact:
                continue
            y0, y1 = lt.y0, lt.y1
            h = max(lt.height, 1.0)
            for other in view.lines[max(0, i - 2) : i + 3]:
                if other is lt or abs(other.cy - lt.cy) > 1.6 * h or _HEADER_SKIP.search(other.raw):
                    continue
                if re.search(r"\d", other.raw):
                    continue
                columns = _merge_stacked(columns, other, above=other.cy < lt.cy)
                y0, y1 = min(y0, other.y0), max(y1, other.y1)
            columns = _resolve_duplicates(sorted(columns, key=lambda c: c.x0))
            return TableLayout(view.index, y0, y1, _amount_at_the_right(lt, columns))
        return None

    @staticmethod
    def _is_header(lt: LineText, columns: list[Column]) -> bool:
        """A description column and a numeric one (or four roles, or a ticket's quantity, price and amount),
        with the labels most of the line (a sentence mentioning "precio" is not a header)."""
        roles = {c.role for c in columns}
        numeric = roles & NUMERIC_ROLES
        has_desc = ColumnRole.DESCRIPTION in roles
        ticket = {ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT} <= roles
        if not ((has_desc and numeric and len(roles) >= 2) or (len(roles) >= 4 and numeric) or ticket):
            return False
        if len(columns) < 3 and not has_desc:
            return False
        covered = sum(len(c.label) for c in columns)
        return covered >= 0.55 * len(lt.raw.replace(" ", ""))


def _amount_at_the_right(lt: LineText, columns: list[Column]) -> list[Column]:
    """A header with a unit price and no amount column whose last labels are words the lexicon does not
    know ('murorTE' for 'IMPORTE' in a photo; 'Bon. NANR rane' for 'Bonif. % IVA % Importe'): the rightmost
    column of an item table is its amount, and the unknown ones before it are other columns (their figures
    kept out of the known columns next to them)."""
    roles = {c.role for c in columns}
    if ColumnRole.UNIT_PRICE not in roles or roles & {ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS} or not columns:
        return columns
    right = max(c.x1 for c in columns)
    words = [w for w in lt.words if w.x0 > right + 1 and any(ch.isalnum() for ch in w.text)]
    if not words or sum(ch.isalpha() for ch in words[-1].text) < 4:
        return columns
    *others, last = words
    return [
        *columns,
        *(Column(ColumnRole.OTHER, w.text, w.x0, w.x1) for w in others),
        Column(ColumnRole.AMOUNT, last.text, last.x0, last.x1),
    ]


def _merge_stacked(columns: list[Column], other: LineText, above: bool) -> list[Column]:
    """Add the words of a header line's neighbour: to the column they sit on, or as new columns."""
    loose = []
    for word in other.words:
        if not any(ch.isalpha() for ch in word.text):
            continue  # rules drawn with dashes or underscores
        target = next((c for c in columns if word.x1 > c.x0 - 2 and word.x0 < c.x1 + 2), None)
        if target is not None:
            text = f"{word.text} {target.label}" if above else f"{target.label} {word.text}"
            role = _role_of(text) or target.role
            target.label, target.role = text, role
            target.x0, target.x1 = min(target.x0, word.x0), max(target.x1, word.x1)
        else:
            loose.append(word)
    # loose words stacked on each other ("Alicuota" over "IVA") become one column together
    for word in loose:
        columns.append(Column(_role_of(word.text) or ColumnRole.OTHER, word.text, word.x0, word.x1))
    merged: list[Column] = []
    for col in sorted(columns, key=lambda c: c.x0):
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and (col.role == ColumnRole.OTHER or prev.role == ColumnRole.OTHER or _role_of(f"{prev.label} {col.label}"))
            and col.x0 < prev.x1 + 2
        ):
            text = f"{prev.label} {col.label}"
            prev.role = _role_of(text) or (prev.role if prev.role != ColumnRole.OTHER else col.role)
            prev.label, prev.x1 = text, max(prev.x1, col.x1)
            prev.x0 = min(prev.x0, col.x0)
        else:
            merged.append(col)
    return merged


def _role_of(text: str) -> ColumnRole | None:
    norm = normalize(text)
    for role, pattern in _HEADER_PATTERNS:
        m = pattern.match(norm)
        if m and m.end() >= len(norm.rstrip()) - 1:
            return role
    return None


def _resolve_duplicates(columns: list[Column]) -> list[Column]:
    """Several amount columns: "Subtotal"/"Neto" is the net amount and a later "Total" the gross one;
    otherwise the rightmost amount column is the amount."""
    amounts = [c for c in columns if c.role == ColumnRole.AMOUNT]
    if len(amounts) > 1:
        for col in amounts[:-1]:
            col.role = ColumnRole.OTHER
        last = amounts[-1]
        first = amounts[0]
        if "TOTAL" in normalize(last.label) and re.search(r"SUB|NETO", normalize(first.label)):
            first.role, last.role = ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS
    prices = [c for c in columns if c.role == ColumnRole.UNIT_PRICE]
    for col in prices[1:]:
        col.role = ColumnRole.OTHER
    descriptions = [c for c in columns if c.role == ColumnRole.DESCRIPTION]
    if len(descriptions) > 1:
        # "Artículo | Descripción": the first one holds the article code
        first = descriptions[0]
        if re.match(r"ART|PRODUCTO|ITEM|COD", normalize(first.label)) and not any(
            c.role == ColumnRole.CODE for c in columns
        ):
            first.role = ColumnRole.CODE
        for col in descriptions[1:-1] if first.role == ColumnRole.CODE else descriptions[1:]:
            col.role = ColumnRole.OTHER if col is not descriptions[-1] else col.role
    codes = [c for c in columns if c.role == ColumnRole.CODE]
    for col in codes[1:]:
        col.role = ColumnRole.OTHER  # a second code (EAN, internal code): kept out of the description
    return _description_by_place(columns)


def _description_by_place(columns: list[Column]) -> list[Column]:
    """No description label read, and a figure column other than the quantity first after the code ("Desi
    loción" in a photo, taken for "Desc." = discount): that column is the description, which items tables
    print before their figures."""
    if any(c.role == ColumnRole.DESCRIPTION for c in columns):
        return columns
    rest = [c for c in columns if c.role != ColumnRole.CODE]
    if (
        len(rest) >= 3
        and rest[0].role in NUMERIC_ROLES - {ColumnRole.QUANTITY}
        and sum(c.role in NUMERIC_ROLES for c in rest[1:]) >= 2
    ):
        rest[0].role = ColumnRole.DESCRIPTION
    return columns


# --- cells ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    text: str
    x0: float
    x1: float
    value: Decimal | None = None
    percent: bool = False


@dataclass(slots=True)
class RowCells:
    """A line's tokens by column role."""

    line: LineText
    cells: dict[ColumnRole, list[Cell]] = field(default_factory=dict)

    def text(self, role: ColumnRole) -> str:
        return " ".join(c.text for c in self.cells.get(role, [])).strip()

    def number(self, role: ColumnRole) -> Cell | None:
        found = [c for c in self.cells.get(role, []) if c.value is not None]
        return found[-1] if found else None

    @property
    def numeric_roles(self) -> set[ColumnRole]:
        return {r for r, cells in self.cells.items() if r in NUMERIC_ROLES and any(c.value is not None for c in cells)}


def row_adds_up(row: RowCells) -> bool:
    """Whether the row's quantity × unit price, less its discount, is its amount (all three read)."""
    quantity, price, amount = (
        _cell_value(row, r) for r in (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT)
    )
    if quantity is None or price is None or amount is None:
        return False
    discount = _cell_value(row, ColumnRole.DISCOUNT_AMOUNT)
    pct = None if discount is not None else _cell_value(row, ColumnRole.DISCOUNT_PCT)
    return line_adds_up(quantity, price, amount, discount, pct)


MAX_SECOND_READINGS = 4
"""Figures of one row read again at most."""


def second_reading_row(
    lt: LineText, layout: TableLayout, fmt: NumberFormat | None, assigner: CellAssigner
) -> RowCells | None:
    """The row read with some of its figures taken as the figure reader read them (:attr:`Word.alts`),
    when that makes quantity × price − discount = amount, as the first reading did not; ``None`` otherwise.
    Fewest figures changed are tried first, then the likeliest readings. Arithmetic decides, so a second
    reading never replaces a first one that adds up. Garbled figures the reader did not read get their
    look-alike digits as second reading (:meth:`LineText.with_lookalike_figures`), tried after the reader's;
    words under the arithmetic's columns (quantity, price, discount, amount) before other figures."""
    read = {i for i, word in enumerate(lt.line.words) if word.alts}
    lt = lt.with_lookalike_figures()
    words = lt.line.words
    priority = {i: _column_priority(word, layout) for i, word in enumerate(words) if word.alts}
    ranked = sorted((i for i, rank in priority.items() if rank is not None), key=lambda i: (priority[i], i not in read))
    others = ranked[:MAX_SECOND_READINGS]
    for size in range(1, len(others) + 1):
        trials = [
            dict(zip(chosen, picks, strict=True))
            for chosen in combinations(others, size)
            for picks in product(*(range(len(words[i].alts)) for i in chosen))
        ]
        for picks in sorted(trials, key=lambda trial: sum(trial.values())):  # stable: the likeliest words first
            cells = assigner.assign(lt.read_again(picks), layout, fmt)
            if adds_up_as_built(cells):
                return cells
    return None


ARITHMETIC_ROLES = frozenset(
    {ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.DISCOUNT_PCT, ColumnRole.DISCOUNT_AMOUNT, ColumnRole.AMOUNT}
)
"""The columns of quantity × price − discount = amount."""


def _column_priority(word: Word, layout: TableLayout) -> int | None:
    """How worth reading again a word is by the column label nearest to it: 0 under one the row's arithmetic
    uses (quantity, price, discount, amount), 1 under another figure's (a VAT rate: an amount split at a
    space spills under it), ``None`` under a code's or a description's."""
    if not layout.columns:
        return 0
    centre = (word.x0 + word.x1) / 2
    nearest = min(layout.columns, key=lambda column: abs(column.cx - centre))
    if nearest.role in ARITHMETIC_ROLES:
        return 0
    return 1 if nearest.role in NUMERIC_ROLES else None


def adds_up_as_built(row: RowCells) -> bool:
    """:func:`row_adds_up`, or adding up once the decimals OCR lost are put back as the item is built
    ("730431" for 7.904,31)."""
    if row_adds_up(row):
        return True
    if _cell_value(row, ColumnRole.DISCOUNT_AMOUNT):
        return False  # a discount amount other than 0,00: no lost separator is looked for
    quantity, price, pct, amount = _lost_separators(
        row,
        *(
            _cell_value(row, r)
            for r in (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.DISCOUNT_PCT, ColumnRole.AMOUNT)
        ),
    )
    if quantity is None or price is None or amount is None:
        return False
    return line_adds_up(quantity, price, amount, discount_pct=pct)


_PIECE = re.compile(r"\(?-?\$?\d[\d.,]*\)?%?|\S+")
_NUMERIC_PIECE = re.compile(r"^\(?-?\$?(?:\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)\)?%?$")


_TRAILING_MARK = re.compile(r"\d{1,3}[.,]")


def _pieces(lt: LineText, fmt: NumberFormat | None) -> list[Cell]:
    """The line's words split into text and number pieces, with interpolated x-extents."""
    ocr = lt.line.conf < 0.999
    cells: list[Cell] = []
    for word in lt.words:
        text = word.text
        if re.fullmatch(r"[\d.,()%$-]+", text) and re.search(r"\d\)?\(", text):
            parts = [m for m in re.finditer(r"\(?[\d.,]+\)?%?|\S", text)]
        else:
            parts = [re.match(r".*", text)]  # type: ignore[list-item]
        n = max(len(text), 1)
        for m in parts:
            if m is None or not m.group(0).strip():
                continue
            piece = m.group(0)
            x0 = word.x0 + (word.x1 - word.x0) * m.start() / n
            x1 = word.x0 + (word.x1 - word.x0) * m.end() / n
            value = None
            percent = False
            # OCR: "1." — a speck after a short whole figure (a quantity) — is that figure
            if (_NUMERIC_PIECE.match(piece) or (ocr and _TRAILING_MARK.fullmatch(piece))) and piece not in ("-", "$"):
                core = piece.strip("()%$")
                percent = piece.endswith("%") or (piece.startswith("(") and piece.endswith(")"))
                value = read_figure(core, fmt, ocr)
            elif piece == "$":
                continue
            cells.append(Cell(piece, x0, x1, value, percent))
    return _joined_split_figures(cells, lt.height, fmt) if ocr else cells


def _joined_split_figures(cells: list[Cell], height: float, fmt: NumberFormat | None) -> list[Cell]:
    """OCR's figures cut at a space joined again: "19 175,91", "2,331 09", "46154 .28", in three pieces
    ("24 834 53"), or in two words whose boxes overlap ("42437" over "42437 40", then "40")."""
    merged: list[Cell] = []
    for cell in cells:
        prev = merged[-1] if merged else None
        joined = None
        if prev is not None and cell.value is not None and _next_to(prev, cell, height):
            joined = merged_amount(prev.text, cell.text, fmt)
        if prev is not None and joined is not None:
            merged[-1] = Cell(f"{prev.text} {cell.text}", prev.x0, cell.x1, joined)
            before = merged[-2] if len(merged) > 1 else None
            if before is not None and _next_to(before, merged[-1], height):
                again = merged_amount(before.text, format_amount(joined, fmt or "ar", grouping=False), fmt)
                if again is not None:
                    merged[-2:] = [Cell(f"{before.text} {merged[-1].text}", before.x0, cell.x1, again)]
        elif (
            prev is not None
            and prev.value is not None
            and _next_to(prev, cell, height)
            and prev.value == prev.value.to_integral_value()
            and re.fullmatch(r"\d+", prev.text.replace(".", "").replace(",", ""))
            and re.fullmatch(r"[.,]\d{2}", cell.text)
        ):  # "46154 .28": the cents split off with their separator
            merged[-1] = Cell(f"{prev.text} {cell.text}", prev.x0, cell.x1, prev.value + Decimal(cell.text[1:]) / 100)
        else:
            merged.append(cell)
    return merged


_CUT_AFTER_SEPARATOR = re.compile(r"\d+[.,]")


def _next_to(prev: Cell, cell: Cell, height: float) -> bool:
    """A figure and the piece after it, one space apart or less (OCR's boxes of a figure cut in two may
    overlap), neither a percentage."""
    return (
        (prev.value is not None or _CUT_AFTER_SEPARATOR.fullmatch(prev.text) is not None)
        and not prev.percent
        and not cell.percent
        and cell.x0 > prev.x0
        and cell.x0 - prev.x1 <= _space_limit(prev, cell, height)
    )


class CellAssigner(Protocol):
    def assign(self, lt: LineText, layout: TableLayout, fmt: NumberFormat | None) -> RowCells: ...


def _geo_cost(cell: Cell, col: Column) -> float:
    overlap = max(0.0, min(cell.x1, col.x1) - max(cell.x0, col.x0))
    width = max(cell.x1 - cell.x0, 1.0)
    if overlap > 0:
        return -overlap / width
    gap = col.x0 - cell.x1 if cell.x1 < col.x0 else cell.x0 - col.x1
    return gap / 10.0


def _type_penalty(cell: Cell, role: ColumnRole) -> float:
    value = cell.value
    assert value is not None
    if role == ColumnRole.VAT_RATE:
        if value in VALID_VAT_RATES:
            return -2.0 if cell.percent else 0.0
        return 1e6
    if role == ColumnRole.DISCOUNT_PCT:
        if 0 <= value <= 100:
            return -1.0 if cell.percent else 0.0
        # "750%" or "200" under "Dto. %": 7,50 % or 2,00 % with the comma lost (settled by the arithmetic
        # in _lost_separators)
        return 0.5 if _lost_separator(cell) and value <= 10000 else 1e6
    if cell.percent:
        return 50.0
    return 0.0


class RuleCellAssigner:
    """Numbers go to the numeric column they sit under (with type constraints: a rate column takes only
    legal VAT rates, one number per column); text goes to the text column whose span holds it."""

    def assign(self, lt: LineText, layout: TableLayout, fmt: NumberFormat | None) -> RowCells:
        row = RowCells(lt)
        cols = layout.columns
        numeric_cols = [c for c in cols if c.role in NUMERIC_ROLES]
        pieces = _pieces(lt, fmt)
        numbers: list[Cell] = []
        texts: list[Cell] = []
        h = max(lt.height, 1.0)
        for k, cell in enumerate(pieces):
            if cell.value is not None and 0 < k < len(pieces) - 1:
                left, right = pieces[k - 1], pieces[k + 1]
                if (
                    left.value is None
                    and right.value is None
                    and cell.x0 - left.x1 <= 1.2 * h
                    and right.x0 - cell.x1 <= 1.2 * h
                    and not cell.percent
                    and re.search(r"[A-Za-z]", left.text + right.text)
                ):
                    cell.value = None  # "CLASICO 900 ML": part of the words, not a figure
        for cell in pieces:
            if cell.value is not None and numeric_cols:
                best = min(cols, key=lambda c: _geo_cost(cell, c))
                if best.role in TEXT_ROLES and _geo_cost(cell, best) < -0.3:
                    texts.append(cell)
                    continue
                numbers.append(cell)
            else:
                texts.append(cell)
        # numbers: greedy by cost with one number per column
        options = sorted(
            (_geo_cost(cell, col) + _type_penalty(cell, col.role), i, j)
            for i, cell in enumerate(numbers)
            for j, col in enumerate(numeric_cols)
        )
        taken_cells: set[int] = set()
        taken_cols: set[int] = set()
        for cost, i, j in options:
            if cost >= 1e5 or cost > 8.0 or i in taken_cells or j in taken_cols:
                continue
            taken_cells.add(i)
            taken_cols.add(j)
            row.cells.setdefault(numeric_cols[j].role, []).append(numbers[i])
        texts.extend(cell for i, cell in enumerate(numbers) if i not in taken_cells)
        texts.sort(key=lambda c: c.x0)
        previous: tuple[Cell, ColumnRole] | None = None
        for k, cell in enumerate(texts):
            if re.fullmatch(r"[xX*@=|]", cell.text) and self._between_figures(cell, pieces):
                continue  # "3 x 2601,40": an operator, not a word of the description
            role = self._text_role(cell, k, layout)
            stray = self._under_numeric(cell, layout) or (cell.value is not None and self._among_figures(cell, layout))
            if role == ColumnRole.DESCRIPTION and taken_cells and stray:
                glued = (
                    previous is not None
                    and previous[1] == ColumnRole.DESCRIPTION
                    and (cell.x0 - previous[0].x1 <= 1.5 * h)
                )
                if not glued:
                    role = ColumnRole.OTHER  # "EX" in the VAT column, a stray mark under a figure
            row.cells.setdefault(role, []).append(cell)
            previous = (cell, role)
        for cells in row.cells.values():
            cells.sort(key=lambda c: c.x0)
        return row

    @staticmethod
    def _between_figures(cell: Cell, pieces: list[Cell]) -> bool:
        left = [p for p in pieces if p.x1 <= cell.x0 + 0.5]
        right = [p for p in pieces if p.x0 >= cell.x1 - 0.5]
        return (
            bool(left and right)
            and max(left, key=lambda p: p.x1).value is not None
            and (min(right, key=lambda p: p.x0).value is not None)
        )

    @staticmethod
    def _among_figures(cell: Cell, layout: TableLayout) -> bool:
        """Whether a piece lies right of where the figures' columns begin (past the description): a figure
        there under a label that did not read ("MAS" for "IVA $") is not part of the description."""
        desc = layout.column(ColumnRole.DESCRIPTION)
        starts = [c.x0 for c in layout.columns if c.role in NUMERIC_ROLES and (desc is None or c.x0 > desc.x1)]
        return bool(starts) and cell.x0 > min(starts)

    @staticmethod
    def _under_numeric(cell: Cell, layout: TableLayout) -> bool:
        """Whether a piece sits mostly under a numeric column's label."""
        width = max(cell.x1 - cell.x0, 1.0)
        return any(
            col.role in NUMERIC_ROLES and max(0.0, min(cell.x1, col.x1 + 4) - max(cell.x0, col.x0 - 4)) >= 0.5 * width
            for col in layout.columns
        )

    @staticmethod
    def _text_role(cell: Cell, k: int, layout: TableLayout) -> ColumnRole:
        """Code: the first text piece, under the code label or a digit-bearing token left of the
        description label; unit: under the unit label; anything else belongs to the description."""
        code = layout.column(ColumnRole.CODE)
        desc = layout.column(ColumnRole.DESCRIPTION)
        width = max(cell.x1 - cell.x0, 1.0)
        if code is not None and k == 0:
            under = max(0.0, min(cell.x1, code.x1 + 4) - max(cell.x0, code.x0 - 4)) >= 0.5 * width
            left_of_desc = desc is None or cell.x1 <= desc.x0 + 2
            if under or (left_of_desc and re.search(r"\d", cell.text) and len(cell.text) <= 20):
                return ColumnRole.CODE
        for role in (ColumnRole.UNIT, ColumnRole.OTHER):
            for col in layout.columns:
                if col.role != role:
                    continue
                overlap = max(0.0, min(cell.x1, col.x1 + 6) - max(cell.x0, col.x0 - 6))
                if overlap >= 0.5 * min(width, col.x1 - col.x0 + 12):
                    return role
        return ColumnRole.DESCRIPTION


# --- rows -----------------------------------------------------------------------------------------------------


class RowKind(StrEnum):
    ITEM = "item"
    CONTINUATION = "continuation"
    DISCOUNT = "discount"
    """A discount printed under an item ("Bonif. 5,00% -68,15"): it applies to the item above."""
    SKIP = "skip"
    END = "end"


class RowClassifier(Protocol):
    def classify(self, row: RowCells) -> RowKind: ...


_END = re.compile(
    r"^(?:SUB\s?TOTAL|TOTAL|IMPORTE\s*(?:NETO|TOTAL|OTROS|EXENTO)|NETO\s*GRAVADO|OTROS\s*TRIBUTOS|SON\s*(?:PESOS|\$|DOLARES)?|"
    r"C\s?A\s?E|OBSERVACIONES|IVA\s*\d|I\s?V\s?A\s*\d|PERCEPCION|RECIBI|FORMA\s*DE\s*PAGO|CONDICION\s*DE\s*PAGO|"
    r"BONIFICACION\s*GENERAL|DESCUENTO\s*GENERAL|COMPROBANTE\s*AUTORIZADO|IMPUESTOS?\s*INTERNOS)\b"
)
_SKIP = re.compile(
    r"\b(?:TRANSPORTE|VAN|VIENEN|A\s*TRANSPORTAR|DE\s*TRANSPORTE|SUBTOTAL\s*HOJA|SUBTOTAL\s*PAGINA)\b|"
    r"^(?:PAGINA|PAG|HOJA|FOLIO)\s*N?°?\s*\d+\s*(?:/|DE)\s*\d+$|^CONTINUA\b"
)


_END_ANYWHERE = re.compile(
    r"\b(?:SUB\s?TOTAL|IMPORTE\s*TOTAL|TOTAL\s*\$|NETO\s*GRAV|IVA\s*CONTENIDO|TRANSPARENCIA\s*FISCAL|"
    r"SON\s*PESOS|OTROS\s*TRIBUTOS)\b"
)
_STARTS_TOTALS = frozenset({"total", "subtotal", "net", "other_taxes_total"})
_STARTS_TOTALS_WITH_FIGURE = frozenset({"vat", "exempt", "untaxed", "other_tax"})


def _totals_row(lt: LineText) -> bool:
    """A totals line: two or more totals labels (a header row of the totals box), or one at the start of the
    line (with a figure, for the labels that could also begin a description)."""
    from minimarket.documents.totals import find_labels

    labels = [lb for lb in find_labels(lt) if lb.role.value != "ignore"]
    if len(labels) >= 2:
        return True
    if not labels or lt.raw[: labels[0].raw_start].strip(" .:-*|"):
        return False
    role = labels[0].role.value
    has_figure = bool(re.search(r"\d", lt.raw[labels[0].raw_end :]))
    return role in _STARTS_TOTALS or (role in _STARTS_TOTALS_WITH_FIGURE and has_figure)


def _misread_totals_box(norm: str) -> bool:
    """The labels of a totals box with its "Subtotal" misread in a photo ("Subroral Total")."""
    words = norm.split()
    return (
        2 <= len(words) <= 3
        and words[-1] == "TOTAL"
        and any(Levenshtein.distance(word, "SUBTOTAL", score_cutoff=2) <= 2 for word in words[:-1])
    )


def _row_numbers(row: RowCells) -> list[Cell]:
    return [c for cells in row.cells.values() for c in cells if c.value is not None]


class RuleRowClassifier:
    """Items carry an amount (or quantity and price); carried-forward totals are skipped; a totals label at
    the start of a line ends the table; anything else is part of a description."""

    def classify(self, row: RowCells) -> RowKind:
        norm = row.line.norm.strip()
        roles = row.numeric_roles
        has_amount = bool(roles & {ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS})
        has_qty_price = {ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE} <= roles
        if _SKIP.search(norm) and not has_qty_price:
            return RowKind.SKIP
        if DISCOUNT_ROW.match(norm) and not has_qty_price and _row_numbers(row):
            return RowKind.DISCOUNT
        if not has_qty_price and (
            _END.match(norm) or _END_ANYWHERE.search(norm) or _totals_row(row.line) or _misread_totals_box(norm)
        ):
            return RowKind.END
        if has_amount or has_qty_price:
            desc = row.text(ColumnRole.DESCRIPTION) + row.text(ColumnRole.CODE)
            if not desc.strip() and not has_qty_price and ColumnRole.QUANTITY not in roles:
                # a bare number line under the table (a page total) is not an item
                return RowKind.SKIP
            return RowKind.ITEM
        return RowKind.CONTINUATION


# --- assembling items -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ItemsResult:
    """Items read from the invoice pages and where the tables were."""

    items: list[LineItem] = field(default_factory=list)
    layouts: list[TableLayout] = field(default_factory=list)
    table_end: dict[int, float] = field(default_factory=dict)
    """Per page, the y where the items table ends (the totals are below)."""
    amounts_text: list[tuple[int, str, str]] = field(default_factory=list)
    """(item index, column role, raw text) of every numeric cell, for arithmetic repairs."""
    confidence: float = 0.0


@dataclass(slots=True)
class _Row:
    cells: RowCells
    continuation: list[RowCells] = field(default_factory=list)
    before: list[RowCells] = field(default_factory=list)
    discounts: list[RowCells] = field(default_factory=list)


def _cell_value(row: RowCells, role: ColumnRole) -> Decimal | None:
    cell = row.number(role)
    return cell.value if cell is not None else None


def _description_of(part: RowCells, main: bool) -> str:
    """The description text of a line; on description-only lines, numbers printed right after the text
    ("PEUGEOT 408") are part of it even if they fall under a numeric column."""
    cells = list(part.cells.get(ColumnRole.DESCRIPTION, []))
    if not main and cells:
        h = max(part.line.height, 1.0)
        others = sorted((c for role, cs in part.cells.items() if role in NUMERIC_ROLES for c in cs), key=lambda c: c.x0)
        for cell in others:
            last = max(cells, key=lambda c: c.x1)
            if 0 <= cell.x0 - last.x1 <= 1.5 * h:
                cells.append(cell)
    return " ".join(c.text for c in sorted(cells, key=lambda c: c.x0)).strip()


def _build_item(row: _Row) -> LineItem | None:
    main = row.cells
    parts = [*row.before, main, *row.continuation]
    description = " ".join(text for p in parts if (text := _description_of(p, p is main)))
    code = next(
        (p.text(ColumnRole.CODE) for p in [main, *row.before, *row.continuation] if p.text(ColumnRole.CODE)), ""
    )
    unit = main.text(ColumnRole.UNIT) or next((p.text(ColumnRole.UNIT) for p in parts if p.text(ColumnRole.UNIT)), "")
    description = re.sub(r"\s+", " ", description).strip(" |-")
    quantity = _cell_value(main, ColumnRole.QUANTITY)
    unit_price = _cell_value(main, ColumnRole.UNIT_PRICE)
    amount = _cell_value(main, ColumnRole.AMOUNT)
    gross = _cell_value(main, ColumnRole.AMOUNT_GROSS)
    rate = _cell_value(main, ColumnRole.VAT_RATE)
    discount = _cell_value(main, ColumnRole.DISCOUNT_AMOUNT)
    pct = _cell_value(main, ColumnRole.DISCOUNT_PCT)
    if not discount:
        quantity, unit_price, pct, amount = _lost_separators(main, quantity, unit_price, pct, amount)
    if discount is None and pct is not None:
        if pct == 0:
            discount = Decimal("0")
        elif quantity is not None and unit_price is not None:
            discount = quantity * unit_price * pct / 100
    for extra in row.discounts:
        values = [c for cells in extra.cells.values() for c in cells if c.value is not None and not c.percent]
        if not values:
            continue
        off = abs(values[-1].value or Decimal("0"))
        if (
            amount is not None
            and quantity is not None
            and unit_price is not None
            and abs(quantity * unit_price - amount) <= LINE_TOLERANCE
        ):
            amount -= off
        discount = (discount or Decimal("0")) + off
    if quantity is None and unit_price and amount is not None:
        found = _quantity_in_description(main, unit_price, amount, discount, pct)
        if found is not None:
            quantity, cell = found
            main.cells[ColumnRole.DESCRIPTION].remove(cell)
            description = " ".join(text for part in parts if (text := _description_of(part, part is main)))
            description = re.sub(r"\s+", " ", description).strip(" |-")
    if amount is None and gross is not None and rate is None:
        amount = gross
    if amount is None and quantity is not None and unit_price is not None:
        amount = to_cents(quantity * unit_price - (discount or Decimal("0")))  # printed amounts are in cents
    if not description and not code:
        description = "(sin descripción)"
    if rate is not None and rate not in VALID_VAT_RATES:
        rate = None
    return LineItem(
        code=code or None,
        description=description or code,
        quantity=quantity,
        unit=unit or None,
        unit_price=unit_price,
        discount=discount,
        amount=amount,
        vat_rate=rate,
    )


def _lost_separator(cell: Cell | None) -> bool:
    """A cell's figure printed without a decimal separator (:func:`~minimarket.documents.misreads.lost_separator`)."""
    return cell is not None and lost_separator(cell.text)


_GROUP_OR_GRAMS = re.compile(r"^\d{1,3}[.,]\d{3}$")
"""A quantity whose separator reads either way: thousands of units, or kilograms to the gram (a blurred
comma looks like a point)."""


def _quantity_readings(row: RowCells, quantity: Decimal) -> list[Decimal]:
    """The quantity as read first, then the other ways its separator can be read: "5.615" is 5615 units or
    5,615 kg; "5615", read without its comma, may be 56,15 or 5,615 kg (weighed to the gram)."""
    cell = row.number(ColumnRole.QUANTITY)
    if cell is not None and _GROUP_OR_GRAMS.match(cell.text):
        return [quantity, quantity / 1000 if quantity >= 1000 else quantity * 1000]
    if _lost_separator(cell):
        return [quantity, quantity / 100, quantity / 1000]
    return [quantity]


def _lost_separators(
    row: RowCells, quantity: Decimal | None, price: Decimal | None, pct: Decimal | None, amount: Decimal | None
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """quantity × price (less a % discount) ≠ amount, and some of these figures were read without a decimal
    separator ("267288" for 2.672,88, "300%" for 3,00 %, a weighed "5615" for 5,615 kg), or a quantity whose
    separator reads either way ("5.615"): the one way of putting back the decimals that makes the item add
    up to the cent, if there is exactly one. A discount over 100 % that no such way explains is dropped."""
    if quantity is None or price is None or amount is None:
        return quantity, price, (pct if pct is None or pct <= 100 else None), amount
    roles = (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.DISCOUNT_PCT, ColumnRole.AMOUNT)
    values = (quantity, price, pct, amount)
    choices: list[list[Decimal | None]] = []
    for role, value in zip(roles, values, strict=True):
        options: list[Decimal | None] = [value]
        if role == ColumnRole.QUANTITY:
            options = [*_quantity_readings(row, quantity)]
        elif value is not None and _lost_separator(row.number(role)):
            options = [value / 100] if role == ColumnRole.DISCOUNT_PCT and value > 100 else [value, value / 100]
        choices.append(options)

    def adds_up(q: Decimal | None, p: Decimal | None, d: Decimal | None, a: Decimal | None) -> bool:
        assert q is not None and p is not None and a is not None
        return line_adds_up(q, p, a, discount_pct=d)

    if adds_up(*(c[0] for c in choices)) and (pct is None or pct <= 100):
        return quantity, price, pct, amount
    readings = [r for r in product(*choices) if r != values]
    found = only_fit(readings, fits=lambda r: adds_up(*r))
    if found is not None:
        q, p, d, a = found
        return q, (p.quantize(Decimal("0.01")) if p != price and p is not None else p), d, a
    return quantity, price, (pct if pct is None or pct <= 100 else None), amount


def _quantity_in_description(
    row: RowCells, price: Decimal, amount: Decimal, discount: Decimal | None, pct: Decimal | None
) -> tuple[Decimal, Cell] | None:
    """The quantity left in the description column (its header label misread, e.g. "Cam." for "Cant."):
    the description's last figure, when quantity × unit price (less the discount) is the amount."""
    cells = row.cells.get(ColumnRole.DESCRIPTION, [])
    if len(cells) < 2 or cells[-1].value is None or cells[-1].percent:
        return None
    cell = cells[-1]
    q = cell.value
    if q is None or q <= 0 or q != q.quantize(Decimal("0.001")):
        return None
    return (q, cell) if line_adds_up(q, price, amount, discount, pct) else None


def extract_items(
    views: Sequence[PageView],
    fmt: NumberFormat | None,
    header_finder: HeaderFinder | None = None,
    assigner: CellAssigner | None = None,
    classifier: RowClassifier | None = None,
) -> ItemsResult:
    """Items of the invoice pages ``views`` (in order), tables continuing across pages."""
    header_finder = header_finder or RuleHeaderFinder()
    assigner = assigner or RuleCellAssigner()
    classifier = classifier or RuleRowClassifier()
    result = ItemsResult()
    rows: list[_Row] = []
    confidences: list[float] = []
    last_layout: TableLayout | None = None
    for view in views:
        layout = header_finder.find(view)
        if layout is None and last_layout is not None:
            # a continuation page without a repeated header: reuse the columns, start at the top
            layout = TableLayout(view.index, 0.0, 0.0, last_layout.columns)
            start_y = _first_content_y(view)
        elif layout is None:
            continue
        else:
            start_y = layout.y1 + 0.5
        layout = amount_by_arithmetic(view, layout, start_y, fmt, assigner)
        result.layouts.append(layout)
        last_layout = layout
        page_rows: list[RowCells] = []
        kinds: list[RowKind] = []
        end_y = view.height
        for lt in view.lines:
            if lt.cy <= start_y:
                continue
            cells = assigner.assign(lt, layout, fmt)
            if not adds_up_as_built(cells):
                cells = second_reading_row(lt, layout, fmt, assigner) or cells
            kind = classifier.classify(cells)
            if kind == RowKind.END:
                end_y = lt.y0
                break
            page_rows.append(cells)
            kinds.append(kind)
        result.table_end[view.index] = end_y
        _demote_odd_amounts(page_rows, kinds)
        _attach(page_rows, kinds, rows)
        confidences.extend(r.line.line.conf for r, k in zip(page_rows, kinds, strict=True) if k == RowKind.ITEM)
    for row in rows:
        item = _build_item(row)
        if item is not None:
            index = len(result.items)
            result.items.append(item)
            for role in (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS):
                cell = row.cells.number(role)
                if cell is not None:
                    result.amounts_text.append((index, role.value, cell.text))
    _drop_trailing_subtotals(result)
    if not result.items:  # no table found, or a header whose columns misread so that no row came out of it
        result.items = items_by_arithmetic(views, fmt)
    result.confidence = round(sum(confidences) / len(confidences), 3) if confidences else 0.0
    return result


_AMOUNT_STAND_INS = frozenset({ColumnRole.OTHER, ColumnRole.AMOUNT_GROSS})
MIN_ROWS_TO_MOVE_AMOUNT = 2
"""Fewest rows that must add up with another column as the amount (and twice as many as with the header's)."""


def amount_by_arithmetic(
    view: PageView, layout: TableLayout, start_y: float, fmt: NumberFormat | None, assigner: CellAssigner
) -> TableLayout:
    """The header with its amount column moved to another column right of the unit price (another or a gross
    amount's column, or a header word the lexicon does not know) when the rows add up clearly more often with
    that one as the amount (or, with no amount column, one found from the rows: :func:`_amount_from_the_rows`):
    a photo's "Subrorar Alcolea Subtotal cAVA" for "Subtotal Alícuota Subtotal c/IVA"
    took the amount with VAT for the amount, and none of its rows added up. The old amount column becomes a
    gross amount's when it lies right of the new one, another column's otherwise; the unknown words become
    other columns, so their figures stay out of their neighbours'."""
    amount, price = layout.column(ColumnRole.AMOUNT), layout.column(ColumnRole.UNIT_PRICE)
    lines = [lt for lt in view.lines if lt.cy > start_y]
    if price is None:
        return layout
    if amount is None:
        return _amount_from_the_rows(layout, lines, fmt, assigner)

    def adding_up(candidate: TableLayout) -> int:
        return sum(adds_up_as_built(assigner.assign(lt, candidate, fmt)) for lt in lines)

    unknown = [Column(ColumnRole.OTHER, w.text, w.x0, w.x1) for w in _unknown_header_words(view, layout, price.x1)]
    columns = sorted([*layout.columns, *unknown], key=lambda c: c.x0)
    others = [c for c in columns if c.role in _AMOUNT_STAND_INS and c.x0 > price.x1]
    if not others:
        return layout
    best, most = layout, adding_up(layout)
    for column in others:
        former = ColumnRole.AMOUNT_GROSS if amount.x0 > column.x1 else ColumnRole.OTHER
        swapped = [
            replace(c, role=ColumnRole.AMOUNT) if c is column else replace(c, role=former) if c is amount else c
            for c in columns
        ]
        candidate = replace(layout, columns=swapped)
        count = adding_up(candidate)
        if count >= MIN_ROWS_TO_MOVE_AMOUNT and count >= 2 * max(most, 1):
            best, most = candidate, count
    return best


def _amount_from_the_rows(
    layout: TableLayout, lines: list[LineText], fmt: NumberFormat | None, assigner: CellAssigner
) -> TableLayout:
    """A header with no amount label read (its last label lost in a photo): the rows' last figures right of
    every column make the amount column, if the rows then add up, with the figure reader's other readings
    where needed (:func:`second_reading_row`: a photo that lost the label reads its figures poorly too)."""
    right = max((c.x1 for c in layout.columns), default=0.0)
    last = [
        lt.words[-1]
        for lt in lines
        if lt.words and lt.words[-1].x0 > right and _NUMERIC_PIECE.match(lt.words[-1].text.strip("$"))
    ]
    if len(last) < MIN_ROWS_TO_MOVE_AMOUNT:
        return layout
    x0, x1 = sorted(w.x0 for w in last)[len(last) // 2], sorted(w.x1 for w in last)[len(last) // 2]
    candidate = replace(layout, columns=[*layout.columns, Column(ColumnRole.AMOUNT, "", x0, x1)])

    def adding_up(table: TableLayout) -> int:
        return sum(_adds_up_read_again(lt, table, fmt, assigner) for lt in lines)

    count = adding_up(candidate)
    return candidate if count >= MIN_ROWS_TO_MOVE_AMOUNT and count >= 2 * max(adding_up(layout), 1) else layout


def _adds_up_read_again(lt: LineText, layout: TableLayout, fmt: NumberFormat | None, assigner: CellAssigner) -> bool:
    """The line adds up as read, or with the figure reader's other readings."""
    return (
        adds_up_as_built(assigner.assign(lt, layout, fmt)) or second_reading_row(lt, layout, fmt, assigner) is not None
    )


def _unknown_header_words(view: PageView, layout: TableLayout, right_of: float) -> list[Word]:
    """Words of the header right of ``right_of`` that are no column's label: 4 letters or more, outside
    every column's extent."""
    return [
        w
        for lt in view.lines
        if layout.y0 <= lt.cy <= layout.y1
        for w in lt.words
        if w.x0 > right_of
        and sum(ch.isalpha() for ch in w.text) >= 4
        and not any(c.x0 - 1 <= (w.x0 + w.x1) / 2 <= c.x1 + 1 for c in layout.columns)
    ]


def _drop_trailing_subtotals(result: ItemsResult) -> None:
    """A last "item" with neither quantity nor unit price whose amount is the sum of the items above it is
    the table's subtotal under a label the OCR misread ("SUBTUTAL", "METO"), not an item."""
    items = result.items
    while len(items) >= 2:
        last = items[-1]
        above = sum((i.amount for i in items[:-1] if i.amount is not None), Decimal("0"))
        if last.quantity is not None or last.unit_price is not None or last.amount is None:
            return
        if any(i.amount is None for i in items[:-1]) or abs(last.amount - above) > LINE_TOLERANCE:
            return
        items.pop()
        result.amounts_text = [entry for entry in result.amounts_text if entry[0] < len(items)]


def _first_content_y(view: PageView) -> float:
    return 0.0


_MONEY_SHAPE = re.compile(r"[.,]\d{2}\)?$")


def _demote_odd_amounts(page_rows: list[RowCells], kinds: list[RowKind]) -> None:
    """When the table's amounts are printed with cents, an "item" with neither quantity nor price whose
    only figure has no cents ("AEROSOL 3") is a description line, not an item."""
    shaped = total = 0
    for row, kind in zip(page_rows, kinds, strict=True):
        cell = row.number(ColumnRole.AMOUNT) or row.number(ColumnRole.AMOUNT_GROSS)
        full = {ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE} & row.numeric_roles
        if kind == RowKind.ITEM and cell is not None and full:
            total += 1
            shaped += bool(_MONEY_SHAPE.search(cell.text))
    if total < 1 or shaped < 0.8 * total:
        return
    for i, (row, kind) in enumerate(zip(page_rows, kinds, strict=True)):
        roles = row.numeric_roles
        cell = row.number(ColumnRole.AMOUNT) or row.number(ColumnRole.AMOUNT_GROSS)
        odd = kind == RowKind.ITEM and cell is not None and not _MONEY_SHAPE.search(cell.text)
        if odd and not ({ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE} & roles):
            # the figure was part of the words
            for role in (ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS):
                moved = row.cells.pop(role, [])
                row.cells.setdefault(ColumnRole.DESCRIPTION, []).extend(moved)
            row.cells[ColumnRole.DESCRIPTION].sort(key=lambda c: c.x0)
            kinds[i] = RowKind.CONTINUATION


def _attach(page_rows: list[RowCells], kinds: list[RowKind], rows: list[_Row]) -> None:
    """Group description lines with an item line: each item claims the unbroken chain of description
    lines right below it and right above it (gaps under about a line pitch); a line claimed from both
    sides goes to the closer one, or forward when it carries its own code."""
    item_idx = [i for i, k in enumerate(kinds) if k == RowKind.ITEM]
    if not item_idx:
        return
    heights = sorted(page_rows[i].line.height for i in item_idx)
    pitch = max(heights[len(heights) // 2], 4.0) * 1.9
    first_new = len(rows)
    for i in item_idx:
        rows.append(_Row(page_rows[i]))
    page_items = rows[first_new:]

    def describes(i: int) -> bool:
        return kinds[i] == RowKind.CONTINUATION and bool(
            page_rows[i].text(ColumnRole.DESCRIPTION) or page_rows[i].text(ColumnRole.CODE)
        )

    # discount lines belong to the item right above them
    for i, kind in enumerate(kinds):
        if kind == RowKind.DISCOUNT:
            above = [n for n, j in enumerate(item_idx) if j < i]
            if above:
                page_items[above[-1]].discounts.append(page_rows[i])
    # items printed as "description line(s), then a numbers-only line" (tickets): descriptions go forward
    # (a line whose "description" has no letter, only a bracketed VAT rate "(10,50)", is bare too)
    bare = sum(1 for i in item_idx if not re.search(r"[^\W\d_]", page_rows[i].text(ColumnRole.DESCRIPTION)))
    first_desc = next((i for i in range(len(kinds)) if describes(i)), None)
    if bare > len(item_idx) / 2 and first_desc is not None and first_desc < item_idx[0]:
        for i in range(len(kinds)):
            if not describes(i):
                continue
            nxt = next((n for n, j in enumerate(item_idx) if j > i), None)
            if nxt is not None and _gap(page_rows[i].line, page_rows[item_idx[nxt]].line) <= pitch * (
                item_idx[nxt] - i
            ):
                page_items[nxt].before.append(page_rows[i])
        return

    down: dict[int, tuple[int, float]] = {}
    up: dict[int, tuple[int, float]] = {}
    for n, i in enumerate(item_idx):
        j = i + 1
        while j < len(page_rows) and describes(j):
            gap = _gap(page_rows[j - 1].line, page_rows[j].line)
            if gap > pitch:
                break
            down[j] = (n, gap if j == i + 1 else down.get(j - 1, (n, 0.0))[1])
            j += 1
        j = i - 1
        while j >= 0 and describes(j):
            gap = _gap(page_rows[j].line, page_rows[j + 1].line)
            if gap > pitch:
                break
            up[j] = (n, gap if j == i - 1 else up.get(j + 1, (n, 0.0))[1])
            j -= 1
    for i in sorted(set(down) | set(up)):
        line = page_rows[i]
        choice: tuple[int, bool]
        if i in down and i in up:
            n_down, g_down = down[i]
            n_up, g_up = up[i]
            own_code = bool(line.text(ColumnRole.CODE)) and not page_items[n_up].cells.text(ColumnRole.CODE)
            choice = (n_up, True) if own_code or g_up < g_down else (n_down, False)
        elif i in down:
            choice = (down[i][0], False)
        else:
            choice = (up[i][0], True)
        row = page_items[choice[0]]
        (row.before if choice[1] else row.continuation).append(line)


def _gap(upper: LineText, lower: LineText) -> float:
    """Vertical distance between two stacked lines (box gap plus half the centre distance)."""
    return max(0.0, lower.y0 - upper.y1) + 0.5 * abs(lower.cy - upper.cy)
