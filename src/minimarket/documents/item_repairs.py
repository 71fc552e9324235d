"""Repairs of an item's figures: quantity × unit price − discount = amount fixes the one figure OCR
misread when exactly one reading fits (:mod:`minimarket.documents.misreads`); a figure printed without the
decimal separator its column has gets its cents back; a lost quantity or price is deduced when the division
comes out exact. Each repair is recorded as a ``repair_item_*`` check."""

from __future__ import annotations

import re
from decimal import Decimal

from minimarket.documents.evidence import Builder, money
from minimarket.documents.misreads import Repair, Slip, TieBreak, misread_digits, only_fit, quantity_misreading
from minimarket.domain.invoice import LineItem
from minimarket.domain.money import LINE_TOLERANCE, line_adds_up, to_cents
from minimarket.domain.numbers import format_amount


def _items_target(b: Builder) -> Decimal | None:
    """What the items should add up to, as read so far: the net, else the total less other taxes."""
    net = b.get("net_amount")
    if net is not None:
        return Decimal(net)
    total = b.get("total")
    if total is None:
        return None
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    return Decimal(total) - taxes


_SEPARATED = re.compile(r"\d[.,]\d")
_CENTS = re.compile(r"\d[.,\s]\d{2}\)?$")
"""A money figure printed with its cents ("1.444,99"; "1,444 99": OCR cut it there and it was joined again)."""
QUANTITY_DECIMALS = Decimal("0.001")
"""Quantities are printed with at most three decimals (kilograms to the gram)."""


def _unseparated(b: Builder) -> set[tuple[int, str]]:
    """(item index, role) of the figures read without their decimals (a price or an amount without its cents,
    a quantity without a separator) in a table whose figures of that role mostly have them: OCR drops a comma
    or a period far more often than it invents one."""
    by_role: dict[str, list[tuple[int, bool]]] = {}
    for index, role, raw in b.ev.items.amounts_text:
        pattern = _SEPARATED if role == "quantity" else _CENTS  # money has cents: "12.037.560" lost its comma
        by_role.setdefault(role, []).append((index, bool(pattern.search(raw.strip()))))
    out: set[tuple[int, str]] = set()
    for role, seen in by_role.items():
        if sum(separated for _, separated in seen) >= len(seen) / 2:
            out.update((index, role) for index, separated in seen if not separated)
    return out


def repair_items(b: Builder, items: list[LineItem]) -> None:
    """quantity × unit price − discount = amount: fix the one figure that breaks it, when only one can —
    or, when two could (a price and an amount both plausibly misread), the one with which the items add
    up to the net, else the one printed without the decimal separator its column's figures have."""
    target = _items_target(b)
    unseparated = _unseparated(b)
    tol = max(b.tolerance, Decimal("0.01") * max(len(items), 1))
    for n, item in enumerate(items, start=1):
        q, p, a = item.quantity, item.unit_price, item.amount
        if (q is None or p is None) and a is not None and a == int(a) and (n - 1, "amount") in unseparated:
            a = _restore_figure_cents(b, n, item, "amount", a)
        if q is None and p and a is not None and p > 0:
            disc = item.discount or Decimal("0")
            # a price that lost its comma divides any amount into a weight ("275370" → 0,040 for 4 units)
            if p == int(p) and (n - 1, "unit_price") in unseparated and _deduced_quantity(p / 100, a, disc):
                p = _restore_figure_cents(b, n, item, "unit_price", p)
            _deduce_quantity(b, n, item, p, a)
            continue
        if p is None and q and q > 0 and a is not None:
            _deduce_price(b, n, item, q, a)
            continue
        if q is None or p is None or a is None:
            continue
        if line_adds_up(q, p, a, item.discount):
            if {(n - 1, "unit_price"), (n - 1, "amount")} <= unseparated and not item.discount:
                _restore_cents(b, n, item, p, a)
            continue
        disc = item.discount or Decimal("0")
        options: list[Repair] = []
        slip = misread_digits(a, q * p - disc)
        if slip:
            options.append(Repair("amount", a, to_cents(q * p - disc), slip))
        if q:
            want = (a + disc) / q
            slip = misread_digits(p, want)
            if slip and abs(to_cents(want) * q - disc - a) <= LINE_TOLERANCE:
                options.append(Repair("unit_price", p, to_cents(want), slip))
        if p:
            want = ((a + disc) / p).quantize(QUANTITY_DECIMALS)
            slip = quantity_misreading(q, want)
            if slip and line_adds_up(want, p, a, item.discount):
                options.append(Repair("quantity", q, want.normalize(), slip))
        repair = only_fit(options, tie_breaks=_item_tie_breaks(items, n, target, tol, unseparated, b.tolerance))
        if repair is not None:
            setattr(item, repair.field, repair.new)
            b.check(
                f"repair_item_{n}_{repair.field}",
                True,
                f"Ítem {n}: se leyó {format_amount(repair.old, 'ar', 4).rstrip('0').rstrip(',')} y se corrigió a "
                f"{format_amount(repair.new, 'ar')} ({repair.slip.es}), porque cantidad × precio unitario = importe.",
            )


