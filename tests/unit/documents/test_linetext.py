"""Visual lines from positioned words (:func:`minimarket.documents.linetext.regroup_lines`) and figures cut at
a space joined again (:func:`~minimarket.documents.linetext.merged_amount`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.documents.layout import Word
from minimarket.documents.linetext import merged_amount, regroup_lines
from minimarket.domain.numbers import NumberFormat


def _texts(words: list[Word]) -> list[str]:
    return [" ".join(w.text for w in line.words) for line in regroup_lines(words)]


def test_a_dash_level_with_a_row_does_not_take_the_row_s_last_figure() -> None:
    """A photographed table row sagging to the right: a one-point dash in an empty cell sits level with
    the amount, lower than the row's start; both belong to the row."""
    row = [
        Word("5", 67.7, 343.0, 71.3, 348.9),
        Word("CIGARRILLOS", 171.5, 343.3, 218.3, 349.2),
        Word("20.853,93", 379.3, 344.0, 414.3, 350.2),
        Word("-", 450.7, 347.2, 452.3, 348.2),
        Word("21%", 473.6, 344.3, 488.6, 350.2),
        Word("104.269,65", 525.6, 344.6, 564.5, 350.8),
    ]
    assert _texts(row) == ["5 CIGARRILLOS 20.853,93 - 21% 104.269,65"]


def test_a_mark_between_two_rows_does_not_join_them() -> None:
    words = [
        Word("PAPEL", 20, 281.8, 50, 289.6),
        Word("-", 300, 291.0, 330, 292.0),  # a rule fragment in the gap between the rows
        Word("ENCENDEDOR", 20, 294.2, 80, 304.4),
    ]
    assert _texts(words) == ["PAPEL", "-", "ENCENDEDOR"]


def test_a_header_split_by_two_overlapping_boxes_stays_one_line() -> None:
    """A photo's OCR box of 'Bonif.' overlaps the '%' after it: the '%' starts a line of its own, and the
    labels level with both must not follow it into a second line (the table header was cut in two)."""
    words = [
        Word("Importe", 797.9, 172.1, 822.1, 178.4),
        Word("Precio", 507.9, 169.2, 529.9, 181.6),
        Word("Un.", 532.8, 169.2, 550.5, 181.6),
        Word("Bonif.", 556.0, 172.5, 582.5, 178.4),
        Word("%", 578.3, 169.2, 583.9, 181.6),
        Word("Cant.", 438.2, 172.8, 454.6, 178.7),
        Word("UM", 466.4, 172.8, 476.8, 178.7),
        Word("Descripción", 145.6, 170.5, 186.2, 182.6),
        Word("Código", 27.2, 170.8, 52.0, 183.3),
    ]
    assert _texts(words) == ["Código Descripción Cant. UM Precio Un. Bonif. % Importe"]


def test_a_title_over_a_row_of_small_text_stays_apart() -> None:
    words = [
        Word("FACTURA", 100, 100, 300, 130),
        Word("Fecha:", 110, 112, 140, 120),
        Word("01/02/2026", 145, 112, 190, 120),
        Word("Nro:", 210, 112, 230, 120),
    ]
    assert _texts(words) == ["FACTURA", "Fecha: 01/02/2026 Nro:"]


def test_a_word_boxed_over_its_phrase_does_not_split_the_row() -> None:
    """OCR boxed 'provolone' over the whole description: it overlaps three words of its row, starts a line
    of its own and the unit after it followed; the row is one line."""
    words = [
        Word("7794372562091", 36.3, 231.4, 84.4, 237.3),
        Word("1,571", 296.8, 231.4, 312.5, 237.3),
        Word("18.730,12", 480.8, 231.7, 510.2, 237.3),
        Word("Queso", 92.0, 228.8, 111.6, 240.5),
        Word("La", 146.9, 228.8, 153.8, 240.5),
        Word("Paulina", 156.8, 228.8, 178.4, 240.5),
        Word("11.922,42", 371.8, 228.8, 401.9, 240.5),
        Word("provolone", 114.5, 231.4, 193.7, 238.6),
        Word("kg", 328.6, 232.0, 335.8, 238.6),
    ]
    assert _texts(words) == ["7794372562091 Queso provolone La Paulina 1,571 kg 11.922,42 18.730,12"]


def test_an_ocr_amount_with_one_separator_throughout_reads_with_two_decimals() -> None:
    """Tesseract often reads the decimal comma of "45.660,63" as a period or the thousands period as a
    comma; groups of three then two decimals fit one reading only. A text layer is never second-guessed."""
    from decimal import Decimal

    from minimarket.documents.layout import Line
    from minimarket.documents.linetext import LineText, number_tokens

    def values(conf: float) -> list[Decimal | None]:
        line = Line(
            [
                Word("Total", 10, 10, 40, 20, conf),
                Word("$", 50, 10, 55, 20, conf),
                Word("45,660,63", 60, 10, 110, 20, conf),
            ]
        )
        return [t.value for t in number_tokens(LineText(line), None)]

    assert values(0.9) == [Decimal("45660.63")]
    assert values(1.0) == [None]


def test_a_line_read_again_takes_the_chosen_second_readings_and_keeps_the_first() -> None:
    from minimarket.documents.layout import Line, Word
    from minimarket.documents.linetext import LineText

    words = [
        Word("6", 0, 0, 5, 8),
        Word("3.578,84", 10, 0, 50, 8, 0.8, ("3.578,94", "3.576,84")),
        Word("21.4l3,64", 60, 0, 100, 8, 0.8, ("21.473,64",)),
    ]
    line = LineText(Line(words))
    assert line.read_again().raw == "6 3.578,94 21.473,64"
    again = line.read_again({1: 0})
    assert again.raw == "6 3.578,94 21.4l3,64"
    assert again.words[1].alts == ("3.578,84", "3.576,84") and line.raw == "6 3.578,84 21.4l3,64"
    second = line.read_again({1: 1})
    assert second.raw == "6 3.576,84 21.4l3,64" and second.words[1].alts == ("3.578,84", "3.578,94")


@pytest.mark.parametrize(
    ("left", "right", "fmt", "joined"),
    [
        ("19", "175,91", "ar", "19175.91"),  # a thousands group cut off
        ("25.", "549,04", "ar", "25549.04"),  # ... after its point
        ("2,331", "09", "ar", "2331.09"),  # the decimal comma lost at the space
        ("4808,", "12", "ar", "4808.12"),  # ... or cut off after it
        ("16.622", "32", "us", "16622.32"),  # a thousands comma read as a point, in a "2,939.80" table
        ("1.234.567", "89", None, "1234567.89"),
        ("1,5", "32", "ar", None),  # a figure with decimals and another one
        ("12", "34", "ar", "12.34"),
        ("ab", "34", "ar", None),
    ],
)
def test_a_figure_cut_at_a_space_is_joined(left: str, right: str, fmt: NumberFormat | None, joined: str | None) -> None:
    assert merged_amount(left, right, fmt) == (None if joined is None else Decimal(joined))
