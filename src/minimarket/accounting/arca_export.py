"""Read ARCA's "Mis Comprobantes Recibidos" export (CSV or XLSX) into one :class:`ArcaRow` per invoice.

ARCA has changed the file over the years; columns are found by their header names, whatever their order:

- **G1** (until late 2023): ``,``-separated, every cell quoted, decimal point ("1234.56"), ``Fecha`` as
  dd/mm/aaaa, ``Tipo`` as "1 - Factura A", zero-padded numbers, ``Tipo Doc. Emisor`` as "CUIT", one ``IVA``
  column and no ``Otros Tributos``;
- **G2** (late 2023 to mid 2025): ``;``-separated, ``Fecha de Emisión`` as aaaa-mm-dd, ``Tipo de Comprobante`` as
  a code, decimal comma ("1234,56"), currency ``PES``/``DOL``, one ``Imp. Neto Gravado`` and one ``IVA`` column,
  ``Otros Tributos``;
- **G3** (from late 2025): like G2 with ``Tipo Doc. Receptor``/``Nro. Doc. Receptor``, currency ``$``/``USD``, and
  the net and VAT per rate (``Imp. Neto Gravado IVA 21%``, ``IVA 21%``…) plus ``Imp. Neto Gravado Total`` and
  ``Total IVA``; B and C invoices carry only their total.

The XLSX download has the same columns under a title row. Variants seen in the wild are accepted too: "del
Emisor" in the headers, thousands separators, a file re-saved by a spreadsheet (dates as d/m/aaaa, a CAE in
scientific notation — kept as unreadable rather than guessed). Amounts are read with the file's own number
convention (:func:`minimarket.domain.numbers.detect_number_format` over all its amount cells).

Reading is all or nothing: :class:`ArcaExportError` says, in Spanish, what is wrong (not such an export, which
columns are missing, or every bad cell with its row and column) and what is accepted.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from minimarket.domain.afip import DOCUMENT_TYPES, RECEIVER_DOC_TYPES, VALID_VAT_RATES
from minimarket.domain.cuit import InvalidCuit, normalize_cuit
from minimarket.domain.money import to_cents
from minimarket.domain.numbers import NumberFormat, detect_number_format, parse_amount

__all__ = [
    "MAX_EXPORT_BYTES",
    "MAX_EXPORT_ROWS",
    "ArcaExport",
    "ArcaExportError",
    "ArcaRow",
    "FiscalKey",
    "read_export",
    "read_export_bytes",
]

MAX_EXPORT_BYTES = 30 * 1024 * 1024
"""A year of a busy shop's received invoices is well under a megabyte."""
MAX_EXPORT_ROWS = 200_000
MAX_REPORTED_ERRORS = 20

Generation = Literal["G1", "G2", "G3"]

FiscalKey = tuple[str, int, int, int]
"""(issuer CUIT, AFIP document code, point of sale, number): one invoice."""


