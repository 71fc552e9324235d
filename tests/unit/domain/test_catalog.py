"""Catalog models and EAN-13 helpers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from minimarket.domain.afip import IvaCondition
from minimarket.domain.catalog import (
    Product,
    Supplier,
    ean13_check_digit,
    is_valid_ean13,
    normalize_ean13,
)


@pytest.mark.parametrize("code", ["4006381333931", "5901234123457", "7791234567898", "400-6381-333931"])
def test_valid_ean13(code: str) -> None:
    assert is_valid_ean13(code)
    assert len(normalize_ean13(code)) == 13


@pytest.mark.parametrize("code", [None, "", "4006381333932", "400638133393", "40063813339311", "40063813339A1"])
def test_invalid_ean13(code: str | None) -> None:
    assert not is_valid_ean13(code)


def test_ean13_check_digit() -> None:
    assert ean13_check_digit("400638133393") == 1
    assert ean13_check_digit("590123412345") == 7
    with pytest.raises(ValueError, match="12 digits"):
        ean13_check_digit("12345")


def test_normalize_ean13_says_why() -> None:
    with pytest.raises(ValueError, match="has check digit 2 but 1 was expected"):
        normalize_ean13("4006381333932")
    with pytest.raises(ValueError, match="13 digits"):
        normalize_ean13("123")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digit_makes_valid_codes(first12: str) -> None:
    assert is_valid_ean13(first12 + str(ean13_check_digit(first12)))


def test_supplier() -> None:
    supplier = Supplier(cuit="30-51758323-1", name=" Distribuidora Sur ", iva_condition="Resp. Inscripto")
    assert supplier.cuit == "30517583231"
    assert supplier.name == "Distribuidora Sur"
    assert supplier.iva_condition is IvaCondition.RESPONSABLE_INSCRIPTO
    assert supplier.lead_time_days == 2
    mono = Supplier(cuit="20321911847", name="Kiosco", iva_condition="Monotributista", lead_time_days=0)
    assert mono.iva_condition is IvaCondition.MONOTRIBUTO
    enum_given = Supplier(cuit="20321911847", name="K", iva_condition=IvaCondition.EXENTO)
    assert enum_given.iva_condition is IvaCondition.EXENTO


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cuit": "30-51758323-2"}, "check digit"),
        ({"name": ""}, "at least 1 character"),
        ({"iva_condition": "Marciano"}, "unknown IVA condition"),
        ({"lead_time_days": -1}, "greater than or equal to 0"),
    ],
)
def test_supplier_rejects(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"cuit": "30517583231", "name": "X", **kwargs}
    with pytest.raises(ValidationError, match=message):
        Supplier(**fields)


def _product(**kwargs: object) -> Product:
    fields: dict[str, object] = {
        "sku": "YERBA-1KG",
        "ean": "7791234567898",
        "name": "Yerba mate 1 kg",
        "brand": "Marca",
        "category": "Almacén",
        "unit": "unidad",
        "pack_size": 10,
        "supplier_cuit": "30-51758323-1",
        "cost": "1500.50",
        "vat_rate": "21",
        **kwargs,
    }
    return Product(**fields)


def test_product() -> None:
    product = _product()
    assert product.ean == "7791234567898"
    assert product.supplier_cuit == "30517583231"
    assert product.cost == Decimal("1500.50")
    assert product.vat_rate == Decimal("21")
    assert product.cost_with_vat == Decimal("1815.6050")


@pytest.mark.parametrize("rate", ["10.5", "10,5", Decimal("10.50"), "10.5%", 10.5])
def test_product_vat_rate_variants(rate: object) -> None:
    assert _product(vat_rate=rate).vat_rate == Decimal("10.5")


def test_product_optional_fields() -> None:
    product = _product(ean="", supplier_cuit=None, brand=None)
    assert product.ean is None and product.supplier_cuit is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ean": "7791234567890"}, "check digit"),
        ({"supplier_cuit": "1234"}, "11 digits"),
        ({"vat_rate": "19"}, "not a legal rate"),
        ({"vat_rate": "mucho"}, "not a legal rate"),
        ({"cost": "-1"}, "greater than or equal to 0"),
        ({"pack_size": 0}, "greater than or equal to 1"),
        ({"sku": ""}, "at least 1 character"),
    ],
)
def test_product_rejects(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _product(**kwargs)


def test_models_are_frozen() -> None:
    product = _product()
    with pytest.raises(ValidationError):
        product.cost = Decimal("1")  # type: ignore[misc]
