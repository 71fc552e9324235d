"""Items table reconstruction from positioned words: rows by geometry, wrapped descriptions, the end of the table."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from minimarket.documents.item_cells import RowCells
from minimarket.documents.items import RowKind, extract_items
from tests.unit.documents.items_cases import AFIP_HEADER, view_of


def test_rows_wrapped_descriptions_and_the_end_of_the_table() -> None:
    view = view_of(
        [
            (96, [(484, "Alicuota")]),
            (100, AFIP_HEADER),
            (104, [(492, "IVA")]),
            (120, [(57, "PSAS CITROEN CACTUS"), (265, "1,00"), (290, "unidades"), (347, "178801,65"),
                   (400, "0,00"), (441, "178801,65"), (490, "21%"), (541, "216350,00")]),
            (129, [(57, "UW SINIESTRO Nº2730591")]),
            (144, [(57, "COLOCACION"), (265, "1,00"), (290, "unidades"), (356, "9834,71"), (400, "0,00"),
                   (450, "9834,71"), (490, "21%"), (546, "11900,00")]),
            (400, [(200, "Importe Otros Tributos: $ 0,00")]),
            (420, [(57, "This line is below the table")]),
        ]
    )  # fmt: skip
    result = extract_items([view], "ar")
    assert [i.description for i in result.items] == ["PSAS CITROEN CACTUS UW SINIESTRO Nº2730591", "COLOCACION"]
    first = result.items[0]
    assert (first.quantity, first.unit, first.unit_price, first.amount, first.vat_rate) == (
        Decimal("1.00"),
        "unidades",
        Decimal("178801.65"),
        Decimal("178801.65"),
        Decimal("21"),
    )
    assert first.discount == Decimal("0")
    assert result.table_end[0] == pytest.approx(400)


def test_description_above_the_numbers_and_code_column() -> None:
    view = view_of(
        [
            (100, [(57, "ITEM"), (206, "DESCRIPCION"), (369, "CANTIDAD"), (441, "PRECIO"), (489, "IMPORTE"),
                   (531, "ALICUOTA")]),
            (118, [(51, "100"), (156, "MANO DE OBRA CHAPA Y PINTURA - Vehículo: PEUGEOT 408")]),
            (128, [(156, "- Dominio: MLO 692")]),
            (138, [(156, "Siniestro: 2706327"), (397, "1,0000"), (436, "86.942,150"), (503, "86.942,15"),
                   (557, "21,00")]),
            (150, [(51, "101"), (156, "AMPLIACION REPUESTOS"), (397, "1,0000"), (436, "32.574,380"),
                   (503, "32.574,38"), (557, "21,00")]),
            (600, [(70, "SUB TOTAL"), (165, "NETO GRAVADO"), (286, "I.V.A."), (513, "TOTAL")]),
        ]
    )  # fmt: skip
    items = extract_items([view], "ar").items
    assert [i.code for i in items] == ["100", "101"]
    assert items[0].description == (
        "MANO DE OBRA CHAPA Y PINTURA - Vehículo: PEUGEOT 408 - Dominio: MLO 692 Siniestro: 2706327"
    )
    assert items[0].amount == Decimal("86942.15") and items[1].unit_price == Decimal("32574.380")


def test_ticket_layout_descriptions_before_numbers_and_discount_lines() -> None:
    view = view_of(
        [
            (100, [(10, "CANT. x P.UNIT. [%IVA]"), (166, "IMPORTE")]),
            (110, [(10, "CIGARRILLOS PHILIP MORRIS BOX X2")]),
            (119, [(16, "3 x 2601,40"), (131, "(21,00)"), (170, "7804,20")]),
            (128, [(10, "PAPEL PARA ARMAR GIZEH X50 C/25")]),
            (137, [(16, "3 x 454,33"), (131, "(21,00)"), (170, "1362,99")]),
            (146, [(23, "Bonif. 5,00%"), (175, "-68,15")]),
            (160, [(10, "SUBTOTAL"), (170, "9167,19")]),
        ]
    )
    items = extract_items([view], "ar").items
    assert [i.description for i in items] == ["CIGARRILLOS PHILIP MORRIS BOX X2", "PAPEL PARA ARMAR GIZEH X50 C/25"]
    assert items[0].quantity == Decimal("3") and items[0].unit_price == Decimal("2601.40")
    assert items[1].discount == Decimal("68.15") and items[1].amount == Decimal("1294.84")
    assert items[1].vat_rate == Decimal("21.00")


def test_carried_forward_and_page_number_lines_are_skipped_and_tables_continue() -> None:
    header = [(20, "Cant."), (80, "Descripción"), (300, "P. Unit."), (400, "Importe")]
    page1 = view_of(
        [
            (100, header),
            (116, [(20, "2"), (80, "YERBA 1KG"), (300, "100,00"), (400, "200,00")]),
            (130, [(460, "Página 1 de 2")]),
        ]
    )
    page2 = view_of(
        [
            (100, header),
            (116, [(200, "TRANSPORTE:"), (400, "200,00")]),
            (130, [(20, "1"), (80, "AZUCAR 1KG"), (300, "50,00"), (400, "50,00")]),
            (300, [(300, "Subtotal:"), (400, "250,00")]),
        ]
    )
    page2.index = 1
    result = extract_items([page1, page2], "ar")
    assert [(i.description, i.amount) for i in result.items] == [
        ("YERBA 1KG", Decimal("200.00")),
        ("AZUCAR 1KG", Decimal("50.00")),
    ]


class _EverythingIsAnItem:
    """A stand-in row classifier: the classification step can be replaced (issue 4)."""

    def classify(self, row: RowCells) -> RowKind:
        return RowKind.ITEM if row.numeric_roles else RowKind.SKIP


def test_row_classifier_is_replaceable() -> None:
    view = view_of(
        [
            (100, [(20, "Cant."), (80, "Descripción"), (400, "Importe")]),
            (116, [(20, "2"), (80, "YERBA"), (400, "200,00")]),
            (130, [(80, "continuation text")]),
        ]
    )
    default = extract_items([view], "ar").items
    custom = extract_items([view], "ar", classifier=_EverythingIsAnItem()).items
    assert default[0].description == "YERBA continuation text"
    assert custom[0].description == "YERBA"


def test_ticket_rows_with_a_bracketed_vat_rate_take_the_description_above() -> None:
    view = view_of(
        [
            (100, [(10, "CANT. x P.UNIT."), (166, "IMPORTE")]),
            (115, [(10, "Medialunas de manteca x docena")]),
            (124, [(16, "6 x 4.182,26"), (131, "(10,50)"), (170, "25.093,56")]),
            (133, [(10, "Chipá x kg")]),
            (142, [(16, "8,141 x 3.548,58"), (131, "(10,50)"), (170, "28.888,99")]),
            (155, [(10, "TOTAL"), (170, "53.982,55")]),
        ]
    )
    items = extract_items([view], "ar").items
    assert [i.description.split(" (")[0] for i in items] == ["Medialunas de manteca x docena", "Chipá x kg"]


def test_a_subtotal_under_a_misread_label_is_not_an_item() -> None:
    view = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (300, "Importe")]),
            (115, [(10, "GALLETITAS"), (120, "36,00"), (180, "842,16"), (300, "30317,76")]),
            (125, [(10, "AGUA"), (120, "2"), (180, "100,00"), (300, "200,00")]),
            (140, [(10, "REG. TRANSP. FISCAL SUBTUTAL"), (300, "30517,76")]),
        ]
    )
    result = extract_items([view], "ar")
    assert [i.amount for i in result.items] == [Decimal("30317.76"), Decimal("200.00")]
    assert {index for index, _, _ in result.amounts_text} == {0, 1}
    lone = view_of(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (300, "Importe")]),
            (115, [(10, "GALLETITAS"), (120, "36,00"), (180, "842,16"), (300, "30317,76")]),
            (125, [(10, "FLETE"), (300, "1500,00")]),  # an item with an amount only, not the sum: kept
        ]
    )
    assert len(extract_items([lone], "ar").items) == 2


def test_the_amount_column_is_the_one_the_rows_add_up_with_when_its_label_misread() -> None:
    """'Subtotal Alícuota Subtotal c/IVA' read 'Subrorar Alcolea Subtotal cAVA' in a photo: the readable
    'Subtotal' is the amount with VAT; the rows add up with the column under 'Subrorar', so that one is the
    amount, and the amount with VAT is kept as the gross amount, not taken for the net."""
    header = [
        (20, "Código"),
        (60, "Producto / Servicio"),
        (240, "Cantidad"),
        (290, "U. medida"),
        (340, "Precio Unit."),
        (400, "% Bonil"),
        (440, "Subrorar"),
        (490, "Alcolea"),
        (530, "Subtotal cAVA"),
    ]
    rows = [
        ("Salamo Milán x kg", "5,606", "15767,82", "88394,40", "106957,22"),
        ("Jamón crudo x kg", "5,194", "22833,18", "118595,54", "143500,60"),
        ("Mortadela x kg", "5,876", "5643,67", "33162,20", "40126,26"),
    ]
    view = view_of(
        [(100, header)]
        + [
            (115 + 12 * i, [(20, "779396161"), (60, d), (250, q), (290, "kilogramos"), (340, p), (405, "0,00"),
                            (440, a), (495, "21%"), (530, g)])
            for i, (d, q, p, a, g) in enumerate(rows)
        ]
    )  # fmt: skip
    items = extract_items([view], "ar").items
    assert [(i.quantity, i.unit_price, i.amount) for i in items] == [
        (Decimal(q.replace(",", ".")), Decimal(p.replace(",", ".")), Decimal(a.replace(",", ".")))
        for _, q, p, a, _ in rows
    ]


def test_a_header_whose_amount_label_did_not_read_takes_the_rows_last_figures_as_amounts() -> None:
    """The last label of the header lost in a photo: the figures right of every column are the amounts,
    since the rows add up with them."""
    header = [(80, "Producto / Servicio"), (280, "Cantidad"), (330, "Precio Unit."), (400, "% Bon"), (450, "Imp. Bon.")]
    view = view_of(
        [
            (100, header),
            (115, [(80, "TOMATE POR KG"), (290, "2,000"), (340, "1566,18"), (410, "0,00"), (460, "0,00"),
                   (550, "3.132,36")]),
            (127, [(80, "LIMON POR KG"), (290, "9,500"), (340, "1308,02"), (410, "0,00"), (460, "0,00"),
                   (550, "1242619")]),
        ]
    )  # fmt: skip
    result = extract_items([view], "ar")
    assert [text for _, role, text in result.amounts_text if role == "amount"] == ["3.132,36", "1242619"]  # read
    assert [(i.quantity, i.amount) for i in result.items] == [
        (Decimal("2.000"), Decimal("3132.36")),
        (Decimal("9.500"), Decimal("12426.19")),  # its comma put back, though a 0,00 discount amount is printed
    ]


def test_a_header_whose_amount_adds_up_keeps_it() -> None:
    """A readable header whose rows add up is not changed by the arithmetic check, unknown words or not."""
    view = view_of(
        [
            (100, [(20, "Cant."), (60, "Detalle"), (240, "P. Unit."), (330, "Xyzwq"), (420, "Importe")]),
            (115, [(20, "2"), (60, "Yerba 1kg"), (240, "100,00"), (330, "250,00"), (420, "200,00")]),
            (127, [(20, "3"), (60, "Azúcar 1kg"), (240, "50,00"), (330, "150,00"), (420, "150,00")]),
        ]
    )
    assert [i.amount for i in extract_items([view], "ar").items] == [Decimal("200.00"), Decimal("150.00")]


def test_a_header_that_gives_no_row_falls_back_to_the_arithmetic() -> None:
    """A blurred photo whose header kept only "Código Producto Cantidad U. medida" (the price and amount
    labels lost): the table gives no item, so the lines that add up are the items."""
    rows = [
        (100, [(10, "Código"), (40, "Producto"), (120, "Cantidad"), (160, "U."), (170, "medida")]),
        (115, [(10, "550914"), (40, "PAPA"), (120, "4,500"), (160, "kg"), (200, "627,99"), (340, "2.825,96")]),
        (130, [(10, "55039"), (40, "TOMATE"), (120, "12,000"), (160, "kg"), (200, "1.393,84"), (340, "16.726,08")]),
        (145, [(10, "6048"), (40, "AJO"), (120, "1,00"), (160, "un"), (200, "321,00"), (340, "321,00")]),
    ]
    view = replace(view_of(rows, conf=0.8), ocr=True)
    result = extract_items([view], "ar")
    assert result.layouts
    assert [(i.quantity, i.amount) for i in result.items] == [
        (Decimal("4.500"), Decimal("2825.96")),
        (Decimal("12.000"), Decimal("16726.08")),
        (Decimal("1.00"), Decimal("321.00")),
    ]
