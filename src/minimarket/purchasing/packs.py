"""How many shelf units one invoiced unit is, and whether the resulting unit cost is plausible.

An invoice line "YERBA PLAYA. C/PALO 1KG x10", 2 BUL at $ 53.500 is 20 units of YER-0001 at $ 5.350. The number
of units per invoiced unit comes, in order, from:

1. a person's confirmation for that supplier and SKU (``confirmed``);
2. the line's unit: a unit, kilogram or litre is itself (``unit``); a box ("bulto", "BUL", "CJ", "caja",
   "pack", "fardo", "display") is the catalog's pack size of the SKU (``catalog``), else the count the description
   gives (``description``: "x10", "C/12", "CAJA X 24", "6 x 1,5 L");
3. no unit printed: the line's price decides (``price``) — a pack when the price is nearer the pack's cost than a
   unit's cost, else one unit (``default``).

:func:`plausibility` then compares the unit cost with the last one: further than the category's usual spread
(:func:`category_spreads`, from the history of unit costs) is flagged, with the likely cause when the ratio is
near a pack size (a pack price taken as a unit's, or the other way round).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "DEFAULT_SPREAD",
    "CatalogEntry",
    "Conversion",
    "ConvertedLine",
    "InvoiceLine",
    "Plausibility",
    "category_spreads",
    "classify_unit",
    "convert",
    "convert_history",
    "pack_count",
    "plausibility",
    "unit_cost",
]

DEFAULT_SPREAD = 0.40
"""Usual spread of a unit cost from the last one (40 %) when a category has too little history."""
MIN_SPREAD = 0.35
MAX_SPREAD = 1.0
MIN_PAIRS = 8
UNDATED_SLACK = 1.0
"""Extra spread when the last cost is the catalog's, whose date is unknown."""
MAX_PACK = 500

_PACK_UNITS = frozenset(
    {"bulto", "bultos", "bul", "blt", "bto", "cj", "cja", "caja", "cajas", "pack", "pck", "fardo", "fdo", "display"}
    | {"disp", "dsp", "bolsa x", "cajon", "cajón"}
)
_UNIT_UNITS = frozenset({"un", "u", "uni", "unid", "unidad", "unidades", "ud", "uds", "c/u", "cu", "pza", "pieza"})
_MEASURE_UNITS = frozenset(
    {"kg", "kgs", "kilo", "kilos", "kilogramo", "kilogramos", "gr", "g", "grs", "lt", "lts", "l", "litro", "litros"}
    | {"doc", "docena", "docenas", "mt", "m", "metro", "metros"}
)


def _plain(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


@functools.lru_cache(maxsize=4096)
def classify_unit(unit: str | None) -> str | None:
    """``"pack"``, ``"unit"``, ``"measure"`` (kg, l, dozen: the quantity is already the shelf measure) or
    ``None`` when no unit is printed or it is not recognised."""
    text = re.sub(r"[.\s]+$", "", _plain(unit))
    if not text:
        return None
    if text in _PACK_UNITS or text.startswith(("bult", "caj", "fard")):
        return "pack"
    if text in _UNIT_UNITS or text.startswith("unid"):
        return "unit"
    if text in _MEASURE_UNITS:
        return "measure"
    return None


_COUNT = r"(\d{1,3})"
_SIZE = r"\d+(?:[.,]\d+)?\s*(?:kg|kgs|g|gr|grs|ml|cc|l|lt|lts|cm3)\b"
_PATTERNS = (
    re.compile(rf"\(\s*x\s*{_COUNT}\s*(?:u|un|uni|unid|unidades)?\s*\)"),
    re.compile(rf"(?:\bc/|\bcon\s|\b(?:caja|cja|cj|pack|bulto|blt|fardo|display|dsp)\.?\s*x?)\s*{_COUNT}\b"),
    re.compile(rf"\b{_COUNT}\s*x\s*{_SIZE}"),
    re.compile(rf"\bx\s*{_COUNT}\s*(?:u|un|uni|unid|unidades|uds)\b\.?"),
    re.compile(rf"\bx\s*{_COUNT}\s*\.?\s*$"),
)


@functools.lru_cache(maxsize=65536)
def pack_count(description: str | None) -> int | None:
    """The count of units a supplier's description gives for its box, or ``None``.

    "YERBA PLAYA. C/PALO 1KG x10" → 10; "TE NEGRO LA VIRGINIA X25 C/24" → 24; "AGUA 6 x 1,5 L" → 6;
    "GALLETITAS X 24 UN" → 24; "Manteca 200 g (x20)" → 20; "YERBA 1KG" → None. A count of 1 or above 500 is
    no box. A lone trailing "X30" may be the content ("HUEVOS X30"): the catalog's pack size and the price come
    first (:func:`convert`).
    """
    text = _plain(description)
    if not text:
        return None
    for pattern in _PATTERNS:
        matches = pattern.findall(text)
        if matches:
            count = int(matches[-1])
            return count if 1 < count <= MAX_PACK else None
    return None


@dataclass(frozen=True)
class Conversion:
    """Units of the shelf SKU per invoiced unit, and where the number came from."""

    units: int
    source: str
    """``confirmed``, ``unit``, ``catalog``, ``description``, ``price`` or ``default``."""
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"units_per_invoice_unit": self.units, "source": self.source, "note": self.note}


