"""Learned line-item recognition: which table lines are items, and the column role of each figure.

The rule engine (:mod:`minimarket.documents.items`) finds the items table header, cuts each line into cells
and classifies rows with hand-written rules. Two scikit-learn classifiers (histogram gradient boosting)
learn from synthetic documents where the rules go wrong (OCR noise, garbled columns, stray lines):

* :class:`RowModel` — the kind of each line below the header (``item``, ``continuation``, ``discount``,
  ``skip``, ``end``) from layout and token features: numeric token counts and shapes, whether three
  figures multiply out (quantity × price = amount), letters, position, height and gaps relative to the
  table, OCR confidence, the neighbours' features, and the rule's own verdict (stacking: the model learns
  when to overrule it);
* :class:`CellModel` — the role of each figure on a line (quantity, unit price, amount, discount, VAT
  rate, other) from its position against the header's columns, rank from the right, shape (decimals,
  grouping, percent), value, column support on the page and arithmetic relations with the other figures.

Labels come from the ground truth: :func:`label_document` aligns the truth items with the lines (figures
equal, or equal but for one OCR'd digit) in reading order. :class:`LearnedItems` plugs both models into
:func:`minimarket.documents.items.extract_items` through its replaceable steps; features are computed one
page at a time, so each page costs one prediction per model.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from minimarket.documents.item_cells import Cell, RowCells, RuleCellAssigner, row_adds_up
from minimarket.documents.item_columns import NUMERIC_ROLES, Column, ColumnRole, RuleHeaderFinder, TableLayout
from minimarket.documents.items import ItemsResult, RowKind, RuleRowClassifier, amount_by_arithmetic, extract_items
from minimarket.documents.linetext import LineText, PageView, normalize
from minimarket.domain.afip import VALID_VAT_RATES
from minimarket.domain.invoice import LineItem
from minimarket.domain.numbers import NumberFormat, try_parse_amount

__all__ = [
    "CELL_LABELS",
    "ROW_LABELS",
    "CellModel",
    "DocLabels",
    "LearnedItems",
    "PageTable",
    "RowModel",
    "build_tables",
    "cell_features",
    "label_document",
    "row_features",
]

ROW_LABELS: tuple[str, ...] = tuple(kind.value for kind in RowKind)
CELL_LABELS: tuple[str, ...] = (
    "quantity",
    "unit_price",
    "amount",
    "discount_amount",
    "discount_pct",
    "vat_rate",
    "code",
    "other",
)
_CELL_ROLE = {
    "quantity": ColumnRole.QUANTITY,
    "unit_price": ColumnRole.UNIT_PRICE,
    "amount": ColumnRole.AMOUNT,
    "discount_amount": ColumnRole.DISCOUNT_AMOUNT,
    "discount_pct": ColumnRole.DISCOUNT_PCT,
    "vat_rate": ColumnRole.VAT_RATE,
    "code": ColumnRole.CODE,
}
_ROLE_ORDER: tuple[ColumnRole, ...] = tuple(ColumnRole)
_GEO_ROLES: tuple[ColumnRole, ...] = (
    ColumnRole.QUANTITY,
    ColumnRole.UNIT_PRICE,
    ColumnRole.AMOUNT,
    ColumnRole.AMOUNT_GROSS,
    ColumnRole.DISCOUNT_PCT,
    ColumnRole.DISCOUNT_AMOUNT,
    ColumnRole.VAT_RATE,
    ColumnRole.VAT_AMOUNT,
    ColumnRole.DESCRIPTION,
)
_MONEY = re.compile(r"[.,]\d{2}\)?%?$")
_TOTALS_WORDS = re.compile(
    r"\b(?:SUB\s?TOTAL|TOTAL|NETO|IVA|SON|CAE|PERCEP\w*|IMPUESTOS?|OBSERVACIONES|TRANSPORTE|VAN|VIENEN|PAGINA|HOJA)\b"
)
_KEEP_TEXT_ROLES = frozenset({ColumnRole.CODE, ColumnRole.UNIT})


# --- tables: the rule engine's view of each page -------------------------------------------------------------


@dataclass
class PageTable:
    """The lines below an items-table header on one page, cut into cells by the rules."""

    view: PageView
    layout: TableLayout
    found: bool
    """Whether the header was found on this page (else the previous page's columns are reused)."""
    lines: list[LineText]
    rows: list[RowCells]
    rule_kinds: list[RowKind]
    fmt: NumberFormat | None = None


def build_tables(
    views: Sequence[PageView], fmt: NumberFormat | None, *, infer_headers: bool = False
) -> list[PageTable]:
    """One :class:`PageTable` per page with an items table, as :func:`extract_items` walks them.

    ``infer_headers``: when no header row is found on a page (nor on an earlier one), the columns are
    inferred from the item lines themselves (:func:`infer_layout`) — e.g. a header printed white on a
    dark band, which OCR cannot read, over perfectly readable item lines."""
    finder, assigner, classifier = RuleHeaderFinder(), RuleCellAssigner(), RuleRowClassifier()
    tables: list[PageTable] = []
    last: TableLayout | None = None
    for view in views:
        layout = finder.find(view)
        found = layout is not None
        if layout is None and last is None and infer_headers:
            layout = infer_layout(view, fmt)
            found = layout is not None
        if layout is None and last is not None:
            layout = TableLayout(view.index, 0.0, 0.0, last.columns)
            start_y = 0.0
        elif layout is None:
            continue
        else:
            start_y = layout.y1 + 0.5
            layout = amount_by_arithmetic(view, layout, start_y, fmt, assigner)
        last = layout
        lines = [lt for lt in view.lines if lt.cy > start_y]
        rows = [assigner.assign(lt, layout, fmt) for lt in lines]
        kinds = [classifier.classify(row) for row in rows]
        tables.append(PageTable(view, layout, found, lines, rows, kinds, fmt))
    return tables


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


class _ItemLine(NamedTuple):
    line: LineText
    quantity: Cell
    price: Cell
    amount: Cell
    word: Cell | None
    code: Cell | None


def infer_layout(view: PageView, fmt: NumberFormat | None) -> TableLayout | None:
    """Items-table columns read off the item lines when the header row is unreadable: lines with words
    and three figures that multiply out (quantity × unit price = amount) give the quantity, unit price and
    amount columns (median extents), a code column when they start with a code-like token, and the
    description column where their words start. ``None`` without such a line."""
    empty = TableLayout(view.index, 0.0, 0.0, [])
    assigner = RuleCellAssigner()
    found: list[_ItemLine] = []
    for lt in view.lines:
        if sum(ch.isalpha() for ch in lt.raw) < 3:
            continue
        row = assigner.assign(lt, empty, fmt)
        cells = sorted((c for cs in row.cells.values() for c in cs), key=lambda c: c.x0)
        figures = [c for c in cells if figure(c, fmt) is not None]
        amounts, factors, small = _triples([figure(c, fmt) or Decimal(0) for c in figures])
        if not amounts:
            continue
        amount = figures[max(amounts)]
        quantity = figures[min(small)]
        prices = [i for i in factors if i not in small and figures[i] is not amount]
        if not prices or quantity is amount:
            continue
        price = figures[prices[0]]
        words = [c for c in cells if figure(c, fmt) is None and any(ch.isalpha() for ch in c.text)]
        first = (
            cells[0]
            if cells
            and _CODE_LIKE.match(cells[0].text)
            and cells[0].x1 < min((w.x0 for w in words), default=cells[0].x1)
            else None
        )
        found.append(_ItemLine(lt, quantity, price, amount, words[0] if words else None, first))
    if not found:
        return None
    columns: list[Column] = []
    for role, cells_k in (
        (ColumnRole.QUANTITY, [e.quantity for e in found]),
        (ColumnRole.UNIT_PRICE, [e.price for e in found]),
        (ColumnRole.AMOUNT, [e.amount for e in found]),
    ):
        columns.append(Column(role, "", _median([c.x0 for c in cells_k]), _median([c.x1 for c in cells_k])))
    starts = [e.word.x0 for e in found if e.word is not None]
    codes = [e.code for e in found if e.code is not None]
    if codes and len(codes) * 2 >= len(found):
        columns.append(Column(ColumnRole.CODE, "", _median([c.x0 for c in codes]), _median([c.x1 for c in codes])))
    if starts:
        x0 = _median(starts)
        right = min((c.x0 for c in columns if c.role in NUMERIC_ROLES and c.x0 > x0), default=view.width)
        columns.append(Column(ColumnRole.DESCRIPTION, "", x0, max(x0 + 1.0, min(right - 2.0, x0 + 0.4 * view.width))))
    top = found[0].line
    y = top.y0 - 0.6
    return TableLayout(view.index, y - 1.0, y, sorted(columns, key=lambda c: c.x0))


def _values(row: RowCells) -> list[tuple[ColumnRole, Cell]]:
    """The figures of a row (not codes or units), left to right, with the rule's role."""
    found = [
        (role, cell)
        for role, cells in row.cells.items()
        if role not in _KEEP_TEXT_ROLES
        for cell in cells
        if cell.value is not None
    ]
    return sorted(found, key=lambda rc: rc[1].x0)


_FIGURE = re.compile(r"^\(?-?\$?\d[\d.,]*\)?%?$")
_CODE_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9./-]{2,}$")


