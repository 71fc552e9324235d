"""Reconcile what was read and check it like an auditor.

Inputs are the printed fields (text layer or OCR), the AFIP QR and the legacy CAE barcode. Printed values
win; the QR and the barcode fill what the print lacks (source ``qr`` / ``barcode``) and are compared field
by field with the print (a mismatch is a red flag). Arithmetic ties the figures together and repairs a
reading error when exactly one reading satisfies it (``7.29505`` that must be ``7.295,05`` because
quantity × price = amount; a dropped decimal separator; one misread digit in a total; a clipped last
decimal), saying so in a check.

Checks (``Check(name, ok, detail)``; details in Spanish, for the person who reviews the invoice):
``cuit_check_digit``, ``qr_matches_printed``, ``barcode_matches_printed``, ``items_arithmetic``,
``items_sum_net``, ``vat_per_rate``, ``total_arithmetic``, ``type_rules``, ``date_not_future``,
``cae_format``, ``page_selection`` and one ``repair_*`` check per repair. A check that cannot be
evaluated (no items, no QR...) is left out rather than reported as passed.

Status: ``accepted`` only when the key fields (type, AFIP code, point of sale, number, date, issuer CUIT,
total) are present, agree with the QR when there is one, and every check passes; else ``needs_review``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from minimarket.config import Settings, get_settings
from minimarket.documents.fields import Found, HeaderFields
from minimarket.documents.items import ItemsResult
from minimarket.documents.misreads import (
    FIGURE_SLIPS,
    Repair,
    Slip,
    TieBreak,
    code_misreading,
    misread_digits,
    only_fit,
    plausible_misreading,
    quantity_misreading,
)
from minimarket.documents.pages import PageSelection
from minimarket.documents.totals import TotalCandidate, Totals
from minimarket.domain.afip import DOCUMENT_TYPES, IvaCondition
from minimarket.domain.barcode import CaeBarcode
from minimarket.domain.cuit import is_valid_cuit
from minimarket.domain.invoice import (
    Check,
    ExtractedInvoice,
    Invoice,
    LineItem,
    OtherTax,
    Source,
    Status,
    VatLine,
)
from minimarket.domain.money import LINE_TOLERANCE, line_adds_up, to_cents
from minimarket.domain.numbers import format_amount
from minimarket.domain.qr import QrPayload

MIN_KEY_CONFIDENCE = 0.7
"""Below this confidence a key field read by OCR is doubtful and the invoice goes to review."""

KEY_FIELDS = ("invoice_type", "afip_code", "point_of_sale", "number", "issue_date", "issuer_cuit", "total")
"""Fields that must be present (and agree with the QR) for an invoice to be accepted."""

_FIELD_NAMES_ES = {
    "invoice_type": "letra",
    "afip_code": "tipo de comprobante",
    "point_of_sale": "punto de venta",
    "number": "número",
    "issue_date": "fecha de emisión",
    "issuer_cuit": "CUIT del emisor",
    "total": "importe total",
    "cae": "CAE",
    "cae_due_date": "vencimiento del CAE",
    "currency": "moneda",
    "exchange_rate": "cotización",
    "receiver_doc_type": "tipo de documento del receptor",
    "receiver_doc_number": "documento del receptor",
    "net_amount": "neto",
}

# (invoice field, QR attribute)
_QR_FIELDS = (
    ("issuer_cuit", "cuit"),
    ("point_of_sale", "pto_vta"),
    ("afip_code", "tipo_cmp"),
    ("number", "nro_cmp"),
    ("issue_date", "fecha"),
    ("total", "importe"),
    ("cae", "cod_aut"),
    ("currency", "moneda"),
    ("exchange_rate", "ctz"),
    ("receiver_doc_type", "tipo_doc_rec"),
    ("receiver_doc_number", "nro_doc_rec"),
)
_QR_COMPARED = ("issuer_cuit", "point_of_sale", "afip_code", "number", "issue_date", "total", "cae")
_BARCODE_FIELDS = (
    ("issuer_cuit", "cuit"),
    ("afip_code", "afip_code"),
    ("point_of_sale", "point_of_sale"),
    ("cae", "cae"),
    ("cae_due_date", "cae_due_date"),
)


@dataclass(slots=True)
class Evidence:
    """Everything read from one document, before reconciliation."""

    header: HeaderFields
    totals: Totals
    items: ItemsResult
    selection: PageSelection
    qr: QrPayload | None = None
    qr_conflicts: list[str] = field(default_factory=list)
    barcode: CaeBarcode | None = None
    ocr: bool = False
    pages_total: int = 0


@dataclass(slots=True)
class _Value:
    value: Any
    source: Source
    confidence: float


class _Builder:
    """Collects field values with source and confidence, checks and repairs."""

    def __init__(self, ev: Evidence, settings: Settings, today: dt.date) -> None:
        self.ev = ev
        self.settings = settings
        self.today = today
        self.tolerance = Decimal(str(settings.total_tolerance))
        self.values: dict[str, _Value] = {}
        self.checks: list[Check] = []
        self.text_source = Source.OCR if ev.ocr else Source.TEXT
        self.qr_mismatch: list[str] = []
        self.total_confirmed = False
        """The total was confirmed outside the arithmetic (by the QR when it was read, or by a person)."""

    # --- values -----------------------------------------------------------------------------------
    def put(self, name: str, found: Found[Any] | None, transform: Callable[[Any], Any] | None = None) -> None:
        if found is None or found.value is None:
            return
        value = transform(found.value) if transform else found.value
        self.values[name] = _Value(value, self.text_source, round(found.confidence, 3))

    def get(self, name: str) -> Any:
        item = self.values.get(name)
        return item.value if item is not None else None

    def set(self, name: str, value: Any, source: Source, confidence: float) -> None:
        self.values[name] = _Value(value, source, round(confidence, 3))

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name=name, ok=ok, detail=detail))


def _sentence(text: str) -> str:
    """First letter in upper case, the rest as written (``str.capitalize`` would lower "CAE")."""
    return text[:1].upper() + text[1:]


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"$ {format_amount(value, 'ar')}"


def _show(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if name in ("total", "net_amount") and isinstance(value, Decimal):
        return _money(value)
    return str(value)


def _same(name: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return True
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            tol = Decimal("0.01") if name != "exchange_rate" else Decimal("0.0001")
            return abs(Decimal(str(a)) - Decimal(str(b))) <= tol
        except InvalidOperation:
            return False
    return str(a).lstrip("0") == str(b).lstrip("0") if name in ("cae", "receiver_doc_number") else a == b


# --- repairs ---------------------------------------------------------------------------------------------


def _items_target(b: _Builder) -> Decimal | None:
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


def _unseparated(b: _Builder) -> set[tuple[int, str]]:
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


def _repair_items(b: _Builder, items: list[LineItem]) -> None:
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
        repair = only_fit(options, tie_breaks=_item_tie_breaks(items, n, target, tol, unseparated))
        if repair is not None:
            setattr(item, repair.field, repair.new)
            b.check(
                f"repair_item_{n}_{repair.field}",
                True,
                f"Ítem {n}: se leyó {format_amount(repair.old, 'ar', 4).rstrip('0').rstrip(',')} y se corrigió a "
                f"{format_amount(repair.new, 'ar')} ({repair.slip.es}), porque cantidad × precio unitario = importe.",
            )


def _item_tie_breaks(
    items: list[LineItem], n: int, target: Decimal | None, tol: Decimal, unseparated: set[tuple[int, str]]
) -> list[TieBreak]:
    """How to choose between readings of item ``n`` that all fit its arithmetic, in order: the one with
    which the items add up to the net; the one of a strict slip (not :attr:`Slip.DIGITS`); the one printed
    without the separator its column's figures have; not a whole quantity (a short figure, rarely misread)."""
    item = items[n - 1]
    a = item.amount or Decimal("0")
    q = item.quantity
    out: list[TieBreak] = []
    if target is not None and all(i.amount is not None for i in items):
        current = sum((i.amount for i in items if i.amount is not None), Decimal("0"))
        out.append(TieBreak(lambda r: abs(current + (r.new - a if r.field == "amount" else 0) - target) <= tol))
    out.append(TieBreak(lambda r: r.slip != Slip.DIGITS, only_if_one=True))
    out.append(TieBreak(lambda r: r.slip == Slip.SEPARATOR and (n - 1, r.field) in unseparated, only_if_one=True))
    if q is not None and q == q.to_integral_value():
        out.append(TieBreak(lambda r: r.field != "quantity"))
    return out


