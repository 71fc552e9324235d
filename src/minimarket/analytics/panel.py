"""The business panel's figures, computed from a :class:`~minimarket.analytics.snapshot.Snapshot` and filters.

Every function is pure (frames in, frames out) and labels what a manager reads in Spanish:

* :func:`invoices_by_period` — invoices per day / week / month by status;
* :func:`top_products` — the 10 products bought most (invoices) or sold most (POS), in pesos;
* :func:`revenue_and_margin` — sales net of VAT, their cost at the latest invoiced cost, gross margin;
* :func:`extraction_quality` — share needing review, corrections per field, OCR corrections per invoice;
* :func:`headline` — the KPIs at the top of the panel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from minimarket.analytics import formatting as fmt
from minimarket.analytics.snapshot import Filters, Snapshot

__all__ = [
    "FIELD_LABELS",
    "Headline",
    "extraction_quality",
    "headline",
    "invoices_by_period",
    "latest_costs",
    "revenue_and_margin",
    "top_products",
]

FIELD_LABELS = {
    "total": "Total",
    "net_amount": "Neto",
    "issue_date": "Fecha de emisión",
    "number": "Número",
    "point_of_sale": "Punto de venta",
    "issuer_cuit": "CUIT del emisor",
    "issuer_name": "Razón social",
    "invoice_type": "Letra",
    "afip_code": "Tipo de comprobante",
    "cae": "CAE",
    "cae_due_date": "Vencimiento del CAE",
    "currency": "Moneda",
    "receiver_doc_number": "CUIT/DNI del receptor",
    "quantity": "Ítem: cantidad",
    "unit_price": "Ítem: precio unitario",
    "amount": "Ítem: importe",
    "sku": "Ítem: producto",
    "description": "Ítem: descripción",
    "code": "Ítem: código",
    "discount": "Ítem: descuento",
    "vat_rate": "Ítem: alícuota de IVA",
}
_ITEM_FIELD = re.compile(r"^items?\.\d+\.(\w+)$")
STATUS_ORDER = ("accepted", "needs_review", "rejected")


def field_label(field: str) -> str:
    """Spanish name of a corrected field (``items.3.unit_price`` → ``Ítem: precio unitario``)."""
    m = _ITEM_FIELD.match(field)
    key = m.group(1) if m else field
    return FIELD_LABELS.get(key, key.replace("_", " "))


def _in_range(dates: pd.Series, filters: Filters) -> pd.Series:
    mask = pd.Series(True, index=dates.index)
    if filters.date_from is not None:
        mask &= dates >= pd.Timestamp(filters.date_from)
    if filters.date_to is not None:
        mask &= dates <= pd.Timestamp(filters.date_to)
    return mask


def _skus(snapshot: Snapshot, filters: Filters) -> pd.Index:
    """The catalog SKUs the supplier and category filters keep."""
    products = snapshot.products
    mask = pd.Series(True, index=products.index)
    if filters.supplier_cuit:
        mask &= products["supplier_cuit"] == filters.supplier_cuit
    if filters.category:
        mask &= products["category"] == filters.category
    return products.index[mask]


def filtered_invoices(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Invoices in the date range from the chosen supplier (the category filter applies to products)."""
    invoices = snapshot.invoices
    mask = _in_range(invoices["issue_date"], filters)
    if filters.supplier_cuit:
        mask &= invoices["issuer_cuit"] == filters.supplier_cuit
    return invoices[mask]


