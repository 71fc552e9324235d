"""One item from its rows: decimals OCR lost put back by the arithmetic, a quantity in the description."""

from __future__ import annotations

from decimal import Decimal

from minimarket.documents.items import extract_items
from tests.unit.documents.items_cases import view_of


def test_quantity_under_a_misread_label_is_found_by_the_arithmetic() -> None:
    view = view_of(
        [
            (100, [(20, "Código"), (80, "Descripción"), (250, "Cam."), (300, "P. Unitario"), (400, "Importe")]),
            (116, [(20, "22357"), (80, "HAM.SWIFT X4"), (255, "3"), (300, "2.252,07"), (400, "6.756,21")]),
            (132, [(20, "22409"), (80, "ARV.CONGELADAS 300GR"), (255, "1"), (300, "1.366,01"), (400, "1.366,01")]),
            (148, [(20, "22411"), (80, "HEL.FRIGOR POTE 1000CC"), (300, "26.138,78"), (400, "78.416,34")]),
        ],
        conf=0.9,
    )
    items = extract_items([view], "ar").items
    assert [(i.quantity, i.description) for i in items[:2]] == [
        (Decimal("3"), "HAM.SWIFT X4"),
        (Decimal("1"), "ARV.CONGELADAS 300GR"),
    ]
    # "1000CC" is part of the name: 1000 × 26.138,78 is not the amount
    assert items[2].quantity is None and items[2].description == "HEL.FRIGOR POTE 1000CC"


def test_an_amount_computed_from_quantity_and_price_is_in_cents() -> None:
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (250, "Importe")]),
            (115, [(10, "Bizcochitos x kg"), (120, "8,141"), (180, "3.548,58"), (250, "24,228,99")]),
        ]
    )
    item = extract_items([view], "ar").items[0]
    assert item.amount == Decimal("28888.99")  # 8,141 × 3.548,58 = 28.888,98978; the misread amount unusable


def test_figures_read_without_their_decimal_separator_are_put_right_by_the_arithmetic() -> None:
    """A blurred photo: "2.672,88" read "267288" and "3,00%" read "300%"; 16 × 2.672,88 less 3 % is the
    amount 41.483,10, and no other way of putting the commas back adds up."""
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (240, "Dto. %"), (300, "Importe")]),
            (115, [(10, "GASEOSA"), (120, "16"), (180, "267288"), (240, "300%"), (300, "41.483,10")]),
            (125, [(10, "AGUA"), (120, "6"), (180, "1.220,75"), (240, "0,00%"), (300, "7.324,50")]),
            (135, [(10, "CERVEZA"), (120, "24"), (180, "1.975,18"), (240, "200"), (300, "4645623")]),
        ]
    )
    first, second, third = extract_items([view], "ar").items
    assert third.amount == Decimal("46456.23")  # 24 × 1.975,18 less 2,00 % (its "%" not read either)
    assert (first.quantity, first.unit_price, first.amount) == (Decimal("16"), Decimal("2672.88"), Decimal("41483.10"))
    assert first.discount is not None and abs(first.discount - Decimal("1282.98")) < Decimal("0.01")
    assert (second.quantity, second.unit_price, second.amount) == (Decimal("6"), Decimal("1220.75"), Decimal("7324.50"))


def test_a_weighed_quantity_read_without_its_comma_is_put_right_by_the_arithmetic() -> None:
    """Kilograms weighed to the gram: "5,615" read "5615"; 5,615 × 11.407,42 is the amount 64.052,66."""
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (300, "Importe")]),
            (115, [(10, "Queso barra x kg"), (120, "5615"), (180, "11.407,42"), (300, "64.052,66")]),
            (125, [(10, "Salchichas x6"), (120, "12"), (180, "1.373,32"), (300, "16.479,84")]),
        ]
    )
    first, second = extract_items([view], "ar").items
    assert (first.quantity, first.amount) == (Decimal("5.615"), Decimal("64052.66"))
    assert second.quantity == Decimal("12")


def test_a_weighed_quantity_whose_comma_reads_as_a_point_is_put_right_by_the_arithmetic() -> None:
    """ "2,537" kg read "2.537" (2537 units in es-AR); 2,537 × 7.254,23 is the amount 18.403,98."""
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (300, "Importe")]),
            (115, [(10, "Mortadela x kg"), (120, "2.537"), (180, "7.254,23"), (300, "18.403,98")]),
            (125, [(10, "Vasos"), (120, "1.000"), (180, "12,50"), (300, "12.500,00")]),
        ]
    )
    weighed, counted = extract_items([view], "ar").items
    assert weighed.quantity == Decimal("2.537")
    assert counted.quantity == Decimal("1000")  # a thousand cups: it adds up as read


def test_an_impossible_discount_that_nothing_explains_is_dropped() -> None:
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (240, "Dto. %"), (300, "Importe")]),
            (115, [(10, "GASEOSA"), (120, "16"), (180, "2.672,88"), (240, "900%"), (300, "40.000,00")]),
        ]
    )
    item = extract_items([view], "ar").items[0]
    assert item.unit_price == Decimal("2672.88") and item.discount is None
