"""Items of a table whose header did not read, found by their arithmetic.

On a blurred photo the column labels are often the first thing lost ("CANT, A Y UNIT, [VIVA] — IMPORTE"),
and without them :func:`minimarket.documents.items.extract_items` finds no table. The item lines are still
recognisable: three figures of the line, left to right, are a quantity, a unit price and an amount with
quantity × price = amount (to the cent, :func:`minimarket.domain.money.line_adds_up`), read as OCR read them
or as the figure reader did (:attr:`~minimarket.documents.layout.Word.alts`). Only lines that add up become
items, so a line of totals or a date never does. The description is the line's text before its figures, or,
on a ticket that prints it on a line of its own, the line above; a bonus line below ("Bonif. 10,00 %
-326,91") is the item's discount. Every such item is arithmetic-checked by construction, which is why this
runs only where no table gave any item (none found, or a header misread so that no row came out of it) and
only on OCR pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations, product

from rapidfuzz import fuzz

from minimarket.documents.linetext import DISCOUNT_ROW, LineText, PageView, read_figure
from minimarket.domain.invoice import LineItem
from minimarket.domain.money import line_adds_up
from minimarket.domain.numbers import NumberFormat

MAX_QUANTITY = Decimal("10000")
"""Largest quantity a shop's supplier line has (units or kilograms)."""
MAX_X_QUANTITY = Decimal("999")
"""Largest quantity recovered from a figure glued to its "x" (:func:`_quantity_with_its_x`)."""
MIN_ITEM_LINES = 2
"""Lines that must add up before the page's arithmetic rows are taken for its table."""
_CODE = re.compile(r"^\d{4,14}$")
_CENTS = re.compile(r"[.,]\d{2,4}$")
_BONUS_CUES = ("BONIF", "DTO", "DESC")
BONUS_CUE_SCORE = 75
"""rapidfuzz ratio from which a line's first word names a bonus ("HONIF" 80, "BONTF" 80)."""
_LETTERS = re.compile(r"[A-Za-zÁÉÍÓÚÑáéíóúñ]{2,}")


@dataclass(frozen=True, slots=True)
class _Figure:
    index: int
    """Position of the word in its line."""
    values: tuple[Decimal, ...]
    """The word's value as first read, then as the figure reader read it (when that differs)."""


@dataclass(frozen=True, slots=True)
class _Match:
    first: int
    """Index of the line's first word that belongs to the figures (the quantity)."""
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = Decimal("0")


def _figures(lt: LineText, fmt: NumberFormat | None, cents: bool = False) -> list[_Figure]:
    """The line's figures with their readings; with ``cents``, only the readings printed with decimals."""
    out = []
    for i, word in enumerate(lt.words):
        readings = [word.text, *word.alts]
        values = []
        for text in readings:
            text = text.strip("$")
            if cents and not _CENTS.search(text):
                continue
            value = read_figure(text, fmt, ocr=True)
            if value is not None and value > 0 and value not in values:
                values.append(value)
        if values:
            out.append(_Figure(i, tuple(values)))
    return out


def _line_match(lt: LineText, fmt: NumberFormat | None) -> _Match | None:
    """The line's quantity, price and amount, when they add up; the price and the amount are read only as
    printed with decimals, as every invoice prints money (a "4688" whose cents OCR split off is no price)."""
    figures = _figures(lt, fmt)
    if len(figures) < 3:
        return None
    money = {f.index: f for f in _figures(lt, fmt, cents=True)}
    return _adding_up(figures, money)


