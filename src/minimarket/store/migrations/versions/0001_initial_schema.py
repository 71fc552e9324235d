"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import minimarket.store.types


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("code", name=op.f("uq_shops_code")),
    )
    op.create_table(
        "inflation_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("pct", minimarket.store.types.ExactDecimal(precision=9, scale=4), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_inflation_observations_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inflation_observations")),
    )
    with op.batch_alter_table("inflation_observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inflation_observations_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index("ix_inflation_shop_month", ["shop_id", "month"], unique=False)

    op.create_table(
        "sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", minimarket.store.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", minimarket.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("import_batch", sa.String(length=64), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_sales_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales")),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_import_batch"), ["import_batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index("ix_sales_shop_sku_date", ["shop_id", "sku", "date"], unique=False)

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", minimarket.store.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_stock_movements_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
        sa.UniqueConstraint(
            "shop_id", "idempotency_key", name=op.f("uq_stock_movements_shop_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_movements_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index("ix_stock_shop_sku", ["shop_id", "sku"], unique=False)

    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cuit", sa.String(length=11), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("iva_condition", sa.String(length=40), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_suppliers_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("shop_id", "cuit", name=op.f("uq_suppliers_shop_id_cuit")),
    )
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suppliers_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.String(length=500), nullable=True),
        sa.Column("invoice_type", sa.String(length=4), nullable=True),
        sa.Column("afip_code", sa.Integer(), nullable=True),
        sa.Column("point_of_sale", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("issuer_cuit", sa.String(length=11), nullable=True),
        sa.Column("issuer_name", sa.String(length=200), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("receiver_doc_type", sa.Integer(), nullable=True),
        sa.Column("receiver_doc_number", sa.String(length=20), nullable=True),
        sa.Column("cae", sa.String(length=14), nullable=True),
        sa.Column("cae_due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("exchange_rate", minimarket.store.types.ExactDecimal(precision=18, scale=6), nullable=True),
        sa.Column("net_amount", minimarket.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("vat_amount", minimarket.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column(
            "other_taxes_amount", minimarket.store.types.ExactDecimal(precision=18, scale=2), nullable=True
        ),
        sa.Column("total", minimarket.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_invoices_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_invoices_supplier_id_suppliers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "shop_id", "issuer_cuit", "afip_code", "point_of_sale", "number", name="uq_invoices_fiscal_key"
        ),
        sa.UniqueConstraint("shop_id", "sha256", name="uq_invoices_sha256"),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_issuer_cuit"), ["issuer_cuit"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index("ix_invoices_shop_issue_date", ["shop_id", "issue_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_status"), ["status"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("ean", sa.String(length=13), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("cost", minimarket.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("vat_rate", minimarket.store.types.ExactDecimal(precision=5, scale=2), nullable=False),
        sa.Column("supplier_description", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_products_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_products_supplier_id_suppliers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("shop_id", "ean", name=op.f("uq_products_shop_id_ean")),
        sa.UniqueConstraint("shop_id", "sku", name=op.f("uq_products_shop_id_sku")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "invoice_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_events_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_invoice_events_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_events")),
    )
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_events_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_events_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "invoice_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", minimarket.store.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("unit_price", minimarket.store.types.ExactDecimal(precision=18, scale=6), nullable=True),
        sa.Column("discount", minimarket.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("amount", minimarket.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("vat_rate", minimarket.store.types.ExactDecimal(precision=5, scale=2), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("sku_confidence", sa.Double(), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_items_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_invoice_items_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_items")),
    )
    with op.batch_alter_table("invoice_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_items_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_items_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_items_sku"), ["sku"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("invoice_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_items_sku"))
        batch_op.drop_index(batch_op.f("ix_invoice_items_shop_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_items_invoice_id"))

    op.drop_table("invoice_items")
    with op.batch_alter_table("invoice_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_events_shop_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_events_invoice_id"))

    op.drop_table("invoice_events")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_shop_id"))
        batch_op.drop_index(batch_op.f("ix_products_category"))

    op.drop_table("products")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_status"))
        batch_op.drop_index("ix_invoices_shop_issue_date")
        batch_op.drop_index(batch_op.f("ix_invoices_shop_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_issuer_cuit"))

    op.drop_table("invoices")
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suppliers_shop_id"))

    op.drop_table("suppliers")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_shop_sku")
        batch_op.drop_index(batch_op.f("ix_stock_movements_shop_id"))

    op.drop_table("stock_movements")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_shop_sku_date")
        batch_op.drop_index(batch_op.f("ix_sales_shop_id"))
        batch_op.drop_index(batch_op.f("ix_sales_import_batch"))
        batch_op.drop_index(batch_op.f("ix_sales_date"))

    op.drop_table("sales")
    with op.batch_alter_table("inflation_observations", schema=None) as batch_op:
        batch_op.drop_index("ix_inflation_shop_month")
        batch_op.drop_index(batch_op.f("ix_inflation_observations_shop_id"))

    op.drop_table("inflation_observations")
    op.drop_table("shops")