def _candidates(row: RowCells) -> list[tuple[ColumnRole, Cell]]:
    """What the cell model decides on: the figures in any role but the unit, and code-like tokens
    (digits, 3+ characters, no spaces) wherever the rules put them."""
    found = [
        (role, cell)
        for role, cells in row.cells.items()
        if role != ColumnRole.UNIT
        for cell in cells
        if cell.value is not None or _CODE_LIKE.match(cell.text) or _FIGURE.match(cell.text.strip("|[]!"))
    ]
    return sorted(found, key=lambda rc: rc[1].x0)


def figure(cell: Cell, fmt: NumberFormat | None) -> Decimal | None:
    """The cell's value, or the number its text shows when the rules read it as a word ("17,500" printed
    between two words is taken for part of a description)."""
    if cell.value is not None:
        return cell.value
    text = cell.text.strip("|[]!")  # a table rule read as a bar glued to the figure ("2|")
    if not _FIGURE.match(text):
        return None
    return try_parse_amount(text.strip("()%$"), fmt)


def _triples(values: list[Decimal]) -> tuple[set[int], set[int], set[int]]:
    """Indexes of figures that are a product of two others (``amounts``), a factor of such a product
    (``factors``), and the smaller factor (``small``); a discount may sit between gross and amount."""
    amounts: set[int] = set()
    factors: set[int] = set()
    small: set[int] = set()
    vals = [float(v) for v in values]
    n = len(vals)
    if n < 3 or n > 10:
        return amounts, factors, small
    for i in range(n):
        a = vals[i]
        if a == 0:
            continue
        for j in range(i + 1, n):
            b = vals[j]
            if b == 0:
                continue
            product = a * b
            for k in range(n):
                c = vals[k]
                if k in (i, j) or c <= 0:
                    continue
                tol = max(0.011, c * 0.0005)
                hit = abs(product - c) <= tol
                if not hit and c < product:
                    hit = any(abs(product - vals[d] - c) <= tol for d in range(n) if d not in (i, j, k) and vals[d] > 0)
                if hit:
                    amounts.add(k)
                    factors.update((i, j))
                    small.add(i if a <= b else j)
    return amounts, factors, small