def filtered_items(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    items = snapshot.items
    mask = _in_range(items["issue_date"], filters)
    if filters.supplier_cuit:
        mask &= items["issuer_cuit"] == filters.supplier_cuit
    if filters.category:
        mask &= items["sku"].isin(_skus(snapshot, filters))
    return items[mask]


def filtered_sales(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    sales = snapshot.sales
    mask = _in_range(sales["date"], filters)
    if filters.supplier_cuit or filters.category:
        mask &= sales["sku"].isin(_skus(snapshot, filters))
    return sales[mask]


def _period_start(dates: pd.Series, period: str) -> pd.Series:
    freq = fmt.PERIODS.get(period, period)
    return dates.dt.to_period(freq).dt.start_time


def invoices_by_period(snapshot: Snapshot, filters: Filters, period: str = "semana") -> pd.DataFrame:
    """Invoices per period (``día``, ``semana``, ``mes``) and status: ``period``, one column per status label."""
    invoices = filtered_invoices(snapshot, filters)
    columns = [fmt.STATUS_LABELS[s] for s in STATUS_ORDER]
    if invoices.empty:
        return pd.DataFrame(columns=["period", *columns])
    frame = invoices.assign(period=_period_start(invoices["issue_date"], period))
    table = frame.pivot_table(index="period", columns="status", values="id", aggfunc="count", fill_value=0)
    table = table.reindex(columns=list(STATUS_ORDER), fill_value=0)
    table.columns = columns
    return table.reset_index()


def latest_costs(snapshot: Snapshot, until: pd.Timestamp | None = None) -> pd.Series:
    """Latest invoiced unit cost per SKU (net of VAT) up to ``until``, else the catalog cost."""
    items = snapshot.items
    if until is not None:
        items = items[items["issue_date"] <= until]
    priced = items[items["sku"].notna() & (items["unit_price"] > 0)].sort_values("issue_date", kind="stable")
    invoiced = priced.groupby("sku")["unit_price"].last()
    catalog = snapshot.products["cost"]
    return invoiced.combine_first(catalog)


def top_products(snapshot: Snapshot, filters: Filters, by: str = "compras", n: int = 10) -> pd.DataFrame:
    """The ``n`` products with the most pesos bought (``compras``, invoice items) or sold (``ventas``, POS):
    ``sku``, ``name``, ``pesos``, ``units``, biggest first."""
    if by == "compras":
        rows = filtered_items(snapshot, filters)
        rows = rows[rows["sku"].notna()].assign(pesos=rows["amount"])
    elif by == "ventas":
        rows = filtered_sales(snapshot, filters)
        rows = rows.assign(pesos=rows["quantity"] * rows["unit_price"])
    else:
        raise ValueError(f"by must be 'compras' or 'ventas', not {by!r}")
    if rows.empty:
        return pd.DataFrame(columns=["sku", "name", "pesos", "units"])
    totals = rows.groupby("sku").agg(pesos=("pesos", "sum"), units=("quantity", "sum"))
    totals = totals.nlargest(n, "pesos")
    names = snapshot.products["name"].reindex(totals.index)
    totals.insert(0, "name", names.fillna(pd.Series(totals.index, index=totals.index)))
    return totals.reset_index()


def revenue_and_margin(snapshot: Snapshot, filters: Filters, period: str = "mes") -> pd.DataFrame:
    """Per period: ``revenue`` (sales net of VAT), ``cost`` (units × latest invoiced cost), ``margin`` and
    ``margin_pct`` (of revenue). Sales of SKUs without any known cost are left out of both."""
    sales = filtered_sales(snapshot, filters)
    columns = ["period", "revenue", "cost", "margin", "margin_pct"]
    if sales.empty:
        return pd.DataFrame(columns=columns)
    until = pd.Timestamp(filters.date_to) if filters.date_to else None
    costs = latest_costs(snapshot, until)
    vat = snapshot.products["vat_rate"].reindex(sales["sku"]).fillna(21.0).to_numpy()
    unit_cost = costs.reindex(sales["sku"]).to_numpy()
    frame = pd.DataFrame(
        {
            "period": _period_start(sales["date"], period).to_numpy(),
            "revenue": (sales["quantity"] * sales["unit_price"]).to_numpy() / (1 + vat / 100),
            "cost": sales["quantity"].to_numpy() * unit_cost,
        }
    ).dropna()
    table = frame.groupby("period", as_index=False)[["revenue", "cost"]].sum()
    table["margin"] = table["revenue"] - table["cost"]
    table["margin_pct"] = (100 * table["margin"] / table["revenue"]).where(table["revenue"] > 0)
    return table[columns]


@dataclass(frozen=True)
class Quality:
    """Extraction quality: per month share needing review and OCR corrections per invoice; fields corrected."""

    monthly: pd.DataFrame
    """month, invoices, review_share (%), ocr_invoices, ocr_corrections_per_invoice"""
    by_field: pd.DataFrame
    """field (Spanish), corrections — most corrected first"""


def extraction_quality(snapshot: Snapshot, filters: Filters) -> Quality:
    """How well invoices were read: the share that needed a person (waiting, corrected or rejected), the
    fields people corrected, and how many corrections an invoice read by OCR needed, month by month."""
    invoices = filtered_invoices(snapshot, filters)
    if invoices.empty:
        empty = pd.DataFrame(columns=["month", "invoices", "review_share", "ocr_invoices", "ocr_corrections"])
        return Quality(empty, pd.DataFrame(columns=["field", "corrections"]))
    reviewed = (invoices["status"] != "accepted") | (invoices["corrections"] > 0)
    frame = invoices.assign(
        month=_period_start(invoices["issue_date"], "M"),
        reviewed=reviewed.astype(float),
        ocr_corr=invoices["corrections"].where(invoices["ocr"]),
    )
    monthly = frame.groupby("month").agg(
        invoices=("id", "count"),
        review_share=("reviewed", "mean"),
        ocr_invoices=("ocr", "sum"),
        ocr_corrections=("ocr_corr", "mean"),
    )
    monthly["review_share"] *= 100
    corrections = snapshot.corrections[snapshot.corrections["invoice_id"].isin(invoices["id"])]
    by_field = (
        corrections.assign(field=corrections["field"].map(field_label))
        .groupby("field")
        .size()
        .sort_values(ascending=False)
        .rename("corrections")
        .reset_index()
    )
    return Quality(monthly.reset_index(), by_field)


@dataclass(frozen=True)
class Headline:
    """The panel's KPIs, formatted."""

    invoices: str
    to_review: str
    purchases: str
    revenue: str
    margin_pct: str

    def as_dict(self) -> dict[str, str]:
        return {
            "Facturas": self.invoices,
            "Para revisar": self.to_review,
            "Compras": self.purchases,
            "Ventas sin IVA": self.revenue,
            "Margen bruto": self.margin_pct,
        }


def headline(snapshot: Snapshot, filters: Filters) -> Headline:
    invoices = filtered_invoices(snapshot, filters)
    items = filtered_items(snapshot, filters)
    money = revenue_and_margin(snapshot, filters, "mes")
    revenue = float(money["revenue"].sum()) if not money.empty else None
    margin = float(money["margin"].sum()) if not money.empty else None
    return Headline(
        invoices=fmt.number(len(invoices)),
        to_review=fmt.number(int((invoices["status"] == "needs_review").sum())),
        purchases=fmt.money(round(float(items["amount"].sum()), 2)),
        revenue=fmt.money(None if revenue is None else round(revenue, 2)),
        margin_pct=fmt.pct(100 * margin / revenue if revenue and margin is not None else None),
    )
