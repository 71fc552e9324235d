"""Parsing and formatting amounts written the Argentine way (1.234,56) or the US way (1,234.56).

Rules of :func:`parse_amount`, in order:

1. Decorations are removed: surrounding spaces, a currency mark at either end ("$", "ARS", "AR$",
   "US$", "U$S", "USD", "EUR", "€"), a leading "+". A negative is written "-1", "- $ 1", "$ -1",
   "(1)" or "1-" (trailing minus); "−" (U+2212) and "–" count as minus. The Argentine "no cents"
   mark ",-" / ".-" ("$ 1.500,-") means an integer (what precedes it is read with thousands
   separators whatever ``fmt`` says).
2. Spaces inside the number are accepted only as thousands separators in groups of three
   ("1 234 567,89").
3. Both "." and "," present: the rightmost one is the decimal separator and the other one must
   group the integer part in threes ("1.234,56", "1,234.56"; "12.34,5" is rejected).
4. One separator repeated ("1.234.567", "1,234,567"): thousands separators (groups of three).
5. One separator once:

   - followed by 1, 2 or 4+ digits, by nothing, or preceded by nothing, "0…" or 4+ digits:
     a decimal separator whatever ``fmt`` says ("12,5", "1234.56", ".50", "0.125", "1234,567");
   - followed by exactly 3 digits and preceded by 1-3 digits not starting with 0 (the ambiguous
     "1.234", "1,234", "12,345"): decided by ``fmt`` -- "ar" reads "." as thousands and "," as
     decimal, "us" the opposite -- and, without ``fmt``, as a **thousands separator** (money
     rarely has three decimals). Callers that know a document's convention should pass ``fmt``
     (see :func:`detect_number_format`).

Anything else raises ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

__all__ = [
    "NumberFormat",
    "detect_number_format",
    "format_amount",
    "format_amount_ar",
    "format_amount_us",
    "number_format_of",
    "parse_amount",
    "try_parse_amount",
]

NumberFormat = Literal["ar", "us"]

_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_MINUS_CHARS = "-\u2212\u2012\u2013"
_CURRENCY = r"(?:AR\$|US\$|U\$S|U\$D|ARS|USD|EUR|\$|€)"
_CURRENCY_PREFIX = re.compile(rf"^{_CURRENCY}\s*", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(rf"\s*{_CURRENCY}$", re.IGNORECASE)
_NO_CENTS = re.compile(r"^(.*\d)\s*[.,]-$")
_SPACE_GROUPED = re.compile(r"^\d{1,3}(?: \d{3})+(?:[.,]\d*)?$")
_NUMBER_CHARS = re.compile(r"^[\d.,]*\d[\d.,]*$|^[.,]\d+$")


def _fail(text: object) -> ValueError:
    return ValueError(
        f"not an amount: {text!r}; expected digits with optional '.'/',' separators "
        "such as 1.234,56 or 1,234.56, optionally with $ and a minus sign or parentheses"
    )


def _strip_decorations(text: str) -> tuple[bool, str, bool]:
    """(negative, bare number, no-cents mark seen) without currency marks, signs and parentheses."""
    s = _SPACES.sub(" ", text).strip()
    negative = False
    no_cents = False
    for _ in range(8):  # a handful of nested decorations at most: "-$ (1.234,56)"
        before = s
        if s.startswith("(") and s.endswith(")"):
            negative = not negative
            s = s[1:-1].strip()
        m = _NO_CENTS.match(s)
        if m:
            s = m.group(1)
            no_cents = True
        if s and s[0] in _MINUS_CHARS:
            negative = not negative
            s = s[1:].strip()
        elif s.startswith("+"):
            s = s[1:].strip()
        if s and s[-1] in _MINUS_CHARS and len(s) > 1:
            negative = not negative
            s = s[:-1].strip()
        s = _CURRENCY_PREFIX.sub("", s)
        s = _CURRENCY_SUFFIX.sub("", s).strip()
        if s == before:
            break
    return negative, s, no_cents


def _is_grouping(head: str, groups: list[str]) -> bool:
    """Whether ``head`` + ``groups`` is an integer written with thousands separators."""
    return (
        1 <= len(head) <= 3
        and head.isdigit()
        and (head != "0" or not groups)
        and all(len(g) == 3 and g.isdigit() for g in groups)
    )


def _split(core: str, fmt: NumberFormat | None) -> tuple[str, str] | None:
    """(integer digits, fraction digits) of a bare number, or ``None`` if it is malformed."""
    commas, dots = core.count(","), core.count(".")
    if commas and dots:
        decimal_sep = "," if core.rfind(",") > core.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        if core.count(decimal_sep) != 1:
            return None
        int_part, frac = core.split(decimal_sep)
        head, *groups = int_part.split(group_sep)
        if not groups or not _is_grouping(head, groups) or not (frac == "" or frac.isdigit()):
            return None
        return head + "".join(groups), frac
    if not commas and not dots:
        return (core, "") if core.isdigit() else None
    sep = "," if commas else "."
    head, *rest = core.split(sep)
    if len(rest) > 1:
        return (head + "".join(rest), "") if _is_grouping(head, rest) else None
    right = rest[0]
    if not (head == "" or head.isdigit()) or not (right == "" or right.isdigit()):
        return None
    if head == "" and right == "":
        return None
    ambiguous = len(right) == 3 and 1 <= len(head) <= 3 and not head.startswith("0")
    if not ambiguous:
        return (head or "0"), right
    thousands = fmt is None or (fmt == "ar" and sep == ".") or (fmt == "us" and sep == ",")
    return (head + right, "") if thousands else (head, right)


def parse_amount(text: str | int | Decimal, fmt: NumberFormat | None = None) -> Decimal:
    """Parse an amount in Argentine or US notation into a Decimal (see the module docstring).

    ``fmt`` decides only the ambiguous "1.234" / "1,234" shapes; ``ValueError`` on anything that
    is not a number.
    """
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int):
        return Decimal(text)
    if fmt not in (None, "ar", "us"):
        raise ValueError(f"unknown number format {fmt!r}; use 'ar', 'us' or None")
    if not isinstance(text, str):
        raise _fail(text)
    negative, core, no_cents = _strip_decorations(text)
    if " " in core:
        if not _SPACE_GROUPED.match(core):
            raise _fail(text)
        core = core.replace(" ", "")
    if not _NUMBER_CHARS.match(core):
        raise _fail(text)
    parts = _split(core, None if no_cents else fmt)
    if parts is None:
        raise _fail(text)
    integer, frac = parts
    value = Decimal(f"{integer}.{frac}" if frac else integer)
    if negative and value != 0:
        value = -value
    return value


def try_parse_amount(text: str | None, fmt: NumberFormat | None = None) -> Decimal | None:
    """:func:`parse_amount`, or ``None`` instead of ``ValueError``."""
    if text is None:
        return None
    try:
        return parse_amount(text, fmt)
    except ValueError:
        return None


def number_format_of(text: str) -> NumberFormat | None:
    """The convention a single number reveals ("1.234,56" → "ar"), or ``None`` if it reveals none.

    Revealing shapes: both separators (the rightmost is the decimal one), one separator repeated
    as thousands groups ("1.234.567" → "ar"), or one separator followed by 1-2 digits
    ("12,50" → "ar", "12.5" → "us").
    """
    if not isinstance(text, str):
        return None
    _, core, _ = _strip_decorations(text)
    core = core.replace(" ", "")
    if not _NUMBER_CHARS.match(core) or _split(core, None) is None:
        return None
    commas, dots = core.count(","), core.count(".")
    if commas and dots:
        return "ar" if core.rfind(",") > core.rfind(".") else "us"
    if commas > 1:
        return "us"
    if dots > 1:
        return "ar"
    if commas == 1 or dots == 1:
        sep = "," if commas else "."
        right = core.rsplit(sep, 1)[1]
        if 1 <= len(right) <= 2:
            return "ar" if sep == "," else "us"
    return None


def detect_number_format(samples: Iterable[str]) -> NumberFormat | None:
    """A document's number convention by majority of its unambiguous numbers, or ``None``.

    ``None`` when no sample is unambiguous or the votes tie.
    """
    votes = {"ar": 0, "us": 0}
    for sample in samples:
        found = number_format_of(sample)
        if found is not None:
            votes[found] += 1
    if votes["ar"] == votes["us"]:
        return None
    return "ar" if votes["ar"] > votes["us"] else "us"


def format_amount(
    value: Decimal | int | str, fmt: NumberFormat = "ar", decimals: int = 2, grouping: bool = True
) -> str:
    """``value`` rounded HALF_UP to ``decimals`` in the given notation: "1.234,56" or "1,234.56"."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    quantum = Decimal(1).scaleb(-decimals)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    text = f"{abs(rounded):{',' if grouping else ''}.{decimals}f}"
    if fmt == "ar":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    elif fmt != "us":
        raise ValueError(f"unknown number format {fmt!r}; use 'ar' or 'us'")
    return sign + text


def format_amount_ar(value: Decimal | int | str, decimals: int = 2) -> str:
    """es-AR notation without currency: ``1.234,56`` (see ``money.format_ars`` for ``$ 1.234,56``)."""
    return format_amount(value, "ar", decimals)


def format_amount_us(value: Decimal | int | str, decimals: int = 2) -> str:
    """US notation: ``1,234.56``."""
    return format_amount(value, "us", decimals)
