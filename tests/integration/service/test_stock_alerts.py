"""GET stock/alerts on the real server: answers follow writes made by other processes, low stock is announced once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from minimarket.client import MinimarketClient
from minimarket.forecast.policies import load_policies
from minimarket.forecast.reorder import ReorderPolicy
from minimarket.forecast.shop_reports import stock_alerts
from minimarket.store.db import session_scope
from minimarket.store.models import Notification, Product, Sale, StockMovement, Supplier

from .conftest import LiveServer, create_shop

SHOP = "alertas-stock"


def _seed(url: str) -> None:
    end = dt.date(2026, 10, 31)
    with session_scope(SHOP, url=url) as session:
        supplier = Supplier(cuit="30500010912", name="Distribuidora Norte", lead_time_days=4)
        session.add(supplier)
        session.flush()
        session.add(
            Product(sku="YER-9", name="Yerba 1 kg", category="Almacén", supplier_id=supplier.id, cost=Decimal(5))
        )
        for day in range(60):
            date = end - dt.timedelta(days=day)
            session.add(Sale(date=date, sku="YER-9", quantity=Decimal(3 + day % 4), row_key=f"{date}:YER-9"))
        session.add(StockMovement(sku="YER-9", quantity=Decimal(4), kind="adjustment", idempotency_key="s0"))


def _low_stock(url: str) -> int:
    with session_scope(SHOP, url=url, read_only=True) as session:
        return int(session.scalar(select(func.count(Notification.id)).where(Notification.kind == "low_stock")) or 0)


def _skus(report: dict) -> list[str]:
    return [item["sku"] for order in report["suppliers"] for item in order["items"]]


def test_alerts_follow_every_write_and_announce_low_stock_once(live_server: LiveServer) -> None:
    url = live_server.database_url
    create_shop(live_server, SHOP)
    _seed(url)
    with MinimarketClient(live_server.url, live_server.token("manager", shop=SHOP)) as manager:
        first = manager.stock_alerts()
        assert _skus(first) == ["YER-9"] and _low_stock(url) == 1
        assert manager.stock_alerts() == first and _low_stock(url) == 1
        with session_scope(SHOP, url=url) as session:  # a delivery stored by another process
            session.add(StockMovement(sku="YER-9", quantity=Decimal(500), kind="adjustment", idempotency_key="s1"))
        assert _skus(manager.stock_alerts()) == []
        with session_scope(SHOP, url=url) as session:
            session.add(StockMovement(sku="YER-9", quantity=Decimal(-500), kind="adjustment", idempotency_key="s2"))
            session.add(Sale(date=dt.date(2026, 11, 1), sku="YER-9", quantity=Decimal(40), row_key="2026-11-01:YER-9"))
        again = manager.stock_alerts()
        assert _skus(again) == ["YER-9"] and again["as_of"] == "2026-11-01" and again != first
        with session_scope(SHOP, url=url, read_only=True) as session:
            policy = ReorderPolicy.from_policies(load_policies(live_server.settings.policies_path))
            assert again == stock_alerts(session, policy)
    assert _low_stock(url) == 2  # a new day's alert is a new notification
