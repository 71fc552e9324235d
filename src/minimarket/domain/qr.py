"""The AFIP/ARCA invoice QR code (RG 4291): ``https://www.arca.gob.ar/fe/qr/?p=<base64(JSON)>``.

The JSON carries ``ver, fecha, cuit, ptoVta, tipoCmp, nroCmp, importe, moneda, ctz, tipoDocRec,
nroDocRec, tipoCodAut, codAut``. :func:`build_qr_url` writes it as ARCA specifies (compact JSON,
numbers as numbers, standard base64). :func:`parse_qr_url` reads what real invoices carry, which is
often malformed:

- prefixes ``https://www.afip.gob.ar/fe/qr/?p=``, ``https://www.arca.gob.ar/fe/qr/?p=``, the old
  ``https://serviciosweb.afip.gob.ar/genericos/comprobantes/cae.aspx?p=``, http or https, with or
  without ``www.``, with or without the slash before ``?p=``, even without a scheme;
- percent-encoded, URL-safe, unpadded base64 with whitespace or line breaks inside;
- JSON that is pretty-printed, has numbers as strings, numbers with leading zeros (``"tipoCmp":01``,
  invalid JSON), single quotes, ``fecha`` missing or as dd/mm/yyyy or yyyymmdd;
- URLs cut at 255 characters, so the base64 and the JSON end mid-way: every key/value pair that is
  complete is recovered, the others are listed in ``missing`` and ``truncated`` is set.

Cross-check what this returns against the printed invoice: a QR is evidence, not truth.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from minimarket.domain.numbers import parse_amount

__all__ = [
    "DEFAULT_QR_HOST",
    "QR_FIELDS",
    "QrParseError",
    "QrPayload",
    "build_qr_url",
    "is_afip_qr_url",
    "parse_qr_url",
]

DEFAULT_QR_HOST = "https://www.arca.gob.ar/fe/qr/"

QR_FIELDS: tuple[tuple[str, str], ...] = (
    ("ver", "ver"),
    ("fecha", "fecha"),
    ("cuit", "cuit"),
    ("ptoVta", "pto_vta"),
    ("tipoCmp", "tipo_cmp"),
    ("nroCmp", "nro_cmp"),
    ("importe", "importe"),
    ("moneda", "moneda"),
    ("ctz", "ctz"),
    ("tipoDocRec", "tipo_doc_rec"),
    ("nroDocRec", "nro_doc_rec"),
    ("tipoCodAut", "tipo_cod_aut"),
    ("codAut", "cod_aut"),
)
"""(JSON key, :class:`QrPayload` attribute) in the order ARCA specifies."""

_ATTRS = tuple(attr for _, attr in QR_FIELDS)
_OPTIONAL = frozenset({"tipo_doc_rec", "nro_doc_rec"})
"""Fields ARCA allows to omit (receiver not identified)."""

_KEY_ALIASES: dict[str, str] = {
    **{key.lower(): attr for key, attr in QR_FIELDS},
    **{attr.replace("_", ""): attr for attr in _ATTRS},
    "version": "ver",
    "puntoventa": "pto_vta",
    "ptoventa": "pto_vta",
    "tipocbte": "tipo_cmp",
    "tipocomprobante": "tipo_cmp",
    "nrocbte": "nro_cmp",
    "numerocomprobante": "nro_cmp",
    "cae": "cod_aut",
}


class QrParseError(ValueError):
    """The text is not an AFIP/ARCA QR URL, or nothing of its payload could be read."""


@dataclass
class QrPayload:
    """The fields of an AFIP/ARCA QR, each ``None`` when absent or unreadable.

    ``missing`` names the attributes without a value (the optional receiver fields only when the
    payload was truncated); ``invalid`` the subset that was present but could not be read;
    ``truncated`` says the JSON was cut short; ``raw`` is the text that was parsed.
    """

    ver: int | None = None
    fecha: dt.date | None = None
    cuit: str | None = None
    pto_vta: int | None = None
    tipo_cmp: int | None = None
    nro_cmp: int | None = None
    importe: Decimal | None = None
    moneda: str | None = None
    ctz: Decimal | None = None
    tipo_doc_rec: int | None = None
    nro_doc_rec: str | None = None
    tipo_cod_aut: str | None = None
    cod_aut: str | None = None
    missing: frozenset[str] = field(default_factory=frozenset)
    truncated: bool = False
    raw: str = ""
    invalid: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_complete(self) -> bool:
        """Every required field was read and the payload was not cut."""
        return not self.truncated and not (self.missing - _OPTIONAL)

    def values(self) -> dict[str, Any]:
        """The field values by attribute name (``None`` included)."""
        return {attr: getattr(self, attr) for attr in _ATTRS}

    def to_afip_dict(self) -> dict[str, Any]:
        """The present fields under ARCA's JSON keys (dates as YYYY-MM-DD, amounts as Decimal)."""
        out: dict[str, Any] = {}
        for key, attr in QR_FIELDS:
            value = getattr(self, attr)
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, dt.date) else value
        return out


