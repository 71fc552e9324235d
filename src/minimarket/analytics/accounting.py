"""The accountant's and the buyer's figures as a manager reads them: the ARCA reconciliation, the Libro IVA,
this week's purchase drafts, shelf prices and pack conversions — rows of es-AR text for the dashboard, built from
the same reports the CLI and the API give (:mod:`minimarket.accounting`, :mod:`minimarket.purchasing`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minimarket.accounting.report_csv import KIND_LABELS
from minimarket.analytics import formatting as fmt
from minimarket.domain.afip import DOCUMENT_TYPES

__all__ = [
    "book_rows",
    "draft_rows",
    "invoice_months",
    "not_fitted_rows",
    "pack_rows",
    "reconciliation_kpis",
    "reconciliation_rows",
    "rise_rows",
    "run_rows",
    "shelf_rows",
]


def _label(entry: Mapping[str, Any]) -> str:
    code, pos, number = entry.get("afip_code"), entry.get("point_of_sale"), entry.get("number")
    if code is None or pos is None or number is None:
        return "sin clave completa"
    doc = DOCUMENT_TYPES.get(int(code))
    return f"{doc.name if doc else f'Tipo {code}'} {int(pos):05d}-{int(number):08d}"


def reconciliation_kpis(report: Mapping[str, Any]) -> dict[str, str]:
    """The counts at the top of the reconciliation."""
    kpis = {"Coinciden": fmt.number(report.get("matched", 0))}
    for kind, label in KIND_LABELS.items():
        kpis[label] = fmt.number(len(report.get(kind) or []))
    return kpis


def _shown(item: Mapping[str, Any], side: str) -> str:
    value = item.get(side)
    if "difference" in item:
        return fmt.money(value)
    if "date" in str(item.get("field")):
        return fmt.date(value)
    return "—" if value is None else str(value)


def _fields(entry: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{item.get('label')}: ARCA {_shown(item, 'arca')}, cargado {_shown(item, 'store')}"
        for item in entry.get("fields") or []
    )


def reconciliation_rows(report: Mapping[str, Any], kind: str) -> list[dict[str, str]]:
    """One list of the report (``missing_in_store``, ``amount_mismatch``…) as table rows."""
    rows = []
    for entry in report.get(kind) or []:
        row = {
            "Comprobante": _label(entry),
            "Emisor": f"{entry.get('issuer_name') or '—'} ({entry.get('issuer_cuit') or 'sin CUIT'})",
            "Fecha": fmt.date(entry.get("issue_date")),
            "Total": fmt.money(entry.get("total")),
        }
        if kind == "amount_mismatch":
            row["Diferencias"] = _fields(entry)
        else:
            row["Qué hacer"] = str(entry.get("detail") or "")
        rows.append(row)
    return rows


def run_rows(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The stored reconciliations (``store.accounting.run_summary``), newest first."""
    return [
        {
            "N.º": str(run["run_id"]),
            "Fecha": fmt.datetime(dt.datetime.fromisoformat(run["created_at"])) if run.get("created_at") else "—",
            "Archivo": str(run.get("source_file") or "—"),
            "Período": fmt.month(run["period"]) if run.get("period") else "meses del archivo",
            "Filas": fmt.number(run.get("rows")),
            "Coinciden": fmt.number(run.get("matched")),
            "Para revisar": fmt.number(run.get("flags")),
        }
        for run in runs
    ]


def invoice_months(session: Session) -> list[str]:
    """``AAAA-MM`` of every month with stored invoices, newest first."""
    from minimarket.store.models import Invoice

    first, last = session.execute(select(func.min(Invoice.issue_date), func.max(Invoice.issue_date))).one()
    if first is None or last is None:
        return []
    months = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def book_rows(summary: Mapping[str, Any], which: str) -> list[dict[str, str]]:
    """``pending_review`` or ``skipped`` invoices of the Libro IVA summary."""
    return [
        {
            "Comprobante": _label(entry),
            "Emisor": str(entry.get("issuer_name") or entry.get("issuer_cuit") or "—"),
            "Fecha": fmt.date(entry.get("issue_date")),
            "Total": fmt.money(entry.get("total")),
            "Motivo": str(entry.get("reason") or ""),
        }
        for entry in summary.get(which) or []
    ]


