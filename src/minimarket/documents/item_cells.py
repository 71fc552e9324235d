"""A line of the items table cut into cells, each in a column (:class:`RuleCellAssigner`, a
:class:`CellAssigner`), with figures OCR split at a space joined again and a second reading of a row that does
not add up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations, product
from typing import Protocol

from minimarket.documents.item_columns import NUMERIC_ROLES, TEXT_ROLES, Column, ColumnRole, TableLayout
from minimarket.documents.layout import Word
from minimarket.documents.linetext import (
    LineText,
    _space_limit,
    merged_amount,
    read_figure,
)
from minimarket.documents.misreads import lost_separator, only_fit
from minimarket.domain.afip import VALID_VAT_RATES
from minimarket.domain.money import line_adds_up
from minimarket.domain.numbers import NumberFormat, format_amount


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
        cell_value(row, r) for r in (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT)
    )
    if quantity is None or price is None or amount is None:
        return False
    discount = cell_value(row, ColumnRole.DISCOUNT_AMOUNT)
    pct = None if discount is not None else cell_value(row, ColumnRole.DISCOUNT_PCT)
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
    if cell_value(row, ColumnRole.DISCOUNT_AMOUNT):
        return False  # a discount amount other than 0,00: no lost separator is looked for
    quantity, price, pct, amount = lost_decimals(
        row,
        *(
            cell_value(row, r)
            for r in (ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.DISCOUNT_PCT, ColumnRole.AMOUNT)
        ),
    )
    if quantity is None or price is None or amount is None:
        return False
    return line_adds_up(quantity, price, amount, discount_pct=pct)


_PIECE = re.compile(r"\(?-?\$?\d[\d.,]*\)?%?|\S+")
NUMERIC_PIECE = re.compile(r"^\(?-?\$?(?:\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)\)?%?$")


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
            if (NUMERIC_PIECE.match(piece) or (ocr and _TRAILING_MARK.fullmatch(piece))) and piece not in ("-", "$"):
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
        # in lost_decimals)
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


# --- decimals OCR lost ---------------------------------------------------------------------------------------


def cell_value(row: RowCells, role: ColumnRole) -> Decimal | None:
    cell = row.number(role)
    return cell.value if cell is not None else None


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


def lost_decimals(
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