# --- row features --------------------------------------------------------------------------------------------

ROW_FEATURES: tuple[str, ...] = (
    *(f"rule_{k}" for k in ROW_LABELS),
    "n_values",
    "n_money",
    "n_int",
    "n_percent",
    "has_quantity",
    "has_unit_price",
    "has_amount",
    "has_vat_rate",
    "has_discount",
    "has_triple",
    "log_alpha",
    "alpha_share",
    "n_words",
    "x0_rel",
    "x1_rel",
    "height_ratio",
    "gap_prev",
    "gap_next",
    "rel_y",
    "min_conf",
    "mean_conf",
    "ocr",
    "position",
    "totals_words",
    "has_code",
    "desc_len",
    "prev_money",
    "prev_alpha",
    "prev_item",
    "prev_triple",
    "next_money",
    "next_alpha",
    "next_item",
    "next_triple",
    "first_line",
    "last_line",
)


def _line_basics(row: RowCells, kind: RowKind) -> dict[str, float]:
    values = _values(row)
    texts = [cell.text for _, cell in values]
    nums = [cell.value for _, cell in values if cell.value is not None]
    roles = row.numeric_roles
    amounts, _, _ = _triples(nums)
    raw = row.line.raw
    alpha = sum(ch.isalpha() for ch in raw)
    return {
        **{f"rule_{k}": float(kind.value == k) for k in ROW_LABELS},
        "n_values": float(len(values)),
        "n_money": float(sum(bool(_MONEY.search(t)) for t in texts)),
        "n_int": float(sum(v == v.to_integral_value() for v in nums)),
        "n_percent": float(sum(cell.percent for _, cell in values)),
        "has_quantity": float(ColumnRole.QUANTITY in roles),
        "has_unit_price": float(ColumnRole.UNIT_PRICE in roles),
        "has_amount": float(bool(roles & {ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS})),
        "has_vat_rate": float(ColumnRole.VAT_RATE in roles),
        "has_discount": float(bool(roles & {ColumnRole.DISCOUNT_AMOUNT, ColumnRole.DISCOUNT_PCT})),
        "has_triple": float(bool(amounts)),
        "log_alpha": math.log1p(alpha),
        "alpha_share": alpha / max(len(raw.replace(" ", "")), 1),
        "n_words": float(len(row.line.words)),
        "totals_words": float(bool(_TOTALS_WORDS.search(row.line.norm))),
        "has_code": float(bool(row.text(ColumnRole.CODE))),
        "desc_len": math.log1p(len(row.text(ColumnRole.DESCRIPTION))),
    }