# --------------------------------------------------------------------------------------------------
# Recognising and cutting the URL
# --------------------------------------------------------------------------------------------------

_HOST = r"(?:[a-z0-9-]+\.)*(?:afip|arca)\.go[bv]\.ar"
_URL = re.compile(rf"(?:https?:/+)?{_HOST}(?::\d+)?(?:/[^?#]*)?\?(?:[^#]*?&)?p=", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def _compact(text: str) -> str:
    """The text without line breaks and tabs; spaces are kept (they may be a decoded '+')."""
    return re.sub(r"[\r\n\t\f\v]+", "", text).strip()


def is_afip_qr_url(text: str | None) -> bool:
    """Whether ``text`` is (or contains) an AFIP/ARCA invoice-QR URL with a ``p=`` parameter."""
    if not text:
        return False
    return _URL.search(_WHITESPACE.sub("", text)) is not None


def _payload_text(text: str) -> str:
    """The value of ``p=`` (or the whole text if it already is a bare base64 or JSON payload)."""
    compact = _compact(text)
    match = _URL.search(_WHITESPACE.sub("", compact))
    if match is None:
        bare = compact.strip()
        if bare.startswith(("{", "eyJ", "%7B", "%7b")):
            return bare
        raise QrParseError("not an AFIP/ARCA QR: expected a URL like https://www.arca.gob.ar/fe/qr/?p=<base64>")
    # Re-find the start of the value in the text that still has its spaces.
    value_start = _position_after(compact, match.end())
    value = compact[value_start:]
    return re.split(r"[&#]", value, maxsplit=1)[0]


def _position_after(text: str, n_non_space: int) -> int:
    """Index in ``text`` right after its first ``n_non_space`` non-whitespace characters."""
    seen = 0
    for index, char in enumerate(text):
        if not char.isspace():
            seen += 1
            if seen == n_non_space:
                return index + 1
    return len(text)


# --------------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------------

_B64_ALPHABET = re.compile(r"[^A-Za-z0-9+/]")


def _b64_candidates(value: str) -> list[tuple[str, bool]]:
    """Decoded texts to try: (text, base64 was cut in the middle of a quantum)."""
    unquoted = unquote(value).strip()
    if unquoted.startswith("{"):
        return [(unquoted, False)]
    variants = [_WHITESPACE.sub("", unquoted)]
    if " " in unquoted.strip():
        variants.append(_WHITESPACE.sub("", unquoted.replace(" ", "+")))
    out: list[tuple[str, bool]] = []
    for variant in variants:
        b64 = variant.replace("-", "+").replace("_", "/").split("=", 1)[0]
        b64 = _B64_ALPHABET.sub("", b64)
        cut = len(b64) % 4 == 1
        if cut:
            b64 = b64[:-1]
        b64 += "=" * (-len(b64) % 4)
        try:
            data = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        text = data.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\x00")
        out.append((text, cut))
    return out


# A number counts only when something after it shows it is complete: the next key, a closing brace,
# or a comma at the very end of the text. "77300,50" (a decimal comma, invalid JSON) is one value.
_NUMBER_END = r"""(?=\s*(?:,\s*["'A-Za-z_]|,\s*$|[}\]]))"""
_PAIR = re.compile(
    r"""["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*:\s*("""
    r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
    rf"""|[-+]?\d+,\d{{1,2}}{_NUMBER_END}|[-+]?\d+(?:\.\d+)?{_NUMBER_END}|true|false|null)"""
)


def _scan_pairs(text: str) -> dict[str, Any]:
    """Every complete ``key: value`` pair in a broken or truncated JSON text."""
    pairs: dict[str, Any] = {}
    for match in _PAIR.finditer(text):
        key, token = match.group(1), match.group(2)
        value: Any
        if token[0] == '"':
            try:
                value = json.loads(token)
            except ValueError:
                value = token[1:-1]
        elif token[0] == "'":
            value = token[1:-1].replace("\\'", "'")
        elif token in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[token]
        else:
            value = _RawNumber(token.lstrip("+"))
        pairs.setdefault(key, value)
    return pairs


class _RawNumber(str):
    """A JSON number kept as its literal text (so leading zeros and decimals survive)."""


def _load(text: str) -> tuple[dict[str, Any], bool]:
    """(key → value, text was valid JSON)."""
    try:
        data = json.loads(text, parse_float=_RawNumber, parse_int=_RawNumber)
    except ValueError:
        return _scan_pairs(text), False
    if isinstance(data, dict):
        return data, True
    return {}, False


# --------------------------------------------------------------------------------------------------
# Coercing values
# --------------------------------------------------------------------------------------------------


def _digits(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("boolean")
    text = str(value).strip()
    if isinstance(value, _RawNumber) and "." in text:
        whole, _, frac = text.partition(".")
        if frac.strip("0"):
            raise ValueError(f"not an integer: {text}")
        text = whole
    text = re.sub(r"[\s\-./]", "", text)
    if not text.isdigit():
        raise ValueError(f"not digits: {value!r}")
    return text


def _to_int(value: Any) -> int:
    return int(_digits(value))


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("boolean")
    text = str(value).strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        return parse_amount(text)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y", "%d/%m/%y")


def _to_date(value: Any) -> dt.date:
    text = str(value).strip()
    text = re.split(r"[T ]", text, maxsplit=1)[0] if re.match(r"\d{4}-\d\d-\d\d[T ]", text) else text
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")


def _to_cuit(value: Any) -> str:
    digits = _digits(value)
    if len(digits) != 11:
        raise ValueError(f"a CUIT has 11 digits, got {digits!r}")
    return digits


def _to_cod_aut(value: Any) -> str:
    digits = _digits(value)
    if len(digits) != 14:
        raise ValueError(f"a CAE/CAEA has 14 digits, got {digits!r}")
    return digits


def _to_doc_number(value: Any) -> str:
    text = str(value).strip()
    compact = re.sub(r"[\s\-./]", "", text)
    if compact.isdigit():
        return str(int(compact))
    if not text:
        raise ValueError("empty document number")
    return text


def _to_currency(value: Any) -> str:
    text = str(value).strip().upper()
    if isinstance(value, _RawNumber) or text.isdigit():
        text = text.zfill(3)
    if not re.fullmatch(r"[A-Z0-9]{3}", text):
        raise ValueError(f"not a currency code: {value!r}")
    return text


def _to_cod_aut_type(value: Any) -> str:
    text = str(value).strip().upper()
    text = {"CAE": "E", "CAEA": "A"}.get(text, text)
    if text not in {"E", "A"}:
        raise ValueError(f"tipoCodAut must be 'E' (CAE) or 'A' (CAEA), got {value!r}")
    return text


_COERCE = {
    "ver": _to_int,
    "fecha": _to_date,
    "cuit": _to_cuit,
    "pto_vta": _to_int,
    "tipo_cmp": _to_int,
    "nro_cmp": _to_int,
    "importe": _to_decimal,
    "moneda": _to_currency,
    "ctz": _to_decimal,
    "tipo_doc_rec": _to_int,
    "nro_doc_rec": _to_doc_number,
    "tipo_cod_aut": _to_cod_aut_type,
    "cod_aut": _to_cod_aut,
}


def _attr_for(key: str) -> str | None:
    return _KEY_ALIASES.get(re.sub(r"[^a-z0-9]", "", key.lower()))


def _build_payload(pairs: dict[str, Any], truncated: bool, raw: str) -> QrPayload:
    values: dict[str, Any] = {}
    invalid: set[str] = set()
    for key, value in pairs.items():
        attr = _attr_for(str(key))
        if attr is None or attr in values or value is None or value == "":
            continue
        try:
            values[attr] = _COERCE[attr](value)
        except (ValueError, TypeError, ArithmeticError):
            invalid.add(attr)
    absent = {attr for attr in _ATTRS if attr not in values}
    missing = absent if truncated else absent - (_OPTIONAL - invalid)
    return QrPayload(**values, missing=frozenset(missing), truncated=truncated, raw=raw, invalid=frozenset(invalid))


def parse_qr_url(text: str) -> QrPayload:
    """Read an AFIP/ARCA QR URL (or its bare base64/JSON payload) as tolerantly as possible.

    Raises :class:`QrParseError` if the text is not such a QR or its payload holds no ARCA QR key.
    """
    if not isinstance(text, str) or not text.strip():
        raise QrParseError("empty QR text; expected a URL like https://www.arca.gob.ar/fe/qr/?p=<base64>")
    value = _payload_text(text)
    if not value.strip():
        raise QrParseError("the QR URL has an empty p= parameter")
    best: tuple[int, QrPayload] | None = None
    for decoded, cut in _b64_candidates(value):
        pairs, valid_json = _load(decoded)
        truncated = cut or not decoded.rstrip().endswith("}")
        payload = _build_payload(pairs, truncated and not valid_json, decoded)
        score = (len(_ATTRS) - len(payload.missing)) * 2 + (1 if valid_json else 0) - len(payload.invalid)
        found_any = payload.invalid or any(value is not None for value in payload.values().values())
        if found_any and (best is None or score > best[0]):
            best = (score, payload)
    if best is None:
        raise QrParseError("the QR's p= parameter does not decode to AFIP/ARCA invoice data")
    return replace(best[1], raw=text)


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------

_REQUIRED_TO_BUILD = ("fecha", "cuit", "pto_vta", "tipo_cmp", "nro_cmp", "importe", "cod_aut")
_BUILD_DEFAULTS: dict[str, Any] = {"ver": 1, "moneda": "PES", "ctz": Decimal(1), "tipo_cod_aut": "E"}


def _json_number_or_string(value: Any) -> str:
    text = str(value).strip()
    if text.isdigit() and (text == "0" or not text.startswith("0")):  # a number would lose leading zeros
        return str(int(text))
    return json.dumps(text, ensure_ascii=False)


def build_qr_url(payload: QrPayload | None = None, *, host: str = DEFAULT_QR_HOST, **values: Any) -> str:
    """The QR URL for an invoice, as ARCA specifies it (compact JSON, standard base64).

    Fields come from ``payload`` and/or keyword arguments named like :class:`QrPayload`'s
    attributes (keywords win). ``ver`` defaults to 1, ``moneda`` to "PES", ``ctz`` to 1 and
    ``tipo_cod_aut`` to "E"; ``fecha, cuit, pto_vta, tipo_cmp, nro_cmp, importe, cod_aut`` are
    required. ``ValueError`` if a field is missing, unknown or malformed.
    """
    unknown = set(values) - set(_ATTRS)
    if unknown:
        raise ValueError(f"unknown QR fields: {sorted(unknown)}; known: {list(_ATTRS)}")
    merged: dict[str, Any] = dict(_BUILD_DEFAULTS)
    if payload is not None:
        merged.update({k: v for k, v in payload.values().items() if v is not None})
    merged.update({k: v for k, v in values.items() if v is not None})
    absent = [name for name in _REQUIRED_TO_BUILD if merged.get(name) is None]
    if absent:
        raise ValueError(f"missing QR fields: {absent}")

    fecha = merged["fecha"]
    if isinstance(fecha, str):
        fecha = _to_date(fecha)
    if not isinstance(fecha, dt.date):
        raise ValueError(f"fecha must be a date, got {fecha!r}")
    parts: list[str] = []
    for key, attr in QR_FIELDS:
        value = merged.get(attr)
        if value is None:
            continue
        if attr == "fecha":
            literal = json.dumps(fecha.isoformat())
        elif attr == "cuit":
            literal = str(int(_to_cuit(value)))
        elif attr == "cod_aut":
            literal = _json_number_or_string(_to_cod_aut(value))  # a CAE with leading zeros stays a string
        elif attr in {"importe", "ctz"}:
            literal = format(_to_decimal(value), "f")
        elif attr in {"ver", "pto_vta", "tipo_cmp", "nro_cmp", "tipo_doc_rec"}:
            literal = str(_to_int(value))
        elif attr == "moneda":
            literal = json.dumps(_to_currency(value))
        elif attr == "tipo_cod_aut":
            literal = json.dumps(_to_cod_aut_type(value))
        else:  # nro_doc_rec
            literal = _json_number_or_string(value)
        parts.append(f'"{key}":{literal}')
    body = "{" + ",".join(parts) + "}"
    encoded = base64.b64encode(body.encode("utf-8")).decode("ascii")
    prefix = host if host.endswith("p=") else host + "?p="
    return prefix + encoded
