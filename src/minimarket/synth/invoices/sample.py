"""Draw a random but realistic invoice from the catalog: who sells, what, how much, and the exact totals.

Everything comes from one :class:`random.Random`, so a seed gives the same invoice every time. Amounts are
computed in :class:`~decimal.Decimal` and rounded HALF_UP to cents the way AFIP does: per line
(quantity × price, discount), per VAT rate (base × rate), per tax line; the total is the exact sum.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from minimarket.catalog import Catalog
from minimarket.domain.afip import DocumentType, IvaCondition, find_document_type
from minimarket.domain.barcode import build_cae_barcode
from minimarket.domain.catalog import Product, Supplier
from minimarket.domain.invoice import TaxKind
from minimarket.domain.money import to_cents
from minimarket.synth.invoices.qr import QR_VARIANTS, build_qr_text
from minimarket.synth.invoices.spec import ZERO, InvoiceSpec, Party, SpecItem, TaxLine, VatAmount

__all__ = ["LAYOUT_NAMES", "RECEIVERS", "SampleOptions", "sample_invoice"]

LAYOUT_NAMES: tuple[str, ...] = (
    "afip_rce",
    "erp_ruled",
    "erp_plain",
    "thermal",
    "two_column",
    "landscape",
    "copies",
    "extra_page",
    "dot_matrix",
)
"""Every layout the generator draws (see :mod:`minimarket.synth.invoices.layouts`)."""

_MAX_DESCRIPTION = {"thermal": 32, "dot_matrix": 40}
_MAX_ITEMS = {"thermal": 30}

RECEIVERS: tuple[Party, ...] = (
    Party(
        "ALMACEN Y DESPENSA LOS HERMANOS S.R.L.",
        "30534640974",
        IvaCondition.RESPONSABLE_INSCRIPTO,
        "Av. Gaona 2345",
        "Haedo, Buenos Aires",
        "Despensa Los Hermanos",
    ),
    Party(
        "DIAZ MARCELO ALEJANDRO",
        "20190616585",
        IvaCondition.MONOTRIBUTO,
        "Belgrano 1187",
        "Morón, Buenos Aires",
        "Autoservicio El Sol",
    ),
    Party(
        "RIOS CLAUDIA BEATRIZ",
        "27272480783",
        IvaCondition.RESPONSABLE_INSCRIPTO,
        "Av. Directorio 4410",
        "Ciudad Autónoma de Buenos Aires",
        "Minimercado La Esquina",
    ),
    Party(
        "FERNANDEZ ROSA ELENA",
        "27358417367",
        IvaCondition.MONOTRIBUTO,
        "Calle 7 N° 812",
        "Florencio Varela, Buenos Aires",
        "Despensa Doña Rosa",
    ),
    Party(
        "MAXIKIOSCO 24 HS S.A.S.",
        "30164808943",
        IvaCondition.RESPONSABLE_INSCRIPTO,
        "Av. Rivadavia 11020",
        "Ciudad Autónoma de Buenos Aires",
        "Maxikiosco 24 hs",
    ),
)
"""The fictional mini markets that receive the invoices (RI receive A, Monotributo receive B)."""

_SHELF_STABLE = frozenset(
    {"Almacén", "Galletitas", "Golosinas", "Snacks", "Limpieza", "Perfumería", "Yerba e infusiones"}
)
_RETURNABLE_CATEGORIES = frozenset({"Cervezas", "Bebidas sin alcohol"})
_FIRST_DATE = dt.date(2025, 1, 2)
_LAST_DATE = dt.date(2026, 11, 27)
_PRICE_DATE = dt.date(2026, 11, 1)
_MONTHLY_INFLATION = Decimal("0.022")
_PAYMENT_TERMS = ("Cuenta Corriente", "Contado", "Cta. Cte. 30 días", "Transferencia bancaria", "Contado - Efectivo")
_DISCOUNTS = (Decimal("2"), Decimal("3"), Decimal("5"), Decimal("7.5"), Decimal("10"), Decimal("15"))
_IIBB_RATES = (Decimal("1.5"), Decimal("2"), Decimal("2.5"), Decimal("3"), Decimal("4"))


@dataclass(frozen=True)
class SampleOptions:
    """Constraints on the random draw (``None`` = let the generator choose)."""

    layout: str | None = None
    letter: str | None = None
    """"A", "B" or "C" (decides issuer/receiver conditions)."""
    credit_note: bool | None = None
    max_items: int | None = None
    min_items: int | None = None
    qr_variant: str | None = None
    barcode: bool | None = None
    single_copy: bool = False
    """No ORIGINAL/DUPLICADO copies and no extra page (e.g. for phone photos of one page)."""


def _choose_parties(rng: random.Random, catalog: Catalog, letter: str | None) -> tuple[Supplier, Party]:
    suppliers = list(catalog.suppliers)
    if letter == "C":
        suppliers = [s for s in suppliers if s.iva_condition.is_monotributo]
    elif letter in {"A", "B"}:
        suppliers = [s for s in suppliers if not s.iva_condition.is_monotributo]
    if not suppliers:
        raise ValueError(f"the catalog has no supplier that issues letter {letter}")
    issuer = rng.choice(suppliers)
    receivers = list(RECEIVERS)
    if letter == "A":
        receivers = [r for r in receivers if r.iva_condition == IvaCondition.RESPONSABLE_INSCRIPTO]
    elif letter == "B":
        receivers = [r for r in receivers if r.iva_condition.is_monotributo]
    return issuer, rng.choice(receivers)


def _document_type(rng: random.Random, issuer: Supplier, receiver: Party, credit_note: bool) -> DocumentType:
    if issuer.iva_condition.is_monotributo:
        letter = "C"
    elif receiver.iva_condition == IvaCondition.RESPONSABLE_INSCRIPTO:
        letter = "A"
    else:
        letter = "B"
    fce = letter == "A" and rng.random() < 0.06
    doc = find_document_type(letter, "nota_credito" if credit_note else "factura", fce=fce)
    assert doc is not None
    return doc


def _issue_date(rng: random.Random) -> dt.date:
    span = (_LAST_DATE - _FIRST_DATE).days
    while True:
        day = _FIRST_DATE + dt.timedelta(days=rng.randrange(span + 1))
        if day.weekday() != 6:
            return day


def _price_factor(day: dt.date) -> Decimal:
    """Costs in the catalog are of November 2026; earlier invoices are cheaper by ~2.2 % a month."""
    months = max(0, (_PRICE_DATE.year - day.year) * 12 + _PRICE_DATE.month - day.month)
    return (1 - _MONTHLY_INFLATION) ** months


def _pool(catalog: Catalog, issuer: Supplier, wanted: int) -> list[Product]:
    own = catalog.products_of(issuer.cuit)
    if wanted <= len(own) or not own or own[0].category not in _SHELF_STABLE:
        return own
    others = [p for p in catalog.products if p.supplier_cuit != issuer.cuit and p.category in _SHELF_STABLE]
    return own + others


def _item_count(rng: random.Random, options: SampleOptions, layout: str, credit_note: bool) -> int:
    if credit_note:
        n = rng.randint(1, 5)
    else:
        bucket = rng.choices(((1, 5), (6, 15), (16, 30), (31, 60)), weights=(25, 35, 25, 15))[0]
        n = rng.randint(*bucket)
    n = min(n, _MAX_ITEMS.get(layout, 60))
    if options.max_items is not None:
        n = min(n, options.max_items)
    if options.min_items is not None:
        n = max(n, options.min_items)
    return max(1, n)


def _quantity(rng: random.Random, product: Product, by_box: bool) -> tuple[Decimal, str]:
    if product.unit == "kg":
        if product.category == "Frutas y verduras":
            return Decimal(rng.randint(2, 40)) / 2, "kg"
        return Decimal(rng.randint(800, 9000)) / 1000, "kg"
    if product.unit == "doc":
        return Decimal(rng.randint(1, 6)), "doc"
    if by_box:
        return Decimal(rng.choice((1, 1, 1, 2, 2, 3, 4, 5))), "bulto"
    pack = product.pack_size
    choices = [1, 2, 3, 4, 6, 12]
    if pack > 1:
        choices += [pack, pack, 2 * pack]
    return Decimal(rng.choice(choices)), "un"


def _description(rng: random.Random, product: Product, layout: str) -> str:
    text = product.supplier_description or product.name
    limit = _MAX_DESCRIPTION.get(layout)
    if layout == "dot_matrix":
        text = text.upper()
    if limit and len(text) > limit:
        text = text[:limit].rstrip()
    return text


def _line(
    rng: random.Random,
    product: Product,
    letter: str,
    factor: Decimal,
    noise: Decimal,
    discount_pct: Decimal,
    layout: str,
    code_is_ean: bool,
) -> SpecItem:
    by_box = product.unit == "un" and product.pack_size > 1 and layout != "thermal" and rng.random() < 0.3
    quantity, unit = _quantity(rng, product, by_box)
    net_unit = product.cost * factor * noise
    if unit == "bulto":
        net_unit *= product.pack_size
    if letter == "B":
        price = to_cents(net_unit * (1 + product.internal_tax_rate / 100) * (1 + product.vat_rate / 100))
    elif letter == "C":
        price = to_cents(net_unit * Decimal("1.08"))
    else:
        price = to_cents(net_unit)
    gross = to_cents(quantity * price)
    discount = to_cents(gross * discount_pct / 100)
    return SpecItem(
        code=(product.ean if code_is_ean else product.supplier_code),
        description=_description(rng, product, layout),
        quantity=quantity,
        unit=unit,
        unit_price=price,
        discount_pct=discount_pct,
        discount=discount,
        amount=gross - discount,
        vat_rate=product.vat_rate,
        internal_tax_rate=product.internal_tax_rate,
        sku=product.sku,
        ean=product.ean,
    )


def _service_line(code: str, description: str, quantity: int, price: Decimal, vat: Decimal | None) -> SpecItem:
    qty = Decimal(quantity)
    amount = to_cents(qty * price)
    return SpecItem(code, description, qty, "un", price, ZERO, ZERO, amount, vat)


def _totals(
    rng: random.Random, letter: str, items: list[SpecItem], agent_iibb: Decimal | None, agent_iva: bool
) -> tuple[Decimal, Decimal, list[VatAmount], list[TaxLine], Decimal, Decimal | None]:
    """(net, exempt, vat, other taxes, total, IVA contenido) for the items, rounded the AFIP way."""
    if letter in {"A", "M"}:
        bases: dict[Decimal, Decimal] = {}
        internal: dict[Decimal, Decimal] = {}
        exempt = ZERO
        for item in items:
            if item.vat_rate is None:
                exempt += item.amount
                continue
            bases[item.vat_rate] = bases.get(item.vat_rate, ZERO) + item.amount
            if item.internal_tax_rate:
                internal[item.internal_tax_rate] = internal.get(item.internal_tax_rate, ZERO) + item.amount
        vat = [VatAmount(rate, base, to_cents(base * rate / 100)) for rate, base in sorted(bases.items(), reverse=True)]
        net = sum(bases.values(), ZERO)
        taxes: list[TaxLine] = []
        if internal:
            amount = sum((to_cents(base * rate / 100) for rate, base in internal.items()), ZERO)
            taxes.append(TaxLine(TaxKind.IMPUESTOS_INTERNOS, "Impuestos Internos", amount))
        if agent_iibb is not None:
            taxes.append(
                TaxLine(
                    TaxKind.PERCEPCION_IIBB,
                    rng.choice(("Percepción IIBB Bs. As.", "Perc. IIBB ARBA", "Percepción Ingresos Brutos")),
                    to_cents(net * agent_iibb / 100),
                    agent_iibb,
                    net,
                )
            )
        if agent_iva:
            rate = Decimal("3")
            taxes.append(
                TaxLine(TaxKind.PERCEPCION_IVA, "Percepción IVA RG 2408", to_cents(net * rate / 100), rate, net)
            )
        total = net + exempt + sum((v.amount for v in vat), ZERO) + sum((t.amount for t in taxes), ZERO)
        return net, exempt, vat, taxes, total, None
    subtotal = sum((item.amount for item in items), ZERO)
    taxes = []
    contained: Decimal | None = None
    if letter == "B":
        contained_exact = ZERO
        for item in items:
            if item.vat_rate is None:
                continue
            divisor = (1 + item.internal_tax_rate / 100) * (1 + item.vat_rate / 100)
            contained_exact += item.amount / divisor * item.vat_rate / 100
        contained = to_cents(contained_exact)
        if agent_iibb is not None and rng.random() < 0.4:
            taxes.append(
                TaxLine(
                    TaxKind.PERCEPCION_IIBB,
                    "Percepción IIBB Bs. As.",
                    to_cents(subtotal * agent_iibb / 100),
                    agent_iibb,
                    subtotal,
                )
            )
    total = subtotal + sum((t.amount for t in taxes), ZERO)
    return subtotal, ZERO, [], taxes, total, contained


def _cae(rng: random.Random, day: dt.date) -> str:
    prefix = str(70 + day.year % 10)
    return prefix + "".join(str(rng.randrange(10)) for _ in range(12))


def sample_invoice(rng: random.Random, catalog: Catalog, options: SampleOptions | None = None) -> InvoiceSpec:
    """A random invoice from ``catalog`` (deterministic for a given ``rng`` state)."""
    options = options or SampleOptions()
    issuer, receiver = _choose_parties(rng, catalog, options.letter)
    credit_note = options.credit_note if options.credit_note is not None else rng.random() < 0.12
    doc = _document_type(rng, issuer, receiver, credit_note)
    layout = options.layout or (
        issuer.invoice_layout if issuer.invoice_layout and rng.random() < 0.45 else rng.choice(LAYOUT_NAMES)
    )
    if layout not in LAYOUT_NAMES:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUT_NAMES)}")
    letter = doc.letter
    day = _issue_date(rng)
    factor = _price_factor(day)
    noise = Decimal(rng.randint(950, 1060)) / 1000

    n = _item_count(rng, options, layout, credit_note)
    pool = _pool(catalog, issuer, n)
    products = rng.sample(pool, min(n, len(pool)))
    with_discounts = rng.random() < 0.3
    code_is_ean = rng.random() < 0.2
    items: list[SpecItem] = []
    for product in products:
        pct = rng.choice(_DISCOUNTS) if with_discounts and rng.random() < 0.45 else ZERO
        items.append(_line(rng, product, letter, factor, noise, pct, layout, code_is_ean))
    if letter == "A" and not credit_note:
        returnables = sum(
            int(i.quantity) for i, p in zip(items, products, strict=True) if p.category in _RETURNABLE_CATEGORIES
        )
        if returnables and rng.random() < 0.5:
            cases = max(1, returnables // 12)
            items.append(_service_line("ENV12", "ENVASE CAJON RETORNABLE x12", cases, Decimal("2850.00"), None))
    if letter != "C" and not credit_note and rng.random() < 0.1:
        price = to_cents(Decimal(rng.randint(3000, 15000)) * (Decimal("1.21") if letter == "B" else 1))
        items.append(_service_line("FLE", "FLETE Y LOGISTICA", 1, price, Decimal("21")))

    is_agent = int(issuer.cuit[2:10]) % 3 != 0
    agent_iibb = rng.choice(_IIBB_RATES) if letter != "C" and is_agent and rng.random() < 0.7 else None
    agent_iva = letter == "A" and int(issuer.cuit[2:10]) % 4 == 1 and rng.random() < 0.6
    net, exempt, vat, taxes, total, contained = _totals(rng, letter, items, agent_iibb, agent_iva)

    pos = issuer.point_of_sale if issuer.point_of_sale and rng.random() < 0.85 else rng.randint(1, 12)
    big = not issuer.iva_condition.is_monotributo
    number = rng.randint(1500, 160000) if big else rng.randint(1, 2500)
    if credit_note:
        number = max(1, number // 20)
    cae = _cae(rng, day)
    cae_due = day + dt.timedelta(days=10)
    terms = rng.choice(_PAYMENT_TERMS)
    due = day + dt.timedelta(days=30) if "Cta" in terms or "Cuenta" in terms else None

    spec = InvoiceSpec(
        doc=doc,
        issuer=issuer,
        receiver=receiver,
        point_of_sale=pos,
        number=number,
        issue_date=day,
        cae=cae,
        cae_due_date=cae_due,
        items=items,
        net_amount=net,
        exempt_amount=exempt,
        vat=vat,
        other_taxes=taxes,
        total=total,
        layout=layout,
        number_format=issuer.number_format or "ar",
        grouping=rng.random() < 0.8,
        payment_terms=terms,
        payment_due=due,
        vat_contained=contained,
    )
    if rng.random() < 0.12:
        spec.number_format = "us" if spec.number_format == "ar" else "ar"
    if layout == "afip_rce":
        spec.number_format, spec.grouping = "ar", False
    if layout == "copies" and not options.single_copy:
        spec.copies = ("ORIGINAL", "DUPLICADO") if rng.random() < 0.6 else ("ORIGINAL", "DUPLICADO", "TRIPLICADO")
    elif not options.single_copy and layout not in {"thermal"} and rng.random() < 0.05:
        spec.copies = ("ORIGINAL", "DUPLICADO")
    if layout == "extra_page" and not options.single_copy:
        spec.extra_page = rng.choice(("ofertas", "condiciones"))
    if credit_note:
        original = max(1, number * 20 - rng.randint(1, 400))
        earlier = day - dt.timedelta(days=rng.randint(3, 40))
        spec.associated = f"Factura {letter} {pos:05d}-{original:08d} del {earlier:%d/%m/%Y}"
    if rng.random() < 0.4 and big:
        spec.remito = f"{pos:04d}-{rng.randint(1000, 99999999):08d}"
    if rng.random() < 0.3:
        spec.order_ref = f"OC {rng.randint(100, 9999)}"
    if big and rng.random() < 0.5:
        spec.seller = (
            f"{rng.randint(1, 40):02d} - {rng.choice(('GOMEZ', 'PERALTA', 'SOSA', 'ACOSTA', 'LUNA', 'BENITEZ'))}"
        )
    if doc.is_fce:
        spec.cbu = "".join(str(rng.randrange(10)) for _ in range(22))
        spec.payment_due = day + dt.timedelta(days=30)

    variant = options.qr_variant or _qr_variant(rng, layout)
    if variant not in QR_VARIANTS:
        raise ValueError(f"unknown QR variant {variant!r}; known: {', '.join(QR_VARIANTS)}")
    spec.qr_variant = variant
    spec.qr_text = build_qr_text(spec, variant)
    wants_barcode = (
        options.barcode
        if options.barcode is not None
        else (layout == "dot_matrix" or variant == "none" or rng.random() < 0.08)
    )
    if wants_barcode:
        spec.barcode = build_cae_barcode(issuer.cuit, doc.code, pos, cae, cae_due)
    return spec


def _qr_variant(rng: random.Random, layout: str) -> str:
    if layout == "dot_matrix" and rng.random() < 0.35:
        return "none"
    roll = rng.random()
    if roll < 0.55:
        return "valid"
    if roll < 0.72:
        return "afip_host"
    if roll < 0.78:
        return "no_slash"
    return rng.choice(("truncated", "strings", "ddmmyyyy", "leading_zeros", "no_fecha"))