def row_features(table: PageTable) -> np.ndarray:
    """Feature matrix (lines × :data:`ROW_FEATURES`) of one table."""
    n = len(table.rows)
    if n == 0:
        return np.zeros((0, len(ROW_FEATURES)))
    view, layout = table.view, table.layout
    width, height = max(view.width, 1.0), max(view.height, 1.0)
    basics = [_line_basics(row, kind) for row, kind in zip(table.rows, table.rule_kinds, strict=True)]
    heights = sorted(lt.height for lt in table.lines if lt.height > 0)
    median_h = heights[len(heights) // 2] if heights else 10.0
    centres = [lt.cy for lt in table.lines]
    pitches = sorted(b - a for a, b in itertools.pairwise(centres) if b - a > 0.5)
    pitch = pitches[len(pitches) // 2] if pitches else max(median_h * 1.5, 1.0)
    desc = layout.column(ColumnRole.DESCRIPTION)
    start = layout.y1
    out = np.zeros((n, len(ROW_FEATURES)))
    for i, (lt, base) in enumerate(zip(table.lines, basics, strict=True)):
        confs = [w.conf for w in lt.words]
        prev = basics[i - 1] if i > 0 else None
        nxt = basics[i + 1] if i + 1 < n else None
        feats = dict(base)
        feats.update(
            {
                "x0_rel": (lt.x0 - (desc.x0 if desc is not None else 0.0)) / width,
                "x1_rel": lt.x1 / width,
                "height_ratio": lt.height / max(median_h, 1.0),
                "gap_prev": (lt.cy - centres[i - 1]) / pitch if i > 0 else 5.0,
                "gap_next": (centres[i + 1] - lt.cy) / pitch if i + 1 < n else 5.0,
                "rel_y": (lt.cy - start) / height,
                "min_conf": min(confs) if confs else 0.0,
                "mean_conf": sum(confs) / len(confs) if confs else 0.0,
                "ocr": float(view.ocr),
                "position": i / max(n - 1, 1),
                "prev_money": prev["n_money"] if prev else -1.0,
                "prev_alpha": prev["log_alpha"] if prev else -1.0,
                "prev_item": prev["rule_item"] if prev else -1.0,
                "prev_triple": prev["has_triple"] if prev else -1.0,
                "next_money": nxt["n_money"] if nxt else -1.0,
                "next_alpha": nxt["log_alpha"] if nxt else -1.0,
                "next_item": nxt["rule_item"] if nxt else -1.0,
                "next_triple": nxt["has_triple"] if nxt else -1.0,
                "first_line": float(i == 0),
                "last_line": float(i == n - 1),
            }
        )
        out[i] = [feats[name] for name in ROW_FEATURES]
    return out


# --- cell features -------------------------------------------------------------------------------------------

CELL_FEATURES: tuple[str, ...] = (
    *(f"rule_{r.value}" for r in _ROLE_ORDER),
    *(f"{kind}_{r.value}" for r in _GEO_ROLES for kind in ("has", "dx", "overlap")),
    "rank_right",
    "rank_left",
    "n_values",
    "cx_rel",
    "x1_rel",
    "decimals",
    "grouping",
    "percent",
    "numeric",
    "n_chars",
    "has_letters",
    "paren",
    "log_value",
    "integer",
    "legal_vat",
    "le_100",
    "is_product",
    "is_factor",
    "is_small_factor",
    "column_support",
    "line_alpha",
)


def _decimals(text: str) -> int:
    core = text.strip("()%$-")
    m = re.search(r"[.,](\d+)$", core)
    if not m:
        return 0
    # "1.234" in a format where "." groups thousands has no decimals; the parsed value tells
    return len(m.group(1))


def _grouping(text: str) -> bool:
    core = text.strip("()%$-")
    return bool(re.search(r"\d[.,]\d{3}[.,]", core)) or core.count(".") + core.count(",") >= 2


def cell_features(
    table: PageTable, rows: Sequence[RowCells] | None = None
) -> tuple[list[tuple[int, Cell]], np.ndarray]:
    """Every figure of every line of the table as ``(line index, cell)`` and its feature row."""
    rows = list(rows if rows is not None else table.rows)
    width = max(table.view.width, 1.0)
    columns = {role: table.layout.column(role) for role in _GEO_ROLES}
    spans: list[list[tuple[float, float]]] = [[(c.x0, c.x1) for _, c in _candidates(r)] for r in rows]
    index: list[tuple[int, Cell]] = []
    feats: list[list[float]] = []
    for i, row in enumerate(rows):
        values = _candidates(row)
        if not values:
            continue
        figures = [figure(c, table.fmt) for _, c in values]
        nums = [v if v is not None else Decimal(0) for v in figures]
        amounts, factors, small = _triples(nums)
        alpha = math.log1p(sum(ch.isalpha() for ch in row.line.raw))
        n = len(values)
        for k, (role, cell) in enumerate(values):
            value = nums[k]
            f: dict[str, float] = {f"rule_{r.value}": float(role == r) for r in _ROLE_ORDER}
            cx = (cell.x0 + cell.x1) / 2
            for r in _GEO_ROLES:
                col = columns[r]
                if col is None:
                    f[f"has_{r.value}"], f[f"dx_{r.value}"], f[f"overlap_{r.value}"] = 0.0, 1.0, 0.0
                    continue
                overlap = max(0.0, min(cell.x1, col.x1) - max(cell.x0, col.x0)) / max(cell.x1 - cell.x0, 1.0)
                f[f"has_{r.value}"] = 1.0
                f[f"dx_{r.value}"] = max(-1.0, min(1.0, (cx - col.cx) / width))
                f[f"overlap_{r.value}"] = overlap
            support = 0
            for j, other in enumerate(spans):
                if j != i and any(min(cell.x1, b) - max(cell.x0, a) > 0 for a, b in other):
                    support += 1
            f.update(
                {
                    "rank_right": float(n - 1 - k),
                    "rank_left": float(k),
                    "n_values": float(n),
                    "cx_rel": cx / width,
                    "x1_rel": cell.x1 / width,
                    "decimals": float(_decimals(cell.text)),
                    "grouping": float(_grouping(cell.text)),
                    "percent": float(cell.text.endswith("%")),
                    "numeric": float(figures[k] is not None) + float(cell.value is not None),
                    "n_chars": float(min(len(cell.text), 20)),
                    "has_letters": float(any(ch.isalpha() for ch in cell.text)),
                    "paren": float(cell.text.startswith("(")),
                    "log_value": math.log10(float(abs(value)) + 1.0),
                    "integer": float(value == value.to_integral_value()),
                    "legal_vat": float(value in VALID_VAT_RATES),
                    "le_100": float(0 <= value <= 100),
                    "is_product": float(k in amounts),
                    "is_factor": float(k in factors),
                    "is_small_factor": float(k in small),
                    "column_support": support / max(len(rows) - 1, 1),
                    "line_alpha": alpha,
                }
            )
            index.append((i, cell))
            feats.append([f[name] for name in CELL_FEATURES])
    return index, np.asarray(feats, dtype=float).reshape(len(feats), len(CELL_FEATURES))


# --- labels from the ground truth -------------------------------------------------------------------------------


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text).lstrip("0")


def _target_digits(value: Decimal, places: int | None = None) -> str:
    text = f"{value:.{places}f}" if places is not None else format(value.normalize(), "f")
    return _digits(text)


def same_figure(cell: Cell, target: Decimal | None, places: int | None = 2, fmt: NumberFormat | None = None) -> bool:
    """The cell shows ``target``: equal values, or (5+ digits) the same digits but for one OCR slip."""
    value = figure(cell, fmt)
    if target is None or value is None:
        return False
    if value == target:
        return True
    have = _digits(cell.text)
    for want in {_target_digits(target, places), _target_digits(target)}:
        if len(want) >= 5 and Levenshtein.distance(have, want) <= 1:
            return True
    return False


def _near_code(text: str, code: str) -> bool:
    """An OCR'd code: the same characters but for one slip (codes of 6+ characters)."""
    have = text.strip().upper()
    return len(code) >= 6 and Levenshtein.distance(have, code) <= 1


def _item_targets(item: LineItem) -> dict[str, Decimal | None]:
    gross = None
    if item.amount is not None and item.discount:
        gross = item.amount + item.discount
    pct = None
    if item.discount and item.quantity and item.unit_price:
        base = item.quantity * item.unit_price
        if base:
            pct = (item.discount / base * 100).quantize(Decimal("0.01"))
    return {
        "quantity": item.quantity,
        "unit_price": item.unit_price,
        "amount": item.amount,
        "discount_amount": item.discount if item.discount else None,
        "discount_pct": pct,
        "vat_rate": item.vat_rate,
        "gross": gross,
    }


def _match_strength(
    row: RowCells, targets: dict[str, Decimal | None], fmt: NumberFormat | None
) -> tuple[bool, bool, bool]:
    cells = [c for _, c in _candidates(row)]
    amount = any(same_figure(c, targets["amount"], 2, fmt) or same_figure(c, targets["gross"], 2, fmt) for c in cells)
    qty = any(same_figure(c, targets["quantity"], None, fmt) for c in cells)
    price = any(same_figure(c, targets["unit_price"], None, fmt) for c in cells)
    return amount, qty, price


def _describes(lt: LineText, item: LineItem) -> bool:
    """The line holds part of the item's description (a wrapped line, or a fragment such as "x24")."""
    text = normalize(lt.raw)
    want = normalize(item.description)
    if not text or not want:
        return False
    if len(text) >= 2 and re.search(r"(?<![A-Z0-9])" + re.escape(text) + r"(?![A-Z0-9])", want):
        return True
    return sum(ch.isalpha() for ch in text) >= 3 and fuzz.partial_ratio(text, want) >= 75


def _one_per_role(pairs: list[tuple[Cell, str]], row: RowCells) -> list[tuple[Cell, str]]:
    """At most one cell per role on a line: when two figures show the same value (an exempt line's net and
    final amounts), the one the rules put in that column keeps the label, else the leftmost; the others
    become ``other``."""
    rule_role = {id(c): role for role, cells in row.cells.items() for c in cells}
    keep: dict[str, int] = {}
    for n, (cell, label) in enumerate(pairs):
        if label == "other":
            continue
        if label not in keep or (
            rule_role.get(id(cell)) == _CELL_ROLE.get(label)
            and rule_role.get(id(pairs[keep[label]][0])) != _CELL_ROLE.get(label)
        ):
            keep[label] = n
    chosen = set(keep.values())
    return [(cell, label if label == "other" or n in chosen else "other") for n, (cell, label) in enumerate(pairs)]


@dataclass
class DocLabels:
    """Training labels of one document: row kinds per table (``None``: left out) and cell roles."""

    row_labels: list[list[str | None]] = field(default_factory=list)
    cell_labels: list[dict[int, list[tuple[Cell, str]]]] = field(default_factory=list)
    matched: int = 0
    total: int = 0

    @property
    def coverage(self) -> float:
        return self.matched / self.total if self.total else 0.0


def label_document(tables: Sequence[PageTable], items: Sequence[LineItem], min_coverage: float = 0.8) -> DocLabels:
    """Align the truth ``items`` with the table lines; rows are labelled only when at least
    ``min_coverage`` of the items were found (else the reading is too broken to say what a line is)."""
    labels = DocLabels(total=len(items))
    item_at: list[dict[int, int]] = [{} for _ in tables]
    k = 0
    for t, table in enumerate(tables):
        for i, row in enumerate(table.rows):
            for j in range(k, min(k + 4, len(items))):
                amount, qty, price = _match_strength(row, _item_targets(items[j]), table.fmt)
                if (amount and (qty or price)) or (qty and price) or (amount and items[j].quantity == 1):
                    item_at[t][i] = j
                    k = j + 1
                    labels.matched += 1
                    break
    # cell roles on item lines
    for t, table in enumerate(tables):
        cells: dict[int, list[tuple[Cell, str]]] = {}
        for i, j in item_at[t].items():
            targets = _item_targets(items[j])
            out: list[tuple[Cell, str]] = []
            code = (items[j].code or "").strip().upper()
            for role, cell in _candidates(table.rows[i]):
                candidates = [
                    name
                    for name in CELL_LABELS[:-2]
                    if same_figure(cell, targets[name], None if name in ("quantity", "unit_price") else 2, table.fmt)
                ]
                if code and (cell.text.strip().upper() == code or _near_code(cell.text, code)):
                    candidates = ["code"]
                if not candidates:
                    out.append((cell, "other"))
                elif len(candidates) == 1:
                    out.append((cell, candidates[0]))
                else:
                    chosen = next((c for c in candidates if _CELL_ROLE[c] == role), None)
                    if chosen is not None:
                        out.append((cell, chosen))
            cells[i] = _one_per_role(out, table.rows[i])
        labels.cell_labels.append(cells)
    # row kinds
    good = labels.coverage >= min_coverage
    last_item = max((t for t in range(len(tables)) if item_at[t]), default=-1)
    for t, table in enumerate(tables):
        n = len(table.rows)
        kinds: list[str | None] = [None] * n
        if not good:
            labels.row_labels.append(kinds)
            continue
        at = item_at[t]
        for i in at:
            kinds[i] = RowKind.ITEM.value
        positions = sorted(at)
        for i in range(n):
            if kinds[i] is not None:
                continue
            before = [p for p in positions if p < i]
            after = [p for p in positions if p > i]
            near = [items[at[p]] for p in (before[-1:] + after[:1])]
            lt = table.lines[i]
            if not positions:
                kinds[i] = RowKind.END.value if t > last_item else RowKind.SKIP.value
            elif not after:
                # below the page's last item: its description lines, then the end of the table
                chain = all(kinds[m] in (RowKind.CONTINUATION.value, RowKind.ITEM.value) for m in range(before[-1], i))
                if chain and i - before[-1] <= 3 and _describes(lt, items[at[before[-1]]]):
                    kinds[i] = RowKind.CONTINUATION.value
                elif table.rule_kinds[i] == RowKind.DISCOUNT and i == before[-1] + 1:
                    kinds[i] = RowKind.DISCOUNT.value
                else:
                    kinds[i] = RowKind.END.value
            elif table.rule_kinds[i] == RowKind.DISCOUNT and before and items[at[before[-1]]].discount:
                kinds[i] = RowKind.DISCOUNT.value
            elif any(_describes(lt, item) for item in near):
                kinds[i] = RowKind.CONTINUATION.value
            else:
                kinds[i] = RowKind.SKIP.value
        labels.row_labels.append(kinds)
    return labels


# --- models ------------------------------------------------------------------------------------------------------


def _classifier(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.1, max_leaf_nodes=15, l2_regularization=1.0, random_state=seed
    )


_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class RowModel:
    """Row kinds from :func:`row_features`. The model overrules the rules' kind of a line only when it is
    clearly surer of its own (:attr:`margin`) and only for kinds it saw enough of in training: a kind it
    never met (say, discount lines) is left to the rules."""

    model: Any
    classes: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    margin: float = 0.2
    min_seen: int = 5

    @classmethod
    def fit(cls, x: np.ndarray, y: Sequence[str], seed: int = 0) -> RowModel:
        labels = np.asarray(y)
        if len(set(labels)) < 2:
            raise ValueError("row classifier needs at least two kinds of lines to learn from")
        model = _classifier(seed).fit(x, labels)
        counts = {str(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True), strict=True)}
        return cls(model, tuple(str(c) for c in model.classes_), counts)

    def predict(self, table: PageTable) -> list[RowKind]:
        x = row_features(table)
        if len(x) == 0:
            return []
        proba = self.model.predict_proba(x)
        out: list[RowKind] = []
        full = {ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE}
        # where a line with quantity and price that the rules take for an item is still to come
        items_below = [False] * len(table.rows)
        for i in range(len(table.rows) - 2, -1, -1):
            nxt = table.rows[i + 1]
            items_below[i] = items_below[i + 1] or (
                table.rule_kinds[i + 1] == RowKind.ITEM and full <= nxt.numeric_roles
            )
        for n, (p, rule, lt) in enumerate(zip(proba, table.rule_kinds, table.lines, strict=True)):
            best = int(np.argmax(p))
            rule_p = float(p[self.classes.index(rule.value)]) if rule.value in self.classes else 0.0
            known = self.counts.get(rule.value, 0) >= self.min_seen
            # the model does not end the table on a line of bare figures (the half of a row the OCR split
            # off) nor above a line the rules read as a whole item: ending early loses every item below
            early_end = self.classes[best] == RowKind.END.value and (not _LETTER.search(lt.raw) or items_below[n])
            if self.classes[best] == rule.value or not known or float(p[best]) - rule_p < self.margin or early_end:
                out.append(rule)
            else:
                out.append(RowKind(self.classes[best]))
        return out