def _restore_cents(b: _Builder, n: int, item: LineItem, price: Decimal, amount: Decimal) -> None:
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


def _restore_figure_cents(b: _Builder, n: int, item: LineItem, attr: str, value: Decimal) -> Decimal:
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


def _deduce_quantity(b: _Builder, n: int, item: LineItem, price: Decimal, amount: Decimal) -> None:
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


def _deduce_price(b: _Builder, n: int, item: LineItem, quantity: Decimal, amount: Decimal) -> None:
    """A unit price the reading lost (a "3" read as "B") is amount ÷ quantity when that comes out exact to
    the cent, and the checks say so."""
    price = (amount + (item.discount or Decimal("0"))) / quantity
    if price <= 0 or price != price.quantize(Decimal("0.01")):
        return
    item.unit_price = price.quantize(Decimal("0.01"))
    b.check(
        f"repair_item_{n}_unit_price",
        True,
        f"Ítem {n}: no se leyó el precio unitario; se dedujo {_money(item.unit_price)} porque importe ÷ cantidad "
        "lo da exacto al centavo.",
    )


# --- the builder steps ------------------------------------------------------------------------------------


def _header(b: _Builder) -> None:
    h = b.ev.header
    b.put("invoice_type", h.invoice_type)
    b.put("afip_code", h.afip_code)
    b.put("point_of_sale", h.point_of_sale)
    b.put("number", h.number)
    b.put("issue_date", h.issue_date)
    b.put("issuer_cuit", h.issuer_cuit)
    b.put("issuer_name", h.issuer_name)
    b.put("issuer_iva_condition", h.issuer_iva_condition)
    b.put("receiver_doc_type", h.receiver_doc_type)
    b.put("receiver_doc_number", h.receiver_doc_number)
    b.put("receiver_name", h.receiver_name)
    b.put("receiver_iva_condition", h.receiver_iva_condition)
    b.put("cae", h.cae)
    b.put("cae_due_date", h.cae_due_date)
    b.put("currency", h.currency)
    b.put("exchange_rate", h.exchange_rate)


