"""Chain analytics: per-shop figures and whole-chain totals for the managers of a chain of shops.

* :func:`chain_shops` — one :class:`ShopFigures` per member shop (invoices, purchases total, last invoice
  date, review queue, rejected);
* :func:`chain_summary` — the whole chain: totals and the top suppliers and products across its shops.

Both read an unscoped session (``session_scope(all_shops=True)``) restricted explicitly to the chain's shops.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minimarket.analytics import formatting as fmt
from minimarket.domain.invoice import Status
from minimarket.store.chains import chain_members
from minimarket.store.models import Chain, Invoice, InvoiceItem

__all__ = ["ChainSummary", "Ranked", "ShopFigures", "chain_shops", "chain_summary"]

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ShopFigures:
    """One member shop's figures."""

    shop_id: int
    code: str
    name: str
    invoices: int
    purchases_total: Decimal
    last_invoice_date: dt.date | None
    review_queue: int
    rejected: int

    def as_json(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "code": self.code,
            "name": self.name,
            "invoices": self.invoices,
            "purchases_total": str(self.purchases_total.quantize(CENT)),
            "last_invoice_date": self.last_invoice_date.isoformat() if self.last_invoice_date else None,
            "review_queue": self.review_queue,
            "rejected": self.rejected,
        }

    def row_es(self) -> dict[str, str]:
        """The row of the dashboard's table (Spanish headers, es-AR formats)."""
        return {
            "Comercio": self.name,
            "Código": self.code,
            "Facturas": fmt.number(self.invoices),
            "Compras": fmt.money(self.purchases_total),
            "Última factura": fmt.date(self.last_invoice_date),
            "Por revisar": fmt.number(self.review_queue),
            "Rechazadas": fmt.number(self.rejected),
        }


@dataclass(frozen=True, slots=True)
class Ranked:
    """A supplier or product ranked by purchases across the chain."""

    key: str
    label: str
    total: Decimal
    shops: int

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "total": str(self.total.quantize(CENT)), "shops": self.shops}


@dataclass(frozen=True, slots=True)
class ChainSummary:
    """The whole chain's totals."""

    code: str
    name: str
    shops: int
    invoices: int
    purchases_total: Decimal
    last_invoice_date: dt.date | None
    review_queue: int
    rejected: int
    top_suppliers: list[Ranked] = field(default_factory=list)
    top_products: list[Ranked] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "chain": self.code,
            "name": self.name,
            "shops": self.shops,
            "invoices": self.invoices,
            "purchases_total": str(self.purchases_total.quantize(CENT)),
            "last_invoice_date": self.last_invoice_date.isoformat() if self.last_invoice_date else None,
            "review_queue": self.review_queue,
            "rejected": self.rejected,
            "top_suppliers": [r.as_json() for r in self.top_suppliers],
            "top_products": [r.as_json() for r in self.top_products],
        }

    def totals_es(self) -> dict[str, str]:
        """The whole-chain figures for the dashboard (Spanish labels, es-AR formats)."""
        return {
            "Comercios": fmt.number(self.shops),
            "Facturas": fmt.number(self.invoices),
            "Compras": fmt.money(self.purchases_total),
            "Última factura": fmt.date(self.last_invoice_date),
            "Por revisar": fmt.number(self.review_queue),
            "Rechazadas": fmt.number(self.rejected),
        }


def _purchase(invoice_total: Decimal | None, status: str) -> Decimal:
    """What an invoice adds to purchases: its total unless it was rejected."""
    return Decimal(0) if invoice_total is None or status == Status.REJECTED.value else invoice_total


def chain_shops(session: Session, chain: str) -> list[ShopFigures]:
    """Per-shop figures of every shop of ``chain`` (``UnknownChain`` if there is none), by shop code."""
    members = chain_members(session, chain)
    ids = [s.id for s in members]
    figures: dict[int, dict[str, Any]] = {
        i: {"invoices": 0, "total": Decimal(0), "last": None, "review": 0, "rejected": 0} for i in ids
    }
    if ids:
        rows = session.execute(
            select(Invoice.shop_id, Invoice.total, Invoice.status, Invoice.issue_date).where(Invoice.shop_id.in_(ids)),
            execution_options={"all_shops": True},
        )
        for shop_id, total, status, issued in rows:
            f = figures[shop_id]
            f["invoices"] += 1
            f["total"] += _purchase(total, status)
            f["review"] += status == Status.NEEDS_REVIEW.value
            f["rejected"] += status == Status.REJECTED.value
            if issued is not None and (f["last"] is None or issued > f["last"]):
                f["last"] = issued
    return [
        ShopFigures(
            s.id,
            s.code,
            s.name,
            figures[s.id]["invoices"],
            figures[s.id]["total"],
            figures[s.id]["last"],
            figures[s.id]["review"],
            figures[s.id]["rejected"],
        )
        for s in members
    ]


def _top(totals: dict[str, Decimal], labels: dict[str, str], shops: dict[str, set[int]], limit: int) -> list[Ranked]:
    ranked = sorted(totals, key=lambda k: (-totals[k], k))[:limit]
    return [Ranked(k, labels.get(k, k), totals[k], len(shops[k])) for k in ranked]


def chain_summary(session: Session, chain: str, *, top: int = 5) -> ChainSummary:
    """The whole chain: totals over its shops and the ``top`` suppliers and products by purchases."""
    per_shop = chain_shops(session, chain)
    found = session.scalars(select(Chain).where(Chain.code == chain.strip())).one()
    ids = [s.shop_id for s in per_shop]
    supplier_total: dict[str, Decimal] = defaultdict(Decimal)
    supplier_name: dict[str, str] = {}
    supplier_shops: dict[str, set[int]] = defaultdict(set)
    product_total: dict[str, Decimal] = defaultdict(Decimal)
    product_name: dict[str, str] = {}
    product_shops: dict[str, set[int]] = defaultdict(set)
    if ids:
        invoices = session.execute(
            select(Invoice.shop_id, Invoice.issuer_cuit, Invoice.issuer_name, Invoice.total, Invoice.status).where(
                Invoice.shop_id.in_(ids)
            ),
            execution_options={"all_shops": True},
        )
        for shop_id, cuit, name, total, status in invoices:
            if not cuit or status == Status.REJECTED.value:
                continue
            supplier_total[cuit] += _purchase(total, status)
            supplier_name.setdefault(cuit, name or cuit)
            supplier_shops[cuit].add(shop_id)
        items = session.execute(
            select(InvoiceItem.shop_id, InvoiceItem.sku, InvoiceItem.description, InvoiceItem.amount)
            .join(Invoice, InvoiceItem.invoice_id == Invoice.id)
            .where(InvoiceItem.shop_id.in_(ids), Invoice.status != Status.REJECTED.value),
            execution_options={"all_shops": True},
        )
        for shop_id, sku, description, amount in items:
            key = sku or (description or "").strip().lower()
            if not key or amount is None:
                continue
            product_total[key] += amount
            product_name.setdefault(key, description or key)
            product_shops[key].add(shop_id)
    last = max((s.last_invoice_date for s in per_shop if s.last_invoice_date), default=None)
    return ChainSummary(
        code=found.code,
        name=found.name,
        shops=len(per_shop),
        invoices=sum(s.invoices for s in per_shop),
        purchases_total=sum((s.purchases_total for s in per_shop), Decimal(0)),
        last_invoice_date=last,
        review_queue=sum(s.review_queue for s in per_shop),
        rejected=sum(s.rejected for s in per_shop),
        top_suppliers=_top(supplier_total, supplier_name, supplier_shops, top),
        top_products=_top(product_total, product_name, product_shops, top),
    )