@dataclass
class CellModel:
    """Column roles of figures from :func:`cell_features`."""

    model: Any
    classes: tuple[str, ...]
    min_probability: float = 0.3
    rule_bonus: float = 0.2
    """Added to the probability of the role the rules gave a figure: the model must be clearly surer to move it."""

    @classmethod
    def fit(cls, x: np.ndarray, y: Sequence[str], seed: int = 0) -> CellModel:
        labels = np.asarray(y)
        if len(set(labels)) < 2:
            raise ValueError("cell classifier needs at least two roles to learn from")
        model = _classifier(seed).fit(x, labels)
        return cls(model, tuple(str(c) for c in model.classes_))

    def reassign(self, table: PageTable) -> list[RowCells]:
        """The table's rows with their figures moved to the roles the model gives them (one figure per
        role and line, most probable first); figures it calls ``other`` keep a text role if they had one."""
        index, x = cell_features(table)
        if not index:
            return list(table.rows)
        proba = self.model.predict_proba(x)
        by_line: dict[int, list[tuple[Cell, np.ndarray]]] = {}
        for (i, cell), p in zip(index, proba, strict=True):
            by_line.setdefault(i, []).append((cell, p))
        rows: list[RowCells] = []
        other = self.classes.index("other") if "other" in self.classes else None
        for i, row in enumerate(table.rows):
            found = by_line.get(i)
            if not found:
                rows.append(row)
                continue
            rows.append(self._reassign_row(row, found, other, table.fmt))
        return rows

    def _reassign_row(
        self, row: RowCells, found: list[tuple[Cell, np.ndarray]], other: int | None, fmt: NumberFormat | None
    ) -> RowCells:
        rule_role = {id(c): role for role, cells in row.cells.items() for c in cells}
        rule_label = {
            id(c): name for c, _ in found for name, role in _CELL_ROLE.items() if rule_role.get(id(c)) == role
        }
        options = sorted(
            (
                (float(p[j]) + (self.rule_bonus if rule_label.get(id(cell)) == name else 0.0), n, j)
                for n, (cell, p) in enumerate(found)
                for j, name in enumerate(self.classes)
                if name != "other"
                and p[j] >= self.min_probability
                and (other is None or p[j] + (self.rule_bonus if rule_label.get(id(cell)) == name else 0.0) >= p[other])
            ),
            reverse=True,
        )
        taken_cells: set[int] = set()
        taken_roles: set[str] = set()
        assigned: dict[int, ColumnRole] = {}
        for _, n, j in options:
            name = self.classes[j]
            if n in taken_cells or name in taken_roles:
                continue
            taken_cells.add(n)
            taken_roles.add(name)
            assigned[id(found[n][0])] = _CELL_ROLE[name]
        moved = {id(c) for c, _ in found}
        new = RowCells(row.line)
        for role, cells in row.cells.items():
            for cell in cells:
                if id(cell) not in moved:
                    new.cells.setdefault(role, []).append(cell)
        for cell, _ in found:
            target = assigned.get(id(cell))
            if target is None:
                previous = rule_role.get(id(cell), ColumnRole.OTHER)
                target = previous if previous not in NUMERIC_ROLES else ColumnRole.OTHER
            elif target in NUMERIC_ROLES and cell.value is None:
                value = figure(cell, fmt)
                if value is None:
                    target = rule_role.get(id(cell), ColumnRole.OTHER)
                else:
                    cell = Cell(cell.text, cell.x0, cell.x1, value, cell.text.endswith("%"))
            new.cells.setdefault(target, []).append(cell)
        for cells in new.cells.values():
            cells.sort(key=lambda c: c.x0)
        return new