def _candidate(c: TotalCandidate | None) -> Found[Decimal] | None:
    return None if c is None else Found(c.value, c.conf, c.page, c.y)


def _totals(b: _Builder) -> None:
    t = b.ev.totals
    base = t.net or t.subtotal
    b.put("net_amount", _candidate(base))
    b.put("exempt_amount", _candidate(t.exempt))
    b.put("untaxed_amount", _candidate(t.untaxed))
    b.put("total", _candidate(t.total))
    items = b.ev.items.items
    items_rates = {i.vat_rate for i in items if i.vat_rate is not None}
    items_bases: dict[Decimal, Decimal] = {}
    if items and all(i.vat_rate is not None and i.amount is not None for i in items):
        for i in items:
            assert i.vat_rate is not None and i.amount is not None
            items_bases[i.vat_rate] = items_bases.get(i.vat_rate, Decimal("0")) + i.amount
    net = base.value if base is not None else None
    vat_lines = t.vat_lines(net, items_rates, items_bases)
    if vat_lines:
        conf = min((c.conf for c in t.vat), default=0.8)
        b.set("vat", vat_lines, b.text_source, conf)
    taxes = t.other_tax_list()
    if taxes:
        conf = min((c.conf for c in t.other_taxes), default=0.8)
        b.set("other_taxes", taxes, b.text_source, conf)


def _merge_codes(b: _Builder) -> None:
    """QR and barcode: fill gaps, compare with the print."""
    qr = b.ev.qr
    if qr is not None:
        qr_conf = 0.9 if qr.is_complete else 0.8
        for name, attr in _QR_FIELDS:
            q = getattr(qr, attr)
            if q is None or attr in qr.invalid:
                continue
            if name == "afip_code" and q not in DOCUMENT_TYPES:
                continue
            printed = b.values.get(name)
            if printed is None:
                if name == "exchange_rate" and b.get("currency") in (None, "PES"):
                    continue
                b.set(name, q, Source.QR, qr_conf)
            elif _same(name, printed.value, q):
                printed.confidence = max(printed.confidence, 0.99)
            elif printed.source == Source.OCR and _ocr_misreading(name, printed.value, q):
                b.set(name, q, Source.QR, qr_conf)
                b.check(
                    f"repair_{name}",
                    True,
                    f"{_sentence(_FIELD_NAMES_ES.get(name, name))}: el OCR leyó {_show(name, printed.value)} y se tomó "
                    f"{_show(name, q)} del QR (una lectura OCR con {_OCR_SLIP_ES[name]}).",
                )
            elif name == "total" and printed.source == Source.OCR and _arithmetic_agrees(b, q):
                b.set(name, to_cents(q), Source.QR, qr_conf)
                kind = misread_digits(printed.value, q)
                slip = f" ({kind.es})" if kind else ""
                b.check(
                    "repair_total",
                    True,
                    f"Importe total: el OCR leyó {_show(name, printed.value)} y se tomó {_show(name, q)}{slip}, "
                    "porque el QR y la suma neto + IVA + otros tributos dan ese mismo importe.",
                )
            elif printed.source == Source.OCR and _other_party(b, name, printed.value):
                b.set(name, q, Source.QR, qr_conf)
                b.check(
                    f"repair_{name}",
                    True,
                    f"{_sentence(_FIELD_NAMES_ES.get(name, name))}: el OCR tomó {_show(name, printed.value)}, que es "
                    f"el de la otra parte, y se tomó {_show(name, q)} del QR.",
                )
            elif name in _QR_COMPARED:
                b.qr_mismatch.append(
                    f"{_FIELD_NAMES_ES.get(name, name)}: impreso {_show(name, printed.value)}, QR {_show(name, q)}"
                )
                printed.confidence = min(printed.confidence, 0.5)
    bc = b.ev.barcode
    if bc is not None:
        conf = 0.85 if bc.check_ok else 0.6
        mismatches = []
        for name, attr in _BARCODE_FIELDS:
            value = getattr(bc, attr)
            printed = b.values.get(name)
            if printed is None:
                b.set(name, value, Source.BARCODE, conf)
            elif _same(name, printed.value, value):
                printed.confidence = max(printed.confidence, 0.97 if bc.check_ok else printed.confidence)
            else:
                mismatches.append(
                    f"{_FIELD_NAMES_ES.get(name, name)}: impreso {_show(name, printed.value)}, "
                    f"código de barras {_show(name, value)}"
                )
        b.check(
            "barcode_matches_printed",
            not mismatches and bc.check_ok,
            "; ".join(mismatches)
            if mismatches
            else (
                "El código de barras del CAE coincide con lo impreso."
                if bc.check_ok
                else "El dígito verificador del código de barras del CAE no es correcto."
            ),
        )
    # the letter follows the AFIP code when only the code is known
    code = b.get("afip_code")
    if code in DOCUMENT_TYPES:
        letter = DOCUMENT_TYPES[code].letter
        current = b.values.get("invoice_type")
        source = b.values["afip_code"].source
        if current is None:
            b.set("invoice_type", letter, source, b.values["afip_code"].confidence)
        elif current.value != letter and current.source == Source.OCR and source == Source.QR:
            b.set("invoice_type", letter, source, b.values["afip_code"].confidence)
            b.check(
                "repair_invoice_type",
                True,
                f"Letra: el OCR leyó {current.value} y se tomó {letter} del tipo de comprobante del QR.",
            )


