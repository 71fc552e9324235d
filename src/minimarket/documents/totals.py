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

from minimarket.documents.linetext import LineText, NumberToken, PageView, number_tokens
from minimarket.documents.misreads import rate_with_percent_as_4
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
            "OTROS IMPUESTOS",
            "TASA MUNICIPAL",
        ),
    ),
    (
        # A percepción without a tax named is, on supplier invoices, the provincial one (Ingresos Brutos):
        # the IVA and Ganancias ones are always labelled as such.
        TaxKind.PERCEPCION_IIBB,
        ("OTRAS PERCEPCIONES", "PERCEPCIONES OTROS", "PERCEPCIONES", "PERCEPCION", "PERCEP", "PERC"),
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
            "NETO GRAV",
            "NETO",
            "GRAVADO",
            "BASE IMPONIBLE",
        ),
    ),
    (TotalRole.SUBTOTAL, ("SUB TOTAL", "SUBTOTAL", "SUB TOTAL $", "SUBTOTAL $")),
    (TotalRole.DISCOUNT, ("DESCUENTO", "DESCUENTOS", "BONIFICACION", "BONIFICACIONES", "BONIF", "DTO", "DESC")),
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
    # "WA": a photo's "IVA", the I and the V run together
    (TotalRole.VAT, ("IMPORTE IVA", "IMP IVA", "TOTAL IVA", "IVA INSCRIPTO", "IVA RI", "IVA $", "I V A", "IVA", "WA")),
    (
        TotalRole.IGNORE,
        (
            "IVA CONTENIDO",
            "OTROS IMPUESTOS NACIONALES INDIRECTOS",
            "REGIMEN DE TRANSPARENCIA FISCAL",
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
    rate: Decimal | None = None
    """A VAT rate printed with the label ("Neto Grav. 21%", "IVA 10,5 %")."""


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
    tax_labels: list[tuple[int, str, TaxKind | None]] = field(default_factory=list)
    """Every other-tax label found (page, text, kind), with a figure beside or under it or not."""

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


def _rate_misread(lt: LineText, tokens: list[NumberToken], lb: TotalLabel) -> tuple[Decimal, NumberToken] | None:
    """A rate printed with its label whose "%" the OCR read as a 4 ("NETO GRAV. 214 189.548,40",
    "IVA 10,54 12.346,05"): the first figure after the label, a legal VAT rate followed by a 4, with the
    amount after it. (Taken for the amount, "214" made the net 214,00.)"""
    after = sorted((t for t in tokens if t.x0 >= lt.x_at(lb.raw_end) - 0.5), key=lambda t: t.x0)
    if len(after) < 2 or after[0].percent or after[1].value is None or after[1].percent:
        return None
    rate = rate_with_percent_as_4(after[0].text)
    return None if rate is None else (rate, after[0])


def _inline_span(lt: LineText, tokens: list[NumberToken], x_from: float, x_to: float) -> list[NumberToken]:
    """Tokens right of a label up to the next label: the first may be far (a right-aligned figure), the
    following ones must be close to the previous one (a figure far away belongs to another column)."""
    h = max(lt.height, 1.0)
    span: list[NumberToken] = []
    for t in sorted(tokens, key=lambda t: t.x0):
        if t.x0 + 0.5 < x_from or t.x0 >= x_to - 0.5:
            continue
        if span and t.x0 - span[-1].x1 > 3.5 * h:
            break
        span.append(t)
    return span


def _level_tokens(
    lines: list[LineText], tokens_of: list[list[NumberToken]], i: int, claimed: set[int]
) -> list[NumberToken]:
    """Unclaimed figures of the neighbouring lines that are level with line ``i``: its centre within their
    height and theirs within its height."""
    head = lines[i]
    out: list[NumberToken] = []
    for j in range(max(0, i - 2), min(len(lines), i + 3)):
        other = lines[j]
        if j == i or not (other.y0 <= head.cy <= other.y1 and head.y0 <= other.cy <= head.y1):
            continue
        out.extend(t for t in tokens_of[j] if id(t) not in claimed and t.value is not None)
    return out


def read_totals(
    views: Sequence[PageView], fmt: NumberFormat | None, start_y: dict[int, float] | None = None
) -> TotalsRead:
    """Totals candidates on ``views`` (the invoice's pages, last page last), below ``start_y[page]``."""
    out = TotalsRead()
    start_y = start_y or {}
    for view in views:
        lines = [lt for lt in view.lines if lt.y1 > start_y.get(view.index, 0.0)]
        tokens_of = [number_tokens(lt, fmt) for lt in lines]
        claimed: set[int] = set()
        valueless: dict[int, list[TotalLabel]] = {}
        for i, lt in enumerate(lines):
            labels = find_labels(lt)
            tokens = tokens_of[i]
            for k, lb in enumerate(labels):
                end = labels[k + 1].raw_start if k + 1 < len(labels) else len(lt.raw)
                # a rate printed with the label ("IVA 21%", "Neto gravado 10,5 %") belongs to the label
                rate = _rate_of(lb.text) or _rate_of(lt.raw[lb.raw_end : end][:14])
                lb.rate = rate
                own = [t for t in tokens if t.percent and rate is not None and t.value == rate]
                if rate is None and lb.role in (TotalRole.VAT, TotalRole.NET):
                    misread = _rate_misread(lt, tokens, lb)
                    if misread is not None:
                        rate, token = misread
                        lb.rate = rate
                        own = [token]
                rest = [t for t in tokens if t not in own]
                x_to = lt.x_at(end) if end < len(lt.raw) else 1e9
                if lb.role == TotalRole.OTHER_TAX:
                    out.tax_labels.append((view.index, lb.text, lb.kind))
                    # "Percepción IIBB Bs. As.   4,00   13241,14": alícuota and amount, far apart
                    span = [t for t in rest if lt.x_at(lb.raw_end) <= t.x0 + 0.5 and t.x0 < x_to - 0.5]
                else:
                    span = _inline_span(lt, rest, lt.x_at(lb.raw_end), x_to)
                claimed.update(id(t) for t in [*span, *own])
                if lb.role == TotalRole.IGNORE:
                    continue
                if not span and end == len(lt.raw):
                    # the figure level with the label but grouped into another line (a photo's box inflated
                    # by a smudge): "IVA 21%" and, just above it in reading order, "158.318,47"
                    level = _level_tokens(lines, tokens_of, i, claimed)
                    span = _inline_span(lt, level, lt.x_at(lb.raw_end), x_to)
                    claimed.update(id(t) for t in span)
                if not (span and _add_inline(out, view, lt, lb, span, rate)):
                    valueless.setdefault(i, []).append(lb)
        # labels without a figure beside them: the figures are under them, on the next lines
        for i in sorted(valueless):
            head = lines[i]
            h = max(head.height, 1.0)
            # OCR boxes hug the glyphs (capitals are ~70 % of the font size a text layer reports)
            reach = (6.5 if head.line.conf < 0.999 else 4.5) * h
            below: list[tuple[NumberToken, LineText]] = []
            for j in range(i + 1, min(i + 5, len(lines))):
                lt = lines[j]
                if lt.cy - head.cy > reach:
                    break
                if j in valueless and len(valueless[j]) >= 2:
                    break  # another header row
                below.extend((t, lt) for t in tokens_of[j] if id(t) not in claimed and t.value is not None)
            if below:
                used = _add_columns(out, view, valueless[i], below)
                claimed.update(used)
    return out


def _add_inline(
    out: TotalsRead, view: PageView, lt: LineText, lb: TotalLabel, span: list[NumberToken], rate: Decimal | None
) -> bool:
    """Record the figure beside a label; ``False`` if the span held no usable figure (only a rate)."""
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
        return True
    if rate is None and percents and percents[0].value in VALID_VAT_RATES:
        rate = percents[0].value
    if not amounts:
        return False
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
    return True


def _add_columns(
    out: TotalsRead,
    view: PageView,
    labels: list[TotalLabel],
    below: list[tuple[NumberToken, LineText]],
) -> set[int]:
    """Give each figure under a row of labels to the label it sits under; returns the tokens used.

    Several value lines under the same labels are one line per VAT rate ("SUBTOTAL  ALICUOTA IVA  IVA$"
    with a 21 % line and a 10,5 % line): each line's base and VAT get that line's rate. A line holding only
    a rate under the VAT column ("21.00" over the figures) gives its rate to the VAT figure below it.
    """
    used: set[int] = set()
    rows: dict[int, tuple[LineText, list[tuple[int, NumberToken]]]] = {}
    for t, lt in below:
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
        if best_k is not None and best_cost < 3.0:
            rows.setdefault(id(lt), (lt, []))[1].append((best_k, t))
            used.add(id(t))

    ordered = sorted(rows.values(), key=lambda row: row[0].cy)
    rate_lines = {
        id(lt)
        for n, (lt, cells) in enumerate(ordered)
        if n + 1 < len(ordered)
        and all(labels[k].role == TotalRole.VAT and t.value in VALID_VAT_RATES for k, t in cells)
    }
    """Lines holding only a legal rate under the VAT column, above other figures."""

    def rate_of(k: int, t: NumberToken, lt: LineText | None = None) -> Decimal | None:
        role = labels[k].role
        value = t.value
        if value is None or value not in VALID_VAT_RATES:
            return None
        if role == TotalRole.VAT_RATE or (
            role == TotalRole.VAT and (t.percent or (lt is not None and id(lt) in rate_lines))
        ):
            return value
        return None

    line_rates = [next((r for k, t in cells if (r := rate_of(k, t, lt)) is not None), None) for lt, cells in ordered]
    per_rate_rows = sum(
        1
        for (_, cells), rate in zip(ordered, line_rates, strict=True)
        if rate is not None and any(labels[k].role != TotalRole.VAT_RATE for k, _ in cells)
    )
    pending_rate: Decimal | None = None
    for (lt, cells), rate in zip(ordered, line_rates, strict=True):
        figures = [(k, t) for k, t in cells if rate_of(k, t, lt) is None and not t.percent]
        only_rate = not figures and rate is not None
        for k, t in cells:
            if rate_of(k, t, lt) is not None:
                out.candidates.append(
                    TotalCandidate(
                        TotalRole.VAT_RATE, t.value or Decimal("0"), view.index, lt.y0, t.x0, _conf(lt, 0.8), t.text,
                        labels[k].text,
                    )
                )  # fmt: skip
        if only_rate:
            # a rate on a line of its own: under the VAT column it applies to the VAT figure below
            if any(labels[k].role == TotalRole.VAT for k, _ in cells):
                pending_rate = rate
            continue
        line_rate = rate if rate is not None else pending_rate
        for k, t in figures:
            lb = labels[k]
            if lb.role == TotalRole.VAT_RATE:
                continue
            assert t.value is not None
            candidate_rate = None
            if lb.role == TotalRole.VAT:
                candidate_rate = lb.rate or line_rate
            elif lb.role in (TotalRole.NET, TotalRole.SUBTOTAL) and per_rate_rows >= 2 and rate is not None:
                candidate_rate = rate
            elif lb.role == TotalRole.NET and lb.rate is not None:
                candidate_rate = lb.rate
            role = TotalRole.NET if candidate_rate is not None and lb.role == TotalRole.SUBTOTAL else lb.role
            out.candidates.append(
                TotalCandidate(
                    role, t.value, view.index, lt.y0, t.x0, _conf(lt, 0.85), t.text, lb.text, kind=lb.kind,
                    rate=candidate_rate,
                )
            )  # fmt: skip
        pending_rate = None
    return used


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
    net_by_rate: dict[Decimal, TotalCandidate] = field(default_factory=dict)
    other_taxes: list[TotalCandidate] = field(default_factory=list)
    other_taxes_total: TotalCandidate | None = None
    unpaired_taxes: list[tuple[str, TaxKind | None]] = field(default_factory=list)
    """Other-tax labels (text, kind) read without their figure."""
    total: TotalCandidate | None = None
    consistent: bool = False

    @property
    def taxes_from_total_without_lines(self) -> bool:
        """Other taxes known only from their printed total, and no tax line read at all."""
        return (
            not self.other_taxes
            and self.other_taxes_total is not None
            and self.other_taxes_total.value != 0
            and not self.unpaired_taxes
        )

    @property
    def taxes_from_total_only(self) -> bool:
        """Other taxes known only from their printed total while a tax line was read without its figure: which
        tax the total is (and whether it is one) is not read for sure."""
        return (
            not self.other_taxes
            and self.other_taxes_total is not None
            and self.other_taxes_total.value != 0
            and bool(self.unpaired_taxes)
        )

    def vat_lines(
        self, net: Decimal | None, items_rates: set[Decimal], items_bases: dict[Decimal, Decimal] | None = None
    ) -> list[VatLine]:
        """VAT per rate: a printed rate, else the single rate of the items or table, else the rate the
        amount implies on the net. Bases: printed per rate, else the items' sum per rate when it agrees
        with the VAT amount, else the net (one rate), else amount / rate."""
        items_bases = items_bases or {}
        lines: list[VatLine] = []
        nonzero = sorted((c for c in self.vat if c.value != 0), key=lambda c: (c.page, c.y, c.x))
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
            if base is None and rate in self.net_by_rate:
                base = self.net_by_rate[rate].value
            if base is None and len(chosen) > 1 and rate in items_bases:
                candidate = items_bases[rate]
                if abs(candidate * rate / 100 - c.value) <= max(Decimal("0.05"), candidate * Decimal("0.0005")):
                    base = candidate
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
            # the kind of the tax lines read without their figure when they agree (the likelier reading for
            # whoever reviews it: :attr:`taxes_from_total_only`), else "other"
            kinds = {kind for _, kind in self.unpaired_taxes}
            kind = kinds.pop() if len(kinds) == 1 else None
            taxes = [
                OtherTax(
                    kind=kind or TaxKind.OTHER,
                    amount=self.other_taxes_total.value,
                    description=self.other_taxes_total.label,
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

    def by_position(role: TotalRole, with_rate: bool | None = None) -> list[TotalCandidate]:
        chosen = [c for c in cands if c.role == role and (with_rate is None or (c.rate is not None) == with_rate)]
        return sorted(_dedupe(chosen), key=lambda c: (-c.page, -c.y, -c.x))

    totals = by_position(TotalRole.TOTAL)
    nets = by_position(TotalRole.NET, with_rate=False)
    subs = by_position(TotalRole.SUBTOTAL)
    discounts = by_position(TotalRole.DISCOUNT)
    exempts = by_position(TotalRole.EXEMPT)
    untaxed = by_position(TotalRole.UNTAXED)
    others_total = by_position(TotalRole.OTHER_TAXES_TOTAL)
    rates = [c.value for c in cands if c.role == TotalRole.VAT_RATE]
    out.vat_rate_hint = rates[-1] if rates else None
    # net per VAT rate ("Importe Neto Gravado 21%"): their sum is the net when no overall net is printed
    for c in sorted(cands, key=lambda c: (c.page, c.y)):
        if c.role == TotalRole.NET and c.rate is not None:
            out.net_by_rate[c.rate] = c
    if out.net_by_rate:
        first = next(iter(out.net_by_rate.values()))
        summed = sum((c.value for c in out.net_by_rate.values()), Decimal("0"))
        nets.append(TotalCandidate(TotalRole.NET, summed, first.page, first.y, first.x, first.conf, "", "netos"))
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
    pages = {c.page for c in cands}
    paired = {(c.page, c.label) for c in out.other_taxes}
    out.unpaired_taxes = [
        (text, kind) for page, text, kind in read.tax_labels if page in pages and (page, text) not in paired
    ]
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
    vat_options.append([])
    bases: list[tuple[TotalCandidate, Decimal]] = [(c, c.value) for c in nets[:4]]
    for sub in subs[:3]:
        bases.append((sub, sub.value))
        for disc in discounts[:1]:
            bases.append((sub, sub.value - abs(disc.value)))
    exempt_opts: list[TotalCandidate | None] = [*exempts[:2], None]
    untaxed_opts: list[TotalCandidate | None] = [*untaxed[:2], None]
    for total, (base, base_value), vat, ex, un in itertools.product(
        totals[:4], bases, vat_options, exempt_opts, untaxed_opts
    ):
        s = base_value + sum((v.value for v in vat), Decimal("0")) + other_sum
        s += ex.value if ex is not None and ex is not base else Decimal("0")
        s += un.value if un is not None and un is not base else Decimal("0")
        if abs(s - total.value) <= tolerance:
            out.total, out.vat, out.exempt, out.untaxed = total, list(vat), ex, un
            if base.role == TotalRole.NET:
                out.net = base
                out.subtotal = subs[0] if subs else None
            else:
                out.subtotal = base
                if base_value != base.value:
                    out.net = TotalCandidate(
                        TotalRole.NET, base_value, base.page, base.y, base.x, base.conf, "", "subtotal - bonificación"
                    )
            out.consistent = True
            return out
    out.total = max(totals[:2], key=lambda c: c.value) if totals else None
    out.net = nets[0] if nets else None
    out.subtotal = subs[0] if subs else None
    out.vat = vat_options[0]
    out.exempt = exempts[0] if exempts else None
    out.untaxed = untaxed[0] if untaxed else None
    return out