# --- plugging into the rule engine --------------------------------------------------------------------------------


class _FoundHeaders:
    def __init__(self, tables: Sequence[PageTable]) -> None:
        self.layouts = {t.view.index: t.layout for t in tables if t.found}

    def find(self, view: PageView, start_y: float = 0.0) -> TableLayout | None:
        return self.layouts.get(view.index)


class _PlannedCells:
    def __init__(self, planned: dict[int, RowCells]) -> None:
        self.planned = planned
        self.fallback = RuleCellAssigner()

    def assign(self, lt: LineText, layout: TableLayout, fmt: NumberFormat | None) -> RowCells:
        found = self.planned.get(id(lt))
        return found if found is not None else self.fallback.assign(lt, layout, fmt)


class _PlannedKinds:
    def __init__(self, planned: dict[int, RowKind]) -> None:
        self.planned = planned
        self.fallback = RuleRowClassifier()

    def classify(self, row: RowCells) -> RowKind:
        found = self.planned.get(id(row.line))
        return found if found is not None else self.fallback.classify(row)


@dataclass
class LearnedItems:
    """Items with the learned row and/or cell models (either may be ``None``: the rule step is kept)."""

    row_model: RowModel | None = None
    cell_model: CellModel | None = None
    infer_headers: bool = False

    def extract_items(self, views: Sequence[PageView], fmt: NumberFormat | None) -> ItemsResult:
        tables = build_tables(views, fmt, infer_headers=self.infer_headers)
        cells: dict[int, RowCells] = {}
        kinds: dict[int, RowKind] = {}
        for table in tables:
            rows = table.rows
            if self.cell_model is not None:
                # a row whose rule cells add up (quantity × price = amount) keeps them: arithmetic outranks
                # the model (it once swapped a ticket's 0,00 discount with the amount)
                rows = [
                    rule if row_adds_up(rule) and not row_adds_up(learned) else learned
                    for rule, learned in zip(table.rows, self.cell_model.reassign(table), strict=True)
                ]
            for lt, row in zip(table.lines, rows, strict=True):
                cells[id(lt)] = row
            if self.row_model is not None:
                for lt, kind in zip(table.lines, self.row_model.predict(table), strict=True):
                    kinds[id(lt)] = kind
        return extract_items(
            views,
            fmt,
            header_finder=_FoundHeaders(tables),
            assigner=_PlannedCells(cells),
            classifier=_PlannedKinds(kinds),
        )
