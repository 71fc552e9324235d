"""Items table reconstruction from positioned words: header roles, rows by geometry, wrapped descriptions."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from minimarket.documents.items import (
    ColumnRole,
    RowCells,
    RowKind,
    RuleHeaderFinder,
    extract_items,
    segment_header,
)
from minimarket.documents.layout import Line, Word
from minimarket.documents.linetext import LineText, PageView, line_texts, regroup_lines

CW = 5.0
H = 8.0


def words_at(cells: list[tuple[float, str]], y: float, h: float = H, conf: float = 1.0) -> list[Word]:
    """Words placed at given x positions: ``cells`` is [(x, "text with spaces"), ...]."""
    out = []
    for x, text in cells:
        cursor = x
        for chunk in text.split(" "):
            if chunk:
                out.append(Word(chunk, cursor, y, cursor + CW * len(chunk), y + h, conf))
                cursor += CW * len(chunk)
            cursor += CW
    return out


def view_of(rows: list[tuple[float, list[tuple[float, str]]]], conf: float = 1.0) -> PageView:
    words = [w for y, cells in rows for w in words_at(cells, y, conf=conf)]
    return PageView(0, 600, 842, line_texts(regroup_lines(words)))


def with_second_readings(view: PageView, alts: dict[str, str] | dict[str, tuple[str, ...]]) -> PageView:
    """``view`` as an OCR page whose words in ``alts`` the figure reader read differently (one reading, or
    several, likeliest first)."""

    def readings(text: str) -> tuple[str, ...]:
        found = alts.get(text, ())
        return (found,) if isinstance(found, str) else found

    lines = [LineText(Line([replace(w, alts=readings(w.text)) for w in lt.words]), lt.page) for lt in view.lines]
    return PageView(view.index, view.width, view.height, lines, ocr=True)


AFIP_HEADER = [
    (20, "Código"),
    (60, "Producto / Servicio"),
    (240, "Cantidad"),
    (290, "U. medida"),
    (340, "Precio Unit."),
    (400, "% Bonif"),
    (440, "Subtotal"),
    (530, "Subtotal c/IVA"),
]


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        (
            "Código Producto / Servicio Cantidad U. Medida Precio Unit. % Bonif Imp. Bonif. Subtotal",
            ["code", "description", "quantity", "unit", "unit_price", "discount_pct", "discount_amount", "amount"],
        ),
        ("CANTIDAD DESCRIPCION PRECIO UNITARIO ALICUOTA IVA PRECIO NETO",
         ["quantity", "description", "unit_price", "vat_rate", "amount"]),
        ("ITEM DESCRIPCION CANTIDAD PRECIO IMPORTE ALICUOTA",
         ["code", "description", "quantity", "unit_price", "amount", "vat_rate"]),
        ("Cant. Detalle P. Unit. Dto. % Total", ["quantity", "description", "unit_price", "discount_pct", "amount"]),
        ("Cant. Un. Código Descripción P. Unit. Dto. Importe",
         ["quantity", "unit", "code", "description", "unit_price", "discount_pct", "amount"]),
        ("Código Descripción Cant. UM Precio Un. Bonif. % Importe",
         ["code", "description", "quantity", "unit", "unit_price", "discount_pct", "amount"]),
    ],
)  # fmt: skip
def test_header_roles_from_labels(text: str, roles: list[str]) -> None:
    lt = LineText(Line(words_at([(20, text)], 100)))
    assert [c.role.value for c in segment_header(lt)] == roles


def test_glued_ocr_header_words_are_split() -> None:
    lt = LineText(Line(words_at([(20, "Cantidad"), (80, "CantidadU. Medida")], 100)))
    roles = [c.role for c in segment_header(lt)]
    assert roles == [ColumnRole.QUANTITY, ColumnRole.QUANTITY, ColumnRole.UNIT]


def test_far_apart_labels_are_separate_columns() -> None:
    lt = LineText(Line(words_at([(20, "Cantidad"), (80, "Descripcion"), (300, "Precio"), (400, "Total")], 100)))
    assert [c.role for c in segment_header(lt)] == [
        ColumnRole.QUANTITY,
        ColumnRole.DESCRIPTION,
        ColumnRole.UNIT_PRICE,
        ColumnRole.AMOUNT,
    ]


def test_stacked_header_label_is_merged() -> None:
    """AFIP's layout prints "Alicuota" above and "IVA" below the header line."""
    view = view_of(
        [
            (96, [(484, "Alicuota")]),
            (100, AFIP_HEADER),
            (104, [(492, "IVA")]),
        ]
    )
    layout = RuleHeaderFinder().find(view)
    assert layout is not None
    roles = {c.role: c.label for c in layout.columns}
    assert ColumnRole.VAT_RATE in roles and "IVA" in roles[ColumnRole.VAT_RATE]
    assert roles[ColumnRole.AMOUNT_GROSS] == "Subtotal c/IVA"


