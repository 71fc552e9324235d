"""One item from its rows of cells: description, code, unit and figures, with the decimals OCR lost put back
when exactly one way makes the item add up, a discount line applied, and a quantity left in the description
found by the arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from minimarket.documents.item_cells import Cell, RowCells, cell_value, lost_decimals
from minimarket.documents.item_columns import NUMERIC_ROLES, ColumnRole
from minimarket.domain.afip import VALID_VAT_RATES
from minimarket.domain.invoice import LineItem
from minimarket.domain.money import LINE_TOLERANCE, line_adds_up, to_cents


@dataclass(slots=True)
class ItemRow:
    """The rows of cells of one item: its main row, description lines above and below it, discount lines."""

    cells: RowCells
    continuation: list[RowCells] = field(default_factory=list)
    before: list[RowCells] = field(default_factory=list)
    discounts: list[RowCells] = field(default_factory=list)


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


def build_item(row: ItemRow) -> LineItem | None:
    main = row.cells
    parts = [*row.before, main, *row.continuation]
    description = " ".join(text for p in parts if (text := _description_of(p, p is main)))
    code = next(
        (p.text(ColumnRole.CODE) for p in [main, *row.before, *row.continuation] if p.text(ColumnRole.CODE)), ""
    )
    unit = main.text(ColumnRole.UNIT) or next((p.text(ColumnRole.UNIT) for p in parts if p.text(ColumnRole.UNIT)), "")
    description = re.sub(r"\s+", " ", description).strip(" |-")
    quantity = cell_value(main, ColumnRole.QUANTITY)
    unit_price = cell_value(main, ColumnRole.UNIT_PRICE)
    amount = cell_value(main, ColumnRole.AMOUNT)
    gross = cell_value(main, ColumnRole.AMOUNT_GROSS)
    rate = cell_value(main, ColumnRole.VAT_RATE)
    discount = cell_value(main, ColumnRole.DISCOUNT_AMOUNT)
    pct = cell_value(main, ColumnRole.DISCOUNT_PCT)
    if not discount:
        quantity, unit_price, pct, amount = lost_decimals(main, quantity, unit_price, pct, amount)
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
