"""Stores filled with synthetic sales and invoices whose last window is shifted (or not)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

import pandas as pd
import pytest

SALES_END = dt.date(2026, 5, 31)
SALES_DAYS = 112  # 28 current + 84 reference (the default windows)
INVOICES_END = dt.date(2026, 10, 31)
PRICE_SHIFT = Decimal("1.5")


@lru_cache(maxsize=1)
def _simulated_sales() -> pd.DataFrame:
    from minimarket.synth.sales import simulate_sales

    start = SALES_END - dt.timedelta(days=SALES_DAYS - 1)
    return simulate_sales(start=start, days=SALES_DAYS, seed=3, n_skus=80).sales


def shifted_sales(shift: bool) -> pd.DataFrame:
    """Synthetic daily sales; with ``shift`` the last 28 days cost 1.5× and sell 40 % fewer units."""
    sales = _simulated_sales().copy()
    if shift:
        current = sales["date"] > pd.Timestamp(SALES_END - dt.timedelta(days=28))
        sales.loc[current, "unit_price"] = (sales.loc[current, "unit_price"] * float(PRICE_SHIFT)).round(2)
        sales.loc[current, "quantity"] = (sales.loc[current, "quantity"] * 0.6).round().astype(int)
        sales = sales[sales["quantity"] > 0]
    return sales.reset_index(drop=True)


def import_frame(sales: pd.DataFrame, shop: str | None = None) -> int:
    """Import a sales frame through the store's real import path; returns the rows imported."""
    from minimarket.sales_csv import SalesTable
    from minimarket.store.db import session_scope
    from minimarket.store.sales import import_sales

    table = SalesTable(
        dates=[d.date() for d in sales["date"]],
        skus=[str(s) for s in sales["sku"]],
        quantities=[Decimal(int(q)) for q in sales["quantity"]],
        unit_prices=[Decimal(f"{p:.2f}") for p in sales["unit_price"]],
        stores=[None] * len(sales),
    )
    with session_scope(shop) as session:
        return import_sales(session, table, batch=f"synthetic-{len(sales)}-{shop}").rows


@pytest.fixture
def sales_store() -> Callable[..., int]:
    """``sales_store(shift=False, shop=None)`` fills the test's store with synthetic sales."""

    def fill(shift: bool = False, shop: str | None = None) -> int:
        return import_frame(shifted_sales(shift), shop)

    return fill


def synthetic_invoices(shift: bool, n_reference: int = 120, n_current: int = 40, seed: int = 5) -> list[object]:
    """Extracted invoices from the synthetic generator: ``n_reference`` spread over the 90 days before
    the current 30-day window, ``n_current`` inside it; with ``shift`` the current ones come from two
    suppliers only and their prices are 1.5×."""
    from minimarket.catalog import Catalog, bundled_catalog
    from minimarket.synth.invoices.sample import sample_invoice

    catalog = bundled_catalog()
    few = catalog.suppliers[:2]
    narrow = Catalog(suppliers=few, products=[p for p in catalog.products if p.supplier_cuit in {s.cuit for s in few}])
    rng = random.Random(seed)
    out: list[object] = []
    for i in range(n_reference + n_current):
        current = i >= n_reference
        spec = sample_invoice(rng, narrow if current and shift else catalog)
        if current:
            day = INVOICES_END - dt.timedelta(days=rng.randrange(30))
        else:
            day = INVOICES_END - dt.timedelta(days=30 + rng.randrange(90))
        invoice = spec.truth(sha256=hashlib.sha256(f"{seed}-{shift}-{i}".encode()).hexdigest())
        update: dict[str, object] = {"issue_date": day}
        if current and shift:
            update["total"] = invoice.total * PRICE_SHIFT
            update["items"] = [
                item.model_copy(update={"unit_price": item.unit_price * PRICE_SHIFT if item.unit_price else None})
                for item in invoice.items
            ]
        out.append(invoice.model_copy(update=update))
    return out


@pytest.fixture
def invoices_store() -> Callable[..., int]:
    """``invoices_store(shift=False)`` stores synthetic extracted invoices; returns how many."""

    def fill(shift: bool = False, **kwargs: int) -> int:
        from minimarket.store.db import session_scope
        from minimarket.store.invoices import save_extracted

        invoices = synthetic_invoices(shift, **kwargs)
        with session_scope() as session:
            for invoice in invoices:
                save_extracted(session, invoice)  # type: ignore[arg-type]
        return len(invoices)

    return fill
