"""Repairs of the totals: net + exempt + untaxed + VAT + other taxes = total fixes the one figure OCR misread
when exactly one reading fits (:mod:`minimarket.documents.misreads`), and a lost net is deduced when
something independent confirms it. Each repair is recorded as a ``repair_*`` check."""

from __future__ import annotations

from decimal import Decimal

from minimarket.documents.evidence import Builder, invoice_letter, money, sentence
from minimarket.documents.misreads import (
    FIGURE_SLIPS,
    Repair,
    Slip,
    TieBreak,
    misread_digits,
    only_fit,
    plausible_misreading,
)
from minimarket.domain.invoice import LineItem, OtherTax, Source, VatLine
from minimarket.domain.money import to_cents


def deduce_net(b: Builder, items: list[LineItem]) -> None:
    """A net the reading lost (a smudged subtotal) is total − VAT − other taxes − exempt, when something
    independent confirms it: the VAT is that net × its rate (one rate), or the items add up to it. On a B or
    C invoice, which states no VAT, a net read that the arithmetic rejects is replaced the same way when the
    items or the QR's total confirm it (every reading of the net that fits is that one figure)."""
    total = b.get("total")
    read = b.get("net_amount")
    if total is None:
        return
    vat: list[VatLine] = b.get("vat") or []
    taxes: list[OtherTax] = b.get("other_taxes") or []
    rest = sum((line.amount for line in vat), Decimal("0")) + sum((t.amount for t in taxes), Decimal("0"))
    rest += (b.get("exempt_amount") or Decimal("0")) + (b.get("untaxed_amount") or Decimal("0"))
    net = total - rest
    if net <= 0:
        return
    tol = max(b.tolerance, Decimal("0.02"))
    amounts = [i.amount for i in items if i.amount is not None]
    by_items = bool(amounts) and len(amounts) == len(items) and abs(sum(amounts, Decimal("0")) - net) <= tol
    by_vat = len(vat) == 1 and vat[0].rate > 0 and _vat_fits(net, vat[0].rate, vat[0].amount, tol)
    # a B or C invoice states no VAT: its subtotal (the net) is the total less other taxes
    by_letter = not vat and invoice_letter(b) in ("B", "C")
    if read is not None:
        _restate_net(b, read, net, by_letter and (by_items or (_qr_confirms_total(b) and not taxes)))
        return
    if not (by_items or by_vat or by_letter):
        return
    b.set("net_amount", to_cents(net), Source.COMPUTED, 0.8)
    if len(vat) == 1 and vat[0].base != net and by_vat:
        vat[0] = VatLine(rate=vat[0].rate, base=to_cents(net), amount=vat[0].amount)
    why = (
        "el IVA es ese neto por su alícuota"
        if by_vat
        else "los ítems suman ese importe"
        if by_items
        else f"una factura {invoice_letter(b)} no discrimina IVA"
    )
    b.check(
        "repair_net_amount",
        True,
        f"No se leyó el neto; se calculó {money(to_cents(net))} como total − IVA − otros tributos, y {why}.",
    )


def _restate_net(b: Builder, read: Decimal, net: Decimal, confirmed: bool) -> None:
    """A B or C invoice's net read as a figure the arithmetic rejects (a garbled subtotal), replaced by total −
    other taxes when ``confirmed``."""
    if not confirmed or abs(read - net) <= b.tolerance:
        return
    value = b.values["net_amount"]
    value.value, value.source = to_cents(net), Source.COMPUTED
    value.confidence = min(value.confidence, 0.8)
    b.check(
        "repair_net_amount",
        True,
        f"Neto: se leyó {money(read)} y se corrigió a {money(to_cents(net))}, el total menos otros tributos: una "
        f"factura {invoice_letter(b)} no discrimina IVA, y los ítems o el QR confirman ese importe.",
    )


def _qr_confirms_total(b: Builder) -> bool:
    qr, total = b.ev.qr, b.get("total")
    return (
        qr is not None and qr.importe is not None and total is not None and abs(qr.importe - total) <= Decimal("0.01")
    )