def _printed_sum(b: _Builder) -> Decimal | None:
    """net + exempt + untaxed + VAT + other taxes as read, or ``None`` without a net."""
    net = b.get("net_amount")
    if net is None:
        return None
    vat = sum((v.amount for v in b.get("vat") or []), Decimal("0"))
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    rest = (b.get("exempt_amount") or Decimal("0")) + (b.get("untaxed_amount") or Decimal("0"))
    return Decimal(net) + rest + vat + taxes


def _arithmetic_agrees(b: _Builder, qr_total: Any) -> bool:
    """Whether the invoice's own arithmetic (net + VAT + other taxes, as read) gives the QR's total to the
    cent: two independent readings then outvote an OCR reading of the printed total that differs from both."""
    s = _printed_sum(b)
    return s is not None and isinstance(qr_total, Decimal) and qr_total > 0 and abs(s - qr_total) <= Decimal("0.01")


def _other_party(b: _Builder, name: str, value: Any) -> bool:
    """Whether a party's document read by OCR is the other party's (the issuer's CUIT misread or lost, the
    receiver's taken for it, or the other way round): what the print or the QR says the other one is."""
    qr = b.ev.qr
    if name == "issuer_cuit":
        others = (b.get("receiver_doc_number"), qr.nro_doc_rec if qr is not None else None)
    elif name == "receiver_doc_number":
        others = (b.get("issuer_cuit"), qr.cuit if qr is not None else None)
    else:
        return False
    return any(other is not None and str(other) == str(value) for other in others)


_OCR_SLIP_ES = {
    "issuer_cuit": "uno o dos dígitos mal leídos",
    "point_of_sale": "uno o dos dígitos mal leídos",
    "number": "uno o dos dígitos mal leídos",
    "cae": "uno o dos dígitos mal leídos",
    "receiver_doc_number": "uno o dos dígitos mal leídos",
    "issue_date": "uno o dos dígitos mal leídos",
    "total": "un dígito o el separador decimal mal leídos",
    "afip_code": "la letra o el código del comprobante mal leídos",
    "receiver_doc_type": "el tipo de documento mal leído",
    "currency": "la moneda mal leída",
    "exchange_rate": "la cotización mal leída",
}


def _ocr_misreading(name: str, read: Any, qr: Any) -> bool:
    """Whether an OCR'd field that disagrees with the QR is just an OCR slip of the QR's value (then the QR
    is taken; a larger difference stays a red flag). The small "Cód. 06" and the letter box are misread
    often (B/E/8, 06/08), so a type that disagrees is always taken from the QR."""
    if name == "afip_code":
        return qr in DOCUMENT_TYPES
    if name in ("issuer_cuit", "point_of_sale", "number", "cae", "receiver_doc_number"):
        return code_misreading(str(read).lstrip("0"), str(qr).lstrip("0"))
    if name == "issue_date" and isinstance(read, dt.date) and isinstance(qr, dt.date):
        return code_misreading(read.strftime("%Y%m%d"), qr.strftime("%Y%m%d"))
    if name == "total" and isinstance(read, Decimal) and isinstance(qr, Decimal):
        return plausible_misreading(read, qr) is not None
    return False


