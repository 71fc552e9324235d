"""What OCR gets wrong, in one place: the ways a printed figure is misread, the letters and digits it takes
for one another, and how a repair is chosen and recorded.

A misreading is one :class:`Slip` kind. Each way of telling one is a named predicate, a row of the ordered
table :data:`RULES`; its :class:`Scope` says where it may be used:

- ``FIGURE``: any figure, wherever one other reading is checked (a total, an item's figure);
- ``EXACT``: looser, only where exact arithmetic fixes the value to the cent (an item's amount from
  quantity × price, a VAT amount confirmed by the QR and base × rate);
- ``QUANTITY``: a quantity, a short figure of few digits;
- ``CODE``: a string of digits (CUIT, number, CAE, a date as yyyymmdd) compared with the QR's.

A repair is a :class:`Repair` record; :func:`only_fit` is the one rule every repair follows: propose the
readings, keep those that fit every other constraint, break ties in a fixed order, and apply one only when
exactly one is left. A new misreading is one row of :data:`RULES` and one test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar

from rapidfuzz.distance import Hamming, Levenshtein

from minimarket.domain.afip import VALID_VAT_RATES
from minimarket.domain.money import to_cents

T = TypeVar("T")


class Slip(StrEnum):
    """How a figure was misread."""

    SEPARATOR = "separator"
    """A misplaced or dropped decimal separator ("7.29505" for 7.295,05)."""
    TRUNCATED = "truncated"
    """The last decimal clipped ("2950,4" for 2.950,41)."""
    LOST_DIGIT = "lost_digit"
    """A leading digit lost ("10.237,58" for 510.237,58)."""
    DIGIT = "digit"
    """One digit misread ("228.850" for 228.250)."""
    DIGITS = "digits"
    """Digits misread more loosely: one dropped or added anywhere, two blurred alike, a separator moved with
    a digit; only where exact arithmetic fixes the value."""

    @property
    def es(self) -> str:
        """The slip in Spanish, for a repair check's detail."""
        return _SLIP_ES[self]


_SLIP_ES = {
    Slip.SEPARATOR: "separador decimal mal leído",
    Slip.DIGIT: "un dígito mal leído",
    Slip.TRUNCATED: "último decimal cortado",
    Slip.LOST_DIGIT: "un dígito inicial perdido",
    Slip.DIGITS: "dígitos mal leídos",
}


class Scope(StrEnum):
    """Where a rule of :data:`RULES` may be used."""

    FIGURE = "figure"
    EXACT = "exact"
    QUANTITY = "quantity"
    CODE = "code"


# --- look-alikes ---------------------------------------------------------------------------------------------

BLUR_CONFUSIONS = frozenset(frozenset(pair) for pair in ("08", "06", "09", "38", "39", "56", "58", "68", "89", "17"))
"""Digits a blurred photo makes look alike (closed loops filled in, a 7's bar lost)."""

FIRST_LETTER_MISREADS = {"I": "TLJ1", "C": "GO", "O": "0QDC", "D": "O0", "P": "F", "U": "V", "B": "8"}
"""Letters OCR reads a label's first letter as ("tmporte" for "Importe", "Godigo" for "Codigo")."""

LOOKALIKE_DIGITS = str.maketrans("OoQDSsIilL|BZzGbgT", "000055111118226697")
"""Letters OCR reads for digits in a figure ("10SO97" for 105097)."""

_GARBLED_FIGURE = re.compile(r"^\$?[\dOoQDSsIilL|BZzGbgT][\dOoQDSsIilL|BZzGbgT.,]{2,}$")

MISREAD_VTO = re.compile(r"(?<![A-Za-z])[VY][Il1|]?[Il1|t][O0](?![A-Za-z])", re.IGNORECASE)
""""Vto." as OCR often reads it from a photo ("Vio.", "V1o.": the t's crossbar lost; "Vito.": a stray stroke)."""

MISREAD_VENC = re.compile(r"VE[NMR]\w{0,3}MIENTO")
"""Squashed "Vencimiento" with its middle misread ("VENIIMIENTO", "VEMIMIENTO", "VERIMIENTO": the n and the c
blurred together in a photo)."""

_DATE_LOST_SEPARATOR = re.compile(r"(?<![\d/.\-])(\d{2})(?:(\d{2})([/.\-])|([/.\-])(\d{2}))(\d{4})(?![\d/.\-])")