def test_a_sentence_mentioning_price_is_not_a_header() -> None:
    view = view_of([(100, [(20, "Los precios incluyen bonificaciones y el total puede variar")])])
    assert RuleHeaderFinder().find(view) is None


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


def test_a_header_label_misread_by_one_letter_is_still_a_column() -> None:
    """Photos: "CAT." for "CANT." on a ticket, "Dio. %" for "Dto. %" next to well-read labels."""
    ticket = view_of([(100, [(10, "CAT. x P. UNIT."), (100, "ÍtIVAT"), (166, "IMPORTE")])])
    layout = RuleHeaderFinder().find(ticket)
    assert layout is not None
    assert [c.role for c in layout.columns] == [ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT]
    table = view_of(
        [(100, [(20, "Artículo"), (100, "Cantidad"), (150, "Descripción"), (350, "Precio Unit."), (430, "Dio. %"),
                (515, "Importe")])]
    )  # fmt: skip
    layout = RuleHeaderFinder().find(table)
    assert layout is not None and ColumnRole.DISCOUNT_PCT in {c.role for c in layout.columns}
    assert segment_header(LineText(Line(words_at([(20, "CAT. x P. UNIT. IMPORTE")], 100))))[0].role != "quantity"


def test_a_label_split_by_ocr_with_a_letter_misread_is_still_one_column() -> None:
    """A photo read "Descripción" as "Descs ipción": one description column, not a "Desc." discount."""
    view = view_of(
        [(100, [(20, "Código"), (80, "Descs ipción"), (300, "Cant."), (340, "Precio Unit."), (420, "Neto")])]
    )
    layout = RuleHeaderFinder().find(view)
    assert layout is not None
    assert [c.role for c in layout.columns] == [
        ColumnRole.CODE,
        ColumnRole.DESCRIPTION,
        ColumnRole.QUANTITY,
        ColumnRole.UNIT_PRICE,
        ColumnRole.AMOUNT,
    ]


def test_a_header_with_first_letters_misread_and_no_description_label_still_makes_the_table() -> None:
    """A blurred photo: "Cádigo", "Desi loción" (taken for "Desc." = discount), "tmporte" for "Importe"."""
    view = view_of(
        [
            (100, [(20, "Cádigo"), (80, "Desi loción"), (300, "Cant."), (330, "UM"), (360, "P. Unitario"),
                   (430, "Sosa."), (470, "mas!"), (520, "tmporte")]),
            (120, [(20, "71640"), (80, "Leche entera Sancor"), (300, "2"), (330, "UN"), (360, "1.141,85"),
                   (470, "21,00"), (520, "2.283,70")]),
        ]
    )  # fmt: skip
    layout = RuleHeaderFinder().find(view)
    assert layout is not None
    roles = [c.role for c in layout.columns]
    assert roles[:2] == [ColumnRole.CODE, ColumnRole.DESCRIPTION] and roles[-1] == ColumnRole.AMOUNT
    item = extract_items([view], "ar").items[0]
    assert item.description == "Leche entera Sancor"
    assert (item.quantity, item.unit_price, item.amount) == (Decimal("2"), Decimal("1141.85"), Decimal("2283.70"))


