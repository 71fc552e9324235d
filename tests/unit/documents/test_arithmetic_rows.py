"""Items of a table whose header did not read, found by quantity × price = amount."""

from __future__ import annotations

from decimal import Decimal

from minimarket.documents.arithmetic_rows import items_by_arithmetic
from minimarket.documents.items import extract_items
from minimarket.documents.layout import Word
from minimarket.documents.linetext import PageView, line_texts, regroup_lines
from tests.unit.documents.items_cases import with_second_readings, words_at

TICKET = [
    (100, [(20, "CANT, A Y UNIT, [VIVA] — IMPORTE")]),
    (115, [(20, "CIGARRILLOS CAMEL BOX X20 C/10")]),
    (130, [(20, "6 x"), (60, "3.578,94"), (200, "21.473,64")]),
    (145, [(20, "ENCENDEDOR BIC MAXI X1 C/50")]),
    (160, [(20, "2 x"), (60, "1.634,56"), (200, "3.269,12")]),
    (175, [(30, "Bonif. 10,00%"), (200, "-326,91")]),
    (190, [(20, "SUBTOTAL"), (200, "24.415,85")]),
]


def ocr_view(rows: list[tuple[float, list[tuple[float, str]]]], alts: dict[str, str] | None = None) -> PageView:
    words = [w for y, cells in rows for w in words_at(cells, y, conf=0.8)]
    return with_second_readings(PageView(0, 600, 842, line_texts(regroup_lines(words))), alts or {})


def test_a_ticket_whose_header_did_not_read_gives_its_items_by_their_arithmetic() -> None:
    items = items_by_arithmetic([ocr_view(TICKET)], "ar")
    assert [(i.description, i.quantity, i.unit_price, i.discount, i.amount) for i in items] == [
        ("CIGARRILLOS CAMEL BOX X20 C/10", 6, Decimal("3578.94"), 0, Decimal("21473.64")),
        ("ENCENDEDOR BIC MAXI X1 C/50", 2, Decimal("1634.56"), Decimal("326.91"), Decimal("2942.21")),
    ]


def test_extract_items_falls_back_to_arithmetic_only_where_no_table_was_found() -> None:
    assert len(extract_items([ocr_view(TICKET)], "ar").items) == 2
    text_layer = PageView(0, 600, 842, ocr_view(TICKET).lines, ocr=False)
    assert extract_items([text_layer], "ar").items == []


def test_the_figure_readers_reading_is_used_when_the_first_does_not_add_up() -> None:
    misread = [(y, [(x, t.replace("3.578,94", "3.578,84")) for x, t in cells]) for y, cells in TICKET]
    assert items_by_arithmetic([ocr_view(misread)], "ar") == []  # one line adding up is not a table
    items = items_by_arithmetic([ocr_view(misread, {"3.578,84": "3.578,94"})], "ar")
    assert [i.unit_price for i in items] == [Decimal("3578.94"), Decimal("1634.56")]


def test_lines_that_do_not_add_up_or_print_no_cents_are_no_items() -> None:
    rows = [
        (100, [(20, "Huevos blancos 1 UN"), (120, "4688"), (160, "88"), (200, "4688")]),  # cents split off
        (115, [(20, "Fecha 12 2025 2025")]),
        (130, [(20, "IVA 21,00 %"), (100, "1.000,00"), (200, "210,00")]),
        (145, [(20, "Yerba 2 x"), (100, "100,00"), (200, "300,00")]),
    ]
    assert items_by_arithmetic([ocr_view(rows)], "ar") == []


def test_a_percentage_discount_between_price_and_amount_is_taken() -> None:
    rows = [
        (100, [(20, "Aceite Cocinero 1,5 L"), (150, "4"), (180, "2.000,00"), (240, "10,00"), (300, "7.200,00")]),
        (115, [(20, "Fideos Matarazzo 500 g"), (150, "10"), (180, "1.250,00"), (240, "0,00"), (300, "12.500,00")]),
    ]
    items = items_by_arithmetic([ocr_view(rows)], "ar")
    assert [(i.quantity, i.unit_price, i.discount, i.amount) for i in items] == [
        (4, Decimal("2000.00"), Decimal("800.00"), Decimal("7200.00")),
        (10, Decimal("1250.00"), 0, Decimal("12500.00")),
    ]


def test_one_line_adding_up_is_not_a_table() -> None:
    assert items_by_arithmetic([ocr_view(TICKET[:3])], "ar") == []


def test_words_keep_their_other_readings_likeliest_first() -> None:
    word = Word("3.578,84", 0, 0, 10, 10, 0.8, ("3.578,94", "3.576,84"))
    assert word.alt == "3.578,94" and Word("6", 0, 0, 1, 1).alt is None


def test_a_quantity_glued_to_its_x_is_the_amount_over_the_price() -> None:
    """ "6 x" read "64", "10 x" read "104": the amount over the price is a whole number they begin with."""
    rows = [
        (100, [(20, "CIGARRILLOS CAMEL BOX X20 C/10")]),
        (115, [(20, "64"), (60, "3.578,94"), (200, "21.473,64")]),
        (130, [(20, "CIGARRILLOS MARLBORO GOLD BOX X20")]),
        (145, [(20, "104"), (60, "4.113,11"), (200, "41.131,10")]),
        (160, [(20, "PAPEL GIZEH"), (100, "54"), (140, "662,37"), (200, "3.974,22")]),  # 3974.22 / 662.37 = 6
    ]
    items = items_by_arithmetic([ocr_view(rows)], "ar")
    assert [(i.description, i.quantity) for i in items] == [
        ("CIGARRILLOS CAMEL BOX X20 C/10", 6),
        ("CIGARRILLOS MARLBORO GOLD BOX X20", 10),
    ]


def test_a_bonus_line_misread_still_discounts_its_item() -> None:
    rows = [(y, [(x, t.replace("Bonif. 10,00%", "Honif, 10,004")) for x, t in cells]) for y, cells in TICKET]
    items = items_by_arithmetic([ocr_view(rows)], "ar")
    assert [(i.discount, i.amount) for i in items] == [
        (0, Decimal("21473.64")),
        (Decimal("326.91"), Decimal("2942.21")),
    ]
    unrelated = [(y, [(x, t.replace("Bonif. 10,00%", "Vuelto")) for x, t in cells]) for y, cells in TICKET]
    assert [i.discount for i in items_by_arithmetic([ocr_view(unrelated)], "ar")] == [0, 0]