def dates_with_lost_separator(text: str, years: tuple[int, int]) -> list[tuple[int, dt.date]]:
    """Dates OCR printed with one of their two separators lost ("2009/2026" for 20/09/2026, "20/092026"), as
    (offset, date), years within ``years``. Only the caller knows whether a label vouches for a date there."""
    found = []
    for m in _DATE_LOST_SEPARATOR.finditer(text):
        day, month = int(m.group(1)), int(m.group(2) or m.group(5))
        year = int(m.group(6))
        if not years[0] <= year <= years[1]:
            continue
        try:
            found.append((m.start(), dt.date(year, month, day)))
        except ValueError:
            continue
    return found


_RATE_PERCENT_AS_4 = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)4")

_ONE_SEPARATOR_THROUGHOUT = re.compile(r"-?\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*(?P=sep)\d{2}")


def lookalike_figure(text: str) -> str | None:
    """A word OCR garbled from a figure, with its look-alike letters as digits ("10SO97" → "105097"): only
    words of digits, separators and such letters, with at least one digit and one letter; ``None`` else."""
    if not _GARBLED_FIGURE.match(text) or not any(c.isdigit() for c in text):
        return None
    figure = text.translate(LOOKALIKE_DIGITS)
    return figure if figure != text else None


def slipped_separator_amount(text: str) -> Decimal | None:
    """An OCR amount whose decimal separator was read as the thousands one, or the other way round:
    "45,660,63" or "19.110.58" — groups of three, then two decimals, all behind the same mark. Only one
    reading fits (no format puts two decimals after a thousands mark); ``None`` for anything else."""
    if not _ONE_SEPARATOR_THROUGHOUT.fullmatch(text):
        return None
    return Decimal(re.sub(r"[.,]", "", text[:-3]) + "." + text[-2:])


def rate_with_percent_as_4(text: str) -> Decimal | None:
    """A legal VAT rate whose "%" OCR read as a 4 ("214" for 21 %, "10,54" for 10,5 %); ``None`` else."""
    m = _RATE_PERCENT_AS_4.fullmatch(text)
    if m is None:
        return None
    rate = Decimal(m.group(1).replace(",", "."))
    return rate if rate > 0 and rate in VALID_VAT_RATES else None


def lost_separator(text: str) -> bool:
    """A figure of three digits or more printed without a decimal separator (OCR often loses a comma)."""
    return not re.search(r"\d[.,]\d", text) and len(re.sub(r"\D", "", text)) >= 3


# --- legal forms of a business name ------------------------------------------------------------------------

LEGAL_FORMS = {"SRL": "S.R.L.", "SA": "S.A.", "SAS": "S.A.S.", "SH": "S.H.", "SCS": "S.C.S.", "SAIC": "S.A.I.C."}
"""The dotted legal forms that end a business name, by their letters."""

_LEGAL_FORM_CUT = {"SR": "S.R.L."}
"""A dotted legal form with its last letter lost ("S.R." is only ever an "S.R.L." cut short)."""

_LEGAL_FORM_NOISE = re.compile(r"[$'`´,;:!]")
"""Specks OCR reads inside a dotted legal form ("S$.R.L.")."""

_LEGAL_FORM_LIKE = re.compile(r"^S[^A-Za-z0-9\s][^\s]{0,7}$")
"""A last word that starts like a dotted legal form ("S.", "S$", "S./"): an S and a mark."""


def legal_form_misreading(word: str) -> tuple[str, bool]:
    """A business name's last word read as a dotted legal form, repaired: ``(word, sure)``.

    "S.R.L" / "S.A" (final dot lost) → "S.R.L." / "S.A."; "S.R." → "S.R.L."; "S$.R.L." → "S.R.L."; a word
    that starts like a legal form but reads as none ("S./") comes back unchanged and not sure. Anything
    else (no dots, "Hnos.", a plain word) comes back unchanged and sure."""
    if not _LEGAL_FORM_LIKE.match(word):
        return word, True
    cleaned = _LEGAL_FORM_NOISE.sub("", word)
    if not re.fullmatch(r"(?:[A-Za-z]\.?)+", cleaned) or "." not in cleaned:
        return word, False
    letters = cleaned.replace(".", "").upper()
    form = LEGAL_FORMS.get(letters) or _LEGAL_FORM_CUT.get(letters)
    if form is None:
        return word, False
    return (word if word.upper() == form else form), True


# --- the rules -----------------------------------------------------------------------------------------------