def _deduce_net(b: _Builder, items: list[LineItem]) -> None:
    """A net the reading lost (a smudged subtotal) is total − VAT − other taxes − exempt, when something
    independent confirms it: the VAT is that net × its rate (one rate), or the items add up to it."""
    total = b.get("total")
    if b.get("net_amount") is not None or total is None:
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
    by_vat = len(vat) == 1 and vat[0].rate > 0 and abs(net * vat[0].rate / 100 - vat[0].amount) <= tol
    # a B or C invoice states no VAT: its subtotal (the net) is the total less other taxes
    by_letter = not vat and _letter(b) in ("B", "C")
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
        else f"una factura {_letter(b)} no discrimina IVA"
    )
    b.check(
        "repair_net_amount",
        True,
        f"No se leyó el neto; se calculó {_money(to_cents(net))} como total − IVA − otros tributos, y {why}.",
    )


def _repair_totals(b: _Builder) -> None:
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
    qr = b.ev.qr
    qr_confirms = qr is not None and qr.importe is not None and abs(qr.importe - total) <= Decimal("0.01")
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
    repair = only_fit([*options, *wide], fits=lambda r: _keeps_the_other_checks(b, r, in_wide=r in wide))
    if repair is not None:
        _apply_totals_repair(b, repair)


def _keeps_the_other_checks(b: _Builder, repair: Repair, in_wide: bool) -> bool:
    """Whether a repaired total figure keeps the other constraints: VAT = base × rate, Σ items = net (a
    wide reading of the net needs the items or its VAT to confirm it)."""
    vat: list[VatLine] = b.get("vat") or []
    near = max(b.tolerance, Decimal("0.02"))
    if repair.field == "vat":
        assert repair.index is not None
        line = vat[repair.index]
        return abs(line.base * line.rate / 100 - repair.new) <= near
    if repair.field != "net_amount":
        return True
    items = [i.amount for i in b.ev.items.items]
    items_sum = sum((a for a in items if a is not None), Decimal("0")) if items and None not in items else None
    items_tol = max(b.tolerance, Decimal("0.01") * len(items))
    # a B or C invoice with no VAT: its net is the total less taxes whatever misread items say
    stated = not vat and _letter(b) in ("B", "C")
    if items_sum is not None and abs(items_sum - repair.new) > items_tol and not stated:
        return False
    base_is_net = len(vat) == 1 and vat[0].base == repair.old
    if base_is_net and abs(repair.new * vat[0].rate / 100 - vat[0].amount) > near:
        return False
    by_vat = base_is_net and vat[0].rate > 0
    by_items = items_sum is not None and abs(items_sum - repair.new) <= items_tol
    return not in_wide or by_items or by_vat


def _apply_totals_repair(b: _Builder, repair: Repair) -> None:
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
        f"{_sentence(label)}: se leyó {_money(repair.old)} y se corrigió a {_money(repair.new)} ({repair.slip.es}), "
        "porque es la única lectura con la que neto + IVA + otros tributos = total.",
    )


def _check_cuit(b: _Builder) -> None:
    cuit = b.get("issuer_cuit")
    if cuit is None:
        return
    ok = is_valid_cuit(cuit)
    detail = (
        f"El CUIT del emisor {cuit[:2]}-{cuit[2:10]}-{cuit[10:]} tiene un dígito verificador válido."
        if ok
        else f"El CUIT del emisor {cuit} no es válido (dígito verificador o prefijo incorrecto)."
    )
    receiver = b.get("receiver_doc_number")
    if ok and b.get("receiver_doc_type") == 80 and receiver and not is_valid_cuit(receiver):
        ok, detail = False, f"El CUIT del receptor {receiver} no es válido."
    if ok and receiver and receiver == cuit:
        ok, detail = False, "El CUIT del emisor y el del receptor son el mismo: revisar cuál es cuál."
    b.check("cuit_check_digit", ok, detail)


def _check_qr(b: _Builder) -> None:
    qr = b.ev.qr
    if qr is None:
        return
    notes = []
    if qr.truncated:
        notes.append("el QR está cortado (se recuperaron los campos completos)")
    if b.ev.qr_conflicts:
        notes.append("hay QR distintos en el documento: " + "; ".join(b.ev.qr_conflicts))
    if b.qr_mismatch:
        b.check(
            "qr_matches_printed",
            False,
            "El QR no coincide con lo impreso — "
            + "; ".join(b.qr_mismatch)
            + (". " + "; ".join(notes) if notes else ""),
        )
        return
    compared = [
        _FIELD_NAMES_ES[name]
        for name, attr in _QR_FIELDS
        if name in _QR_COMPARED
        and getattr(qr, attr) is not None
        and b.values.get(name) is not None
        and b.values[name].source != Source.QR
    ]
    detail = (
        "El QR coincide con lo impreso (" + ", ".join(compared) + ")."
        if compared
        else "El QR no tiene campos para cotejar con lo impreso; sus datos completan lo que falta."
    )
    if notes:
        detail += " Nota: " + "; ".join(notes) + "."
    b.check("qr_matches_printed", not b.ev.qr_conflicts, detail)


