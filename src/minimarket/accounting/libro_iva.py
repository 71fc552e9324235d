"""Libro IVA Digital (RG 4597), purchases: the two fixed-width files ARCA imports, written from the stored invoices.

Record design (ARCA's "Libro IVA Digital — Diseño de registros", the REGINFO_CV design of RG 3685 it took over):

``LIBRO_IVA_DIGITAL_COMPRAS_CBTE`` — one 325-character record per invoice:

====  =====================================================  =====  ==============================
 #    field                                                  width  content
====  =====================================================  =====  ==============================
 1    Fecha de comprobante                                       8  AAAAMMDD
 2    Tipo de comprobante                                        3  ARCA table (001 Factura A…)
 3    Punto de venta                                             5  zero padded
 4    Número de comprobante                                     20  zero padded
 5    Despacho de importación                                   16  blank (not an import)
 6    Código de documento del vendedor                           2  80 = CUIT
 7    Número de identificación del vendedor                     20  zero padded
 8    Apellido y nombre o denominación del vendedor             30  left aligned, space padded
 9    Importe total de la operación                             15  amount
 10   Importe de conceptos que no integran el neto gravado      15  amount (no gravado)
 11   Importe de operaciones exentas                            15  amount
 12   Importe de percepciones o pagos a cuenta de IVA           15  amount
 13   Importe de percepciones o pagos a cuenta de otros
      impuestos nacionales                                      15  amount (ganancias…)
 14   Importe de percepciones de Ingresos Brutos                15  amount
 15   Importe de percepciones de impuestos municipales          15  amount
 16   Importe de impuestos internos                             15  amount
 17   Código de moneda                                           3  PES, DOL…
 18   Tipo de cambio                                            10  4 integers + 6 decimals
 19   Cantidad de alícuotas de IVA                               1  records in the alícuotas file
 20   Código de operación                                        1  0 / E exentas / N no gravado
 21   Crédito fiscal computable                                 15  amount (VAT of A and M)
 22   Otros tributos                                            15  amount
 23   CUIT emisor/corredor                                      11  zeros (no broker)
 24   Denominación del emisor/corredor                          30  blank
 25   IVA comisión                                              15  zeros
====  =====================================================  =====  ==============================

``LIBRO_IVA_DIGITAL_COMPRAS_ALICUOTAS`` — one 84-character record per VAT rate of each invoice that discriminates
VAT (classes A and M; an A with no VAT line gets one 0 % record): tipo (3), punto de venta (5), número (20),
código de documento del vendedor (2), número de identificación del vendedor (20), neto gravado (15), alícuota
(4, ARCA's VAT table: 0003 = 0 %, 0004 = 10,5 %, 0005 = 21 %, 0006 = 27 %, 0008 = 5 %, 0009 = 2,5 %) and impuesto
liquidado (15). B and C invoices do not discriminate VAT: no alícuota records, count 0, no fiscal credit.

Amounts are 15 digits (13 integers and 2 decimals), without separator, positive — a credit note is told by its
type (003, 008, 013, 203…) — and in pesos (an invoice in another currency is converted at its exchange rate,
which is also reported). Lines end in CRLF; the text is ISO-8859-1. Other taxes go to their fields:
percepciones de IVA (12), de Ganancias (13), de Ingresos Brutos (14), impuestos internos (16), the rest (22).

Only accepted invoices are written; invoices still in review are listed apart (``pending``), as are accepted
ones that cannot be written (no CUIT, no number…), with the reason.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

from minimarket.accounting.periods import Period
from minimarket.domain.afip import DOCUMENT_TYPES, vat_aliquot_id
from minimarket.domain.invoice import ExtractedInvoice, TaxKind

__all__ = [
    "ALICUOTAS_FILE",
    "ALICUOTAS_RECORD",
    "CBTE_FILE",
    "CBTE_RECORD",
    "ENCODING",
    "BookEntry",
    "FieldSpec",
    "LibroIvaError",
    "PurchasesBook",
    "format_record",
    "parse_record",
    "purchases_book",
    "read_book",
    "write_book",
]

ENCODING = "iso-8859-1"
CBTE_FILE = "LIBRO_IVA_DIGITAL_COMPRAS_CBTE.txt"
ALICUOTAS_FILE = "LIBRO_IVA_DIGITAL_COMPRAS_ALICUOTAS.txt"
EOL = "\r\n"

Kind = Literal["date", "num", "text", "amount", "rate", "code"]


class LibroIvaError(ValueError):
    """A value that does not fit its field, or a file that does not follow the record design."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record: its name, width, kind and ARCA's label."""

    name: str
    width: int
    kind: Kind
    label: str