def digits_of(value: Decimal) -> tuple[str, int]:
    """The printed digits of a decimal and how many of them are decimals ("7295.05" → ("729505", 2))."""
    _sign, digits, exponent = abs(value).as_tuple()
    text = "".join(str(d) for d in digits)
    decimals = -int(exponent) if isinstance(exponent, int) and exponent < 0 else 0
    if isinstance(exponent, int) and exponent > 0:
        text += "0" * exponent
    return text, decimals


@dataclass(frozen=True)
class Pair:
    """A reading and the value it should have been, as the digit strings the rules compare."""

    read: Decimal
    required: Decimal

    @cached_property
    def raw(self) -> tuple[str, int]:
        """The read figure's digits as read, and its decimals."""
        return digits_of(self.read)

    @cached_property
    def cents(self) -> str:
        """The read figure's digits to the cent."""
        return digits_of(to_cents(self.read))[0]

    @cached_property
    def want(self) -> tuple[str, int]:
        """The required figure's digits to the cent, and its decimals."""
        return digits_of(to_cents(self.required))

    @cached_property
    def want_raw(self) -> str:
        """The required figure's digits as given (a quantity's, not to the cent)."""
        return digits_of(self.required)[0]


@dataclass(frozen=True)
class Codes:
    """A code read by OCR and the one it should have been (digits, leading zeros dropped)."""

    read: str
    true: str


def _separator(p: Pair) -> bool:
    """The same digits, the separator elsewhere or lost ("22825000" for 228.250,00)."""
    r = p.raw[0]
    return bool(r.lstrip("0")) and r.rstrip("0").lstrip("0") == p.want[0].rstrip("0").lstrip("0")


def _truncated(p: Pair) -> bool:
    """One decimal where two are printed, the rest the same ("2950.4" for 2.950,41)."""
    (r, r_dec), (q, q_dec) = p.raw, p.want
    return r_dec == 1 and q_dec == 2 and q.startswith(r) and len(q) == len(r) + 1


def _lost_leading_digit(p: Pair) -> bool:
    """The first digit lost ("513,60" for 2.513,60)."""
    q = p.want[0]
    return len(q) == len(p.cents) + 1 and q.endswith(p.cents)


def _one_digit(p: Pair) -> bool:
    """One digit different, to the cent ("228.850,00" for 228.250,00)."""
    return len(p.cents) == len(p.want[0]) and sum(a != b for a, b in zip(p.cents, p.want[0], strict=True)) == 1


def _digit_dropped_or_added(p: Pair) -> bool:
    """One digit dropped or added anywhere, possibly next to a misread one ("2" read as "11")."""
    a, b = p.cents, p.want[0]
    return abs(len(a) - len(b)) == 1 and Levenshtein.distance(a, b) <= 2


def _two_blurred_digits(p: Pair) -> bool:
    """Two digits of a long figure that blur makes alike ("27708,16" for 27.788,15: :data:`BLUR_CONFUSIONS`)."""
    a, b = p.cents, p.want[0]
    return (
        len(a) == len(b) >= 6
        and Hamming.distance(a, b) == 2
        and all(x == y or frozenset((x, y)) in BLUR_CONFUSIONS for x, y in zip(a, b, strict=True))
    )


def _separator_and_digit(p: Pair) -> bool:
    """The separator misplaced and a digit dropped or added ('$9.18234' for 59.182,34): all the digits read,
    not just to the cent."""
    raw, b = p.raw[0].lstrip("0"), p.want[0]
    return raw != p.cents and abs(len(raw) - len(b)) == 1 and Levenshtein.distance(raw, b) <= 1


def _quantity_digit(p: Pair) -> bool:
    """A quantity with one wrong digit and its separator lost or misplaced ('1871' for 1,571 kg)."""
    a, b = p.raw[0].strip("0"), p.want_raw.strip("0")
    return bool(a) and len(a) == len(b) and Hamming.distance(a, b) == 1


def _code_digits(c: Codes) -> bool:
    """One or two digits of a code misread."""
    return len(c.read) == len(c.true) and 0 < Hamming.distance(c.read, c.true) <= 2


def _code_digit_dropped_or_added(c: Codes) -> bool:
    """One digit of a code dropped or added."""
    return abs(len(c.read) - len(c.true)) == 1 and Levenshtein.distance(c.read, c.true) == 1


@dataclass(frozen=True)
class Rule:
    """One way OCR misreads a figure: its kind, where it may be used and the predicate that tells it."""

    name: str
    slip: Slip
    scope: Scope
    fits: Callable[[Any], bool]