def _letter(b: _Builder) -> str | None:
    code = b.get("afip_code")
    if code in DOCUMENT_TYPES:
        return DOCUMENT_TYPES[code].letter
    letter = b.get("invoice_type")
    return letter if isinstance(letter, str) else None


def _check_items(b: _Builder, items: list[LineItem]) -> None:
    bad = []
    for n, item in enumerate(items, start=1):
        q, p, a = item.quantity, item.unit_price, item.amount
        if a is not None and (q is None) != (p is None):  # _repair_items deduced it if it could: unchecked
            bad.append(f"ítem {n}: no se leyó {'la cantidad' if q is None else 'el precio unitario'}")
            continue
        if q is None or p is None or a is None:  # an amount alone (a freight line) has nothing to check
            continue
        if not line_adds_up(q, p, a, item.discount):
            bad.append(f"ítem {n}: {format(q.normalize(), 'f')} × {_money(p)} ≠ {_money(a)}")
    if bad or any(i.quantity is not None and i.unit_price is not None and i.amount is not None for i in items):
        b.check(
            "items_arithmetic",
            not bad,
            "; ".join(bad) if bad else "Cada ítem cumple cantidad × precio unitario − bonificación = importe.",
        )
    amounts = [i.amount for i in items if i.amount is not None]
    if not amounts or len(amounts) != len(items):
        return
    total_items = sum(amounts, Decimal("0"))
    letter = _letter(b)
    net = b.get("net_amount")
    total = b.get("total")
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    tol = max(b.tolerance, Decimal("0.01") * len(items))
    if letter in ("B", "C") and total is not None:
        target, what = total - taxes, "el total sin otros tributos"
        if net is not None and abs(total_items - net) <= tol:
            target, what = net, "el subtotal"
    elif net is not None:
        exempt = (b.get("exempt_amount") or Decimal("0")) + (b.get("untaxed_amount") or Decimal("0"))
        target, what = net + exempt, ("el neto más exento y no gravado" if exempt else "el neto")
        vat_total = sum((v.amount for v in b.get("vat") or []), Decimal("0"))
        if abs(total_items - target) > tol and total is not None and abs(total_items - (target + vat_total)) <= tol:
            target, what = target + vat_total, "el neto más IVA (los ítems incluyen IVA)"
    else:  # nothing to add the items up to: a blurred photo's two items of twenty would pass unchecked
        b.check("items_sum_net", False, f"No se pudo comprobar la suma de los {len(items)} ítems: no se leyó el neto.")
        return
    ok = abs(total_items - target) <= tol
    b.check(
        "items_sum_net",
        ok,
        f"La suma de los {len(items)} ítems ({_money(total_items)}) "
        + ("coincide con " if ok else "no coincide con ")
        + f"{what} ({_money(target)})."
        + ("" if ok else f" Diferencia: {_money(total_items - target)}."),
    )


def _check_vat(b: _Builder) -> None:
    vat: list[VatLine] = b.get("vat") or []
    if not vat:
        return
    n_items = max(len(b.ev.items.items), 1)
    tol = max(b.tolerance, Decimal("0.006") * n_items)
    bad = []
    for line in vat:
        expected = line.base * line.rate / 100
        if abs(expected - line.amount) > tol:
            rate = format(line.rate.normalize(), "f")
            bad.append(
                f"IVA {rate} %: {_money(line.base)} × {rate} % = {_money(to_cents(expected))}, "
                f"impreso {_money(line.amount)}"
            )
    net = b.get("net_amount")
    bases = sum((line.base for line in vat), Decimal("0"))
    if net is not None and len(vat) > 1 and abs(bases - net) > tol:
        bad.append(f"la suma de las bases ({_money(bases)}) no es el neto ({_money(net)})")
    b.check(
        "vat_per_rate",
        not bad,
        "; ".join(bad)
        if bad
        else "El IVA de cada alícuota coincide con base × alícuota ("
        + ", ".join(f"{format(v.rate.normalize(), 'f')} %" for v in vat)
        + ").",
    )


def _check_total(b: _Builder) -> None:
    total = b.get("total")
    net = b.get("net_amount")
    if total is None or net is None:
        return
    vat = sum((v.amount for v in b.get("vat") or []), Decimal("0"))
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    exempt = b.get("exempt_amount") or Decimal("0")
    untaxed = b.get("untaxed_amount") or Decimal("0")
    s = net + exempt + untaxed + vat + taxes
    ok = abs(s - total) <= b.tolerance
    parts = [f"neto {_money(net)}"]
    if exempt:
        parts.append(f"exento {_money(exempt)}")
    if untaxed:
        parts.append(f"no gravado {_money(untaxed)}")
    if vat:
        parts.append(f"IVA {_money(vat)}")
    if taxes:
        parts.append(f"otros tributos {_money(taxes)}")
    b.check(
        "total_arithmetic",
        ok,
        " + ".join(parts)
        + f" = {_money(s)}; total impreso {_money(total)}"
        + ("." if ok else f" (diferencia {_money(s - total)}, tolerancia {_money(b.tolerance)})."),
    )


