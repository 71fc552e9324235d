"""Synthetic ARCA "Mis Comprobantes Recibidos" exports: what ARCA lists for a set of invoices, written as each
generation of the file (G1, G2, G3) in CSV or XLSX, with planted cases (missing, extra, altered and duplicated
rows) for testing and measuring the reconciliation."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from minimarket.accounting.arca_export import ArcaRow, FiscalKey, Generation
from minimarket.domain.afip import DOCUMENT_TYPES
from minimarket.domain.invoice import Invoice
from minimarket.domain.numbers import NumberFormat, format_amount

__all__ = [
    "G1_HEADER",
    "G2_HEADER",
    "G3_HEADER",
    "PlantedCase",
    "export_bytes",
    "plant_cases",
    "row_from_invoice",
    "write_export",
]

G1_HEADER = (
    "Fecha",
    "Tipo",
    "Punto de Venta",
    "Número Desde",
    "Número Hasta",
    "Cód. Autorización",
    "Tipo Doc. Emisor",
    "Nro. Doc. Emisor",
    "Denominación Emisor",
    "Tipo Cambio",
    "Moneda",
    "Imp. Neto Gravado",
    "Imp. Neto No Gravado",
    "Imp. Op. Exentas",
    "IVA",
    "Imp. Total",
)
G2_HEADER = (
    "Fecha de Emisión",
    "Tipo de Comprobante",
    "Punto de Venta",
    "Número Desde",
    "Número Hasta",
    "Cód. Autorización",
    "Tipo Doc. Emisor",
    "Nro. Doc. Emisor",
    "Denominación Emisor",
    "Tipo Cambio",
    "Moneda",
    "Imp. Neto Gravado",
    "Imp. Neto No Gravado",
    "Imp. Op. Exentas",
    "Otros Tributos",
    "IVA",
    "Imp. Total",
)
_G3_RATES = (Decimal("2.5"), Decimal("5"), Decimal("10.5"), Decimal("21"), Decimal("27"))


def _g3_rate_titles() -> list[str]:
    titles = []
    for rate in _G3_RATES:
        label = format(rate, "f").replace(".", ",")
        titles += [f"IVA {label}%", f"Imp. Neto Gravado IVA {label}%"]
    return titles


G3_HEADER = (
    "Fecha de Emisión",
    "Tipo de Comprobante",
    "Punto de Venta",
    "Número Desde",
    "Número Hasta",
    "Cód. Autorización",
    "Tipo Doc. Emisor",
    "Nro. Doc. Emisor",
    "Denominación Emisor",
    "Tipo Doc. Receptor",
    "Nro. Doc. Receptor",
    "Tipo Cambio",
    "Moneda",
    "Imp. Neto Gravado IVA 0%",
    *_g3_rate_titles(),
    "Imp. Neto Gravado Total",
    "Imp. Neto No Gravado",
    "Imp. Op. Exentas",
    "Otros Tributos",
    "Total IVA",
    "Imp. Total",
)
ZERO = Decimal(0)


def row_from_invoice(invoice: Invoice, line: int = 0) -> ArcaRow:
    """The row ARCA lists for ``invoice`` (its ground truth): every amount of an A or M invoice, only the total and
    other taxes of a B or C one."""
    if invoice.afip_code is None or invoice.issue_date is None or invoice.total is None:
        raise ValueError("an ARCA row needs the invoice's type, date and total")
    doc = DOCUMENT_TYPES[invoice.afip_code]
    other = sum((tax.amount for tax in invoice.other_taxes), ZERO)
    by_rate: dict[Decimal, tuple[Decimal | None, Decimal | None]] = {}
    if doc.discriminates_vat:
        for vat in invoice.vat:
            rate = Decimal(vat.rate).normalize()
            base, amount = by_rate.get(rate, (ZERO, ZERO))
            by_rate[rate] = ((base or ZERO) + vat.base, (amount or ZERO) + vat.amount)
    discriminated = doc.discriminates_vat
    return ArcaRow(
        line=line,
        issue_date=invoice.issue_date,
        afip_code=invoice.afip_code,
        point_of_sale=int(invoice.point_of_sale or 0),
        number=int(invoice.number or 0),
        number_to=int(invoice.number or 0),
        cae=invoice.cae,
        issuer_doc_type=80,
        issuer_cuit=str(invoice.issuer_cuit),
        issuer_name=invoice.issuer_name or "",
        currency=invoice.currency or "PES",
        exchange_rate=Decimal(invoice.exchange_rate or 1),
        total=invoice.total,
        net_taxed=(invoice.net_amount or ZERO) if discriminated else ZERO,
        net_untaxed=(invoice.untaxed_amount or ZERO) if discriminated else ZERO,
        exempt=(invoice.exempt_amount or ZERO) if discriminated else ZERO,
        other_taxes=other,
        vat_total=invoice.vat_total if discriminated else ZERO,
        vat_by_rate=by_rate,
    )


# --- planting -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantedCase:
    """A case planted in an export: which list of the report must find it, for which key."""

    kind: Literal["missing_in_arca", "missing_in_store", "amount_mismatch", "duplicates"]
    key: FiscalKey
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        cuit, code, pos, number = self.key
        return {
            "kind": self.kind,
            "issuer_cuit": cuit,
            "afip_code": code,
            "point_of_sale": pos,
            "number": number,
            "field": self.field,
        }


def _alter(row: ArcaRow, rng: random.Random) -> tuple[ArcaRow, str]:
    """The row with one amount changed as a supplier's different report would: the total, or (A/M) the VAT."""
    delta = Decimal(rng.randint(100, 5000)) + Decimal(rng.randint(0, 99)) / 100
    if row.discriminates_vat and row.vat_by_rate and rng.random() < 0.5:
        rate = max(row.vat_by_rate, key=lambda r: (row.vat_by_rate or {})[r][1] or ZERO)
        base, amount = row.vat_by_rate[rate]
        rates = dict(row.vat_by_rate)
        rates[rate] = (base, (amount or ZERO) + delta)
        return (
            dataclasses.replace(
                row, vat_by_rate=rates, vat_total=(row.vat_total or ZERO) + delta, total=row.total + delta
            ),
            "vat_total",
        )
    return dataclasses.replace(row, total=row.total + delta), "total"