CBTE_RECORD: tuple[FieldSpec, ...] = (
    FieldSpec("issue_date", 8, "date", "Fecha de comprobante"),
    FieldSpec("afip_code", 3, "num", "Tipo de comprobante"),
    FieldSpec("point_of_sale", 5, "num", "Punto de venta"),
    FieldSpec("number", 20, "num", "Número de comprobante"),
    FieldSpec("import_dispatch", 16, "text", "Despacho de importación"),
    FieldSpec("seller_doc_type", 2, "num", "Código de documento del vendedor"),
    FieldSpec("seller_doc", 20, "num", "Número de identificación del vendedor"),
    FieldSpec("seller_name", 30, "text", "Apellido y nombre o denominación del vendedor"),
    FieldSpec("total", 15, "amount", "Importe total de la operación"),
    FieldSpec("untaxed", 15, "amount", "Importe total de conceptos que no integran el precio neto gravado"),
    FieldSpec("exempt", 15, "amount", "Importe de operaciones exentas"),
    FieldSpec("vat_perceptions", 15, "amount", "Importe de percepciones o pagos a cuenta del IVA"),
    FieldSpec("national_perceptions", 15, "amount", "Importe de percepciones o pagos a cuenta de otros imp. nac."),
    FieldSpec("iibb_perceptions", 15, "amount", "Importe de percepciones de Ingresos Brutos"),
    FieldSpec("municipal_perceptions", 15, "amount", "Importe de percepciones de impuestos municipales"),
    FieldSpec("internal_taxes", 15, "amount", "Importe de impuestos internos"),
    FieldSpec("currency", 3, "code", "Código de moneda"),
    FieldSpec("exchange_rate", 10, "rate", "Tipo de cambio"),
    FieldSpec("vat_count", 1, "num", "Cantidad de alícuotas de IVA"),
    FieldSpec("operation_code", 1, "code", "Código de operación"),
    FieldSpec("fiscal_credit", 15, "amount", "Crédito fiscal computable"),
    FieldSpec("other_taxes", 15, "amount", "Otros tributos"),
    FieldSpec("broker_cuit", 11, "num", "CUIT emisor/corredor"),
    FieldSpec("broker_name", 30, "text", "Denominación del emisor/corredor"),
    FieldSpec("commission_vat", 15, "amount", "IVA comisión"),
)
"""The 25 fields (325 characters) of ``LIBRO_IVA_DIGITAL_COMPRAS_CBTE``."""

ALICUOTAS_RECORD: tuple[FieldSpec, ...] = (
    FieldSpec("afip_code", 3, "num", "Tipo de comprobante"),
    FieldSpec("point_of_sale", 5, "num", "Punto de venta"),
    FieldSpec("number", 20, "num", "Número de comprobante"),
    FieldSpec("seller_doc_type", 2, "num", "Código de documento del vendedor"),
    FieldSpec("seller_doc", 20, "num", "Número de identificación del vendedor"),
    FieldSpec("net_taxed", 15, "amount", "Importe neto gravado"),
    FieldSpec("vat_aliquot", 4, "num", "Alícuota de IVA"),
    FieldSpec("vat_amount", 15, "amount", "Impuesto liquidado"),
)
"""The 8 fields (84 characters) of ``LIBRO_IVA_DIGITAL_COMPRAS_ALICUOTAS``."""

CBTE_WIDTH = sum(f.width for f in CBTE_RECORD)
ALICUOTAS_WIDTH = sum(f.width for f in ALICUOTAS_RECORD)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


# --- one record ---------------------------------------------------------------------------------------------------


def _ascii_latin1(text: str) -> str:
    """``text`` in ISO-8859-1 (accents kept when the encoding has them, others decomposed or dropped)."""
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
            out.append(char if char.isprintable() else " ")
        except UnicodeEncodeError:
            plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(plain if plain.isascii() and plain.isprintable() else " ")
    return "".join(out)