def _check_type(b: _Builder) -> None:
    letter = _letter(b)
    if letter is None:
        return
    problems = []
    vat: list[VatLine] = b.get("vat") or []
    vat_amount = sum((v.amount for v in vat), Decimal("0"))
    if letter == "C" and vat_amount > 0:
        problems.append("una factura C no discrimina IVA y se leyó IVA")
    if letter == "B" and vat_amount > 0:
        problems.append("una factura B no discrimina IVA (los precios lo incluyen) y se leyó IVA")
    if letter in ("A", "M") and not b.get("cae"):
        problems.append(f"una factura {letter} necesita CAE o CAEA y no se encontró")
    printed = b.values.get("invoice_type")
    code = b.get("afip_code")
    if printed is not None and code in DOCUMENT_TYPES and printed.value != DOCUMENT_TYPES[code].letter:
        problems.append(f"la letra impresa {printed.value} no corresponde al código {code:02d}")
    note = b.ev.header.afip_code.note if b.ev.header.afip_code is not None else ""
    if note and "≠" in note:
        problems.append(note)
    condition = b.get("issuer_iva_condition")
    condition_conf = b.values["issuer_iva_condition"].confidence if condition is not None else 0.0
    if condition is not None and condition_conf >= 0.75:  # only when it is clearly the issuer's
        mono = condition in (
            IvaCondition.MONOTRIBUTO,
            IvaCondition.MONOTRIBUTO_SOCIAL,
            IvaCondition.MONOTRIBUTO_PROMOVIDO,
            IvaCondition.EXENTO,
        )
        if mono and letter in ("A", "B", "M"):
            problems.append(f"el emisor es {condition.replace('_', ' ')} y no puede emitir factura {letter}")
        if condition == IvaCondition.RESPONSABLE_INSCRIPTO and letter == "C":
            problems.append("el emisor es responsable inscripto y emitió una factura C")
    b.check(
        "type_rules",
        not problems,
        _sentence("; ".join(problems)) + "." if problems else f"Cumple las reglas de un comprobante {letter}.",
    )


def _check_dates(b: _Builder) -> None:
    issue = b.get("issue_date")
    if issue is not None:
        ok = issue <= b.today + dt.timedelta(days=1) and issue.year >= 1990
        b.check(
            "date_not_future",
            ok,
            f"Fecha de emisión {issue:%d/%m/%Y}"
            + ("." if ok else (" posterior a hoy." if issue > b.today else " demasiado antigua.")),
        )


def _check_cae(b: _Builder) -> None:
    cae = b.get("cae")
    due = b.get("cae_due_date")
    issue = b.get("issue_date")
    if cae is None and due is None:
        return
    problems = []
    if cae is not None and not (isinstance(cae, str) and cae.isdigit() and len(cae) == 14):
        problems.append(f"el CAE {cae} no tiene 14 dígitos")
    if due is not None and issue is not None and due < issue:
        problems.append(f"el CAE vence ({due:%d/%m/%Y}) antes de la fecha de emisión ({issue:%d/%m/%Y})")
    if cae is None:
        problems.append("hay vencimiento de CAE pero no se leyó el CAE")
    b.check(
        "cae_format",
        not problems,
        _sentence("; ".join(problems)) + "."
        if problems
        else "CAE de 14 dígitos" + (f", vence {due:%d/%m/%Y}" if due else "") + ".",
    )


def _check_pages(b: _Builder) -> None:
    sel = b.ev.selection
    if b.ev.pages_total <= 1 and not sel.copies and not sel.extra:
        return
    parts = [
        "se leyó "
        + ("la página " if len(sel.indexes) == 1 else "las páginas ")
        + ", ".join(str(i + 1) for i in sel.indexes)
    ]
    if sel.copies:
        marks = [m for i in sel.copies if (m := sel.infos[i].marker)]
        parts.append(
            ("copias" + (f" ({'/'.join(dict.fromkeys(marks))})" if marks else "") + ": páginas ")
            + ", ".join(str(i + 1) for i in sel.copies)
        )
    if sel.extra:
        parts.append("no forman parte de la factura: páginas " + ", ".join(str(i + 1) for i in sel.extra))
    b.check("page_selection", True, _sentence("; ".join(parts)) + ".")


