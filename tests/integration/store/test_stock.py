"""Stock alerts on a real database: the covering indexes of migration 0009 and the cache that is never stale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from minimarket.forecast.alerts_cache import AlertsCache
from minimarket.forecast.reorder import ReorderPolicy
from minimarket.forecast.shop_reports import stock_alerts
from minimarket.store.db import alembic_config, current_revision, get_engine, head_revision, upgrade_database
from minimarket.store.db import session_scope as scope
from minimarket.store.models import Product, Sale, StockMovement, Supplier
from minimarket.store.stock import movement_marks

POLICY = ReorderPolicy(service_levels={"Almacén": 0.95}, default_service_level=0.9, min_windows=5)
END = dt.date(2026, 10, 31)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, isolated_state) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{isolated_state / 'stock.db'}"
    return str(request.getfixturevalue("pg_database"))


def _sale(day: int, sku: str, quantity: str) -> Sale:
    date = END - dt.timedelta(days=day)
    return Sale(date=date, sku=sku, quantity=Decimal(quantity), row_key=f"{date}:{sku}:{quantity}")


def _move(sku: str, quantity: str, key: str) -> StockMovement:
    return StockMovement(sku=sku, quantity=Decimal(quantity), kind="adjustment", idempotency_key=key)


def _shop(url: str, shop: str = "default") -> None:
    """Two suppliers, three products (one without supplier), 40 days of sales and some stock."""
    with scope(shop, url=url) as session:
        fast = Supplier(cuit="30500010912", name="Distribuidora Norte", lead_time_days=3)
        slow = Supplier(cuit="30546689979", name="Mayorista Sur", lead_time_days=10)
        session.add_all([fast, slow])
        session.flush()
        session.add_all(
            [
                Product(sku="YER-1", name="Yerba 1 kg", category="Almacén", pack_size=10, supplier_id=fast.id,
                        cost=Decimal("4500.50")),
                Product(sku="LEC-1", name="Leche 1 l", category="Lácteos", pack_size=12, supplier_id=slow.id,
                        cost=Decimal("1200")),
                Product(sku="PAN-1", name="Pan", category="Panadería", cost=Decimal("900.25")),
            ]
        )  # fmt: skip
        session.add_all(
            [_sale(d, "YER-1", str(2 + d % 3)) for d in range(40)]
            + [_sale(d, "LEC-1", f"{5 + d % 4}.5") for d in range(40)]
            + [_sale(d, "PAN-1", "3") for d in range(0, 40, 2)]
        )
        session.add_all([_move("YER-1", "30", "a1"), _move("LEC-1", "400", "a2"), _move("PAN-1", "2", "a3")])


def _fresh(url: str, shop: str = "default", **options: bool) -> dict:
    with scope(shop, url=url, read_only=True) as session:
        return stock_alerts(session, POLICY, **options)


def _cached(url: str, cache: AlertsCache, shop: str = "default", **options: bool) -> dict:
    with scope(shop, url=url, read_only=True) as session:
        return stock_alerts(session, POLICY, cache=cache, **options)


def _skus(report: dict) -> dict[str, float]:
    return {item["sku"]: item["stock"] for order in report["suppliers"] for item in order["items"]}


def test_the_cache_answers_what_a_fresh_computation_answers_after_every_write(store_url: str) -> None:
    upgrade_database(store_url)
    _shop(store_url)
    cache = AlertsCache()
    first = _cached(store_url, cache, include_all=True)
    assert first == _fresh(store_url, include_all=True)
    assert set(_skus(first)) == {"YER-1", "LEC-1", "PAN-1"}
    first["suppliers"].clear()  # a caller's change to its copy does not reach the cache
    assert _cached(store_url, cache, include_all=True) == _fresh(store_url, include_all=True)

    writes = [
        lambda s: s.add(_sale(-1, "YER-1", "9")),  # a new sale day moves as_of and the demand
        lambda s: s.add(_move("LEC-1", "-395", "b1")),  # a stock movement
        lambda s: setattr(s.scalars(select(Product).where(Product.sku == "PAN-1")).one(), "cost", Decimal("1")),
        lambda s: setattr(s.scalars(select(Supplier).where(Supplier.name.like("%Norte"))).one(), "lead_time_days", 20),
        lambda s: setattr(s.scalars(select(Product).where(Product.sku == "YER-1")).one(), "active", False),
    ]  # fmt: skip
    before = _cached(store_url, cache, include_all=True)
    for write in writes:
        with scope(url=store_url) as session:
            write(session)
        after = _cached(store_url, cache, include_all=True)
        assert after == _fresh(store_url, include_all=True)
        assert after != before
        before = after
    assert _cached(store_url, cache) == _fresh(store_url)  # the default options are a report of their own


def test_shops_and_policies_do_not_share_reports(store_url: str) -> None:
    upgrade_database(store_url)
    _shop(store_url)
    _shop(store_url, "otro")
    with scope("otro", url=store_url) as session:
        session.add(_move("YER-1", "-25", "c1"))
    cache = AlertsCache()
    mine, theirs = _cached(store_url, cache, include_all=True), _cached(store_url, cache, "otro", include_all=True)
    assert mine == _fresh(store_url, include_all=True) and theirs == _fresh(store_url, "otro", include_all=True)
    assert _skus(mine)["YER-1"] == 30 and _skus(theirs)["YER-1"] == 5
    with scope(url=store_url, read_only=True) as session:
        strict = stock_alerts(session, ReorderPolicy(default_service_level=0.99), cache=cache, include_all=True)
        assert strict == stock_alerts(session, ReorderPolicy(default_service_level=0.99), include_all=True)
    assert strict != mine


def test_marks_count_and_last_ids_of_this_shop_only(store_url: str) -> None:
    upgrade_database(store_url)
    _shop(store_url)
    with scope("otro", url=store_url) as session:
        assert movement_marks(session) == (0, 0, 0, 0)
    with scope(url=store_url) as session:
        sales, last_sale, moves, last_move = movement_marks(session)
    assert (sales, moves) == (100, 3) and last_sale >= sales and last_move >= moves


def test_migration_0009_goes_up_and_down(store_url: str) -> None:
    upgrade_database(store_url)

    def indexes() -> set[str]:
        get_engine(store_url).dispose()
        found = inspect(get_engine(store_url))
        return {i["name"] for t in ("sales", "stock_movements") for i in found.get_indexes(t) if i["name"]}

    assert {"ix_sales_shop_date_sku_qty", "ix_stock_shop_sku_qty"} <= indexes()
    assert "ix_stock_shop_sku" not in indexes()
    config = alembic_config(store_url)
    with get_engine(store_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert current_revision(store_url) == "0008"
    assert "ix_stock_shop_sku" in indexes() and not {"ix_sales_shop_date_sku_qty", "ix_stock_shop_sku_qty"} & indexes()
    upgrade_database(store_url)
    assert current_revision(store_url) == head_revision()


def test_sqlite_answers_the_alert_sums_from_the_covering_indexes(isolated_state) -> None:
    url = f"sqlite:///{isolated_state / 'plan.db'}"
    upgrade_database(url)
    queries = {
        "ix_sales_shop_date_sku_qty": "SELECT sku, date, sum(quantity) FROM sales WHERE shop_id = 1 "
        "AND date >= '2026-08-01' AND date <= '2026-10-29' GROUP BY sku, date",
        "ix_stock_shop_sku_qty": "SELECT sku, sum(quantity) FROM stock_movements WHERE shop_id = 1 GROUP BY sku",
    }
    with get_engine(url).connect() as connection:
        for index, query in queries.items():
            plan = " ".join(str(row[-1]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + query)))
            assert f"COVERING INDEX {index}" in plan, plan