RULES: tuple[Rule, ...] = (
    Rule("separator", Slip.SEPARATOR, Scope.FIGURE, _separator),
    Rule("truncated", Slip.TRUNCATED, Scope.FIGURE, _truncated),
    Rule("lost_leading_digit", Slip.LOST_DIGIT, Scope.FIGURE, _lost_leading_digit),
    Rule("one_digit", Slip.DIGIT, Scope.FIGURE, _one_digit),
    Rule("digit_dropped_or_added", Slip.DIGITS, Scope.EXACT, _digit_dropped_or_added),
    Rule("two_blurred_digits", Slip.DIGITS, Scope.EXACT, _two_blurred_digits),
    Rule("separator_and_digit", Slip.DIGITS, Scope.EXACT, _separator_and_digit),
    Rule("quantity_digit", Slip.DIGITS, Scope.QUANTITY, _quantity_digit),
    Rule("code_digits", Slip.DIGIT, Scope.CODE, _code_digits),
    Rule("code_digit_dropped_or_added", Slip.DIGIT, Scope.CODE, _code_digit_dropped_or_added),
)
"""Every misreading rule, in the order they are tried: the first that fits names the slip."""

FIGURE_SLIPS = frozenset({Slip.SEPARATOR, Slip.DIGIT, Slip.TRUNCATED, Slip.LOST_DIGIT})


def _first_fit(subject: Any, scopes: Iterable[Scope], allow: frozenset[Slip] | None = None) -> Slip | None:
    wanted = set(scopes)
    for rule in RULES:
        if rule.scope in wanted and (allow is None or rule.slip in allow) and rule.fits(subject):
            return rule.slip
    return None


def plausible_misreading(read: Decimal, required: Decimal, allow: Iterable[Slip] = FIGURE_SLIPS) -> Slip | None:
    """How ``read`` could be a misreading of ``required`` (the ``FIGURE`` rules whose slip is in ``allow``):
    a misplaced or dropped decimal separator, one wrong digit, a clipped last decimal or a lost leading digit;
    ``None`` if none of them."""
    if read == required or required < 0:
        return None
    return _first_fit(Pair(read, required), (Scope.FIGURE,), frozenset(allow))


def misread_digits(read: Decimal, required: Decimal) -> Slip | None:
    """Like :func:`plausible_misreading`, or one of the looser ``EXACT`` rules: used only where exact
    arithmetic fixes the value to the cent."""
    slip = plausible_misreading(read, required)
    if slip is not None or required <= 0:
        return slip
    return _first_fit(Pair(read, required), (Scope.EXACT,))


def quantity_misreading(read: Decimal, required: Decimal) -> Slip | None:
    """How a quantity could be a misreading of ``required``: its separator misplaced or lost, or that and one
    wrong digit (the ``QUANTITY`` rules)."""
    slip = plausible_misreading(read, required, (Slip.SEPARATOR,))
    if slip is not None or read == required:
        return slip
    return _first_fit(Pair(read, required), (Scope.QUANTITY,))


def code_misreading(read: str, true: str) -> bool:
    """``read`` is the code ``true`` with at most two digits misread, or one digit dropped or added."""
    return _first_fit(Codes(read, true), (Scope.CODE,)) is not None


# --- choosing and recording a repair ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Repair:
    """One figure read as ``old`` and repaired to ``new``: ``field`` names it (``index`` the VAT line or
    other tax among several), ``slip`` says how it was misread."""

    field: str
    old: Decimal
    new: Decimal
    slip: Slip
    index: int | None = None


@dataclass(frozen=True)
class TieBreak:
    """A preference among readings that all fit: ``keep`` the preferred ones; with ``only_if_one`` the
    preference holds only when exactly one reading has it."""

    keep: Callable[[Any], bool]
    only_if_one: bool = False


def only_fit(
    options: Sequence[T],
    fits: Callable[[T], bool] | None = None,
    tie_breaks: Sequence[TieBreak] = (),
) -> T | None:
    """The one reading to apply, or ``None``: keep the ``options`` that ``fit`` every other constraint; while
    more than one is left, apply each tie-break in order; apply a reading only when exactly one is left."""
    left = [o for o in options if fits is None or fits(o)]
    for rule in tie_breaks:
        if len(left) <= 1:
            break
        kept = [o for o in left if rule.keep(o)]
        if len(kept) == 1 or (kept and not rule.only_if_one):
            left = kept
    return left[0] if len(left) == 1 else None