def test_long_labels_two_letters_off_make_a_header_and_a_misread_subtotal_ends_the_table() -> None:
    """A landscape photo: "Descrimpuión", "impone" for "Importe"; its totals box reads "Subroral Total"."""
    view = view_of(
        [
            (100, [(20, "Codo LAN"), (120, "Descrimpuión"), (300, "Cant."), (330, "UM"), (360, "Precio Una."),
                   (430, "Bon. %"), (520, "impone")]),
            (120, [(20, "7791811990419"), (120, "Huevos color 1 docena"), (300, "3"), (330, "UN"), (360, "2.036,97"),
                   (430, "0,00"), (520, "6.110,91")]),
            (140, [(430, "Subroral"), (520, "Total")]),
            (155, [(430, "227.625,29"), (520, "227.625,29")]),
        ]
    )  # fmt: skip
    result = extract_items([view], "ar")
    assert [(i.quantity, i.unit_price, i.amount) for i in result.items] == [
        (Decimal("3"), Decimal("2036.97"), Decimal("6110.91"))
    ]
    assert result.items[0].description.endswith("Huevos color 1 docena")  # "Codo" is not known as "Código"
    assert result.table_end[0] == 140  # the totals box starts the totals


def test_one_letter_off_words_do_not_make_a_sentence_a_header() -> None:
    view = view_of([(100, [(20, "Cantos de precios netos y totales de la semana")])])
    assert RuleHeaderFinder().find(view) is None


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


def test_a_misread_last_label_after_a_unit_price_is_the_amount_column() -> None:
    """'IMPORTE' read as 'murorTE' in a photo: the rightmost column is still the amount, so the row's last
    figure is its amount and not part of the description."""
    view = view_of(
        [
            (
                100,
                [(20, "| CANTIDAD"), (70, "DESCRIPCION"), (300, "PRECIO UNITARIO"), (400, "BONIF"), (480, "murorTE |")],
            ),
            (115, [(20, "6,408"), (70, "Panceta ahumada x kg"), (300, "13.067,78"), (480, "83.738,33")]),
        ]
    )
    layout = RuleHeaderFinder().find(view)
    assert layout is not None and layout.columns[-1].role == ColumnRole.AMOUNT
    result = extract_items([view], None)
    assert [(i.description, i.amount) for i in result.items] == [("Panceta ahumada x kg", Decimal("83738.33"))]


def test_misread_last_labels_after_a_unit_price_end_with_the_amount_column() -> None:
    """'Bonif. % IVA % Importe' read 'Bon. NANR rane': the VAT rate under 'NANR' is not taken for a discount,
    and the last figure is the amount."""
    view = view_of(
        [
            (100, [(20, "Código"), (90, "Descripción"), (300, "Cant."), (330, "UM"), (380, "P.Unitario"),
                   (426, "Bon."), (470, "NANR"), (545, "rane")]),
            (115, [(20, "81919"), (90, "CIGARRILLOS CHESTERFIELD BOX"), (320, "1"), (330, "UN"), (380, "2.363,54"),
                   (470, "21,00"), (540, "2.363,54")]),
        ]
    )  # fmt: skip
    layout = RuleHeaderFinder().find(view)
    assert layout is not None
    assert [c.role for c in layout.columns][-2:] == [ColumnRole.OTHER, ColumnRole.AMOUNT]
    item = extract_items([view], "ar").items[0]
    assert (item.quantity, item.unit_price, item.amount) == (1, Decimal("2363.54"), Decimal("2363.54"))
    assert item.discount is None


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
