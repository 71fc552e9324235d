"""What a synthetic invoice says: every printed fact, and its ground truth in the extraction contract.

An :class:`InvoiceSpec` is produced by :mod:`minimarket.synth.invoices.sample` and drawn by the layouts;
:meth:`InvoiceSpec.truth` turns it into the :class:`~minimarket.domain.invoice.ExtractedInvoice` an ideal
extractor would return. Ground-truth conventions (what is printed is what is true):

- Letter A (and FCE A): items at net unit prices; ``net_amount`` is the taxed net, ``exempt_amount`` the
  exempt lines (returnable containers), ``vat`` one line per rate present, ``other_taxes`` impuestos
  internos and percepciones; ``total = net + exempt + VAT + other taxes``.
- Letters B and C do not discriminate VAT: items at final prices, ``vat`` is empty, ``net_amount`` is the
  printed subtotal and ``total = net_amount + other taxes`` (B invoices also print the "IVA contenido" of
  Ley 27.743, which is informative and not part of the contract).
- Items: ``amount = round(quantity × unit_price, 2) − discount``, ``discount = round(gross × pct, 2)``;
  ``sku`` is the catalog SKU (``None`` for freight), ``sku_confidence`` 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from minimarket.domain.afip import DocumentType, IvaCondition
from minimarket.domain.catalog import Supplier
from minimarket.domain.invoice import ExtractedInvoice, LineItem, OtherTax, Status, TaxKind, VatLine
from minimarket.domain.numbers import NumberFormat

ZERO = Decimal("0")


@dataclass(frozen=True)
class Party:
    """The invoice's receiver: a mini market."""

    name: str
    cuit: str
    iva_condition: IvaCondition
    address: str
    city: str
    trade_name: str | None = None


@dataclass(frozen=True)
class SpecItem:
    """One printed line."""

    code: str | None
    description: str
    quantity: Decimal
    unit: str
    """Normalised unit: "un", "kg", "doc" or "bulto" (layouts print their own spelling)."""
    unit_price: Decimal
    discount_pct: Decimal
    discount: Decimal
    amount: Decimal
    vat_rate: Decimal | None
    """VAT rate of the line (``None`` for exempt lines)."""
    internal_tax_rate: Decimal = ZERO
    sku: str | None = None
    ean: str | None = None

    @property
    def gross(self) -> Decimal:
        """Quantity × unit price, before the discount (already rounded to cents)."""
        return self.amount + self.discount

    @property
    def exempt(self) -> bool:
        return self.vat_rate is None


@dataclass(frozen=True)
class VatAmount:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class TaxLine:
    """Impuestos internos or a percepción, as printed."""

    kind: TaxKind
    description: str
    amount: Decimal
    rate: Decimal | None = None
    base: Decimal | None = None


@dataclass
class InvoiceSpec:
    """A complete synthetic invoice: header, items, totals and how it is drawn."""

    doc: DocumentType
    issuer: Supplier
    receiver: Party
    point_of_sale: int
    number: int
    issue_date: dt.date
    cae: str
    cae_due_date: dt.date
    items: list[SpecItem]
    net_amount: Decimal
    exempt_amount: Decimal
    vat: list[VatAmount]
    other_taxes: list[TaxLine]
    total: Decimal
    layout: str
    number_format: NumberFormat = "ar"
    grouping: bool = True
    payment_terms: str = "Cuenta Corriente"
    payment_due: dt.date | None = None
    vat_contained: Decimal | None = None
    """Ley 27.743 "IVA contenido" printed on B invoices (informative)."""
    copies: tuple[str, ...] = ("ORIGINAL",)
    extra_page: str | None = None
    """A non-invoice page appended after the invoice ("ofertas" or "condiciones")."""
    qr_variant: str = "valid"
    qr_text: str | None = None
    barcode: str | None = None
    associated: str | None = None
    """For credit notes: the invoice they refer to, as printed."""
    remito: str | None = None
    order_ref: str | None = None
    seller: str | None = None
    cbu: str | None = None
    """FCE MiPyME invoices print the issuer's CBU."""
    notes: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------------------------------------
    @property
    def letter(self) -> str:
        return self.doc.letter

    @property
    def discriminates_vat(self) -> bool:
        return self.doc.letter in {"A", "M"}

    @property
    def vat_total(self) -> Decimal:
        return sum((line.amount for line in self.vat), ZERO)

    @property
    def other_taxes_total(self) -> Decimal:
        return sum((tax.amount for tax in self.other_taxes), ZERO)

    @property
    def full_number(self) -> str:
        """ "00004-00012345" as most invoices print it."""
        return f"{self.point_of_sale:05d}-{self.number:08d}"

    def truth(
        self, source_file: str | None = None, sha256: str | None = None, pages: int | None = None
    ) -> ExtractedInvoice:
        """The ground truth in the extracted-invoice contract, status "accepted"."""
        items = [
            LineItem(
                code=item.code,
                description=item.description,
                quantity=item.quantity,
                unit=item.unit,
                unit_price=item.unit_price,
                discount=item.discount,
                amount=item.amount,
                vat_rate=item.vat_rate if self.discriminates_vat else None,
                sku=item.sku,
                sku_confidence=1.0 if item.sku else None,
            )
            for item in self.items
        ]
        return ExtractedInvoice(
            source_file=source_file,
            sha256=sha256,
            pages=pages,
            invoice_type=self.doc.letter,
            afip_code=self.doc.code,
            point_of_sale=self.point_of_sale,
            number=self.number,
            issue_date=self.issue_date,
            issuer_cuit=self.issuer.cuit,
            issuer_name=self.issuer.name,
            issuer_iva_condition=self.issuer.iva_condition.value,
            receiver_doc_type=80,
            receiver_doc_number=self.receiver.cuit,
            receiver_name=self.receiver.name,
            receiver_iva_condition=self.receiver.iva_condition.value,
            cae=self.cae,
            cae_due_date=self.cae_due_date,
            currency="PES",
            exchange_rate=Decimal("1"),
            net_amount=self.net_amount,
            exempt_amount=self.exempt_amount if self.discriminates_vat else None,
            vat=[VatLine(rate=v.rate, base=v.base, amount=v.amount) for v in self.vat],
            other_taxes=[OtherTax(kind=t.kind, amount=t.amount, description=t.description) for t in self.other_taxes],
            total=self.total,
            items=items,
            status=Status.ACCEPTED,
        )

    def expected_header(self) -> dict[str, object]:
        """The header fields in the form of ``expected.json`` (as for the real invoices)."""
        return {
            "afip_code": self.doc.code,
            "cae": self.cae,
            "invoice_type": self.doc.letter,
            "issue_date": self.issue_date.isoformat(),
            "issuer_cuit": self.issuer.cuit,
            "number": self.number,
            "point_of_sale": self.point_of_sale,
            "total": f"{self.total:.2f}",
        }
