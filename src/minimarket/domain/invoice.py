"""The invoice and the extracted-invoice contract (the same JSON in the CLI, the API and the store).

Money is :class:`decimal.Decimal` and is serialised as a decimal string ("12345.67"), never a float.
Amounts are rounded HALF_UP to cents only at the edges (:func:`minimarket.domain.money.to_cents`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from minimarket.domain.money import to_cents


def _money_str(value: Decimal) -> str:
    return str(to_cents(value))


def _decimal_str(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


Money = Annotated[Decimal, PlainSerializer(_money_str, return_type=str, when_used="json")]
"""An amount of money, serialised with exactly two decimals."""

Quantity = Annotated[Decimal, PlainSerializer(_decimal_str, return_type=str, when_used="json")]
"""A quantity, rate or unit price, serialised without trailing zeros ("2", "10.5", "1234.5678")."""


class Source(StrEnum):
    """Where a field's value came from."""

    TEXT = "text"
    QR = "qr"
    BARCODE = "barcode"
    OCR = "ocr"
    COMPUTED = "computed"
    MODEL = "model"
    MANUAL = "manual"


class Status(StrEnum):
    """Outcome of an extraction."""

    ACCEPTED = "accepted"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


class TaxKind(StrEnum):
    """Taxes other than VAT that appear on Argentine invoices."""

    PERCEPCION_IIBB = "percepcion_iibb"
    PERCEPCION_IVA = "percepcion_iva"
    PERCEPCION_GANANCIAS = "percepcion_ganancias"
    IMPUESTOS_INTERNOS = "impuestos_internos"
    OTHER = "other"


class _Model(BaseModel):
    model_config = ConfigDict(use_enum_values=True, validate_assignment=True)


class VatLine(_Model):
    """VAT for one aliquot: ``amount`` ≈ ``base`` × ``rate`` / 100."""

    rate: Quantity
    base: Money
    amount: Money


class OtherTax(_Model):
    """A tax other than VAT (percepciones, impuestos internos)."""

    kind: TaxKind
    amount: Money
    description: str | None = None


class LineItem(_Model):
    """One line of an invoice."""

    code: str | None = None
    description: str
    quantity: Quantity | None = None
    unit: str | None = None
    unit_price: Quantity | None = None
    discount: Money | None = None
    amount: Money | None = None
    vat_rate: Quantity | None = None
    sku: str | None = None
    sku_confidence: float | None = None


class Check(_Model):
    """One auditor's check on an invoice."""

    name: str
    ok: bool
    detail: str = ""


class ErrorInfo(_Model):
    """Why a document could not be read (bad input); ``code`` is stable, ``message`` is for people."""

    code: str
    message: str


class Invoice(_Model):
    """A fiscal document as printed: header, totals and items."""

    invoice_type: str | None = None
    afip_code: int | None = None
    point_of_sale: int | None = None
    number: int | None = None
    issue_date: dt.date | None = None
    issuer_cuit: str | None = None
    issuer_name: str | None = None
    issuer_iva_condition: str | None = None
    receiver_doc_type: int | None = None
    receiver_doc_number: str | None = None
    receiver_name: str | None = None
    receiver_iva_condition: str | None = None
    cae: str | None = None
    cae_due_date: dt.date | None = None
    currency: str | None = "PES"
    exchange_rate: Quantity | None = Decimal("1")
    net_amount: Money | None = None
    exempt_amount: Money | None = None
    untaxed_amount: Money | None = None
    vat: list[VatLine] = Field(default_factory=list)
    other_taxes: list[OtherTax] = Field(default_factory=list)
    total: Money | None = None
    items: list[LineItem] = Field(default_factory=list)

    @property
    def fiscal_key(self) -> tuple[str | None, int | None, int | None, int | None]:
        """(issuer CUIT, AFIP code, point of sale, number): unique per shop."""
        return (self.issuer_cuit, self.afip_code, self.point_of_sale, self.number)

    @property
    def vat_total(self) -> Decimal:
        return sum((line.amount for line in self.vat), Decimal("0"))

    @property
    def other_taxes_total(self) -> Decimal:
        return sum((tax.amount for tax in self.other_taxes), Decimal("0"))


class ExtractedInvoice(Invoice):
    """An invoice read from a document, with provenance, confidence, checks and status."""

    source_file: str | None = None
    sha256: str | None = None
    pages: int | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    confidence: dict[str, float] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    status: Status = Status.NEEDS_REVIEW
    error: ErrorInfo | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The contract as JSON-ready primitives (money as decimal strings, dates as YYYY-MM-DD)."""
        return self.model_dump(mode="json")

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]
