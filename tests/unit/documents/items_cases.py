"""Page views built word by word, shared by the tests of the items table modules."""

from __future__ import annotations

from dataclasses import replace

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