@dataclass(frozen=True)
class ArcaRow:
    """One invoice as ARCA lists it. Amounts are as ARCA shows them (original currency); ``None`` is an empty cell
    (or a column this generation does not have)."""

    line: int
    """Row of the file (CSV: line number with the header as 1; XLSX: the sheet's row number)."""
    issue_date: dt.date
    afip_code: int
    point_of_sale: int
    number: int
    number_to: int
    cae: str | None
    issuer_doc_type: int
    issuer_cuit: str
    issuer_name: str
    currency: str
    exchange_rate: Decimal
    total: Decimal
    net_taxed: Decimal | None = None
    net_untaxed: Decimal | None = None
    exempt: Decimal | None = None
    other_taxes: Decimal | None = None
    vat_total: Decimal | None = None
    vat_by_rate: dict[Decimal, tuple[Decimal | None, Decimal | None]] | None = None
    """G3 only: rate (percent) → (net taxed at that rate, VAT at that rate); ``None`` when every rate cell of the
    row is empty (or the file has no such columns)."""
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> FiscalKey:
        return (self.issuer_cuit, self.afip_code, self.point_of_sale, self.number)

    @property
    def discriminates_vat(self) -> bool:
        doc = DOCUMENT_TYPES.get(self.afip_code)
        return doc is not None and doc.discriminates_vat

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (money as decimal strings, dates as AAAA-MM-DD)."""
        out: dict[str, Any] = {
            "line": self.line,
            "issue_date": self.issue_date.isoformat(),
            "afip_code": self.afip_code,
            "point_of_sale": self.point_of_sale,
            "number": self.number,
            "number_to": self.number_to,
            "cae": self.cae,
            "issuer_doc_type": self.issuer_doc_type,
            "issuer_cuit": self.issuer_cuit,
            "issuer_name": self.issuer_name,
            "currency": self.currency,
            "exchange_rate": format(self.exchange_rate.normalize(), "f"),
            "total": str(self.total),
        }
        for name in ("net_taxed", "net_untaxed", "exempt", "other_taxes", "vat_total"):
            value = getattr(self, name)
            out[name] = None if value is None else str(value)
        if self.vat_by_rate is not None:
            out["vat_by_rate"] = {
                format(rate.normalize(), "f"): {
                    "base": None if base is None else str(base),
                    "amount": None if amount is None else str(amount),
                }
                for rate, (base, amount) in sorted(self.vat_by_rate.items())
            }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class ArcaExport:
    """A whole export: its rows and how the file was written."""

    rows: list[ArcaRow]
    generation: Generation
    number_format: NumberFormat
    file_type: Literal["csv", "xlsx"]
    file_name: str
    sha256: str
    notes: list[str] = field(default_factory=list)

    @property
    def first_date(self) -> dt.date | None:
        return min((row.issue_date for row in self.rows), default=None)

    @property
    def last_date(self) -> dt.date | None:
        return max((row.issue_date for row in self.rows), default=None)

    def summary(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "file_type": self.file_type,
            "generation": self.generation,
            "number_format": self.number_format,
            "rows": len(self.rows),
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "notes": self.notes,
        }


class ArcaExportError(ValueError):
    """A file that is not a usable "Mis Comprobantes Recibidos" export; the message is Spanish."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:MAX_REPORTED_ERRORS])
        more = len(self.problems) - MAX_REPORTED_ERRORS
        tail = f"\n  … y {more} problemas más" if more > 0 else ""
        super().__init__(message + (f"\n{shown}{tail}" if shown else ""))


# --- headers ------------------------------------------------------------------------------------------------------

_WHAT_IS_ACCEPTED = (
    "se acepta el archivo «Mis Comprobantes Recibidos» que descarga ARCA (CSV o XLSX, con sus columnas Fecha de "
    "Emisión, Tipo de Comprobante, Punto de Venta, Número Desde, Nro. Doc. Emisor, Denominación Emisor, Imp. Total…)"
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "issue_date": ("fecha", "fecha de emision", "fecha emision", "fecha de comprobante"),
    "doc_type": ("tipo", "tipo de comprobante", "tipo comprobante", "tipo cbte"),
    "point_of_sale": ("punto de venta", "pto venta", "pto vta", "punto venta"),
    "number_from": ("numero desde", "nro desde", "numero de comprobante", "numero", "nro comprobante"),
    "number_to": ("numero hasta", "nro hasta"),
    "cae": ("cod autorizacion", "codigo de autorizacion", "codigo autorizacion", "cae"),
    "issuer_doc_type": ("tipo doc emisor", "tipo documento emisor", "tipo doc vendedor"),
    "issuer_doc": ("nro doc emisor", "numero doc emisor", "nro documento emisor", "cuit emisor", "nro doc vendedor"),
    "issuer_name": ("denominacion emisor", "razon social emisor", "denominacion vendedor"),
    "exchange_rate": ("tipo cambio", "tipo de cambio"),
    "currency": ("moneda", "moneda original"),
    "net_taxed": ("imp neto gravado", "imp neto gravado total", "neto gravado total", "total neto gravado"),
    "net_untaxed": ("imp neto no gravado", "neto no gravado", "importe no gravado"),
    "exempt": ("imp op exentas", "op exentas", "importe exento"),
    "other_taxes": ("otros tributos", "importe otros tributos"),
    "vat_total": ("iva", "total iva"),
    "total": ("imp total", "importe total", "total"),
    "receiver_name": ("denominacion receptor",),
}
_REQUIRED = ("issue_date", "doc_type", "point_of_sale", "number_from", "issuer_doc", "total")
_LABELS = {
    "issue_date": "Fecha de Emisión",
    "doc_type": "Tipo de Comprobante",
    "point_of_sale": "Punto de Venta",
    "number_from": "Número Desde",
    "issuer_doc": "Nro. Doc. Emisor",
    "total": "Imp. Total",
}
_LOOKUP = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_RATE_BASE = re.compile(r"^(?:imp )?neto grav(?:ado)? iva (\d+(?:[.,]\d+)?) ?%$")
_RATE_VAT = re.compile(r"^(?:importe )?iva (\d+(?:[.,]\d+)?) ?%$")
_AMOUNT_FIELDS = ("net_taxed", "net_untaxed", "exempt", "other_taxes", "vat_total", "total")