def _item_tie_breaks(
    items: list[LineItem],
    n: int,
    target: Decimal | None,
    tol: Decimal,
    unseparated: set[tuple[int, str]],
    exact: Decimal,
) -> list[TieBreak]:
    """How to choose between readings of item ``n`` that all fit its arithmetic, in order: the one with
    which the items add up to the net (within ``tol``, a cent an item; then, when only one does, within the
    invoice's own tolerance ``exact``: 33 items let a price or an amount 30 cents apart both pass the first);
    the one of a strict slip (not :attr:`Slip.DIGITS`); the one printed without the separator its column's
    figures have; not a whole quantity (a short figure, rarely misread)."""
    item = items[n - 1]
    a = item.amount or Decimal("0")
    q = item.quantity
    out: list[TieBreak] = []
    if target is not None and all(i.amount is not None for i in items):
        current = sum((i.amount for i in items if i.amount is not None), Decimal("0"))
        out.append(TieBreak(lambda r: abs(current + (r.new - a if r.field == "amount" else 0) - target) <= tol))
        out.append(
            TieBreak(
                lambda r: abs(current + (r.new - a if r.field == "amount" else 0) - target) <= exact,
                only_if_one=True,
            )
        )
    out.append(TieBreak(lambda r: r.slip != Slip.DIGITS, only_if_one=True))
    out.append(TieBreak(lambda r: r.slip == Slip.SEPARATOR and (n - 1, r.field) in unseparated, only_if_one=True))
    if q is not None and q == q.to_integral_value():
        out.append(TieBreak(lambda r: r.field != "quantity"))
    return out


def _restore_cents(b: Builder, n: int, item: LineItem, price: Decimal, amount: Decimal) -> None:
    """An item whose price and amount both lost their decimal separator in a table that prints them with
    one ("1459674" and "4379022" for 14.596,74 and 43.790,22): it adds up as read, a hundred times over."""
    item.unit_price, item.amount = price / 100, amount / 100
    b.check(
        f"repair_item_{n}_cents",
        True,
        f"Ítem {n}: el precio unitario y el importe se leyeron sin coma decimal ({price:f} y {amount:f}); se "
        f"tomaron {format_amount(item.unit_price, 'ar')} y {format_amount(item.amount, 'ar')}, como imprime "
        "la tabla sus demás importes.",
    )


_FIGURE_NAMES = {"amount": "el importe", "unit_price": "el precio unitario"}


def _restore_figure_cents(b: Builder, n: int, item: LineItem, attr: str, value: Decimal) -> Decimal:
    """The amount (or price) of an item whose quantity or price did not read, printed without the decimal
    separator the table's other figures have ("85634" for 856,34): its cents put back before the missing
    figure is deduced from it."""
    restored = value / 100
    setattr(item, attr, restored)
    b.check(
        f"repair_item_{n}_{attr}",
        True,
        f"Ítem {n}: {_FIGURE_NAMES[attr]} se leyó sin coma decimal ({value:f}); se tomó "
        f"{format_amount(restored, 'ar')}, como imprime la tabla sus demás importes.",
    )
    return restored


MAX_DEDUCED_QUANTITY = 10_000
MIN_PRICE_TO_DEDUCE_A_WEIGHT = Decimal("1000")
"""A weighed quantity (to the gram) is deduced only from a price of $ 1.000 or more: a gram then moves the
amount by $ 1 or more, so amount ÷ price coming out exact to the gram is rarely a coincidence (1 in 45)."""


def _deduced_quantity(price: Decimal, amount: Decimal, discount: Decimal) -> tuple[Decimal, str, str] | None:
    """(amount + discount) ÷ price when it is a whole number of units to the cent, or a weight to the gram
    from a price of :data:`MIN_PRICE_TO_DEDUCE_A_WEIGHT` or more: (quantity, as shown, what makes it exact)."""
    units = ((amount + discount) / price).to_integral_value()
    if 1 <= units <= MAX_DEDUCED_QUANTITY and abs(units * price - discount - amount) <= LINE_TOLERANCE:
        return units, f"{units}", "unidades exactas"
    weight = ((amount + discount) / price).quantize(QUANTITY_DECIMALS)
    if price < MIN_PRICE_TO_DEDUCE_A_WEIGHT or not 0 < weight <= MAX_DEDUCED_QUANTITY:
        return None
    if abs(weight * price - discount - amount) > LINE_TOLERANCE:
        return None
    return weight, format_amount(weight, "ar", 3), "exacto al gramo"


def _deduce_quantity(b: Builder, n: int, item: LineItem, price: Decimal, amount: Decimal) -> None:
    """A quantity the reading lost (a lone "2" next to a table rule, a smudge) is deduced from amount ÷
    unit price (:func:`_deduced_quantity`), and the checks say so."""
    found = _deduced_quantity(price, amount, item.discount or Decimal("0"))
    if found is None:
        return
    item.quantity, shown, exact = found
    b.check(
        f"repair_item_{n}_quantity",
        True,
        f"Ítem {n}: no se leyó la cantidad; se dedujo {shown} porque importe ÷ precio unitario = {shown} {exact}.",
    )


def _deduce_price(b: Builder, n: int, item: LineItem, quantity: Decimal, amount: Decimal) -> None:
    """A unit price the reading lost (a "3" read as "B") is amount ÷ quantity when that comes out exact to
    the cent, and the checks say so."""
    price = (amount + (item.discount or Decimal("0"))) / quantity
    if price <= 0 or price != price.quantize(Decimal("0.01")):
        return
    item.unit_price = price.quantize(Decimal("0.01"))
    b.check(
        f"repair_item_{n}_unit_price",
        True,
        f"Ítem {n}: no se leyó el precio unitario; se dedujo {money(item.unit_price)} porque importe ÷ cantidad "
        "lo da exacto al centavo.",
    )