def repair_totals(b: Builder) -> None:
    """net + exempt + untaxed + VAT + other taxes = total: if it fails, fix the one figure whose reading
    can be wrong in exactly one way that satisfies it (the QR's importe settles the total)."""
    total = b.get("total")
    net = b.get("net_amount")
    if total is None or net is None:
        return
    vat: list[VatLine] = b.get("vat") or []
    taxes: list[OtherTax] = b.get("other_taxes") or []
    parts: list[tuple[str, int | None, Decimal]] = [("net_amount", None, net)]
    parts += [("vat", i, line.amount) for i, line in enumerate(vat)]
    parts += [("other_taxes", i, tax.amount) for i, tax in enumerate(taxes)]
    parts += [(name, None, b.get(name)) for name in ("exempt_amount", "untaxed_amount") if b.get(name) is not None]
    s = sum((v for _, _, v in parts), Decimal("0"))
    diff = s - total
    if diff == 0:
        return
    within = abs(diff) <= b.tolerance
    allow = frozenset({Slip.TRUNCATED}) if within else FIGURE_SLIPS
    options: list[Repair] = []
    slip = plausible_misreading(total, s, allow)
    qr_confirms = _qr_confirms_total(b)
    if slip and not qr_confirms:
        options.append(Repair("total", total, to_cents(s), slip))
    # with the total confirmed by the QR, a VAT or net figure the other arithmetic also fixes may be any
    # reading the arithmetic fixes to the cent (two digits blurred, one dropped): outvoted, not guessed
    wide: list[Repair] = []
    for name, index, value in parts:
        want = value - diff
        slip = plausible_misreading(value, want, allow)
        if not slip and qr_confirms and not within and name in ("net_amount", "vat"):
            slip = misread_digits(value, want)
            if slip:
                wide.append(Repair(name, value, to_cents(want), slip, index))
                continue
        if slip:
            options.append(Repair(name, value, to_cents(want), slip, index))
    repair = only_fit(
        [*options, *wide],
        fits=lambda r: _keeps_the_other_checks(b, r, in_wide=r in wide),
        # a total read "845.780,78" or a net read "82.081,27" may both fit; the VAT at its rate says which
        tie_breaks=[TieBreak(keep=lambda r: _vat_agrees_after(b, r), only_if_one=True)],
    )
    if repair is not None:
        _apply_totals_repair(b, repair)


def _keeps_the_other_checks(b: Builder, repair: Repair, in_wide: bool) -> bool:
    """Whether a repaired total figure keeps the other constraints: VAT = base × rate, Σ items = net (a
    wide reading of the net needs the items or its VAT to confirm it)."""
    vat: list[VatLine] = b.get("vat") or []
    near = max(b.tolerance, Decimal("0.02"))
    if repair.field == "vat":
        assert repair.index is not None
        line = vat[repair.index]
        return _vat_fits(line.base, line.rate, repair.new, near)
    if repair.field != "net_amount":
        return True
    items = [i.amount for i in b.ev.items.items]
    items_sum = sum((a for a in items if a is not None), Decimal("0")) if items and None not in items else None
    items_tol = max(b.tolerance, Decimal("0.01") * len(items))
    # a B or C invoice with no VAT: its net is the total less taxes whatever misread items say
    stated = not vat and invoice_letter(b) in ("B", "C")
    base_is_net = len(vat) == 1 and vat[0].base == repair.old
    if base_is_net and not _vat_fits(repair.new, vat[0].rate, vat[0].amount, near):
        return False
    # the VAT at its rate fixes the net to the cent: misread items do not outvote it and the total together
    by_vat = base_is_net and vat[0].rate > 0
    if items_sum is not None and abs(items_sum - repair.new) > items_tol and not (stated or by_vat):
        return False
    by_items = items_sum is not None and abs(items_sum - repair.new) <= items_tol
    return not in_wide or by_items or by_vat


def _vat_fits(base: Decimal, rate: Decimal, amount: Decimal, near: Decimal) -> bool:
    """Whether ``amount`` is ``base`` × ``rate`` % within ``near``."""
    return abs(base * rate / 100 - amount) <= near


def _vat_agrees_after(b: Builder, repair: Repair) -> bool:
    """Whether every VAT line equals its base × its rate once ``repair`` is made (a net repaired is its VAT's
    base as well)."""
    near = max(b.tolerance, Decimal("0.02"))
    for index, line in enumerate(b.get("vat") or []):
        base = repair.new if repair.field == "net_amount" and line.base == repair.old else line.base
        amount = repair.new if repair.field == "vat" and repair.index == index else line.amount
        if line.rate > 0 and not _vat_fits(base, line.rate, amount, near):
            return False
    return True


def _apply_totals_repair(b: Builder, repair: Repair) -> None:
    vat: list[VatLine] = b.get("vat") or []
    taxes: list[OtherTax] = b.get("other_taxes") or []
    if repair.field == "vat":
        assert repair.index is not None
        line = vat[repair.index]
        vat[repair.index] = VatLine(rate=line.rate, base=line.base, amount=repair.new)
        b.values["vat"].source = Source.COMPUTED
        label = f"IVA {format(line.rate.normalize(), 'f')} %"
        check = "repair_vat"
    elif repair.field == "other_taxes":
        assert repair.index is not None
        tax = taxes[repair.index]
        taxes[repair.index] = OtherTax(kind=tax.kind, amount=repair.new, description=tax.description)
        label = tax.description or "otro tributo"
        check = "repair_tax"
    else:
        value = b.values[repair.field]
        value.value, value.source = repair.new, Source.COMPUTED
        value.confidence = min(value.confidence, 0.8)
        label = {"total": "importe total", "net_amount": "neto"}.get(repair.field, repair.field)
        check = f"repair_{repair.field}"
        if repair.field == "net_amount" and len(vat) == 1 and vat[0].base == repair.old:  # its VAT's base
            vat[0] = VatLine(rate=vat[0].rate, base=repair.new, amount=vat[0].amount)
    b.check(
        check,
        True,
        f"{sentence(label)}: se leyó {money(repair.old)} y se corrigió a {money(repair.new)} ({repair.slip.es}), "
        "porque es la única lectura con la que neto + IVA + otros tributos = total.",
    )