def _normalize_header(text: Any) -> str:
    """Lowercase, no accents, no punctuation other than "%", single spaces; "del Emisor" → "emisor"."""
    raw = "" if text is None else str(text)
    plain = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c)).lower()
    plain = re.sub(r"[^a-z0-9%,]+", " ", plain).replace(" ,", ",").replace(", ", " ").strip()
    plain = re.sub(r"\s+", " ", plain)
    plain = re.sub(r"\b(?:del|de la) (emisor|receptor|vendedor)\b", r"\1", plain)
    return plain.replace(" %", "%")


@dataclass(frozen=True)
class _Columns:
    """Where each field is (column index), and the per-rate columns of G3."""

    index: dict[str, int]
    rate_base: dict[Decimal, int]
    rate_vat: dict[Decimal, int]

    @property
    def generation(self) -> Generation:
        if self.rate_base or self.rate_vat:
            return "G3"
        return "G2" if "other_taxes" in self.index else "G1"


def _rate(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value in VALID_VAT_RATES else None


def _columns(header: Sequence[Any]) -> _Columns | None:
    """The columns found in ``header``, or ``None`` if it is not the header of an export."""
    index: dict[str, int] = {}
    rate_base: dict[Decimal, int] = {}
    rate_vat: dict[Decimal, int] = {}
    for position, cell in enumerate(header):
        name = _normalize_header(cell)
        if not name:
            continue
        base = _RATE_BASE.match(name)
        vat = _RATE_VAT.match(name)
        if base and (rate := _rate(base.group(1))) is not None:
            rate_base.setdefault(rate, position)
        elif vat and (rate := _rate(vat.group(1))) is not None:
            rate_vat.setdefault(rate, position)
        elif name in _LOOKUP:
            index.setdefault(_LOOKUP[name], position)
    if sum(1 for name in _REQUIRED if name in index) < 3:
        return None
    return _Columns(index, rate_base, rate_vat)


# --- cells --------------------------------------------------------------------------------------------------------


class _CellError(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE_PATTERNS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%y", "%Y%m%d")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20_000 < value < 80_000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))  # a date cell read as its serial number
    text = _text(value).split(" ")[0].split("T")[0]
    for pattern in _DATE_PATTERNS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _CellError(f"{_text(value)!r} no es una fecha; se espera aaaa-mm-dd o dd/mm/aaaa")


def _int(value: Any, what: str, high: int) -> int:
    text = _text(value)
    if isinstance(value, float) and not value.is_integer():
        raise _CellError(f"{text!r} no es un {what}")
    digits = text.replace(".", "") if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", text) else text
    if not digits.isdigit() or not 0 <= int(digits) <= high:
        raise _CellError(f"{text!r} no es un {what} (entero entre 0 y {high})")
    return int(digits)


def _doc_type(value: Any) -> int:
    """ "1", "001", "1 - Factura A" or "Factura A" → 1."""
    text = _text(value)
    match = re.match(r"^\s*0*(\d{1,3})\b", text)
    if match and int(match.group(1)) in DOCUMENT_TYPES:
        return int(match.group(1))
    wanted = _normalize_header(re.sub(r"^\s*\d+\s*-\s*", "", text))
    for code, doc in DOCUMENT_TYPES.items():
        if _normalize_header(doc.name) == wanted:
            return code
    raise _CellError(f"tipo de comprobante {text!r} desconocido; se espera el código de ARCA (1 = Factura A…)")


_DOC_NAMES = {_normalize_header(name): code for code, name in RECEIVER_DOC_TYPES.items()}
_DOC_NAMES.update({"cuit": 80, "cuil": 86, "dni": 96, "cdi": 87, "pasaporte": 94})


def _issuer_doc_type(value: Any) -> int:
    text = _text(value)
    if not text:
        return 80
    if text.isdigit() and int(text) in RECEIVER_DOC_TYPES:
        return int(text)
    found = _DOC_NAMES.get(_normalize_header(text))
    if found is None:
        raise _CellError(f"tipo de documento {text!r} desconocido (80 = CUIT)")
    return found


def _issuer_doc(value: Any, doc_type: int) -> str:
    text = _text(value)
    digits = re.sub(r"[\s.\-/]", "", text)
    if doc_type in (80, 86):
        try:
            return normalize_cuit(digits)
        except InvalidCuit:
            raise _CellError(
                f"CUIT del emisor {text!r} inválido; se esperan 11 dígitos con su dígito verificador"
            ) from None
    if not digits.isdigit():
        raise _CellError(f"documento del emisor {text!r} inválido")
    return digits


_CURRENCIES = {"$": "PES", "ars": "PES", "pes": "PES", "usd": "DOL", "us$": "DOL", "u$s": "DOL", "dol": "DOL"}


def _currency(value: Any) -> str:
    text = _text(value)
    if not text:
        return "PES"
    code = _CURRENCIES.get(text.lower())
    if code is not None:
        return code
    if re.fullmatch(r"[A-Za-z0-9]{3}", text):
        return text.upper()
    raise _CellError(f"moneda {text!r} desconocida; se espera $, PES, USD, DOL o un código de ARCA")


def _cae(value: Any) -> tuple[str | None, str | None]:
    """(CAE, note): a 14-digit code, or ``None`` with why when it cannot be read for sure."""
    if isinstance(value, float) and not value.is_integer():
        return None, "CAE en notación científica (archivo pasado por una planilla): no se compara"
    text = _text(value)
    if not text:
        return None, None
    if re.fullmatch(r"\d{14}", text):
        return text, None
    if re.search(r"[eE][+]?\d+$", text):
        return None, "CAE en notación científica (archivo pasado por una planilla): no se compara"
    raise _CellError(f"código de autorización {text!r} inválido; tiene 14 dígitos")


def _amount(value: Any, fmt: NumberFormat | None) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _CellError(f"{value!r} no es un importe")
    if isinstance(value, int | float | Decimal):
        return to_cents(value)
    try:
        return to_cents(parse_amount(_text(value), fmt))
    except ValueError:
        raise _CellError(f"{_text(value)!r} no es un importe; se espera 1234,56 o 1234.56") from None


def _rate_value(value: Any, fmt: NumberFormat | None) -> Decimal:
    if value is None or _text(value) == "":
        return Decimal(1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        return parse_amount(_text(value), fmt)
    except ValueError:
        raise _CellError(f"tipo de cambio {_text(value)!r} inválido") from None


# --- rows ---------------------------------------------------------------------------------------------------------


def _cell(cells: Sequence[Any], position: int | None) -> Any:
    if position is None or position >= len(cells):
        return None
    return cells[position]


def _row(line: int, cells: Sequence[Any], cols: _Columns, fmt: NumberFormat | None) -> tuple[ArcaRow | None, list[str]]:
    """One row, or the problems of its cells (``fila N, columna X: why``)."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    notes: list[str] = []

    def read(name: str, parse: Any, *args: Any) -> Any:
        try:
            return parse(_cell(cells, cols.index.get(name)), *args)
        except _CellError as exc:
            errors.append(f"fila {line}, columna «{_LABELS.get(name, name)}»: {exc}")
            return None

    values["issue_date"] = read("issue_date", _date)
    values["afip_code"] = read("doc_type", _doc_type)
    values["point_of_sale"] = read("point_of_sale", _int, "punto de venta", 99_999)
    values["number"] = read("number_from", _int, "número de comprobante", 99_999_999)
    number_to = read("number_to", _int, "número de comprobante", 99_999_999) if "number_to" in cols.index else None
    doc_type = read("issuer_doc_type", _issuer_doc_type)
    values["issuer_doc_type"] = doc_type
    values["issuer_cuit"] = read("issuer_doc", _issuer_doc, doc_type or 80)
    cae, cae_note = None, None
    if "cae" in cols.index:
        try:
            cae, cae_note = _cae(_cell(cells, cols.index["cae"]))
        except _CellError as exc:
            errors.append(f"fila {line}, columna «Cód. Autorización»: {exc}")
    if cae_note:
        notes.append(cae_note)
    values["currency"] = read("currency", _currency)
    values["exchange_rate"] = read("exchange_rate", _rate_value, fmt)
    for name in _AMOUNT_FIELDS:
        values[name] = read(name, _amount, fmt) if name in cols.index else None
    by_rate: dict[Decimal, tuple[Decimal | None, Decimal | None]] | None = None
    if cols.rate_base or cols.rate_vat:
        by_rate = {}
        for rate in sorted(set(cols.rate_base) | set(cols.rate_vat)):
            try:
                base = _amount(_cell(cells, cols.rate_base.get(rate)), fmt)
                vat = _amount(_cell(cells, cols.rate_vat.get(rate)), fmt)
            except _CellError as exc:
                errors.append(f"fila {line}, columnas de IVA {format(rate, 'f')} %: {exc}")
                continue
            if base is not None or vat is not None:
                by_rate[rate] = (base, vat)
        by_rate = by_rate or None  # every rate cell empty: the row says nothing per rate
    if values["total"] is None and not errors:
        errors.append(f"fila {line}, columna «Imp. Total»: vacía; cada comprobante tiene su total")
    if errors:
        return None, errors
    name = _text(_cell(cells, cols.index.get("issuer_name")))
    return (
        ArcaRow(
            line=line,
            issue_date=values["issue_date"],
            afip_code=values["afip_code"],
            point_of_sale=values["point_of_sale"],
            number=values["number"],
            number_to=number_to if number_to is not None else values["number"],
            cae=cae,
            issuer_doc_type=values["issuer_doc_type"],
            issuer_cuit=values["issuer_cuit"],
            issuer_name=" ".join(name.split()),
            currency=values["currency"],
            exchange_rate=values["exchange_rate"],
            total=values["total"],
            net_taxed=values["net_taxed"],
            net_untaxed=values["net_untaxed"],
            exempt=values["exempt"],
            other_taxes=values["other_taxes"],
            vat_total=values["vat_total"],
            vat_by_rate=by_rate,
            notes=tuple(notes),
        ),
        [],
    )


def _amount_samples(rows: Iterable[tuple[int, Sequence[Any]]], cols: _Columns) -> list[str]:
    positions = [cols.index[name] for name in _AMOUNT_FIELDS if name in cols.index]
    positions += list(cols.rate_base.values()) + list(cols.rate_vat.values())
    if "exchange_rate" in cols.index:
        positions.append(cols.index["exchange_rate"])
    return [cell for _, cells in rows for p in positions if isinstance(cell := _cell(cells, p), str) and cell.strip()]


def _parse_table(
    table: list[tuple[int, list[Any]]], file_name: str, sha256: str, file_type: Literal["csv", "xlsx"]
) -> ArcaExport:
    """The export in ``table`` ((row number, cells) pairs, title rows included)."""
    found = next(((at, c) for at, (_, cells) in enumerate(table[:15]) if (c := _columns(cells)) is not None), None)
    if found is None:
        raise ArcaExportError(f"{file_name} no es una exportación de Mis Comprobantes: {_WHAT_IS_ACCEPTED}.")
    position, cols = found
    if "receiver_name" in cols.index and "issuer_name" not in cols.index:
        raise ArcaExportError(
            f"{file_name} es «Mis Comprobantes Emitidos» (las ventas del comercio); para conciliar las compras "
            "descargue «Mis Comprobantes Recibidos»."
        )
    missing = [_LABELS[name] for name in _REQUIRED if name not in cols.index]
    if missing:
        raise ArcaExportError(
            f"{file_name}: faltan las columnas {', '.join(missing)}; {_WHAT_IS_ACCEPTED}.",
        )
    body = [(line, cells) for line, cells in table[position + 1 :] if any(_text(c) for c in cells)]
    if len(body) > MAX_EXPORT_ROWS:
        raise ArcaExportError(f"{file_name} tiene {len(body)} filas; el máximo es {MAX_EXPORT_ROWS}.")
    fmt = detect_number_format(_amount_samples(body, cols))
    rows: list[ArcaRow] = []
    problems: list[str] = []
    for line, cells in body:
        row, errors = _row(line, cells, cols, fmt)
        if row is not None:
            rows.append(row)
        problems.extend(errors)
    if problems:
        count = len(problems)
        raise ArcaExportError(
            f"{file_name}: {count} {'problema' if count == 1 else 'problemas'}; no se concilió nada", problems
        )
    notes = sorted({note for row in rows for note in row.notes})
    return ArcaExport(rows, cols.generation, fmt or "ar", file_type, file_name, sha256, notes)


# --- files --------------------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_table(data: bytes) -> list[tuple[int, list[Any]]]:
    text = _decode(data)
    if "\x00" in text:
        raise ArcaExportError("el archivo no es texto (CSV) ni una planilla XLSX: " + _WHAT_IS_ACCEPTED + ".")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table: list[tuple[int, list[Any]]] = []
    try:
        for cells in reader:
            table.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ArcaExportError(f"el CSV está mal formado cerca de la línea {reader.line_num}: {exc}") from None
    return table


def _xlsx_table(data: bytes) -> list[tuple[int, list[Any]]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ArcaExportError(f"la planilla XLSX no se puede abrir ({exc}): {_WHAT_IS_ACCEPTED}.") from None
    try:
        sheet = workbook.worksheets[0]
        table: list[tuple[int, list[Any]]] = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            table.append((number, list(cells)))
            if number > MAX_EXPORT_ROWS + 20:
                break
        return table
    finally:
        workbook.close()


def _too_big(file_name: str, size: int) -> str:
    mb = f"{size / 1e6:.1f}".replace(".", ",")
    return f"{file_name} pesa {mb} MB; el máximo es {MAX_EXPORT_BYTES // 1_000_000} MB."


def read_export_bytes(data: bytes, file_name: str = "export") -> ArcaExport:
    """Read an export from its bytes (CSV or XLSX, told apart by content, not by name)."""
    if len(data) > MAX_EXPORT_BYTES:
        raise ArcaExportError(_too_big(file_name, len(data)))
    if not data.strip():
        raise ArcaExportError(f"{file_name} está vacío: {_WHAT_IS_ACCEPTED}.")
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ArcaExportError(f"{file_name} es una planilla XLS antigua; guárdela como XLSX o CSV y vuelva a intentar.")
    if data.startswith(b"PK\x03\x04"):
        return _parse_table(_xlsx_table(data), file_name, sha, "xlsx")
    if data.startswith(b"%PDF"):
        raise ArcaExportError(f"{file_name} es un PDF: {_WHAT_IS_ACCEPTED}.")
    return _parse_table(_csv_table(data), file_name, sha, "csv")


def read_export(path: Path | str) -> ArcaExport:
    """Read the export at ``path``; :class:`ArcaExportError` if it cannot be used."""
    file = Path(path)
    if not file.is_file():
        raise ArcaExportError(f"no existe el archivo {file}")
    size = file.stat().st_size
    if size > MAX_EXPORT_BYTES:
        raise ArcaExportError(_too_big(file.name, size))
    return read_export_bytes(file.read_bytes(), file.name)