def _adding_up(figures: Sequence[_Figure], money: dict[int, _Figure]) -> _Match | None:
    """The rightmost quantity × price = amount among the line's figures (``money``: those printed with
    decimals), if any; else the rightmost quantity × price less a discount (a percentage or an amount
    printed between them) = amount."""

    def rightmost(combo: tuple[_Figure, ...]) -> tuple[int, ...]:
        return tuple(-f.index for f in reversed(combo))

    for q, p, a in sorted(combinations(figures, 3), key=rightmost):
        if p.index not in money or a.index not in money:
            continue
        p, a = money[p.index], money[a.index]
        for quantity, price, amount in product(q.values, p.values, a.values):
            if quantity <= MAX_QUANTITY and amount >= price and line_adds_up(quantity, price, amount):
                return _Match(q.index, quantity, price, amount)
    for q, p, d, a in sorted(combinations(figures, 4), key=rightmost):
        if p.index not in money or a.index not in money:
            continue
        p, a = money[p.index], money[a.index]
        for quantity, price, off, amount in product(q.values, p.values, d.values, a.values):
            if quantity > MAX_QUANTITY:
                continue
            if off < 100 and line_adds_up(quantity, price, amount, None, off):
                return _Match(q.index, quantity, price, amount, quantity * price * off / 100)
            if line_adds_up(quantity, price, amount, off):
                return _Match(q.index, quantity, price, amount, off)
    return _quantity_with_its_x(figures, money)


def _quantity_with_its_x(figures: Sequence[_Figure], money: dict[int, _Figure]) -> _Match | None:
    """A ticket's "6 x 3.578,94  21.473,64" whose "6 x" OCR read as one figure ("64", "104"): the amount
    over the price is a whole quantity that the first figure's digits begin with."""
    for p, a in sorted(combinations(figures[1:], 2), key=lambda t: (-t[1].index, -t[0].index)):
        first = figures[0]
        if p.index not in money or a.index not in money or first.index >= p.index:
            continue
        for price, amount in product(money[p.index].values, money[a.index].values):
            quantity = amount / price
            if quantity != quantity.to_integral_value() or not 1 <= quantity <= MAX_X_QUANTITY:
                continue
            quantity = quantity.quantize(Decimal(1))
            if line_adds_up(quantity, price, amount) and any(
                str(v).startswith(str(quantity)) and v != quantity for v in first.values
            ):
                return _Match(first.index, quantity, price, amount)
    return None


def _description(lt: LineText, end: int) -> tuple[str | None, str]:
    words = [w.text for w in lt.words[:end]]
    code = words.pop(0) if words and _CODE.match(words[0]) else None
    return code, " ".join(words).strip(" |-")


def _bonus(lt: LineText, fmt: NumberFormat | None, amount: Decimal) -> Decimal | None:
    """The amount of a bonus line under an item ("Bonif. 10,00% -326,91", read "Honif, 10,004 -326,91"): its
    last figure, printed negative and smaller than the item's amount, on a line that names a bonus (the
    items table's :data:`~minimarket.documents.linetext.DISCOUNT_ROW`, or its first word misread) or a
    percentage."""
    norm = lt.norm.strip()
    first = norm.split(" ", 1)[0][:5]
    named = DISCOUNT_ROW.match(norm) or "%" in lt.raw
    if not named and not any(fuzz.ratio(first, cue) >= BONUS_CUE_SCORE for cue in _BONUS_CUES):
        return None
    last = lt.words[-1].text if lt.words else ""
    if not last.startswith("-"):
        return None
    value = read_figure(last.lstrip("-"), fmt, ocr=True)
    return value if value is not None and 0 < value < amount else None


def _page_items(view: PageView, fmt: NumberFormat | None) -> Iterator[LineItem]:
    lines = view.lines
    matches = {n: m for n, lt in enumerate(lines) if (m := _line_match(lt, fmt)) is not None}
    if len(matches) < MIN_ITEM_LINES:
        return
    for n, match in sorted(matches.items()):
        code, description = _description(lines[n], match.first)
        if not _LETTERS.search(description) and n > 0 and n - 1 not in matches:
            above = lines[n - 1]
            if not _figures(above, fmt) or _LETTERS.search(above.raw):
                code_above, description = _description(above, len(above.words))
                code = code or code_above
        bonus = _bonus(lines[n + 1], fmt, match.amount) if n + 1 < len(lines) and n + 1 not in matches else None
        yield LineItem(
            code=code,
            description=description or code or "(sin descripción)",
            quantity=match.quantity,
            unit_price=match.unit_price,
            discount=match.discount + (bonus or 0),
            amount=match.amount - (bonus or 0),
        )


def items_by_arithmetic(views: Sequence[PageView], fmt: NumberFormat | None) -> list[LineItem]:
    """Items of the OCR pages ``views`` whose lines add up (see the module docstring)."""
    return [item for view in views if view.ocr for item in _page_items(view, fmt)]