def _nearer_pack(price: Decimal, reference: Decimal, pack: int) -> bool:
    """Whether ``price`` is nearer ``pack`` × ``reference`` than one ``reference`` (in ratio)."""
    if price <= 0 or reference <= 0 or pack <= 1:
        return False
    ratio = math.log(float(price / reference))
    return abs(ratio - math.log(pack)) < abs(ratio)


def convert(
    *,
    unit: str | None,
    description: str | None,
    unit_price: Decimal | None,
    catalog_pack: int | None,
    confirmed: int | None = None,
    reference_cost: Decimal | None = None,
) -> Conversion:
    """How many shelf units one invoiced unit of this line is (see the module docstring for the order)."""
    if confirmed is not None and confirmed >= 1:
        return Conversion(int(confirmed), "confirmed")
    kind = classify_unit(unit)
    if kind in ("unit", "measure"):
        return Conversion(1, "unit")
    described = pack_count(description)
    pack = catalog_pack if catalog_pack and catalog_pack > 1 else None
    if kind == "pack":
        if pack is not None:
            return Conversion(pack, "catalog")
        if described is not None:
            return Conversion(described, "description")
        return Conversion(1, "default", "la línea es un bulto pero no se sabe de cuántas unidades: confírmelo")
    candidate = pack or described
    if (
        candidate is not None
        and unit_price is not None
        and reference_cost is not None
        and _nearer_pack(Decimal(unit_price), Decimal(reference_cost), candidate)
    ):
        return Conversion(candidate, "price", f"sin unidad impresa: el precio es el de un bulto de {candidate}")
    return Conversion(1, "default")


# --- plausibility -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plausibility:
    """The unit cost against the last one: the ratio, the spread allowed, and why it was flagged (Spanish)."""

    ratio: float | None
    spread: float
    flagged: bool
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "ratio_to_last_cost": None if self.ratio is None else round(self.ratio, 3),
            "spread_allowed_pct": round(100 * self.spread, 1),
            "implausible": self.flagged,
            "reason": self.reason,
        }


def _months(days: int | None) -> float:
    return 0.0 if days is None else max(0.0, days / 30.4375)


def plausibility(
    unit_cost: Decimal,
    last_cost: Decimal | None,
    *,
    spread: float,
    days_since_last: int | None = None,
    monthly_inflation_pct: float = 0.0,
    packs: Sequence[int] = (),
) -> Plausibility:
    """Whether ``unit_cost`` is within ``spread`` of ``last_cost`` grown by inflation over ``days_since_last``
    (``None``: the catalog's undated cost, allowed :data:`UNDATED_SLACK` more)."""
    if last_cost is None or last_cost <= 0 or unit_cost <= 0:
        return Plausibility(None, spread, False)
    expected = float(last_cost) * (1 + monthly_inflation_pct / 100) ** _months(days_since_last)
    ratio = float(unit_cost) / expected
    allowed = spread + (UNDATED_SLACK if days_since_last is None else 0.0)
    if abs(math.log(ratio)) <= math.log(1 + allowed):
        return Plausibility(ratio, allowed, False)
    why = f"costo unitario {ratio:.2f} veces el último (se espera dentro de ±{100 * allowed:.0f} %)"
    for pack in sorted({p for p in packs if p > 1}):
        if abs(math.log(ratio) - math.log(pack)) < math.log(1 + allowed) / 2:
            why += f": parece el precio de un bulto de {pack} tomado como unidad"
            break
        if abs(math.log(ratio) + math.log(pack)) < math.log(1 + allowed) / 2:
            why += f": parece el precio de una unidad tomado como bulto de {pack}"
            break
    return Plausibility(ratio, allowed, True, why)


