"""The items table's header: the row of column labels and the role of each column (:class:`ColumnRole`),
read from its labels, also as OCR misreads them (:class:`RuleHeaderFinder`, a :class:`HeaderFinder`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from rapidfuzz.distance import Levenshtein

from minimarket.documents.layout import Line, Word
from minimarket.documents.linetext import (
    LineText,
    PageView,
    normalize,
)
from minimarket.documents.misreads import FIRST_LETTER_MISREADS


class ColumnRole(StrEnum):
    """What a column of the items table holds."""

    CODE = "code"
    DESCRIPTION = "description"
    QUANTITY = "quantity"
    UNIT = "unit"
    UNIT_PRICE = "unit_price"
    DISCOUNT_PCT = "discount_pct"
    DISCOUNT_AMOUNT = "discount_amount"
    AMOUNT = "amount"
    AMOUNT_GROSS = "amount_gross"
    VAT_RATE = "vat_rate"
    VAT_AMOUNT = "vat_amount"
    OTHER = "other"


TEXT_ROLES = frozenset({ColumnRole.CODE, ColumnRole.DESCRIPTION, ColumnRole.UNIT, ColumnRole.OTHER})
NUMERIC_ROLES = frozenset(set(ColumnRole) - TEXT_ROLES)

# (role, normalised variants); longer variants win over shorter ones at the same place.
_LEXICON: tuple[tuple[ColumnRole, tuple[str, ...]], ...] = (
    (
        ColumnRole.AMOUNT_GROSS,
        (
            "SUBTOTAL C/IVA",
            "SUBTOTAL CON IVA",
            "TOTAL C/IVA",
            "TOTAL CON IVA",
            "IMPORTE C/IVA",
            "IMPORTE CON IVA",
            "PRECIO FINAL",
            "IMPORTE FINAL",
        ),
    ),
    (
        ColumnRole.DISCOUNT_AMOUNT,
        (
            "IMP BONIF",
            "IMPORTE BONIF",
            "IMP BONIFICACION",
            "IMPORTE BONIFICACION",
            "IMP DESC",
            "IMPORTE DESCUENTO",
            "IMP DTO",
            "BONIF $",
            "DTO $",
            "DESC $",
            "$ BONIF",
            "$ DTO",
            "$ DESC",
            "BONIFICACION $",
            "DESCUENTO $",
        ),
    ),
    (
        ColumnRole.DISCOUNT_PCT,
        (
            "% BONIF",
            "%BONIF",
            "BONIF %",
            "% DTO",
            "DTO %",
            "% DESC",
            "DESC %",
            "BONIFICACIONES",
            "BONIFICACION",
            "BONIF",
            "DESCUENTO",
            "DTO",
            "DESC",
            "% BON",
            "BON",
        ),
    ),
    (ColumnRole.VAT_RATE, ("ALICUOTA IVA", "ALIC IVA", "ALICUOTA", "ALIC", "% IVA", "IVA %", "TASA IVA", "TASA")),
    (ColumnRole.VAT_AMOUNT, ("IMPORTE IVA", "IMP IVA", "$ IVA", "IVA $", "MONTO IVA", "IVA")),
    (
        ColumnRole.UNIT_PRICE,
        (
            "PRECIO UNITARIO",
            "PRECIO UNIT",
            "PRECIO UNI",
            "PRECIO UN",
            "PRECIO X UNIDAD",
            "P UNITARIO",
            "P UNIT",
            "PUNIT",
            "IMPORTE UNITARIO",
            "VALOR UNITARIO",
            "PRECIO LISTA",
            "UNITARIO",
            "P U",
            "PRECIO",
        ),
    ),
    (
        ColumnRole.AMOUNT,
        (
            "PRECIO NETO",
            "PRECIO TOTAL",
            "IMPORTE NETO",
            "SUB TOTAL",
            "SUBTOTAL",
            "TOTAL NETO",
            "IMPORTE",
            "TOTAL",
            "MONTO",
            "NETO",
            "VALOR",
        ),
    ),
    (ColumnRole.QUANTITY, ("CANTIDAD", "CANT", "CANTID", "UNIDADES", "BULTOS", "CANT UNID")),
    (
        ColumnRole.UNIT,
        (
            "UNIDAD DE MEDIDA",
            "U MEDIDA",
            "U DE MEDIDA",
            "U MED",
            "UNID MEDIDA",
            "MEDIDA",
            "U M",
            "UM",
            "UNIDAD",
            "UNID",
            "UN",
            "PRESENTACION",
        ),
    ),
    (
        ColumnRole.DESCRIPTION,
        (
            "PRODUCTO / SERVICIO",
            "PRODUCTO SERVICIO",
            "DESCRIPCION DEL PRODUCTO",
            "DESCRIPCION",
            "DESCRIPC",
            "DETALLE",
            "CONCEPTO",
            "DENOMINACION",
            "PRODUCTO",
            "ARTICULO",
            "SERVICIO",
            "DESCRIP",
        ),
    ),
    (ColumnRole.CODE, ("CODIGO", "COD ART", "COD", "ITEM", "ART", "REF", "SKU", "PLU", "EAN")),
)


def _variant_regex(variant: str) -> str:
    words = []
    for word in variant.split(" "):
        words.append(r"\s?".join(re.escape(c) for c in word))
    return r"(?:\s|/)*".join(words)


_HEADER_PATTERNS: list[tuple[ColumnRole, re.Pattern[str]]] = sorted(
    (
        (role, re.compile(r"(?<![A-Z0-9])" + _variant_regex(variant)))
        for role, variants in _LEXICON
        for variant in variants
    ),
    key=lambda item: -len(item[1].pattern),
)


@dataclass(slots=True)
class Column:
    """A column of the items table: its role, label and horizontal extent of its label."""

    role: ColumnRole
    label: str
    x0: float
    x1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(slots=True)
class TableLayout:
    """The items table header on one page."""

    page: int
    y0: float
    y1: float
    columns: list[Column]

    def column(self, role: ColumnRole) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)


def segment_header(lt: LineText, fuzzy: bool = False) -> list[Column]:
    """Cut a header line into labelled columns: the line is split into phrases at wide gaps ("Precio" and
    "Total" far apart are two columns), and each phrase is segmented greedily, longest label first (glued
    words allowed, as in OCR's "CantidadU."). ``fuzzy`` also takes a label with one letter misread, lost
    or added ("CAT." for "CANT.", "Dio. %" for "Dto. %")."""
    columns: list[Column] = []
    h = max(lt.height, 1.0)
    phrase: list[Word] = []
    for word in lt.words:
        if phrase and word.x0 - phrase[-1].x1 > 1.2 * h:
            columns.extend(_segment_phrase(LineText(Line(phrase), lt.page), fuzzy))
            phrase = []
        phrase.append(word)
    if phrase:
        columns.extend(_segment_phrase(LineText(Line(phrase), lt.page), fuzzy))
    return columns


_FUZZY_VARIANTS: list[tuple[ColumnRole, str]] = sorted(
    ((role, v) for role, variants in _LEXICON for v in variants if len(v.replace(" ", "")) >= 4),
    key=lambda item: -len(item[1]),
)
"""Labels of four letters or more: short ones ("UN", "ART") are too easily something else one letter off."""

LONG_LABEL = 7
"""Letters from which a label may be two edits off ("Descrimpuión", "impone" for "Importe")."""


def _fuzzy_label(norm: str, pos: int) -> tuple[int, ColumnRole] | None:
    """The longest label that the text at ``pos`` is one edit away from (two for a label of
    :data:`LONG_LABEL` letters or more; same first letter or a look-alike, ending at a word boundary), and
    where it ends; ``None`` when none is, or when two roles fit equally."""
    found: list[tuple[int, int, ColumnRole]] = []
    for role, variant in _FUZZY_VARIANTS:
        if norm[pos] != variant[0] and norm[pos] not in FIRST_LETTER_MISREADS.get(variant[0], ""):
            continue
        bare = variant.replace(" ", "")
        for size in range(len(variant) - 1, len(variant) + 3):
            end = pos + size
            if end > len(norm) or (end < len(norm) and norm[end] != " ") or norm[end - 1] == " ":
                continue
            text = norm[pos:end]
            if text.count(" ") > variant.count(" ") + 1:
                continue
            # one space more than the label is an OCR split ("DESCS IPCION"): compared without spaces
            budget = 2 if len(bare) >= LONG_LABEL else 1
            if Levenshtein.distance(text.replace(" ", ""), bare, score_cutoff=budget) <= budget:
                found.append((len(variant), end, role))
    if not found:
        return None
    longest = max(n for n, _, _ in found)
    best = {(end, role) for n, end, role in found if n == longest}
    return next(iter(best)) if len(best) == 1 else None


def _segment_phrase(lt: LineText, fuzzy: bool = False) -> list[Column]:
    norm = lt.norm
    columns: list[Column] = []
    pos = 0
    while pos < len(norm):
        if norm[pos] == " ":
            pos += 1
            continue
        if pos > 0 and norm[pos - 1].isalnum() and norm[pos].isalnum():
            pos += 1
            continue
        best: tuple[int, ColumnRole] | None = None
        for role, pattern in _HEADER_PATTERNS:
            m = pattern.match(norm, pos)
            if m and m.end() > pos and (best is None or m.end() > best[0]):
                end = m.end()
                # a label ends at a word boundary, or glued to a capitalised next word in the raw text
                if end < len(norm) and norm[end].isalpha() and not _raw_glued_boundary(lt, end):
                    continue
                best = (end, role)
        if best is None and fuzzy and (pos == 0 or norm[pos - 1] == " "):
            best = _fuzzy_label(norm, pos)
        if best is None:
            pos += 1
            continue
        end, role = best
        start_raw = lt._norm2raw[pos]
        end_raw = lt._norm2raw[end - 1] + 1
        columns.append(Column(role, lt.raw[start_raw:end_raw], lt.x_at(start_raw), lt.x_at(end_raw - 1, right=True)))
        pos = end
    return columns


def _raw_glued_boundary(lt: LineText, norm_end: int) -> bool:
    """Whether the raw text has an upper-case letter right after a lower-case one at this point
    ("CantidadU." → "Cantidad" + "U.")."""
    raw_at = lt._norm2raw[norm_end]
    prev = lt.raw[raw_at - 1] if raw_at > 0 else " "
    return lt.raw[raw_at].isupper() and prev.islower()


class HeaderFinder(Protocol):
    def find(self, view: PageView, start_y: float = 0.0) -> TableLayout | None: ...


_HEADER_SKIP = re.compile(r"\d{2,}[.,]\d{2}")


class RuleHeaderFinder:
    """The first line with a description column and a numeric column (or three roles), merged with the
    label pieces stacked above or below it ("Alicuota" / "IVA")."""

    def find(self, view: PageView, start_y: float = 0.0) -> TableLayout | None:
        for i, lt in enumerate(view.lines):
            if lt.y0 < start_y or _HEADER_SKIP.search(lt.raw):
                continue
            columns = segment_header(lt)
            exact = self._is_header(lt, columns)
            if not exact and len({c.role for c in columns}) < 2:
                continue
            # a label misread in a photo ("CAT.", "Dio. %"): labels one letter off count too on a line that
            # has two or more labels read right
            fuzzy = segment_header(lt, fuzzy=True)
            if len(fuzzy) > len(columns) and self._is_header(lt, fuzzy):
                columns = fuzzy
            elif not exact:
                continue
            y0, y1 = lt.y0, lt.y1
            h = max(lt.height, 1.0)
            for other in view.lines[max(0, i - 2) : i + 3]:
                if other is lt or abs(other.cy - lt.cy) > 1.6 * h or _HEADER_SKIP.search(other.raw):
                    continue
                if re.search(r"\d", other.raw):
                    continue
                columns = _merge_stacked(columns, other, above=other.cy < lt.cy)
                y0, y1 = min(y0, other.y0), max(y1, other.y1)
            columns = _resolve_duplicates(sorted(columns, key=lambda c: c.x0))
            return TableLayout(view.index, y0, y1, _amount_at_the_right(lt, columns))
        return None

    @staticmethod
    def _is_header(lt: LineText, columns: list[Column]) -> bool:
        """A description column and a numeric one (or four roles, or a ticket's quantity, price and amount),
        with the labels most of the line (a sentence mentioning "precio" is not a header)."""
        roles = {c.role for c in columns}
        numeric = roles & NUMERIC_ROLES
        has_desc = ColumnRole.DESCRIPTION in roles
        ticket = {ColumnRole.QUANTITY, ColumnRole.UNIT_PRICE, ColumnRole.AMOUNT} <= roles
        if not ((has_desc and numeric and len(roles) >= 2) or (len(roles) >= 4 and numeric) or ticket):
            return False
        if len(columns) < 3 and not has_desc:
            return False
        covered = sum(len(c.label) for c in columns)
        return covered >= 0.55 * len(lt.raw.replace(" ", ""))


def _amount_at_the_right(lt: LineText, columns: list[Column]) -> list[Column]:
    """A header with a unit price and no amount column whose last labels are words the lexicon does not
    know ('murorTE' for 'IMPORTE' in a photo; 'Bon. NANR rane' for 'Bonif. % IVA % Importe'): the rightmost
    column of an item table is its amount, and the unknown ones before it are other columns (their figures
    kept out of the known columns next to them)."""
    roles = {c.role for c in columns}
    if ColumnRole.UNIT_PRICE not in roles or roles & {ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS} or not columns:
        return columns
    right = max(c.x1 for c in columns)
    words = [w for w in lt.words if w.x0 > right + 1 and any(ch.isalnum() for ch in w.text)]
    if not words or sum(ch.isalpha() for ch in words[-1].text) < 4:
        return columns
    *others, last = words
    return [
        *columns,
        *(Column(ColumnRole.OTHER, w.text, w.x0, w.x1) for w in others),
        Column(ColumnRole.AMOUNT, last.text, last.x0, last.x1),
    ]


def _merge_stacked(columns: list[Column], other: LineText, above: bool) -> list[Column]:
    """Add the words of a header line's neighbour: to the column they sit on, or as new columns."""
    loose = []
    for word in other.words:
        if not any(ch.isalpha() for ch in word.text):
            continue  # rules drawn with dashes or underscores
        target = next((c for c in columns if word.x1 > c.x0 - 2 and word.x0 < c.x1 + 2), None)
        if target is not None:
            text = f"{word.text} {target.label}" if above else f"{target.label} {word.text}"
            role = _role_of(text) or target.role
            target.label, target.role = text, role
            target.x0, target.x1 = min(target.x0, word.x0), max(target.x1, word.x1)
        else:
            loose.append(word)
    # loose words stacked on each other ("Alicuota" over "IVA") become one column together
    for word in loose:
        columns.append(Column(_role_of(word.text) or ColumnRole.OTHER, word.text, word.x0, word.x1))
    merged: list[Column] = []
    for col in sorted(columns, key=lambda c: c.x0):
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and (col.role == ColumnRole.OTHER or prev.role == ColumnRole.OTHER or _role_of(f"{prev.label} {col.label}"))
            and col.x0 < prev.x1 + 2
        ):
            text = f"{prev.label} {col.label}"
            prev.role = _role_of(text) or (prev.role if prev.role != ColumnRole.OTHER else col.role)
            prev.label, prev.x1 = text, max(prev.x1, col.x1)
            prev.x0 = min(prev.x0, col.x0)
        else:
            merged.append(col)
    return merged


def _role_of(text: str) -> ColumnRole | None:
    norm = normalize(text)
    for role, pattern in _HEADER_PATTERNS:
        m = pattern.match(norm)
        if m and m.end() >= len(norm.rstrip()) - 1:
            return role
    return None


def _resolve_duplicates(columns: list[Column]) -> list[Column]:
    """Several amount columns: "Subtotal"/"Neto" is the net amount and a later "Total" the gross one;
    otherwise the rightmost amount column is the amount."""
    amounts = [c for c in columns if c.role == ColumnRole.AMOUNT]
    if len(amounts) > 1:
        for col in amounts[:-1]:
            col.role = ColumnRole.OTHER
        last = amounts[-1]
        first = amounts[0]
        if "TOTAL" in normalize(last.label) and re.search(r"SUB|NETO", normalize(first.label)):
            first.role, last.role = ColumnRole.AMOUNT, ColumnRole.AMOUNT_GROSS
    prices = [c for c in columns if c.role == ColumnRole.UNIT_PRICE]
    for col in prices[1:]:
        col.role = ColumnRole.OTHER
    descriptions = [c for c in columns if c.role == ColumnRole.DESCRIPTION]
    if len(descriptions) > 1:
        # "Artículo | Descripción": the first one holds the article code
        first = descriptions[0]
        if re.match(r"ART|PRODUCTO|ITEM|COD", normalize(first.label)) and not any(
            c.role == ColumnRole.CODE for c in columns
        ):
            first.role = ColumnRole.CODE
        for col in descriptions[1:-1] if first.role == ColumnRole.CODE else descriptions[1:]:
            col.role = ColumnRole.OTHER if col is not descriptions[-1] else col.role
    codes = [c for c in columns if c.role == ColumnRole.CODE]
    for col in codes[1:]:
        col.role = ColumnRole.OTHER  # a second code (EAN, internal code): kept out of the description
    return _description_by_place(columns)


def _description_by_place(columns: list[Column]) -> list[Column]:
    """No description label read, and a figure column other than the quantity first after the code ("Desi
    loción" in a photo, taken for "Desc." = discount): that column is the description, which items tables
    print before their figures."""
    if any(c.role == ColumnRole.DESCRIPTION for c in columns):
        return columns
    rest = [c for c in columns if c.role != ColumnRole.CODE]
    if (
        len(rest) >= 3
        and rest[0].role in NUMERIC_ROLES - {ColumnRole.QUANTITY}
        and sum(c.role in NUMERIC_ROLES for c in rest[1:]) >= 2
    ):
        rest[0].role = ColumnRole.DESCRIPTION
    return columns