def _format(spec: FieldSpec, value: Any) -> str:
    width = spec.width
    if spec.kind == "date":
        if not isinstance(value, dt.date):
            raise LibroIvaError(f"{spec.label}: se esperaba una fecha, no {value!r}")
        return value.strftime("%Y%m%d")
    if spec.kind == "num":
        text = str(int(value))
        if int(value) < 0 or len(text) > width:
            raise LibroIvaError(f"{spec.label}: {value!r} no cabe en {width} dígitos")
        return text.rjust(width, "0")
    if spec.kind == "amount":
        cents = int((Decimal(value) / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        text = "-" + str(-cents).rjust(width - 1, "0") if cents < 0 else str(cents).rjust(width, "0")
        if len(text) > width:
            raise LibroIvaError(f"{spec.label}: {value} no cabe en {width} posiciones")
        return text
    if spec.kind == "rate":
        micros = int((Decimal(value) / MICRO).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        text = str(micros).rjust(width, "0")
        if micros < 0 or len(text) > width:
            raise LibroIvaError(f"{spec.label}: {value} no cabe en {width} posiciones (4 enteros y 6 decimales)")
        return text
    text = _ascii_latin1(str(value or ""))
    return text[:width].ljust(width)


def format_record(design: Sequence[FieldSpec], values: dict[str, Any]) -> str:
    """One fixed-width record of ``design`` (every field of ``values`` formatted to its width)."""
    missing = [spec.name for spec in design if spec.name not in values]
    if missing:
        raise LibroIvaError(f"faltan campos del registro: {', '.join(missing)}")
    return "".join(_format(spec, values[spec.name]) for spec in design)


def _parse(spec: FieldSpec, text: str) -> Any:
    if spec.kind == "date":
        return dt.datetime.strptime(text, "%Y%m%d").date()
    if spec.kind == "num":
        if not text.isdigit():
            raise LibroIvaError(f"{spec.label}: {text!r} no es numérico")
        return int(text)
    if spec.kind == "amount":
        digits = text[1:] if text.startswith("-") else text
        if not digits.isdigit():
            raise LibroIvaError(f"{spec.label}: {text!r} no es un importe")
        value = Decimal(int(digits)) * CENT
        return -value if text.startswith("-") else value
    if spec.kind == "rate":
        if not text.isdigit():
            raise LibroIvaError(f"{spec.label}: {text!r} no es un tipo de cambio")
        return (Decimal(int(text)) * MICRO).normalize()
    return text.rstrip() if spec.kind == "text" else text


def parse_record(design: Sequence[FieldSpec], line: str) -> dict[str, Any]:
    """The fields of one record (``LibroIvaError`` if its length is not the design's)."""
    width = sum(spec.width for spec in design)
    if len(line) != width:
        raise LibroIvaError(f"el registro tiene {len(line)} caracteres y el diseño {width}")
    out: dict[str, Any] = {}
    position = 0
    for spec in design:
        out[spec.name] = _parse(spec, line[position : position + spec.width])
        position += spec.width
    return out


# --- the book -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookEntry:
    """An invoice of the period and what happened to it (``written`` or why not)."""

    invoice_id: int | None
    issuer_cuit: str | None
    issuer_name: str | None
    afip_code: int | None
    point_of_sale: int | None
    number: int | None
    issue_date: dt.date | None
    total: Decimal | None
    status: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "invoice_id": self.invoice_id,
            "issuer_cuit": self.issuer_cuit,
            "issuer_name": self.issuer_name,
            "afip_code": self.afip_code,
            "point_of_sale": self.point_of_sale,
            "number": self.number,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "total": None if self.total is None else str(self.total),
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class PurchasesBook:
    """The two files' records for one period, and the invoices written, pending review or skipped."""

    period: Period
    cbte: list[str] = field(default_factory=list)
    alicuotas: list[str] = field(default_factory=list)
    written: list[BookEntry] = field(default_factory=list)
    pending: list[BookEntry] = field(default_factory=list)
    skipped: list[BookEntry] = field(default_factory=list)

    def texts(self) -> dict[str, str]:
        """File name → content (CRLF after every record)."""
        return {
            CBTE_FILE: "".join(line + EOL for line in self.cbte),
            ALICUOTAS_FILE: "".join(line + EOL for line in self.alicuotas),
        }

    def totals(self) -> dict[str, str]:
        """Sums a person checks against ARCA's own "Mis Comprobantes" (pesos)."""
        records = [parse_record(CBTE_RECORD, line) for line in self.cbte]
        return {
            "total": str(sum((r["total"] for r in records), Decimal(0))),
            "fiscal_credit": str(sum((r["fiscal_credit"] for r in records), Decimal(0))),
            "vat_perceptions": str(sum((r["vat_perceptions"] for r in records), Decimal(0))),
            "iibb_perceptions": str(sum((r["iibb_perceptions"] for r in records), Decimal(0))),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "files": [CBTE_FILE, ALICUOTAS_FILE],
            "invoices_written": len(self.written),
            "alicuota_records": len(self.alicuotas),
            "totals": self.totals(),
            "written": [e.as_dict() for e in self.written],
            "pending_review": [e.as_dict() for e in self.pending],
            "skipped": [e.as_dict() for e in self.skipped],
        }


def _entry(invoice: ExtractedInvoice, invoice_id: int | None, status: str, reason: str | None = None) -> BookEntry:
    return BookEntry(
        invoice_id,
        invoice.issuer_cuit,
        invoice.issuer_name,
        invoice.afip_code,
        invoice.point_of_sale,
        invoice.number,
        invoice.issue_date,
        invoice.total,
        status,
        reason,
    )


def _why_not(invoice: ExtractedInvoice, period: Period) -> str | None:
    if not period.contains(invoice.issue_date):
        return "fuera del período"
    missing = [
        label
        for label, value in (
            ("CUIT del emisor", invoice.issuer_cuit),
            ("tipo de comprobante", invoice.afip_code),
            ("punto de venta", invoice.point_of_sale),
            ("número", invoice.number),
            ("total", invoice.total),
        )
        if value is None
    ]
    if missing:
        return "le falta " + ", ".join(missing)
    if invoice.afip_code not in DOCUMENT_TYPES:
        return f"tipo de comprobante {invoice.afip_code} desconocido"
    for line in invoice.vat:
        try:
            vat_aliquot_id(line.rate)
        except ValueError:
            return f"alícuota de IVA {line.rate} % que ARCA no tiene"
    return None


def _taxes(invoice: ExtractedInvoice) -> dict[str, Decimal]:
    out = {name: Decimal(0) for name in ("vat", "national", "iibb", "municipal", "internal", "other")}
    for tax in invoice.other_taxes:
        amount = abs(tax.amount)
        description = (tax.description or "").lower()
        if tax.kind == TaxKind.PERCEPCION_IVA:
            out["vat"] += amount
        elif tax.kind == TaxKind.PERCEPCION_GANANCIAS:
            out["national"] += amount
        elif tax.kind == TaxKind.PERCEPCION_IIBB:
            out["iibb"] += amount
        elif tax.kind == TaxKind.IMPUESTOS_INTERNOS:
            out["internal"] += amount
        elif "municip" in description:
            out["municipal"] += amount
        else:
            out["other"] += amount
    return out


def _pesos(amount: Decimal | None, rate: Decimal) -> Decimal:
    return (abs(amount or Decimal(0)) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _vat_records(invoice: ExtractedInvoice, rate: Decimal) -> list[tuple[Decimal, int, Decimal]]:
    """(net taxed, ARCA aliquot id, VAT) per rate, for an invoice that discriminates VAT."""
    by_id: dict[int, tuple[Decimal, Decimal]] = {}
    for line in invoice.vat:
        aliquot = vat_aliquot_id(line.rate)
        base, amount = by_id.get(aliquot, (Decimal(0), Decimal(0)))
        by_id[aliquot] = (base + _pesos(line.base, rate), amount + _pesos(line.amount, rate))
    if not by_id:
        return [(Decimal(0), vat_aliquot_id(0), Decimal(0))]
    return [(base, aliquot, amount) for aliquot, (base, amount) in sorted(by_id.items())]


def _operation_code(invoice: ExtractedInvoice, discriminates: bool) -> str:
    """ARCA's operation code: ``E`` (only exempt), ``N`` (only not taxed), else ``0`` (no corresponde)."""
    if not discriminates or any(line.amount for line in invoice.vat):
        return "0"
    if invoice.exempt_amount:
        return "E"
    if invoice.untaxed_amount:
        return "N"
    return "0"


def invoice_records(invoice: ExtractedInvoice) -> tuple[str, list[str]]:
    """The comprobante record and the alícuota records of one invoice (accepted, complete)."""
    doc = DOCUMENT_TYPES[int(invoice.afip_code or 0)]
    rate = invoice.exchange_rate if invoice.currency not in (None, "PES") and invoice.exchange_rate else Decimal(1)
    discriminates = doc.discriminates_vat
    key = {
        "afip_code": doc.code,
        "point_of_sale": invoice.point_of_sale,
        "number": invoice.number,
        "seller_doc_type": 80,
        "seller_doc": int(invoice.issuer_cuit or 0),
    }
    vat = _vat_records(invoice, rate) if discriminates else []
    alicuotas = [
        format_record(ALICUOTAS_RECORD, {**key, "net_taxed": base, "vat_aliquot": aliquot, "vat_amount": amount})
        for base, aliquot, amount in vat
    ]
    taxes = _taxes(invoice)
    values = {
        **key,
        "issue_date": invoice.issue_date,
        "import_dispatch": "",
        "seller_name": invoice.issuer_name or "",
        "total": _pesos(invoice.total, rate),
        "untaxed": _pesos(invoice.untaxed_amount, rate) if discriminates else Decimal(0),
        "exempt": _pesos(invoice.exempt_amount, rate) if discriminates else Decimal(0),
        "vat_perceptions": _pesos(taxes["vat"], rate),
        "national_perceptions": _pesos(taxes["national"], rate),
        "iibb_perceptions": _pesos(taxes["iibb"], rate),
        "municipal_perceptions": _pesos(taxes["municipal"], rate),
        "internal_taxes": _pesos(taxes["internal"], rate),
        "currency": (invoice.currency or "PES")[:3],
        "exchange_rate": rate,
        "vat_count": len(alicuotas),
        "operation_code": _operation_code(invoice, discriminates),
        "fiscal_credit": sum((amount for _, _, amount in vat), Decimal(0)),
        "other_taxes": _pesos(taxes["other"], rate),
        "broker_cuit": 0,
        "broker_name": "",
        "commission_vat": Decimal(0),
    }
    if len(alicuotas) > 9:
        raise LibroIvaError("más de 9 alícuotas en un comprobante")
    return format_record(CBTE_RECORD, values), alicuotas


def purchases_book(invoices: Iterable[tuple[int | None, ExtractedInvoice]], period: Period) -> PurchasesBook:
    """The purchases book of ``period`` from ``(invoice id, invoice)`` pairs (the stored invoices' payloads with their
    status): accepted ones are written, by date then key; those in review are listed as pending."""
    book = PurchasesBook(period)
    ordered = sorted(
        invoices,
        key=lambda pair: (pair[1].issue_date or dt.date.min, pair[1].issuer_cuit or "", pair[1].number or 0),
    )
    for invoice_id, invoice in ordered:
        status = str(invoice.status)
        if not period.contains(invoice.issue_date) or status == "rejected":
            continue
        if status != "accepted":
            book.pending.append(_entry(invoice, invoice_id, status, "en revisión: confírmela para incluirla"))
            continue
        reason = _why_not(invoice, period)
        if reason is None:
            try:
                cbte, alicuotas = invoice_records(invoice)
            except LibroIvaError as exc:
                reason = str(exc)
        if reason is not None:
            book.skipped.append(_entry(invoice, invoice_id, status, reason))
            continue
        book.cbte.append(cbte)
        book.alicuotas.extend(alicuotas)
        book.written.append(_entry(invoice, invoice_id, status))
    return book


def write_book(book: PurchasesBook, out_dir: Path | str) -> list[Path]:
    """Write both files into ``out_dir`` (created if missing). Both are encoded and staged as temporary files first,
    then renamed into place: a file is never left half written, and a value that cannot be written leaves the old
    files as they were."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in book.texts().items():
            handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            with os.fdopen(handle, "wb") as stream:
                stream.write(text.encode(ENCODING))
            staged.append((Path(temp_name), folder / name))
        for staged_path, final in staged:
            os.replace(staged_path, final)
    finally:
        for staged_path, _ in staged:
            staged_path.unlink(missing_ok=True)
    return [final for _, final in staged]


def read_book(folder: Path | str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read both files back with the record design: (comprobante records, alícuota records)."""
    path = Path(folder)

    def records(name: str, design: Sequence[FieldSpec]) -> list[dict[str, Any]]:
        text = (path / name).read_bytes().decode(ENCODING)
        if text and not text.endswith(EOL):
            raise LibroIvaError(f"{name}: cada registro termina en CRLF")
        lines = text.split(EOL)[:-1] if text else []
        return [parse_record(design, line) for line in lines]

    return records(CBTE_FILE, CBTE_RECORD), records(ALICUOTAS_FILE, ALICUOTAS_RECORD)
