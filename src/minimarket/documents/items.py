"""Line items: find the items table by its header row, give each column a role from its label, cut the
rows by geometry and join wrapped descriptions.

Three replaceable steps (rules, or the learned parts of an :class:`InvoiceReader`):

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
from typing import Protocol

from rapidfuzz.distance import Levenshtein

from minimarket.documents.arithmetic_rows import items_by_arithmetic
from minimarket.documents.item_build import ItemRow, build_item
from minimarket.documents.item_cells import (
    NUMERIC_PIECE,
    Cell,
    CellAssigner,
    RowCells,
    RuleCellAssigner,
    adds_up_as_built,
    second_reading_row,
)
from minimarket.documents.item_columns import Column, ColumnRole, HeaderFinder, RuleHeaderFinder, TableLayout
from minimarket.documents.layout import Word
from minimarket.documents.linetext import (
    DISCOUNT_ROW,
    LineText,
    PageView,
)
from minimarket.domain.invoice import LineItem
from minimarket.domain.money import LINE_TOLERANCE
from minimarket.domain.numbers import NumberFormat

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
    rows: list[ItemRow] = []
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
        item = build_item(row)
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
        if lt.words and lt.words[-1].x0 > right and NUMERIC_PIECE.match(lt.words[-1].text.strip("$"))
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


def _attach(page_rows: list[RowCells], kinds: list[RowKind], rows: list[ItemRow]) -> None:
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
        rows.append(ItemRow(page_rows[i]))
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
