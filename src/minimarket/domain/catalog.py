"""The shop's catalog: suppliers and products, validated (EAN-13, CUIT, VAT rate)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum import ean as _stdnum_ean

from minimarket.domain.afip import VALID_VAT_RATES, IvaCondition, parse_iva_condition
from minimarket.domain.bounds import OutOfBounds, check_money
from minimarket.domain.cuit import normalize_cuit

__all__ = ["Product", "Supplier", "ean13_check_digit", "is_valid_ean13", "normalize_ean13"]


def ean13_check_digit(first12: str) -> int:
    """The GS1 check digit for the first 12 digits of an EAN-13; ``ValueError`` if not 12 digits."""
    digits = str(first12).strip()
    if len(digits) != 12 or not digits.isdigit():
        raise ValueError(f"an EAN-13 check digit needs exactly 12 digits, got {first12!r}")
    return int(_stdnum_ean.calc_check_digit(digits))


def is_valid_ean13(code: str | None) -> bool:
    """Whether ``code`` is 13 digits with a correct check digit (spaces and dashes allowed)."""
    if code is None:
        return False
    digits = _stdnum_ean.compact(str(code))
    return len(digits) == 13 and bool(_stdnum_ean.is_valid(digits))


def normalize_ean13(code: str) -> str:
    """The EAN-13 as 13 digits; ``ValueError`` saying why if it is not valid."""
    digits = _stdnum_ean.compact(str(code))
    if len(digits) != 13 or not digits.isdigit():
        raise ValueError(f"an EAN-13 has 13 digits, got {code!r}")
    expected = ean13_check_digit(digits[:12])
    if int(digits[12]) != expected:
        raise ValueError(f"EAN-13 {code!r} has check digit {digits[12]} but {expected} was expected")
    return digits


def _vat_rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value).strip().rstrip("%").strip().replace(",", "."))
    except InvalidOperation:
        rate = Decimal("NaN")
    if rate.is_nan() or rate not in VALID_VAT_RATES:
        valid = ", ".join(format(r, "f") for r in sorted(VALID_VAT_RATES))
        raise ValueError(f"VAT rate {value!r} is not a legal rate; valid rates (%): {valid}")
    return rate


_WEEKDAYS = ("lun", "mar", "mie", "jue", "vie", "sab", "dom")
_WEEKDAY_LABELS = {"mie": "mié", "sab": "sáb"}


def _order_days(value: Any) -> tuple[str, ...]:
    """``"lun;jue"`` (or a list) → ``("lun", "jue")``; Spanish weekday abbreviations, accents optional."""
    if value is None:
        return ()
    parts = value if isinstance(value, list | tuple) else str(value).replace(",", ";").split(";")
    days: list[str] = []
    for part in parts:
        text = str(part).strip().lower()
        if not text:
            continue
        plain = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")[:3]
        if plain not in _WEEKDAYS:
            valid = ", ".join(_WEEKDAY_LABELS.get(day, day) for day in _WEEKDAYS)
            raise ValueError(f"unknown weekday {part!r}; use {valid} separated by ';'")
        days.append(_WEEKDAY_LABELS.get(plain, plain))
    return tuple(days)


class _CatalogModel(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)


class Supplier(_CatalogModel):
    """A supplier the shop buys from."""

    cuit: str
    name: str = Field(min_length=1, max_length=200)
    iva_condition: IvaCondition = IvaCondition.RESPONSABLE_INSCRIPTO
    lead_time_days: int = Field(default=2, ge=0, le=365)
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    province: str | None = None
    iibb: str | None = None
    """Ingresos Brutos registration as printed on the supplier's invoices."""
    activity_start: dt.date | None = None
    """Fecha de inicio de actividades (printed on invoices)."""
    order_days: tuple[str, ...] = ()
    """Weekdays the supplier takes orders/delivers ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")."""
    point_of_sale: int | None = Field(default=None, ge=1, le=99999)
    """The supplier's usual AFIP punto de venta."""
    invoice_layout: str | None = None
    """Name of the invoice layout the synthetic generator uses for this supplier."""
    number_format: Literal["ar", "us"] | None = None
    """How the supplier prints amounts: "ar" 1.234,56 or "us" 1,234.56."""
    min_order_amount: Decimal | None = Field(default=None, ge=0)
    """The least the supplier takes in one order, in pesos net of VAT."""
    min_order_packs: int | None = Field(default=None, ge=0, le=10_000)
    """The least the supplier takes in one order, in boxes (bultos)."""

    @field_validator("order_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> tuple[str, ...]:
        return _order_days(value)

    @field_validator("cuit", mode="before")
    @classmethod
    def _cuit(cls, value: Any) -> str:
        return normalize_cuit(value)

    @field_validator("iva_condition", mode="before")
    @classmethod
    def _iva(cls, value: Any) -> IvaCondition:
        if isinstance(value, IvaCondition):
            return value
        parsed = parse_iva_condition(str(value))
        if parsed is None:
            raise ValueError(f"unknown IVA condition {value!r}; e.g. 'Responsable Inscripto', 'Monotributo', 'Exento'")
        return parsed


class Product(_CatalogModel):
    """A product on the shelf, with its usual supplier, last cost (net of VAT) and VAT rate."""

    sku: str = Field(min_length=1, max_length=64)
    ean: str | None = None
    name: str = Field(min_length=1, max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=80)
    unit: str = Field(default="unidad", max_length=16)
    pack_size: int = Field(default=1, ge=1, le=10_000)
    supplier_cuit: str | None = None
    cost: Decimal = Field(ge=0)
    vat_rate: Decimal = Decimal("21")
    content: str | None = None
    """Net content as on the label ("1 kg", "2,25 l", "x30"); empty for goods sold by weight."""
    supplier_code: str | None = None
    """The supplier's own article code, as printed on its invoices."""
    supplier_description: str | None = Field(default=None, max_length=200)
    """How the supplier names the product on invoices ("YERBA PLAYAD.1KG x10")."""
    internal_tax_rate: Decimal = Field(default=Decimal("0"), ge=0, le=100)
    """Impuestos internos (percent of the net price) the supplier adds, e.g. 8 for soft drinks."""

    @field_validator("ean", mode="before")
    @classmethod
    def _ean(cls, value: Any) -> str | None:
        if value is None or str(value).strip() == "":
            return None
        return normalize_ean13(str(value))

    @field_validator("supplier_cuit", mode="before")
    @classmethod
    def _supplier_cuit(cls, value: Any) -> str | None:
        if value is None or str(value).strip() == "":
            return None
        return normalize_cuit(value)

    @field_validator("vat_rate", mode="before")
    @classmethod
    def _vat(cls, value: Any) -> Decimal:
        return _vat_rate(value)

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("el SKU tiene caracteres no imprimibles")
        return value

    @field_validator("cost")
    @classmethod
    def _cost(cls, value: Decimal) -> Decimal:
        try:
            return check_money(value, "costo")
        except OutOfBounds as exc:
            raise ValueError(str(exc)) from None

    @property
    def cost_with_vat(self) -> Decimal:
        """Cost plus VAT (not rounded)."""
        return self.cost * (1 + self.vat_rate / 100)
