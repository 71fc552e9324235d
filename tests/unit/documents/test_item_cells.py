"""A table line cut into cells: figures OCR split joined, second readings of a row that does not add up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.documents.items import extract_items
from tests.unit.documents.items_cases import view_of, with_second_readings


def test_ocr_amount_split_at_a_space_is_joined() -> None:
    view = view_of(
        [
            (
                100,
                [(20, "Cant."), (80, "Descripción"), (300, "P. Unit."), (400, "Importe")],
            ),
            (116, [(20, "5"), (80, "PATA MUSLO X KG"), (300, "3.835,18"), (400, "19 175,90")]),
        ],
        conf=0.9,
    )
    item = extract_items([view], "ar").items[0]
    assert item.amount == Decimal("19175.90") and item.description == "PATA MUSLO X KG"


def test_number_inside_words_is_part_of_the_description() -> None:
    view = view_of(
        [
            (100, [(10, "CANT. x P.UNIT."), (166, "IMPORTE")]),
            (110, [(10, "SUAVIZANTE VIVERE CLASICO 900 ML")]),
            (119, [(16, "2 x 1.859,59"), (170, "3.719,18")]),
            (128, [(10, "DESINFECTANTE LYSOFORM AEROSOL 3")]),
            (137, [(16, "12 x 3.113,16"), (170, "37.357,92")]),
        ]
    )
    items = extract_items([view], "ar").items
    assert [i.description for i in items] == ["SUAVIZANTE VIVERE CLASICO 900 ML", "DESINFECTANTE LYSOFORM AEROSOL 3"]


def test_ocr_cents_split_off_with_their_separator_are_joined() -> None:
    view = view_of(
        [
            (100, [(20, "Cant."), (80, "Descripción"), (300, "P. Unit."), (400, "Importe")]),
            (116, [(20, "12"), (80, "INSECTICIDA RAID"), (300, "3846,19"), (400, "46154 ,28")]),
        ],
        conf=0.9,
    )
    item = extract_items([view], "ar").items[0]
    assert item.amount == Decimal("46154.28") and item.description == "INSECTICIDA RAID"


@pytest.mark.parametrize(
    ("price", "amount"),
    [
        ("25. 549,04", "76.647,12"),  # a thousands group cut off after its point
        ("25.549,04", "76 647 12"),  # an amount in three pieces
        ("25549, 04", "76647,12"),  # cut after the decimal comma
    ],
)
def test_ocr_figures_split_in_several_pieces_are_joined(price: str, amount: str) -> None:
    view = view_of(
        [
            (100, [(20, "Cant."), (80, "Descripción"), (300, "P. Unit."), (400, "Importe")]),
            (116, [(20, "3"), (80, "CIGARRILLOS JOCKEY"), (300, price), (400, amount)]),
        ],
        conf=0.9,
    )
    item = extract_items([view], "ar").items[0]
    assert (item.unit_price, item.amount) == (Decimal("25549.04"), Decimal("76647.12"))
    assert item.description == "CIGARRILLOS JOCKEY"


def test_a_figure_whose_ocr_boxes_overlap_is_joined() -> None:
    """Tesseract gave "42437" a box over the whole figure "42437 40", then "40" again over its end."""
    view = view_of(
        [
            (100, [(20, "Cant."), (80, "Descripción"), (300, "P. Unit."), (400, "Importe")]),
            (116, [(20, "20"), (80, "CIGARRILLOS MELBOURNE"), (300, "2.121,87"), (400, "42437"), (418, "40")]),
        ],
        conf=0.9,
    )
    item = extract_items([view], "ar").items[0]
    assert item.amount == Decimal("42437.40")


def test_a_figure_under_a_label_that_did_not_read_is_not_part_of_the_description() -> None:
    """A photo read "IVA $" as "MAS": its figures sit among the others, under no known label; they stay out
    of the description."""
    view = view_of(
        [
            (
                100,
                [
                    (20, "Descripción"),
                    (200, "Cant."),
                    (240, "Precio"),
                    (300, "Neto"),
                    (350, "IVA %"),
                    (400, "MAS"),
                    (460, "Total"),
                ],
            ),
            (
                115,
                [
                    (20, "Manteca La Serenisima 200 g"),
                    (200, "1"),
                    (240, "1924,50"),
                    (300, "1924,50"),
                    (350, "21,00"),
                    (400, "404,15"),
                    (460, "2328,65"),
                ],
            ),
        ]
    )
    items = extract_items([view], "ar").items
    assert [(i.description, i.quantity, i.unit_price, i.amount) for i in items] == [
        ("Manteca La Serenisima 200 g", 1, Decimal("1924.50"), Decimal("1924.50"))
    ]


@pytest.mark.parametrize(("conf", "quantity"), [(0.9, Decimal("1")), (1.0, None)])
def test_an_ocr_speck_after_a_short_quantity_is_dropped(conf: float, quantity: Decimal | None) -> None:
    """A photo read the quantity "1" as "1."; a text layer's "1." is taken as printed (not a figure)."""
    view = view_of(
        [
            (100, [(20, "Descripción"), (200, "Cant."), (240, "Precio"), (300, "Importe")]),
            (115, [(20, "Queso crema Casancrem 290 g"), (200, "1."), (240, "22540,40"), (300, "22540,40")]),
        ],
        conf=conf,
    )
    items = extract_items([view], "ar").items
    assert len(items) == 1 and items[0].quantity == quantity


