"""CUIT/CUIL (Clave Única de Identificación Tributaria): normalise, validate, format.

Validation is python-stdnum's ``stdnum.ar.cuit`` (11 digits, known type prefix, mod-11 check digit);
this module adds tolerant cleaning (dots, dashes, spaces, slashes, a "CUIT:" label) and errors that
say why a number was rejected.
"""

from __future__ import annotations

import re

from stdnum.ar import cuit as _stdnum_cuit
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

__all__ = ["InvalidCuit", "cuit_check_digit", "format_cuit", "is_valid_cuit", "normalize_cuit"]

_SEPARATORS = re.compile(r"[\s\-./\u2010-\u2015]+")
_LABEL = re.compile(r"^\s*(?:c\.?\s*u\.?\s*i\.?\s*[tl]\.?)\s*(?:n[°ºo.]*\s*)?[:#]?\s*", re.IGNORECASE)


class InvalidCuit(ValueError):
    """A CUIT that is not 11 digits, has an unknown type prefix or a wrong check digit."""


def _clean(text: str) -> str:
    return _SEPARATORS.sub("", _LABEL.sub("", str(text)))


def cuit_check_digit(first_ten: str) -> int:
    """The mod-11 check digit for the first ten digits of a CUIT (a result of 10 maps to 9).

    ``ValueError`` unless ``first_ten`` is exactly ten digits (separators allowed).
    """
    digits = _clean(first_ten)
    if len(digits) != 10 or not digits.isdigit():
        raise ValueError(f"a CUIT check digit needs exactly 10 digits, got {first_ten!r}")
    return int(_stdnum_cuit.calc_check_digit(digits))


def normalize_cuit(text: str | int) -> str:
    """The CUIT as 11 digits without separators; ``InvalidCuit`` saying why if it is not valid.

    Accepts "30-51758323-1", "30 51758323 1", "30.517.583.231", "CUIT: 30-51758323-1", 30517583231.
    """
    raw = str(text)
    digits = _clean(raw)
    if not digits:
        raise InvalidCuit("empty CUIT; expected 11 digits such as 30-51758323-1")
    try:
        return str(_stdnum_cuit.validate(digits))
    except InvalidLength:
        raise InvalidCuit(
            f"CUIT {raw!r} has {len(digits)} characters; expected 11 digits such as 30-51758323-1"
        ) from None
    except InvalidFormat:
        raise InvalidCuit(f"CUIT {raw!r} contains characters other than digits, dashes, dots or spaces") from None
    except InvalidComponent:
        raise InvalidCuit(
            f"CUIT {raw!r} starts with {digits[:2]!r}, which is not a CUIT/CUIL type "
            "(20, 23, 24, 27, 30, 33, 34, 50, 51, 55)"
        ) from None
    except InvalidChecksum:
        expected = cuit_check_digit(digits[:10])
        raise InvalidCuit(f"CUIT {raw!r} has check digit {digits[10]} but {expected} was expected") from None
    except ValidationError as exc:  # pragma: no cover - stdnum raises only the ones above
        raise InvalidCuit(f"invalid CUIT {raw!r}: {exc}") from None


def is_valid_cuit(text: str | int | None) -> bool:
    """Whether ``text`` is a valid CUIT/CUIL (separators allowed)."""
    if text is None:
        return False
    try:
        normalize_cuit(text)
    except InvalidCuit:
        return False
    return True


def format_cuit(text: str | int) -> str:
    """The printed form ``30-51758323-1``; ``InvalidCuit`` if not valid."""
    return str(_stdnum_cuit.format(normalize_cuit(text)))
