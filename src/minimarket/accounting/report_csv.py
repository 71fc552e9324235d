"""A reconciliation report as a CSV a spreadsheet opens (``;``-separated, UTF-8 with BOM, es-AR amounts)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from minimarket.domain.numbers import format_amount_ar

__all__ = ["KIND_LABELS", "report_csv", "report_rows"]

KIND_LABELS = {
    "missing_in_store": "En ARCA, no cargada",
    "missing_in_arca": "Cargada, no está en ARCA",
    "amount_mismatch": "Importes distintos",
    "duplicates": "Duplicada",
    "key_mismatch": "Clave probablemente mal leída",
    "incomplete_key": "Sin clave completa (en revisión)",
    "corrected_keys": "Clave corregida a mano",
}
"""The report's lists in the order a person reads them, with their Spanish names."""

HEADER = (
    "hallazgo",
    "cuit_emisor",
    "tipo_comprobante",
    "punto_de_venta",
    "numero",
    "emisor",
    "fecha",
    "total",
    "facturas",
    "filas_arca",
    "campo",
    "arca",
    "cargado",
    "detalle",
)


def _amount(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return format_amount_ar(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _date(value: Any) -> str:
    text = str(value or "")
    if len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


def report_rows(report: Mapping[str, Any]) -> Iterator[list[str]]:
    """One row per finding (one per differing field for amount mismatches), as strings."""
    for kind, label in KIND_LABELS.items():
        for entry in report.get(kind) or []:
            base = [
                label,
                str(entry.get("issuer_cuit") or ""),
                str(entry.get("afip_code") or ""),
                str(entry.get("point_of_sale") or ""),
                str(entry.get("number") or ""),
                str(entry.get("issuer_name") or ""),
                _date(entry.get("issue_date")),
                _amount(entry.get("total")),
                " ".join(str(i) for i in entry.get("invoice_ids") or []),
                " ".join(str(i) for i in entry.get("arca_lines") or []),
            ]
            fields = entry.get("fields") or []
            if not fields:
                yield [*base, "", "", "", str(entry.get("detail") or "")]
                continue
            for item in fields:
                money = "difference" in item
                arca = _amount(item.get("arca")) if money else str(item.get("arca") or "")
                store = _amount(item.get("store")) if money else str(item.get("store") or "")
                yield [*base, str(item.get("label") or item.get("field")), arca, store, str(entry.get("detail") or "")]


def report_csv(report: Mapping[str, Any]) -> str:
    """The whole report as CSV text (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(report_rows(report))
    return "\ufeff" + buffer.getvalue()
