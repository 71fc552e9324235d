"""Totals block: labels beside or above their figures, VAT per rate, other taxes, arithmetic choice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.documents.layout import Line, Word
from minimarket.documents.linetext import PageView, line_texts, regroup_lines
from minimarket.documents.totals import TotalRole, choose_totals, implied_rate, read_totals
from minimarket.domain.invoice import TaxKind

CW = 5.0
H = 8.0
TOL = Decimal("0.05")


def view_of(rows: list[tuple[float, list[tuple[float, str]]]], h: float = H, conf: float = 1.0) -> PageView:
    words = []
    for y, cells in rows:
        for x, text in cells:
            cursor = x
            for chunk in text.split(" "):
                if chunk:
                    words.append(Word(chunk, cursor, y, cursor + CW * len(chunk), y + h, conf))
                    cursor += CW * len(chunk)
                cursor += CW
    return PageView(0, 600, 842, line_texts(regroup_lines(words)))


def totals_of(rows: list[tuple[float, list[tuple[float, str]]]], fmt: str | None):  # type: ignore[no-untyped-def]
    return choose_totals(read_totals([view_of(rows)], fmt), TOL, 0)  # type: ignore[arg-type]


def test_label_beside_its_value_afip_layout() -> None:
    t = totals_of(
        [
            (530, [(190, "Importe Otros Tributos: $ 0,00")]),
            (550, [(400, "Importe Neto Gravado: $"), (530, "188636,36")]),
            (563, [(457, "IVA 27%: $"), (540, "0,00")]),
            (576, [(457, "IVA 21%: $"), (530, "39613,64")]),
            (589, [(450, "IVA 10.5%: $"), (540, "0,00")]),
            (602, [(395, "Importe Otros Tributos: $"), (540, "0,00")]),
            (615, [(428, "Importe Total: $"), (530, "228250,00")]),
        ],
        "ar",
    )
    assert t.consistent
    assert t.total is not None and t.total.value == Decimal("228250.00")
    assert t.net is not None and t.net.value == Decimal("188636.36")
    lines = t.vat_lines(t.net.value, set())
    assert [(v.rate, v.amount) for v in lines] == [(Decimal("21"), Decimal("39613.64"))]
    assert t.other_tax_list() == []


def test_header_row_with_values_below() -> None:
    t = totals_of(
        [
            (627, [(70, "SUB TOTAL"), (165, "NETO GRAVADO"), (286, "I.V.A."), (376, "PERCEPCIONES"), (513, "TOTAL")]),
            (646, [(102, "119.516,53"), (204, "119.516,53"), (311, "25.098,47"), (439, "0,00"), (527, "144.615,00")]),
        ],
        "ar",
    )
    assert t.consistent
    assert (t.net.value, t.total.value) == (Decimal("119516.53"), Decimal("144615.00"))  # type: ignore[union-attr]
    lines = t.vat_lines(t.net.value, set())  # type: ignore[union-attr]
    assert lines[0].rate == Decimal("21") and lines[0].base == Decimal("119516.53")  # implied by net x rate


def test_ocr_header_row_with_values_well_below() -> None:
    """OCR boxes hug the capitals (5 pt for a 7 pt font): the figures sit 5.5 box heights below the labels."""
    rows = [
        (630, [(98, "NETO GRAV. 21%"), (289, "IVA 21%"), (467, "TOTAL")]),
        (657.5, [(110, "87.170,16"), (285, "18.305,73"), (460, "105.475,89")]),
    ]
    t = choose_totals(read_totals([view_of(rows, h=5.2, conf=0.9)], "ar"), TOL, 0)
    assert t.net is not None and t.net.value == Decimal("87170.16")
    assert t.total is not None and t.total.value == Decimal("105475.89")
    text_layer = choose_totals(read_totals([view_of(rows, h=5.2)], "ar"), TOL, 0)
    assert text_layer.net is None  # a text layer's line height is the font size: that far is another block


def test_rate_printed_above_the_vat_figure() -> None:
    t = totals_of(
        [
            (730, [(61, "Subtotal"), (143, "Descuento"), (231, "Subtotal"), (338, "I.V.A"), (507, "Total")]),
            (741, [(338, "21.00")]),
            (752, [(55, "14,049.59"), (224, "14,049.59"), (331, "2,950.41"), (501, "17,000.00")]),
            (775, [(400, "C.A.E: 73067982787377")]),
        ],
        "us",
    )
    assert t.consistent and t.total is not None and t.total.value == Decimal("17000.00")
    assert [(v.rate, v.value) for v in t.vat] == [(Decimal("21.00"), Decimal("2950.41"))]


def test_per_rate_nets_and_a_total_in_another_column() -> None:
    t = totals_of(
        [
            (608, [(36, "Subtotal 2.216.955,77")]),
            (619, [(36, "Bonificación -37.822,27")]),
            (629, [(36, "Importe Neto Gravado 21% 2.162.660,30"), (420, "IMPORTE TOTAL")]),
            (640, [(36, "Importe Neto Gravado 10,5% 16.473,20"), (430, "$ 2.635.021,85")]),
            (652, [(36, "IVA 21% 454.158,66")]),
            (663, [(36, "IVA 10,5% 1.729,69")]),
        ],
        "ar",
    )
    assert t.consistent
    assert t.total is not None and t.total.value == Decimal("2635021.85")
    assert t.net is not None and t.net.value == Decimal("2179133.50")
    lines = {v.rate: v for v in t.vat_lines(t.net.value, set())}
    assert lines[Decimal("10.5")].base == Decimal("16473.20")
    assert lines[Decimal("21")].base == Decimal("2162660.30")


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Percepción IIBB Bs. As.", TaxKind.PERCEPCION_IIBB),
        ("Perc. IVA RG 2408", TaxKind.PERCEPCION_IVA),
        ("Percepción Ganancias", TaxKind.PERCEPCION_GANANCIAS),
        ("Impuestos Internos", TaxKind.IMPUESTOS_INTERNOS),
        ("Percepciones", TaxKind.PERCEPCION_IIBB),
        ("Tasa Municipal", TaxKind.OTHER),
    ],
)
def test_other_taxes_by_kind(label: str, kind: TaxKind) -> None:
    t = totals_of(
        [
            (600, [(300, "Subtotal:"), (500, "1.000,00")]),
            (612, [(300, label), (430, "3,00"), (500, "30,00")]),
            (624, [(300, "TOTAL:"), (500, "1.030,00")]),
        ],
        "ar",
    )
    assert t.consistent
    taxes = t.other_tax_list()
    assert [(x.kind, x.amount) for x in taxes] == [(kind, Decimal("30.00"))]


def test_other_taxes_read_only_from_their_total_beside_a_tax_line_without_its_figure() -> None:
    """A photo's "Perc. IIBB ARBA 4,00 23524,67" read as "Perc. BB ARBA" with its figures on another line that
    no label claims: the total of other taxes is the only amount. Its kind is the tax line's, and the reading
    is flagged as not sure (the auditor sends it to review); with no tax line at all it is "other", unflagged."""
    rows = [
        (600, [(300, "Neto Gravado:"), (500, "1.000,00")]),
        (612, [(40, "Perc. BB ARBA")]),
        (624, [(300, "Importe Otros Tributos: $ 30,00")]),
        (636, [(300, "TOTAL:"), (500, "1.030,00")]),
    ]
    t = totals_of(rows, "ar")
    assert t.consistent and t.other_taxes == []
    assert [(x.kind, x.amount) for x in t.other_tax_list()] == [(TaxKind.PERCEPCION_IIBB, Decimal("30.00"))]
    assert t.taxes_from_total_only and [kind for _, kind in t.unpaired_taxes] == [TaxKind.PERCEPCION_IIBB]
    bare = totals_of([rows[0], *rows[2:]], "ar")
    assert [(x.kind, x.amount) for x in bare.other_tax_list()] == [(TaxKind.OTHER, Decimal("30.00"))]
    assert not bare.taxes_from_total_only


def test_iva_contenido_of_a_factura_b_is_not_vat_to_add() -> None:
    t = totals_of(
        [
            (600, [(28, "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743)"), (420, "Subtotal 660.124,60")]),
            (612, [(28, "IVA Contenido: $ 103.578,77"), (420, "TOTAL $ 660.124,60")]),
        ],
        "ar",
    )
    assert t.consistent and t.vat == []
    assert t.subtotal is not None and t.subtotal.value == Decimal("660124.60")


def test_inconsistent_figures_fall_back_to_the_last_printed() -> None:
    t = totals_of([(600, [(300, "Neto Gravado: 100,00")]), (612, [(300, "Total: 130,00")])], "ar")
    assert not t.consistent
    assert t.total is not None and t.total.value == Decimal("130.00")


def test_roles_of_candidates() -> None:
    view = view_of([(600, [(300, "Importe Exento: 50,00 No Gravado: 20,00")])])
    roles = {c.role for c in read_totals([view], "ar").candidates}
    assert roles == {TotalRole.EXEMPT, TotalRole.UNTAXED}


def test_implied_rate() -> None:
    assert implied_rate(Decimal("1000"), Decimal("105")) == Decimal("10.5")
    assert implied_rate(Decimal("1000"), Decimal("123")) is None


def test_a_rate_whose_percent_sign_was_read_as_a_4_is_the_rate_not_the_figure() -> None:
    """A photo: "NETO GRAV. 21% 189.548,40" read "NETO GRAV. 214 189.548,40" (the figure right-aligned, far)."""
    t = totals_of(
        [
            (480, [(40, "NETO GRAV. 214"), (300, "189.548,40")]),
            (490, [(40, "IVA 214"), (300, "39.805,16")]),
            (511, [(40, "TOTAL $"), (300, "229.353,56")]),
        ],
        "ar",
    )
    assert t.net is not None and t.net.value == Decimal("189548.40")
    lines = t.vat_lines(t.net.value, set())
    assert [(v.rate, v.amount) for v in lines] == [(Decimal("21"), Decimal("39805.16"))]
    assert t.consistent


def test_a_figure_level_with_its_label_but_grouped_apart_is_the_label_s() -> None:
    """A photo: a smudge inflated the VAT figure's box, so OCR's lines put "158.318,47" (tall box, starting
    higher) and "IVA 21%" apart; the figure is still level with the label and beside it."""
    figure = Line([Word("158.318,47", 210.1, 584.8, 245.5, 598.6, 0.48), Word("os", 384.5, 591.1, 512.8, 593.3, 0.37)])
    label = Line([Word("IVA", 35.7, 590.7, 46.8, 596.6, 0.86), Word("21%", 49.4, 590.7, 63.5, 596.9, 0.86)])
    view = PageView(0, 600, 842, line_texts([figure, label]))
    t = choose_totals(read_totals([view], "ar"), TOL, 0)
    assert [(v.rate, v.value) for v in t.vat] == [(Decimal("21"), Decimal("158318.47"))]


def test_a_photo_s_iva_read_wa_is_still_the_vat() -> None:
    """A header row of a photographed totals block, "IVA" read "WA" and the net read without its comma: the
    VAT column still counts, so the net's lost separator is the one reading that adds up."""
    t = totals_of(
        [
            (495, [(40, "Neto Grav. 21%"), (160, "WA 21%"), (260, "Impuestos internos"), (420, "Total")]),
            (514, [(40, "6341278"), (160, "13316.68"), (260, "5073.02"), (420, "81802.48")]),
        ],
        "us",
    )
    assert [(c.rate, c.value) for c in t.vat] == [(Decimal("21"), Decimal("13316.68"))]
