"""The uniqueness rules live in the database: the migrations create exactly the models' constraints (so a race's
loser meets them), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from minimarket.store.db import get_engine, upgrade_database
from minimarket.store.models import Base

EXPECTED_UNIQUE = {
    ("sales", ("shop_id", "row_key")),
    ("sales_imports", ("shop_id", "batch")),
    ("stock_movements", ("shop_id", "idempotency_key")),
    ("invoices", ("shop_id", "sha256")),
    ("invoices", ("shop_id", "issuer_cuit", "afip_code", "point_of_sale", "number")),
    ("inflation_observations", ("shop_id", "month")),
    ("national_inflation_observations", ("month",)),
    ("products", ("shop_id", "ean")),
}


def _check(url: str) -> None:
    upgrade_database(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = {"sales", "sales_imports", "inflation_observations", "national_inflation_observations"}  # migration 0004

    def about_models(d: object) -> bool:  # the tables migration 0004 shapes
        item = d[0] if isinstance(d, list) else d
        kind, obj = item[0], item[1] if len(item) > 1 else None
        table = (
            getattr(obj, "name", None)
            if kind.endswith("_table")
            else getattr(getattr(obj, "table", None), "name", None)
        )
        return kind not in ("modify_type", "modify_nullable") and (table is None or table in ours)

    assert [d for d in diff if about_models(d)] == []
    inspector = inspect(engine)
    found = set()
    for table in inspector.get_table_names():
        for constraint in inspector.get_unique_constraints(table):
            found.add((table, tuple(constraint["column_names"])))
        for index in inspector.get_indexes(table):
            if index.get("unique"):
                found.add((table, tuple(index["column_names"])))
    assert found >= EXPECTED_UNIQUE


def test_sqlite_schema_matches_the_models(isolated_state: object) -> None:
    _check(f"sqlite:///{isolated_state}/schema.db")


@pytest.mark.postgres
def test_postgresql_schema_matches_the_models(pg_database: str) -> None:
    _check(pg_database)