def plant_cases(
    rows: Sequence[ArcaRow],
    extra: Sequence[ArcaRow],
    rng: random.Random,
    *,
    missing: int = 2,
    altered: int = 2,
    duplicated: int = 2,
) -> tuple[list[ArcaRow], list[PlantedCase]]:
    """The rows of the stored invoices with planted cases: ``missing`` rows taken out (the invoice is loaded, ARCA
    does not list it), every row of ``extra`` added (ARCA lists invoices never loaded), ``altered`` rows with a
    different amount and ``duplicated`` rows listed twice. Each case involves a different invoice."""
    needed = missing + altered + duplicated
    if needed > len(rows):
        raise ValueError(f"{needed} planted cases need at least {needed} rows, got {len(rows)}")
    chosen = rng.sample(range(len(rows)), needed)
    gone = set(chosen[:missing])
    changed = set(chosen[missing : missing + altered])
    twice = set(chosen[missing + altered :])
    planted: list[PlantedCase] = []
    out: list[ArcaRow] = []
    for index, row in enumerate(rows):
        if index in gone:
            planted.append(PlantedCase("missing_in_arca", row.key))
            continue
        if index in changed:
            row, name = _alter(row, rng)
            planted.append(PlantedCase("amount_mismatch", row.key, name))
        out.append(row)
        if index in twice:
            out.append(row)
            planted.append(PlantedCase("duplicates", row.key))
    for row in extra:
        out.insert(rng.randrange(len(out) + 1), row)
        planted.append(PlantedCase("missing_in_store", row.key))
    return out, planted


# --- writing ------------------------------------------------------------------------------------------------------


def _amount(value: Decimal | None, fmt: NumberFormat, grouping: bool) -> str:
    return "" if value is None else format_amount(value, fmt, 2, grouping)


def _rate(value: Decimal, fmt: NumberFormat) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if fmt == "ar" else text


