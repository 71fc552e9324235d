"""The items table header: column roles from labels, also as OCR misreads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.documents.item_columns import ColumnRole, RuleHeaderFinder, segment_header
from minimarket.documents.items import extract_items
from minimarket.documents.layout import Line
from minimarket.documents.linetext import LineText
from tests.unit.documents.items_cases import AFIP_HEADER, view_of, words_at


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
