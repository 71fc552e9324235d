"""Totals block: net, exempt / untaxed, VAT per rate, other taxes (percepciones, impuestos internos), total.

Labels are found with a lexicon (longest label first); a value is read either beside its label
("Importe Neto Gravado: $ 188636,36", "IVA 21%: $ 39613,64") or under it when the labels form a header
row with the figures on the line(s) below ("SUB TOTAL  NETO GRAVADO  I.V.A.  PERCEPCIONES  TOTAL").
Every candidate is kept; :func:`choose_totals` picks the combination the arithmetic agrees with.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from minimarket.documents.linetext import LineText, NumberToken, PageView, number_tokens
from minimarket.domain.afip import VALID_VAT_RATES
from minimarket.domain.invoice import OtherTax, TaxKind, VatLine
from minimarket.domain.money import to_cents
from minimarket.domain.numbers import NumberFormat


class TotalRole(StrEnum):
    SUBTOTAL = "subtotal"
    NET = "net"
    DISCOUNT = "discount"
    EXEMPT = "exempt"
    UNTAXED = "untaxed"
    VAT = "vat"
    VAT_RATE = "vat_rate"
    OTHER_TAX = "other_tax"
    OTHER_TAXES_TOTAL = "other_taxes_total"
    TOTAL = "total"
    IGNORE = "ignore"


_TAX_KINDS: tuple[tuple[TaxKind, tuple[str, ...]], ...] = (
    (
        TaxKind.PERCEPCION_IIBB,
        (
            "PERCEPCION DE INGRESOS BRUTOS",
            "PERCEPCIONES DE INGRESOS BRUTOS",
            "PERCEPCION INGRESOS BRUTOS",
            "PER RET DE INGRESOS BRUTOS",
            "PERC INGRESOS BRUTOS",
            "PERCEPCION IIBB",
            "PERCEPCIONES IIBB",
            "PERC IIBB",
            "PERCEP IIBB",
            "PERC IB",
            "PERCEPCION IB",
            "PERCEPCION ARBA",
            "PERC ARBA",
            "PERCEPCION AGIP",
            "PERC AGIP",
            "PERCEPCION DGR",
            "PERC DGR",
            "PERCEPCION API",
            "IMPUESTOS PROVINCIALES",
            "INGRESOS BRUTOS",
            "IIBB",
        ),
    ),
    (
        TaxKind.PERCEPCION_IVA,
        (
            "PERCEPCION DE IVA",
            "PERCEPCIONES DE IVA",
            "PERCEPCION IVA",
            "PERCEPCIONES IVA",
            "PER RET DE IVA",
            "PERC IVA",
            "PERCEP IVA",
            "PERCEPCION I V A",
        ),
    ),
    (
        TaxKind.PERCEPCION_GANANCIAS,
        (
            "PERCEPCION DE GANANCIAS",
            "PERCEPCION GANANCIAS",
            "PER RET DE IMPUESTO A LAS GANANCIAS",
            "PERC GANANCIAS",
            "PERCEPCION IMPUESTO A LAS GANANCIAS",
        ),
    ),
    (
        TaxKind.IMPUESTOS_INTERNOS,
        ("IMPUESTOS INTERNOS", "IMPUESTO INTERNO", "IMP INTERNOS", "IMP INT", "IMPUESTOS INT", "INTERNOS"),
    ),
    (
        TaxKind.OTHER,
        (
            "PERCEPCIONES POR IMPUESTOS MUNICIPALES",
            "IMPUESTOS MUNICIPALES",
            "IMPUESTOS NACIONALES",
            "OTRAS PERCEPCIONES",
            "OTROS IMPUESTOS",
            "PERCEPCIONES",
            "PERCEPCION",
            "PERC",
            "TASA MUNICIPAL",
        ),
    ),
)

_LEXICON: tuple[tuple[TotalRole, tuple[str, ...]], ...] = (
    (
        TotalRole.OTHER_TAXES_TOTAL,
        ("IMPORTE OTROS TRIBUTOS", "OTROS TRIBUTOS", "TOTAL OTROS TRIBUTOS", "TOTAL PERCEPCIONES", "TOTAL TRIBUTOS"),
    ),
    (
        TotalRole.TOTAL,
        (
            "IMPORTE TOTAL",
            "TOTAL A PAGAR",
            "TOTAL FACTURA",
            "TOTAL COMPROBANTE",
            "TOTAL GENERAL",
            "TOTAL FINAL",
            "TOTAL $",
            "TOTAL",
        ),
    ),
    (
        TotalRole.NET,
        (
            "IMPORTE NETO GRAVADO",
            "IMP NETO GRAVADO",
            "TOTAL NETO GRAVADO",
            "NETO GRAVADO",
            "SUBTOTAL NETO",
            "SUB TOTAL NETO",
            "TOTAL NETO",
            "IMPORTE NETO",
            "NETO",
            "GRAVADO",
            "BASE IMPONIBLE",
        ),
    ),
    (TotalRole.SUBTOTAL, ("SUB TOTAL", "SUBTOTAL", "SUB TOTAL $", "SUBTOTAL $")),
    (TotalRole.DISCOUNT, ("DESCUENTO", "DESCUENTOS", "BONIFICACION", "BONIFICACIONES", "DTO", "DESC")),
    (
        TotalRole.UNTAXED,
        (
            "OTROS CONCEPTOS NO GRAVADOS",
            "CONCEPTOS NO GRAVADOS",
            "IMPORTE NO GRAVADO",
            "IMP NO GRAVADO",
            "NO GRAVADOS",
            "NO GRAVADO",
            "CONCEPTOS NO GRAV",
            "NO GRAV",
        ),
    ),
    (
        TotalRole.EXEMPT,
        ("IMPORTE EXENTO", "IMP EXENTO", "OPERACIONES EXENTAS", "EXENTOS", "EXENTO", "EXENTAS", "EXENTA"),
    ),
    (TotalRole.VAT_RATE, ("ALICUOTA IVA", "ALICUOTA", "ALIC IVA", "ALIC", "TASA", "% IVA")),
    (TotalRole.VAT, ("IMPORTE IVA", "IMP IVA", "TOTAL IVA", "IVA INSCRIPTO", "IVA RI", "IVA $", "I V A", "IVA")),
    (
        TotalRole.IGNORE,
        (
            "SON PESOS",
            "SON DOLARES",
            "SON",
            "TIPO DE CAMBIO",
            "COTIZACION",
            "TRANSPORTE",
            "SALDO ANTERIOR",
            "PAGO A CUENTA",
            "VUELTO",
            "EFECTIVO",
            "RECIBIMOS",
            "RECIBI",
        ),
    ),
)


def _variant_regex(variant: str) -> str:
    words = []
    for word in variant.split(" "):
        words.append(r"\s?".join(re.escape(c) for c in word))
    return r"(?:\s|/)*".join(words)


_PATTERNS: list[tuple[TotalRole, TaxKind | None, re.Pattern[str]]] = sorted(
    [
        *(
            (role, None, re.compile(r"(?<![A-Z0-9])" + _variant_regex(v) + r"(?![A-Z])"))
            for role, variants in _LEXICON
            for v in variants
        ),
        *(
            (TotalRole.OTHER_TAX, kind, re.compile(r"(?<![A-Z0-9])" + _variant_regex(v) + r"(?![A-Z])"))
            for kind, variants in _TAX_KINDS
            for v in variants
        ),
    ],
    key=lambda item: -len(item[2].pattern),
)


@dataclass(slots=True)
class TotalLabel:
    role: TotalRole
    kind: TaxKind | None
    text: str
    raw_start: int
    raw_end: int
    x0: float
    x1: float


def find_labels(lt: LineText) -> list[TotalLabel]:
    """Totals labels on a line, left to right (longest label first where several start together)."""
    norm = lt.norm
    found: list[TotalLabel] = []
    ends = lt.phrase_ends()
    pos = 0
    while pos < len(norm):
        if norm[pos] == " " or (pos > 0 and norm[pos - 1].isalnum() and norm[pos].isalnum()):
            pos += 1
            continue
        endpos = next(e for e in ends if e > pos)
        best: tuple[int, TotalRole, TaxKind | None] | None = None
        for role, kind, pattern in _PATTERNS:
            m = pattern.match(norm, pos, endpos)
            if m and m.end() > pos and (best is None or m.end() > best[0]):
                best = (m.end(), role, kind)
        if best is None:
            pos += 1
            continue
        end, role, kind = best
        raw_start = lt._norm2raw[pos]
        raw_end = lt._norm2raw[end - 1] + 1
        found.append(
            TotalLabel(
                role,
                kind,
                lt.raw[raw_start:raw_end],
                raw_start,
                raw_end,
                lt.x_at(raw_start),
                lt.x_at(raw_end - 1, right=True),
            )
        )
        pos = end
    return found


@dataclass(slots=True)
class TotalCandidate:
    """A figure read for a totals role."""

    role: TotalRole
    value: Decimal
    page: int
    y: float
    x: float
    conf: float
    text: str
    label: str
    kind: TaxKind | None = None
    rate: Decimal | None = None
    base: Decimal | None = None


@dataclass(slots=True)
class TotalsRead:
    """Every candidate figure of the totals block."""

    candidates: list[TotalCandidate] = field(default_factory=list)

    def of(self, role: TotalRole) -> list[TotalCandidate]:
        return [c for c in self.candidates if c.role == role]


def _conf(lt: LineText, base: float) -> float:
    return round(base * (0.5 + 0.5 * lt.line.conf), 3)


_RATE_IN_LABEL = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")


def _rate_of(text: str) -> Decimal | None:
    m = _RATE_IN_LABEL.search(text)
    if not m:
        return None
    try:
        rate = Decimal(m.group(1).replace(",", "."))
    except ArithmeticError:
        return None
    return rate if rate in VALID_VAT_RATES else None


def read_totals(
    views: Sequence[PageView], fmt: NumberFormat | None, start_y: dict[int, float] | None = None
) -> TotalsRead:
    """Totals candidates on ``views`` (the invoice's pages, last page last), below ``start_y[page]``."""
    out = TotalsRead()
    start_y = start_y or {}
    for view in views:
        lines = [lt for lt in view.lines if lt.y1 > start_y.get(view.index, 0.0)]
        for i, lt in enumerate(lines):
            labels = [lb for lb in find_labels(lt)]
            if not labels:
                continue
            tokens = number_tokens(lt, fmt)
            useful = [lb for lb in labels if lb.role != TotalRole.IGNORE]
            if not useful:
                continue
            inline_any = False
            for k, lb in enumerate(labels):
                if lb.role == TotalRole.IGNORE:
                    continue
                end = labels[k + 1].raw_start if k + 1 < len(labels) else len(lt.raw)
                span = [t for t in tokens if lt.x_at(lb.raw_end) <= t.x0 + 0.5 and t.x0 < lt.x_at(end) - 0.5]
                # numbers glued inside the label text ("IVA 21%") belong to the label
                rate = _rate_of(lb.text) or _rate_of(lt.raw[lb.raw_end : end][:12])
                span = [t for t in span if not (t.percent and rate is not None and t.value == rate)]
                if span:
                    inline_any = True
                    _add_inline(out, view, lt, lb, span, rate)
            if inline_any:
                continue
            # a header row: values under the labels on the next lines
            below = _value_lines(lines, i)
            if below:
                _add_columns(out, view, lt, useful, below, fmt)
    return out


def _add_inline(
    out: TotalsRead, view: PageView, lt: LineText, lb: TotalLabel, span: list[NumberToken], rate: Decimal | None
) -> None:
    amounts = [t for t in span if t.value is not None and not t.percent]
    percents = [t for t in span if t.value is not None and t.percent]
    if lb.role == TotalRole.VAT_RATE:
        for t in span:
            if t.value is not None and t.value in VALID_VAT_RATES:
                out.candidates.append(
                    TotalCandidate(
                        TotalRole.VAT_RATE, t.value, view.index, lt.y0, t.x0, _conf(lt, 0.8), t.text, lb.text
                    )
                )
        return
    if rate is None and percents and percents[0].value in VALID_VAT_RATES:
        rate = percents[0].value
    if not amounts:
        return
    value_token = amounts[-1]
    assert value_token.value is not None
    base = amounts[-2].value if lb.role == TotalRole.VAT and len(amounts) >= 2 else None
    if lb.role == TotalRole.VAT and rate is None and len(amounts) >= 2 and amounts[0].value in VALID_VAT_RATES:
        rate = amounts[0].value
        base = None
    out.candidates.append(
        TotalCandidate(
            lb.role,
            value_token.value,
            view.index,
            lt.y0,
            value_token.x0,
            _conf(lt, 0.9),
            value_token.text,
            lb.text,
            kind=lb.kind,
            rate=rate if lb.role in (TotalRole.VAT, TotalRole.NET) else None,
            base=base,
        )
    )


def _value_lines(lines: list[LineText], i: int) -> list[LineText]:
    """Lines right under a header row that carry figures and no labels of their own."""
    head = lines[i]
    h = max(head.height, 1.0)
    out: list[LineText] = []
    for lt in lines[i + 1 : i + 5]:
        if lt.cy - head.cy > 4.5 * h:
            break
        if any(lb.role != TotalRole.IGNORE for lb in find_labels(lt)):
            break
        letters = re.sub(r"U\$S|US\$|\$|%", "", lt.raw)
        if sum(ch.isalpha() for ch in letters) > 3:
            break
        if re.search(r"\d", lt.raw):
            out.append(lt)
    return out


def _add_columns(
    out: TotalsRead,
    view: PageView,
    head: LineText,
    labels: list[TotalLabel],
    below: list[LineText],
    fmt: NumberFormat | None,
) -> None:
    per_label: dict[int, list[tuple[NumberToken, LineText]]] = {}
    for lt in below:
        tokens = [t for t in number_tokens(lt, fmt) if t.value is not None]
        for t in tokens:
            best_k: int | None = None
            best_cost = 1e9
            for k, lb in enumerate(labels):
                overlap = max(0.0, min(t.x1, lb.x1) - max(t.x0, lb.x0))
                if overlap > 0:
                    cost = -overlap / max(t.x1 - t.x0, 1.0)
                else:
                    cost = (lb.x0 - t.x1 if t.x1 < lb.x0 else t.x0 - lb.x1) / 10.0
                if cost < best_cost:
                    best_k, best_cost = k, cost
            if best_k is not None and best_cost < 6.0:
                per_label.setdefault(best_k, []).append((t, lt))
    for k, values in per_label.items():
        lb = labels[k]
        if lb.role == TotalRole.IGNORE:
            continue
        rate = _rate_of(lb.text)
        amounts = []
        for t, lt in values:
            assert t.value is not None
            if lb.role == TotalRole.VAT_RATE or (
                lb.role == TotalRole.VAT
                and t.value in VALID_VAT_RATES
                and (t.percent or len(values) > 1)
                and t is not values[-1][0]
            ):
                if t.value in VALID_VAT_RATES:
                    if lb.role == TotalRole.VAT:
                        rate = t.value
                    else:
                        out.candidates.append(
                            TotalCandidate(
                                TotalRole.VAT_RATE, t.value, view.index, lt.y0, t.x0, _conf(lt, 0.8), t.text, lb.text
                            )
                        )
                continue
            if t.percent:
                continue
            amounts.append((t, lt))
        for t, lt in amounts:
            assert t.value is not None
            out.candidates.append(
                TotalCandidate(
                    lb.role,
                    t.value,
                    view.index,
                    lt.y0,
                    t.x0,
                    _conf(lt, 0.85),
                    t.text,
                    lb.text,
                    kind=lb.kind,
                    rate=rate if lb.role == TotalRole.VAT else None,
                )
            )


# --- choosing ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Totals:
    """The totals of an invoice as chosen from the candidates."""

    net: TotalCandidate | None = None
    subtotal: TotalCandidate | None = None
    exempt: TotalCandidate | None = None
    untaxed: TotalCandidate | None = None
    vat: list[TotalCandidate] = field(default_factory=list)
    vat_rate_hint: Decimal | None = None
    other_taxes: list[TotalCandidate] = field(default_factory=list)
    other_taxes_total: TotalCandidate | None = None
    total: TotalCandidate | None = None
    consistent: bool = False

    def vat_lines(self, net: Decimal | None, items_rates: set[Decimal]) -> list[VatLine]:
        """VAT per rate: a printed rate, else the single rate of the items or table, else the rate the
        amount implies on the net."""
        lines: list[VatLine] = []
        nonzero = [c for c in self.vat if c.value != 0]
        chosen = nonzero or self.vat[:1]
        for c in chosen:
            rate = c.rate
            if rate is None and len(chosen) == 1:
                rate = (
                    self.vat_rate_hint
                    if self.vat_rate_hint is not None
                    else (next(iter(items_rates)) if len(items_rates) == 1 else None)
                )
            if rate is None and net:
                rate = implied_rate(net, c.value)
            if rate is None:
                continue
            base = c.base
            if base is None and len(chosen) == 1 and net is not None:
                base = net
            if base is None and rate:
                base = to_cents(c.value * 100 / rate)
            lines.append(VatLine(rate=rate, base=base or Decimal("0"), amount=c.value))
        if not nonzero:
            # all printed VAT is zero: keep an explicit 0 % line only (a 0 % Factura A), else none
            lines = [line for line in lines if line.rate == 0 and line.base]
            if not lines and self.vat_rate_hint == 0 and net:
                lines = [VatLine(rate=Decimal("0"), base=net, amount=Decimal("0"))]
        return lines

    def other_tax_list(self) -> list[OtherTax]:
        taxes = [
            OtherTax(kind=c.kind or TaxKind.OTHER, amount=c.value, description=c.label)
            for c in self.other_taxes
            if c.value != 0
        ]
        if not taxes and self.other_taxes_total is not None and self.other_taxes_total.value != 0:
            taxes = [
                OtherTax(
                    kind=TaxKind.OTHER, amount=self.other_taxes_total.value, description=self.other_taxes_total.label
                )
            ]
        return taxes


def implied_rate(net: Decimal, vat: Decimal) -> Decimal | None:
    """The legal VAT rate that turns ``net`` into ``vat`` (within a cent per 100), or ``None``."""
    if net <= 0:
        return None
    for rate in sorted(VALID_VAT_RATES):
        if rate and abs(net * rate / 100 - vat) <= max(Decimal("0.05"), net * Decimal("0.0001")):
            return rate
    return None


def _dedupe(cands: list[TotalCandidate]) -> list[TotalCandidate]:
    seen: dict[Decimal, TotalCandidate] = {}
    for c in cands:
        prev = seen.get(c.value)
        if prev is None or (c.conf, c.page, c.y) > (prev.conf, prev.page, prev.y):
            seen[c.value] = c
    return list(seen.values())


def choose_totals(read: TotalsRead, tolerance: Decimal, last_page: int | None = None) -> Totals:
    """Pick one candidate per role, preferring the combination where net + exempt + untaxed + VAT + other
    taxes = total; else the lowest (last printed) figure of each role."""
    out = Totals()
    cands = read.candidates
    if last_page is not None and any(c.page == last_page for c in cands):
        cands = [c for c in cands if c.page == last_page]

    def by_position(role: TotalRole) -> list[TotalCandidate]:
        return sorted(_dedupe([c for c in cands if c.role == role]), key=lambda c: (-c.page, -c.y, -c.x))

    totals = by_position(TotalRole.TOTAL)
    nets = by_position(TotalRole.NET)
    subs = by_position(TotalRole.SUBTOTAL)
    exempts = by_position(TotalRole.EXEMPT)
    untaxed = by_position(TotalRole.UNTAXED)
    others_total = by_position(TotalRole.OTHER_TAXES_TOTAL)
    rates = [c.value for c in cands if c.role == TotalRole.VAT_RATE]
    out.vat_rate_hint = rates[-1] if rates else None
    # VAT: one candidate per rate (the lowest on the page), unknown-rate ones separately
    vat_by_rate: dict[Decimal | None, list[TotalCandidate]] = {}
    for c in sorted(cands, key=lambda c: (-c.page, -c.y, -c.x)):
        if c.role == TotalRole.VAT:
            vat_by_rate.setdefault(c.rate, []).append(c)
    other_by_kind: dict[str, TotalCandidate] = {}
    for c in sorted(cands, key=lambda c: (c.page, c.y)):
        if c.role == TotalRole.OTHER_TAX:
            other_by_kind[f"{c.kind}:{c.label}"] = c
    out.other_taxes = list(other_by_kind.values())
    out.other_taxes_total = others_total[0] if others_total else None
    other_sum = sum((c.value for c in out.other_taxes), Decimal("0"))
    if out.other_taxes_total is not None and not out.other_taxes:
        other_sum = out.other_taxes_total.value

    vat_options: list[list[TotalCandidate]] = []
    known = {r: v for r, v in vat_by_rate.items() if r is not None}
    unknown = vat_by_rate.get(None, [])
    if known:
        vat_options.append([v[0] for v in known.values()])
    for c in _dedupe(unknown)[:3]:
        vat_options.append([c])
    if not vat_options:
        vat_options.append([])
    bases: list[TotalCandidate | None] = [*nets[:3], *subs[:3]] or [None]
    exempt_opts: list[TotalCandidate | None] = [*exempts[:2], None]
    untaxed_opts: list[TotalCandidate | None] = [*untaxed[:2], None]
    total_opts: list[TotalCandidate | None] = [*totals[:4]] or [None]
    best: tuple[int, tuple[Any, ...]] | None = None
    for order, (total, base, vat, ex, un) in enumerate(
        itertools.product(total_opts, bases, vat_options, exempt_opts, untaxed_opts)
    ):
        if total is None or base is None:
            continue
        s = base.value + sum((v.value for v in vat), Decimal("0")) + other_sum
        s += ex.value if ex is not None and ex is not base else Decimal("0")
        s += un.value if un is not None and un is not base else Decimal("0")
        if abs(s - total.value) <= tolerance:
            rank = order
            if best is None or rank < best[0]:
                best = (rank, (total, base, vat, ex, un))
            break
    if best is not None:
        total, base, vat, ex, un = best[1]
        out.total, out.vat, out.exempt, out.untaxed = total, list(vat), ex, un
        if base.role == TotalRole.NET:
            out.net = base
            out.subtotal = subs[0] if subs else None
        else:
            out.subtotal = base
        out.consistent = True
        return out
    out.total = max(totals[:2], key=lambda c: c.value) if totals else None
    out.net = nets[0] if nets else None
    out.subtotal = subs[0] if subs else None
    out.vat = vat_options[0]
    out.exempt = exempts[0] if exempts else None
    out.untaxed = untaxed[0] if untaxed else None
    return out
