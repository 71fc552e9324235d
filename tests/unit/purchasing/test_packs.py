"""Pack and unit conversion: where the units per box come from, and implausible unit costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minimarket.purchasing.packs import (
    CatalogEntry,
    InvoiceLine,
    category_spreads,
    classify_unit,
    convert,
    convert_history,
    pack_count,
    plausibility,
)


@pytest.mark.parametrize(
    ("description", "count"),
    [
        ("YERBA PLAYA. C/PALO 1KG x10", 10),
        ("TE NEGRO LA VIRGINIA X25 C/24", 24),
        ("MATE COCIDO LA TRANQUERA X50 C/20", 20),
        ("AGUA MINERAL 6 x 1,5 L", 6),
        ("GALLETITAS X 24 UN", 24),
        ("CAJA X 12 ALFAJORES", 12),
        ("Manteca La Serenísima 200 g (x20)", 20),
        ("YERBA 1KG", None),
        ("GAS.COCA-COLA ORIGINAL 2250CC", None),
        ("AJO X1", None),
    ],
)
def test_pack_count_from_descriptions(description: str, count: int | None) -> None:
    assert pack_count(description) == count


@pytest.mark.parametrize(
    ("unit", "kind"),
    [
        ("BUL", "pack"),
        ("bultos", "pack"),
        ("CJ", "pack"),
        ("Caja", "pack"),
        ("UN", "unit"),
        ("unidades", "unit"),
        ("KG", "measure"),
        ("doc", "measure"),
        (None, None),
        ("xyz", None),
    ],
)
def test_units_printed_on_invoices(unit: str | None, kind: str | None) -> None:
    assert classify_unit(unit) == kind


def test_conversion_order_confirmed_unit_catalog_description_price() -> None:
    common = {"description": "YERBA PLAYA. C/PALO 1KG x10", "unit_price": Decimal("53500")}
    assert convert(unit="BUL", catalog_pack=12, confirmed=8, **common).as_dict()["source"] == "confirmed"
    assert convert(unit="UN", catalog_pack=10, **common).units == 1
    assert (
        convert(unit="BUL", catalog_pack=10, **common).units,
        convert(unit="BUL", catalog_pack=10, **common).source,
    ) == (
        10,
        "catalog",
    )
    assert convert(unit="CJ", catalog_pack=None, **common).source == "description"
    by_price = convert(unit=None, catalog_pack=10, reference_cost=Decimal("5350"), **common)
    assert (by_price.units, by_price.source) == (10, "price")
    assert convert(unit=None, catalog_pack=10, reference_cost=Decimal("50000"), **common).units == 1
    unknown = convert(unit="bulto", description="ALFAJORES", unit_price=Decimal("9000"), catalog_pack=1)
    assert unknown.units == 1 and "confírmelo" in str(unknown.note)


def test_plausibility_names_the_pack_behind_an_absurd_unit_cost() -> None:
    fine = plausibility(Decimal("5500"), Decimal("5350"), spread=0.35, days_since_last=30, monthly_inflation_pct=2.5)
    assert not fine.flagged
    wrong = plausibility(Decimal("53500"), Decimal("5350"), spread=0.35, days_since_last=10, packs=[10])
    assert wrong.flagged and "bulto de 10 tomado como unidad" in str(wrong.reason)
    other_way = plausibility(Decimal("535"), Decimal("5350"), spread=0.35, days_since_last=10, packs=[10])
    assert other_way.flagged and "unidad tomado como bulto" in str(other_way.reason)
    old_catalog = plausibility(Decimal("3400"), Decimal("5350"), spread=0.35)  # undated: more room
    assert not old_catalog.flagged


def test_category_spread_from_history() -> None:
    steady = {f"S{n}": [("Lácteos", 100.0), ("Lácteos", 103.0), ("Lácteos", 104.0)] for n in range(6)}
    assert category_spreads(steady)["Lácteos"] == pytest.approx(0.35)  # floored: promotions and noise
    few = {"A": [("Golosinas", 10.0), ("Golosinas", 12.0)]}
    assert category_spreads(few)["Golosinas"] == 0.40


def _line(day: int, price: str, unit: str | None, quantity: str = "2") -> InvoiceLine:
    return InvoiceLine(
        invoice_id=day,
        invoice_label=f"A 00003-{day:08d}",
        issue_date=dt.date(2026, 9, day),
        supplier_cuit="30119039416",
        supplier_name="Yerbatera",
        line_no=1,
        description="YERBA PLAYA. C/PALO 1KG x10",
        sku="YER-0001",
        quantity=Decimal(quantity),
        unit=unit,
        unit_price=Decimal(price),
    )


def test_history_converts_boxes_and_flags_a_box_price_taken_as_a_unit() -> None:
    catalog = {"YER-0001": CatalogEntry("Yerba e infusiones", 10, Decimal("5350"))}
    lines = [
        _line(1, "5300", "UN"),
        _line(3, "53600", "BUL"),
        _line(5, "54000", "UN"),  # a box price on a line that says units: 10 times the cost
        _line(7, "5420", "UN"),
    ]
    out = convert_history(lines, catalog)
    assert [c.conversion.units for c in out] == [1, 10, 1, 1]
    assert [str(c.units) for c in out] == ["2", "20", "2", "2"]
    assert [c.check.flagged for c in out] == [False, False, True, False]  # the outlier does not poison the next
    assert "bulto de 10" in str(out[2].check.reason)
    assert out[1].as_dict()["unit_cost"] == "5360.0000" and out[1].last_cost_source == "invoice"