def test_an_ocr_figure_with_its_separators_slipped_reads_in_the_table_as_in_the_totals() -> None:
    """ "19.310.78" for 19.310,78 on a photo's item row: the one reading that fits, as in the totals."""
    view = view_of(
        [
            (100, [(20, "Descripción"), (200, "Cant."), (240, "Precio"), (300, "Importe")]),
            (115, [(20, "Yogur bebible Sancor"), (200, "1"), (240, "19.310.78"), (300, "19.310,78")]),
        ],
        conf=0.9,
    )
    items = extract_items([view], "ar").items
    assert [(i.quantity, i.unit_price, i.amount) for i in items] == [(1, Decimal("19310.78"), Decimal("19310.78"))]


def test_a_row_that_does_not_add_up_takes_the_figure_readers_reading_that_does() -> None:
    """Tesseract read 3.578,84 where the photo says 3.578,94; the figure reader read it right."""
    rows = [
        (100, [(20, "Descripción"), (200, "Cant."), (240, "Precio"), (300, "Importe")]),
        (115, [(20, "Cigarrillos Camel"), (200, "6"), (240, "3.578,84"), (300, "21.473,64")]),
        (130, [(20, "Encendedor Bic"), (200, "2"), (240, "1.634,56"), (300, "3.269,12")]),
    ]
    view = view_of(rows, conf=0.9)
    alts = {"3.578,84": "3.578,94", "3.269,12": "3.209,12"}  # the second one is the reader's mistake
    items = extract_items([with_second_readings(view, alts)], "ar").items
    assert [(i.quantity, i.unit_price, i.amount) for i in items] == [
        (6, Decimal("3578.94"), Decimal("21473.64")),
        (2, Decimal("1634.56"), Decimal("3269.12")),  # it added up: the second reading is not even tried
    ]


def test_a_row_takes_the_figure_readers_less_likely_reading_when_only_that_one_adds_up() -> None:
    """Blurred 6/8/0: the reader's likeliest reading of the price is still wrong, its second is right; of
    the amount, only the second adds up with the price's likeliest."""
    rows = [
        (100, [(20, "Descripción"), (200, "Cant."), (240, "Precio"), (300, "Importe")]),
        (115, [(20, "Cigarrillos Camel"), (200, "6"), (240, "3.678,84"), (300, "21.473,64")]),
        (130, [(20, "Encendedor Bic"), (200, "2"), (240, "1.634,56"), (300, "3.869,12")]),
    ]
    alts = {"3.678,84": ("3.578,84", "3.578,94"), "1.634,56": ("1.684,56",), "3.869,12": ("3.369,12", "3.269,12")}
    items = extract_items([with_second_readings(view_of(rows, conf=0.9), alts)], "ar").items
    assert [(i.quantity, i.unit_price, i.amount) for i in items] == [
        (6, Decimal("3578.94"), Decimal("21473.64")),
        (2, Decimal("1634.56"), Decimal("3269.12")),
    ]


def test_a_second_reading_counts_when_the_row_adds_up_once_lost_decimals_are_put_back() -> None:
    rows = [
        (100, [(20, "Descripción"), (200, "Cant."), (240, "Precio"), (300, "Importe")]),
        (115, [(20, "Cigarrillos Lucky"), (200, "3"), (240, "264,77"), (300, "790431")]),
    ]
    view = with_second_readings(view_of(rows, conf=0.9), {"264,77": "2634,77"})
    items = extract_items([view], "ar").items
    assert [(i.quantity, i.unit_price, i.amount) for i in items] == [(3, Decimal("2634.77"), Decimal("7904.31"))]


def test_a_garbled_figure_is_read_with_its_lookalike_digits_when_the_row_then_adds_up() -> None:
    """A blurred photo: "1.050,97" read "10SO97" (S for 5, O for 0, the separators lost); 6 × 1.050,97 is
    the amount 6.305,82. A word under the description keeps its letters."""
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (300, "Importe")]),
            (115, [(10, "KETCHUP"), (50, "SOL"), (120, "6"), (180, "10SO97"), (300, "6.305,82")]),
        ],
        conf=0.8,
    )
    (item,) = extract_items([view], "ar").items
    assert (item.quantity, item.unit_price, item.amount) == (Decimal("6"), Decimal("1050.97"), Decimal("6305.82"))
    assert "SOL" in item.description