def _cells(
    row: ArcaRow, generation: Generation, fmt: NumberFormat, grouping: bool, receiver_cuit: str | None = None
) -> list[Any]:
    doc = DOCUMENT_TYPES[row.afip_code]

    def money(value: Decimal | None) -> str:
        return _amount(value, fmt, grouping)

    if generation == "G1":
        return [
            row.issue_date.strftime("%d/%m/%Y"),
            f"{row.afip_code} - {doc.name}",
            f"{row.point_of_sale:05d}",
            f"{row.number:08d}",
            f"{row.number_to:08d}",
            row.cae or "",
            "CUIT",
            row.issuer_cuit,
            row.issuer_name,
            _rate(row.exchange_rate, fmt),
            "$" if row.currency == "PES" else row.currency,
            money(row.net_taxed),
            money(row.net_untaxed),
            money(row.exempt),
            money(row.vat_total),
            money(row.total),
        ]
    head = [
        row.issue_date.isoformat(),
        row.afip_code,
        row.point_of_sale,
        row.number,
        row.number_to,
        row.cae or "",
        row.issuer_doc_type,
        row.issuer_cuit,
        row.issuer_name,
    ]
    if generation == "G2":
        return [
            *head,
            _rate(row.exchange_rate, fmt),
            row.currency,
            money(row.net_taxed),
            money(row.net_untaxed),
            money(row.exempt),
            money(row.other_taxes),
            money(row.vat_total),
            money(row.total),
        ]
    currency = {"PES": "$", "DOL": "USD"}.get(row.currency, row.currency)
    if not row.discriminates_vat:
        amounts = [money(ZERO)] * 14 + [money(row.other_taxes), money(ZERO)]
    else:
        rates = row.vat_by_rate or {}
        amounts = [money(rates.get(ZERO, (None, None))[0])]
        for rate in _G3_RATES:
            base, vat = rates.get(rate, (None, None))
            amounts += [money(vat), money(base)]
        amounts += [
            money(row.net_taxed),
            money(row.net_untaxed),
            money(row.exempt),
            money(row.other_taxes),
            money(row.vat_total),
        ]
    return [*head, 80, receiver_cuit or "", _rate(row.exchange_rate, fmt), currency, *amounts, money(row.total)]


_HEADERS: dict[str, Sequence[str]] = {"G1": G1_HEADER, "G2": G2_HEADER, "G3": G3_HEADER}


def _csv(
    rows: Iterable[ArcaRow], generation: Generation, fmt: NumberFormat, grouping: bool, receiver_cuit: str | None
) -> bytes:
    buffer = io.StringIO()
    if generation == "G1":
        writer = csv.writer(buffer, delimiter=",", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(G1_HEADER)
        writer.writerows(_cells(row, generation, fmt, grouping, receiver_cuit) for row in rows)
        return buffer.getvalue().encode("utf-8")
    buffer.write(";".join(f'"{title}"' for title in _HEADERS[generation]) + "\n")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerows(_cells(row, generation, fmt, grouping, receiver_cuit) for row in rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Any, title: str) -> Any:
    """Numbers and dates as spreadsheet cells (as ARCA's XLSX has them), text as text."""
    if isinstance(value, str) and value:
        if title.startswith("Fecha"):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return dt.datetime.strptime(value, "%d/%m/%Y").date()
        if title.startswith(("Imp.", "IVA", "Otros", "Total", "Tipo Cambio")):
            return float(Decimal(value.replace(".", "").replace(",", ".")) if "," in value else Decimal(value))
    return value


def _xlsx(rows: Iterable[ArcaRow], generation: Generation, receiver_cuit: str | None) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Recibidos"
    header = list(_HEADERS[generation])
    title = "Mis Comprobantes Recibidos" + (f" - CUIT {receiver_cuit}" if receiver_cuit else "")
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        cells = _cells(row, generation, "ar", False, receiver_cuit)
        sheet.append([_xlsx_value(value, name) for value, name in zip(cells, header, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_bytes(
    rows: Iterable[ArcaRow],
    *,
    generation: Generation = "G3",
    file_type: Literal["csv", "xlsx"] = "csv",
    number_format: NumberFormat | None = None,
    grouping: bool = False,
    receiver_cuit: str | None = None,
) -> bytes:
    """The export's bytes as ARCA writes that generation: G1 with a decimal point, G2 and G3 with a decimal comma
    (``number_format`` overrides it; ``grouping`` adds thousands separators, as a re-saved file may have)."""
    if generation not in _HEADERS:
        raise ValueError(f"unknown generation {generation!r}; use G1, G2 or G3")
    if file_type == "xlsx":
        return _xlsx(rows, generation, receiver_cuit)
    fmt: NumberFormat = number_format or ("us" if generation == "G1" else "ar")
    return _csv(rows, generation, fmt, grouping, receiver_cuit)


def write_export(path: Path | str, rows: Iterable[ArcaRow], **options: Any) -> Path:
    """Write :func:`export_bytes` to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(export_bytes(rows, **options))
    return target