def draft_rows(draft: Mapping[str, Any]) -> list[dict[str, str]]:
    """One supplier's draft lines."""
    return [
        {
            "Producto": f"{line['name']} ({line['sku']})",
            "Bultos": fmt.number(line["packs"]),
            "Unidades": f"{fmt.number(line['units'])} ({fmt.number(line['pack_size'])} por bulto)",
            "Costo": fmt.money(line.get("cost")),
            "Stock": fmt.number(line.get("stock")),
            "Días de cobertura": fmt.number(line.get("days_of_cover"), 1),
            "Urgente": "sí" if line.get("urgent") else "no",
            "Nota": str(line.get("note") or ""),
        }
        for line in draft.get("lines") or []
    ]


def not_fitted_rows(plan: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "Producto": f"{n['name']} ({n['sku']})",
            "Proveedor": str(n.get("supplier_name") or "—"),
            "Bultos": fmt.number(n.get("packs")),
            "Costo": fmt.money(n.get("cost")),
            "Motivo": str(n.get("reason") or ""),
        }
        for n in plan.get("not_fitted") or []
    ]


def shelf_rows(report: Mapping[str, Any], category: str | None = None) -> list[dict[str, Any]]:
    """Shelf prices: cost, suggestion, printed price, floor and the margin it really earns."""
    rows = []
    for s in report.get("suggestions") or []:
        if category and s.get("category") != category:
            continue
        rows.append(
            {
                "Producto": f"{s['name']} ({s['sku']})",
                "Costo": fmt.money(s.get("latest_cost")),
                "Sugerido": fmt.money(s.get("suggested_price")),
                "Precio de góndola": fmt.money(s.get("shelf_price")),
                "Piso (costo + margen mínimo)": fmt.money(s.get("floor_price")),
                "Margen efectivo": fmt.pct(s.get("effective_markup_pct")),
                "_floor": bool(s.get("raised_to_floor")),
            }
        )
    return rows


def _line(evidence: Mapping[str, Any]) -> str:
    units = evidence.get("units_per_invoice_unit")
    per = f" ({units} u. por bulto)" if units and int(units) > 1 else ""
    quantity = f"{fmt.number(evidence.get('quantity'), 2)} {evidence.get('unit') or ''}".strip()
    return (
        f"{evidence.get('invoice')} del {fmt.date(evidence.get('issue_date'))}: {evidence.get('description')}, "
        f"{quantity} a {fmt.money(evidence.get('unit_price'))}{per} → {fmt.money(evidence.get('unit_cost'))} c/u"
    )


def rise_rows(report: Mapping[str, Any]) -> list[dict[str, str]]:
    """Supplier price rises above the category's expected inflation, with the invoice lines as evidence."""
    rows = []
    for rise in sorted(report.get("supplier_price_rises") or [], key=lambda r: -float(r["excess_pp"])):
        evidence = rise.get("evidence") or []
        rows.append(
            {
                "Producto": f"{rise.get('name')} ({rise['sku']})",
                "Aumento": fmt.pct(rise["rise_pct"], signed=True),
                "Inflación esperada de la categoría": fmt.pct(rise["expected_category_inflation_pct"]),
                "Factura anterior": _line(evidence[0]) if len(evidence) > 1 else str(rise.get("old_invoice")),
                "Factura nueva": _line(evidence[-1]) if evidence else str(rise.get("new_invoice")),
            }
        )
    return rows


SOURCE_LABELS = {
    "confirmed": "confirmado",
    "unit": "unidad impresa",
    "catalog": "bulto del catálogo",
    "description": "descripción",
    "price": "por el precio",
    "default": "sin dato",
}


def pack_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Invoice lines in shelf units (the flagged ones highlighted)."""
    rows = []
    for supplier in report.get("suppliers") or []:
        for line in supplier.get("lines") or []:
            rows.append(
                {
                    "Fecha": fmt.date(line.get("issue_date")),
                    "Proveedor": str(supplier.get("supplier_name") or "—"),
                    "Factura": str(line.get("invoice")),
                    "Descripción": str(line.get("description")),
                    "Unidad": str(line.get("unit") or "—"),
                    "Precio": fmt.money(line.get("unit_price")),
                    "Unidades por bulto": f"{line['units_per_invoice_unit']} ({SOURCE_LABELS.get(line['source'], '')})",
                    "Costo unitario": fmt.money(line.get("unit_cost")),
                    "Último costo": fmt.money(line.get("last_cost")),
                    "Motivo": str(line.get("reason") or ""),
                    "_implausible": bool(line.get("implausible")),
                }
            )
    return rows
