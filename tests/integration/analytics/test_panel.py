"""The business panel's figures on a demo shop: they add up, and every filter changes them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from minimarket.analytics import panel
from minimarket.analytics.prices import (
    inflation_outlook,
    purchase_order_csv,
    purchase_orders,
    select_orders,
)
from minimarket.analytics.snapshot import Filters, load_snapshot
from minimarket.store.db import session_scope


@pytest.fixture
def snapshot(use_demo: Path):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return load_snapshot(session)


def test_invoices_per_period_add_up_to_the_invoices_of_the_range(snapshot) -> None:  # type: ignore[no-untyped-def]
    first, last = snapshot.date_range
    chosen = Filters(date_from=first, date_to=last)
    for period in ("día", "semana", "mes"):
        counts = panel.invoices_by_period(snapshot, chosen, period)
        assert list(counts.columns) == ["period", "aceptada", "para revisar", "rechazada"]
        assert int(counts[["aceptada", "para revisar", "rechazada"]].to_numpy().sum()) == len(snapshot.invoices)
    assert panel.headline(snapshot, chosen).invoices == f"{len(snapshot.invoices)}"


def test_filters_change_the_figures(snapshot) -> None:  # type: ignore[no-untyped-def]
    everything = Filters()
    _name, cuit = snapshot.suppliers[0]
    one = Filters(supplier_cuit=cuit)
    assert panel.headline(snapshot, one) != panel.headline(snapshot, everything)
    bought = panel.top_products(snapshot, one, "compras")
    skus = set(snapshot.products.index[snapshot.products["supplier_cuit"] == cuit])
    assert set(bought["sku"]) <= skus and len(bought) > 0
    category = snapshot.categories[0]
    sold = panel.top_products(snapshot, Filters(category=category), "ventas")
    assert set(snapshot.products.loc[sold["sku"], "category"]) == {category}
    assert (sold["pesos"].diff().dropna() <= 0).all()


def test_margin_is_revenue_less_cost_at_the_latest_cost(snapshot) -> None:  # type: ignore[no-untyped-def]
    money = panel.revenue_and_margin(snapshot, Filters(), "mes")
    assert len(money) >= 3
    assert (money["margin"] - (money["revenue"] - money["cost"])).abs().max() < 1e-6
    assert money["margin_pct"].between(-100, 100).all()


def test_extraction_quality_counts_the_corrections(snapshot) -> None:  # type: ignore[no-untyped-def]
    quality = panel.extraction_quality(snapshot, Filters())
    assert quality.monthly["review_share"].between(0, 100).all()
    assert int(quality.by_field["corrections"].sum()) == len(snapshot.corrections)
    assert panel.field_label("items.3.unit_price") == "Ítem: precio unitario"


def test_purchase_orders_download_as_an_argentine_csv(use_demo: Path) -> None:
    with session_scope() as session:
        as_of, orders = purchase_orders(session)
    assert orders, "the demo shop has products to reorder"
    order = orders[0]
    rows = list(csv.reader(io.StringIO(purchase_order_csv(order)), delimiter=";"))
    assert rows[0][:2] == ["Proveedor", order.supplier_name]
    lines = rows[2:-1]
    assert [r[0] for r in lines] == [item["sku"] for item in order.rows]
    total = sum(Decimal(r[4].replace(".", "").replace(",", ".")) for r in lines)
    assert rows[-1][-1] == f"{total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    only = select_orders(orders, Filters(supplier_cuit=order.supplier_cuit))
    assert [o.supplier_name for o in only] == [order.supplier_name]
    assert pd.Timestamp(as_of) >= pd.Timestamp("2026-01-01")


def test_inflation_outlook_is_cached_by_the_series(use_demo: Path) -> None:
    cache = use_demo / "cache"
    with session_scope() as session:
        first = inflation_outlook(session, cache_dir=cache)
        assert len(list(cache.glob("inflation-forecast-*.json"))) == 1
        again = inflation_outlook(session, cache_dir=cache)
    assert len(first.forecast) == 3
    for column in ("pct", "lower", "upper"):
        assert again.forecast[column].to_numpy() == pytest.approx(first.forecast[column].to_numpy())
    assert "INDEC" in first.summary and "%" in first.summary
    assert (first.forecast["lower"] <= first.forecast["pct"]).all()


def test_an_empty_shop_says_so(tmp_path: Path) -> None:
    with session_scope() as session:
        assert load_snapshot(session).empty
