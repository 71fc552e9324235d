"""Migrations on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text

from minimarket.store.db import current_revision, get_engine, head_revision, session_scope, upgrade_database
from minimarket.store.models import Product, Shop

TABLES = {
    "shops",
    "suppliers",
    "products",
    "invoices",
    "invoice_items",
    "invoice_events",
    "sales",
    "stock_movements",
    "inflation_observations",
    "drift_runs",
    "reconciliation_runs",
    "pack_conversions",
}


def _check_schema(url: str) -> None:
    assert upgrade_database(url) == head_revision()
    assert upgrade_database(url) == head_revision()  # idempotent
    names = set(inspect(get_engine(url)).get_table_names())
    assert names >= TABLES
    with session_scope(url=url) as session:
        session.add(Product(sku="779-1", name="Yerba", category="almacen", cost=Decimal("4512.3456")))
    with session_scope(url=url) as session:
        product = session.scalars(select(Product)).one()
        assert product.cost == Decimal("4512.3456")
        assert session.scalars(select(Shop.code)).all() == ["default"]


def test_sqlite_file_upgrade_and_wal(isolated_state) -> None:
    url = f"sqlite:///{isolated_state / 'm.db'}"
    _check_schema(url)
    with get_engine(url).connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (isolated_state / "m.db").is_file()


@pytest.mark.postgres
def test_postgresql_upgrade_and_downgrade(pg_database: str) -> None:
    postgres_url = pg_database  # a database of its own: other tests add shops to the server's
    _check_schema(postgres_url)
    from alembic import command

    from minimarket.store.db import alembic_config

    command.downgrade(alembic_config(postgres_url), "base")
    assert current_revision(postgres_url) is None
    assert "products" not in set(inspect(get_engine(postgres_url)).get_table_names())
    upgrade_database(postgres_url)
    assert current_revision(postgres_url) == head_revision()
