"""Visual lines from positioned words (:func:`minimarket.documents.linetext.regroup_lines`)."""

from __future__ import annotations

from minimarket.documents.layout import Word
from minimarket.documents.linetext import regroup_lines


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
