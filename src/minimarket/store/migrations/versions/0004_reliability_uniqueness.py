"""reliability: uniqueness in constraints (sales rows by content, one unforced CPI figure per month), sales
imports, national CPI observations

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import minimarket.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNFORCED = sa.text("forced = false")


def _number(value: object) -> str:
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def _fill_row_keys() -> None:
    """Existing sales get the key a new import computes (content + occurrence within their batch)."""
    bind = op.get_bind()
    sales = sa.table(
        "sales",
        sa.column("id", sa.Integer),
        sa.column("shop_id", sa.Integer),
        sa.column("date", sa.Date),
        sa.column("sku", sa.String),
        sa.column("quantity", sa.String),
        sa.column("unit_price", sa.String),
        sa.column("import_batch", sa.String),
        sa.column("row_key", sa.String),
    )
    seen: dict[tuple[int, str | None, str], int] = {}
    updates = []
    rows = bind.execute(
        sa.select(sales.c.id, sales.c.shop_id, sales.c.date, sales.c.sku, sales.c.quantity, sales.c.unit_price,
                  sales.c.import_batch).order_by(sales.c.id)
    )
    for row in rows:
        text = f"{row.date.isoformat()}|{row.sku}|{_number(row.quantity)}|{_number(row.unit_price)}"
        digest = hashlib.sha256(text.encode()).hexdigest()[:40]
        key = (row.shop_id, row.import_batch, digest)
        seen[key] = seen.get(key, 0) + 1
        updates.append({"sale_id": row.id, "key": f"{digest}:{seen[key]}"})
    for start in range(0, len(updates), 5000):
        bind.execute(
            sales.update().where(sales.c.id == sa.bindparam("sale_id")).values(row_key=sa.bindparam("key")),
            updates[start : start + 5000],
        )


def upgrade() -> None:
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_key", sa.String(length=64), nullable=True))
    _fill_row_keys()
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_sales_row_key", ["shop_id", "row_key"])

    op.create_table(
        "sales_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.String(length=500), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_sales_imports_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_imports")),
        sa.UniqueConstraint("shop_id", "batch", name="uq_sales_imports_batch"),
    )
    with op.batch_alter_table("sales_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_imports_shop_id"), ["shop_id"], unique=False)

    op.create_index(
        "uq_inflation_shop_month_unforced",
        "inflation_observations",
        ["shop_id", "month"],
        unique=True,
        sqlite_where=UNFORCED,
        postgresql_where=UNFORCED,
    )

    op.create_table(
        "national_inflation_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("pct", minimarket.store.types.ExactDecimal(precision=9, scale=4), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_inflation_observations")),
    )
    op.create_index("ix_national_inflation_month", "national_inflation_observations", ["month"], unique=False)
    op.create_index(
        "uq_national_inflation_month_unforced",
        "national_inflation_observations",
        ["month"],
        unique=True,
        sqlite_where=UNFORCED,
        postgresql_where=UNFORCED,
    )


def downgrade() -> None:
    op.drop_index("uq_national_inflation_month_unforced", table_name="national_inflation_observations")
    op.drop_index("ix_national_inflation_month", table_name="national_inflation_observations")
    op.drop_table("national_inflation_observations")
    op.drop_index("uq_inflation_shop_month_unforced", table_name="inflation_observations")
    with op.batch_alter_table("sales_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_imports_shop_id"))
    op.drop_table("sales_imports")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sales_row_key", type_="unique")
        batch_op.drop_column("row_key")