def _status(b: _Builder) -> Status:
    """``accepted`` needs every key field, read with confidence, a total confirmed by the arithmetic or the
    QR, and every check passing; anything short of that is ``needs_review`` with a check saying why."""
    missing = [name for name in KEY_FIELDS if b.get(name) is None]
    if missing:
        b.check(
            "key_fields",
            False,
            "Faltan datos clave: " + ", ".join(_FIELD_NAMES_ES.get(n, n) for n in missing) + ".",
        )
        return Status.NEEDS_REVIEW
    doubtful = [name for name in KEY_FIELDS if b.values[name].confidence < MIN_KEY_CONFIDENCE]
    if doubtful:
        b.check(
            "key_fields",
            False,
            "Lectura dudosa (confianza baja) de: " + ", ".join(_FIELD_NAMES_ES.get(n, n) for n in doubtful) + ".",
        )
    arithmetic = next((c for c in b.checks if c.name == "total_arithmetic"), None)
    qr = b.ev.qr
    qr_total = b.total_confirmed or (
        qr is not None and qr.importe is not None and _same("total", qr.importe, b.get("total"))
    )
    if not qr_total and arithmetic is None:
        b.check(
            "total_verified",
            False,
            "No se pudo verificar el importe total: no se leyó el neto para sumar y no hay QR que lo confirme.",
        )
    if any(not c.ok for c in b.checks):
        return Status.NEEDS_REVIEW
    return Status.ACCEPTED


def _check_all(b: _Builder, items: list[LineItem]) -> Status:
    """Every check, then the status they lead to (shared by :func:`reconcile` and :func:`recheck`)."""
    _check_cuit(b)
    _check_qr(b)
    _check_items(b, items)
    _check_vat(b)
    _check_total(b)
    _check_type(b)
    _check_dates(b)
    _check_cae(b)
    _check_pages(b)
    return _status(b)


def reconcile(ev: Evidence, settings: Settings | None = None, today: dt.date | None = None) -> ExtractedInvoice:
    """Build the extracted invoice from the evidence: merge, repair, check, decide the status."""
    settings = settings or get_settings()
    b = _Builder(ev, settings, today or dt.date.today())
    _header(b)
    _totals(b)
    items = [item.model_copy() for item in ev.items.items]
    _repair_items(b, items)
    _merge_codes(b)
    if ev.qr is not None and ev.qr.moneda and b.get("currency") is None:
        b.set("currency", ev.qr.moneda, Source.QR, 0.9)
    _deduce_net(b, items)
    _repair_totals(b)
    status = _check_all(b, items)
    data: dict[str, Any] = {name: v.value for name, v in b.values.items()}
    if data.get("currency") is None:
        data["currency"] = "PES"
    if data.get("currency") == "PES":
        data["exchange_rate"] = Decimal("1")
    sources = {name: str(v.source) for name, v in b.values.items()}
    confidence = {name: v.confidence for name, v in b.values.items()}
    if items:
        sources["items"] = str(Source.OCR if ev.ocr else Source.TEXT)
        confidence["items"] = ev.items.confidence
    return ExtractedInvoice(
        **data,
        items=items,
        sources=sources,
        confidence=confidence,
        checks=b.checks,
        status=status,
        pages=ev.pages_total or None,
    )


def is_evidence_check(name: str) -> bool:
    """Whether a check compares what was read with the document itself (QR, barcode, pages) or records a repair
    of a reading: :func:`recheck` cannot run it again from the values and keeps it as it was."""
    return name in ("qr_matches_printed", "barcode_matches_printed", "page_selection") or name.startswith("repair_")


def recheck(
    invoice: ExtractedInvoice,
    settings: Settings | None = None,
    today: dt.date | None = None,
    *,
    reviewed: bool = False,
) -> ExtractedInvoice:
    """Run the auditor's checks again on an invoice's values (after a person corrected some of them) and
    decide its status as :func:`reconcile` does, without repairing anything: a person's value stands.

    Checks that need the document (:func:`is_evidence_check`) are kept from the previous result and a failing
    one still sends the invoice to review. A total typed by a person (source ``manual``) or confirmed by the QR
    when the document was read counts as verified. ``reviewed`` means a person has checked the whole invoice:
    its key fields count as read with full confidence and its total as verified.
    """
    settings = settings or get_settings()
    items = [item.model_copy() for item in invoice.items]
    ev = Evidence(header=HeaderFields(), totals=Totals(), items=ItemsResult(items=items), selection=PageSelection())
    b = _Builder(ev, settings, today or dt.date.today())
    for name in Invoice.model_fields:
        value = getattr(invoice, name)
        if name == "items" or value is None or value == []:
            continue
        try:
            source = Source(invoice.sources.get(name, Source.TEXT))
        except ValueError:
            source = Source.TEXT
        confidence = 1.0 if reviewed and name in KEY_FIELDS else invoice.confidence.get(name, 1.0)
        b.set(name, value, source, confidence)
    previous = {check.name for check in invoice.checks}
    b.total_confirmed = reviewed or invoice.sources.get("total") == Source.MANUAL or "total_verified" not in previous
    status = _check_all(b, items)
    kept = [check for check in invoice.checks if is_evidence_check(check.name)]
    if any(not check.ok for check in kept):
        status = Status.NEEDS_REVIEW
    return invoice.model_copy(update={"checks": b.checks + kept, "status": status})