def category_spreads(
    history: Mapping[str, Sequence[tuple[str | None, float]]], *, default: float = DEFAULT_SPREAD
) -> dict[str, float]:
    """The usual spread of each category: 1.5 × the 90th percentile of |log(cost / previous cost)| between
    consecutive costs of its SKUs, within [:data:`MIN_SPREAD`, :data:`MAX_SPREAD`]; ``default`` with fewer than
    :data:`MIN_PAIRS` pairs. ``history``: SKU → [(category, unit cost), …] in date order."""
    changes: dict[str, list[float]] = {}
    for series in history.values():
        for (category, previous), (_, current) in itertools.pairwise(series):
            if previous > 0 and current > 0:
                changes.setdefault(category or "", []).append(abs(math.log(current / previous)))
    out: dict[str, float] = {}
    for category, values in changes.items():
        if len(values) < MIN_PAIRS:
            out[category] = default
            continue
        values.sort()
        p90 = values[min(len(values) - 1, math.ceil(0.9 * len(values)) - 1)]
        out[category] = min(MAX_SPREAD, max(MIN_SPREAD, 1.5 * (math.exp(p90) - 1)))
    return out


def unit_cost(unit_price: Decimal, quantity: Decimal | None, discount: Decimal | None, units: int) -> Decimal:
    """Net cost of one shelf unit: (price − discount per invoiced unit) ÷ units per invoiced unit."""
    price = Decimal(unit_price)
    if discount and quantity:
        price -= Decimal(discount) / Decimal(quantity)
    return (price / max(1, units)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def pack_candidates(catalog_pack: int | None, descriptions: Iterable[str | None]) -> list[int]:
    """Pack sizes worth naming when a unit cost looks wrong."""
    found = {catalog_pack} if catalog_pack and catalog_pack > 1 else set()
    found |= {count for d in descriptions if (count := pack_count(d)) is not None}
    return sorted(found)


# --- a whole history ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    """One priced invoice line with a SKU, as the store holds it."""

    invoice_id: int
    invoice_label: str
    issue_date: dt.date
    supplier_cuit: str | None
    supplier_name: str | None
    line_no: int
    description: str
    sku: str
    quantity: Decimal | None
    unit: str | None
    unit_price: Decimal
    discount: Decimal | None = None


@dataclass(frozen=True)
class CatalogEntry:
    """What the catalog says of a SKU: its category, the supplier's pack size and the catalog (net) cost."""

    category: str | None
    pack_size: int
    cost: Decimal | None
    name: str | None = None


@dataclass(frozen=True)
class ConvertedLine:
    """An invoice line in shelf units: the conversion, the unit cost, and how it compares with the last one."""

    line: InvoiceLine
    conversion: Conversion
    units: Decimal | None
    unit_cost: Decimal
    last_cost: Decimal | None
    last_cost_source: str
    """``invoice`` (the SKU's previous invoiced unit cost), ``catalog`` or ``none``."""
    check: Plausibility

    def as_dict(self) -> dict[str, object]:
        """The line as evidence: invoice, date, what was printed, and what it became."""
        line = self.line
        return {
            "invoice_id": line.invoice_id,
            "invoice": line.invoice_label,
            "issue_date": line.issue_date.isoformat(),
            "supplier_cuit": line.supplier_cuit,
            "supplier_name": line.supplier_name,
            "line_no": line.line_no,
            "description": line.description,
            "sku": line.sku,
            "quantity": None if line.quantity is None else format(line.quantity.normalize(), "f"),
            "unit": line.unit,
            "unit_price": str(line.unit_price),
            **self.conversion.as_dict(),
            "units": None if self.units is None else format(self.units.normalize(), "f"),
            "unit_cost": str(self.unit_cost),
            "last_cost": None if self.last_cost is None else str(self.last_cost),
            "last_cost_source": self.last_cost_source,
            **self.check.as_dict(),
        }


@functools.lru_cache(maxsize=65536)
def _packs_for(catalog_pack: int | None, description: str | None) -> tuple[int, ...]:
    return tuple(pack_candidates(catalog_pack, [description]))


_GROSS = math.log(1 + MAX_SPREAD + UNDATED_SLACK)


def _gross_outlier(
    cost: Decimal,
    previous: tuple[Decimal, dt.date] | None,
    catalog_cost: Decimal | None,
    day: dt.date,
    monthly_inflation_pct: float,
) -> bool:
    """Whether ``cost`` is too far from the reference to become the next line's reference (a pack error)."""
    if previous is not None:
        reference, months = float(previous[0]), _months((day - previous[1]).days)
    elif catalog_cost:
        reference, months = float(catalog_cost), 0.0
    else:
        return False
    expected = reference * (1 + monthly_inflation_pct / 100) ** months
    return expected > 0 and abs(math.log(float(cost) / expected)) > _GROSS


def convert_history(
    lines: Iterable[InvoiceLine],
    catalog: Mapping[str, CatalogEntry],
    confirmed: Mapping[tuple[str, str], int] | None = None,
    *,
    monthly_inflation_pct: float = 2.5,
) -> list[ConvertedLine]:
    """Every line in shelf units (in date order), each checked against the SKU's previous unit cost (else the
    catalog's) with its category's usual spread."""
    confirmed = confirmed or {}
    ordered = sorted(lines, key=lambda ln: (ln.issue_date, ln.invoice_id, ln.line_no))
    converted: list[tuple[InvoiceLine, Conversion, Decimal, Decimal | None, dt.date | None]] = []
    last: dict[str, tuple[Decimal, dt.date]] = {}
    for line in ordered:
        entry = catalog.get(line.sku)
        previous = last.get(line.sku)
        reference = previous[0] if previous else (entry.cost if entry else None)
        conversion = convert(
            unit=line.unit,
            description=line.description,
            unit_price=line.unit_price,
            catalog_pack=entry.pack_size if entry else None,
            confirmed=confirmed.get((line.supplier_cuit or "", line.sku)),
            reference_cost=reference,
        )
        cost = unit_cost(line.unit_price, line.quantity, line.discount, conversion.units)
        converted.append((line, conversion, cost, previous[0] if previous else None, previous[1] if previous else None))
        if cost > 0 and not _gross_outlier(cost, previous, reference, line.issue_date, monthly_inflation_pct):
            last[line.sku] = (cost, line.issue_date)  # an outlier is not the next line's reference
    series: dict[str, list[tuple[str | None, float]]] = {}
    for line, _, cost, _, _ in converted:
        entry = catalog.get(line.sku)
        series.setdefault(line.sku, []).append((entry.category if entry else None, float(cost)))
    spreads = category_spreads(series)
    out: list[ConvertedLine] = []
    for line, conversion, cost, previous_cost, previous_date in converted:
        entry = catalog.get(line.sku)
        category = entry.category if entry else None
        spread = spreads.get(category or "", DEFAULT_SPREAD)
        packs = _packs_for(entry.pack_size if entry else None, line.description)
        if previous_cost is not None and previous_date is not None:
            check = plausibility(
                cost,
                previous_cost,
                spread=spread,
                days_since_last=(line.issue_date - previous_date).days,
                monthly_inflation_pct=monthly_inflation_pct,
                packs=packs,
            )
            reference, source = previous_cost, "invoice"
        else:
            reference = entry.cost if entry else None
            source = "catalog" if reference is not None else "none"
            check = plausibility(cost, reference, spread=spread, packs=packs)
        units = None if line.quantity is None else Decimal(line.quantity) * conversion.units
        out.append(ConvertedLine(line, conversion, units, cost, reference, source, check))
    return out
