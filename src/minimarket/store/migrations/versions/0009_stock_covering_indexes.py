"""stock alerts: covering indexes on sales and stock movements

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

The stock alerts read, per request, the net units sold per SKU and day over the last 90 days and the units on
hand per SKU (the sum of every stock movement). Both scans fetched each row from the table for its quantity
(``ix_sales_shop_sku_date`` has no quantity and cannot bound the date range; ``ix_stock_shop_sku`` has no
quantity either). ``ix_sales_shop_date_sku_qty`` answers the first from the index alone within the date range;
``ix_stock_shop_sku_qty`` replaces ``ix_stock_shop_sku`` (its prefix) and answers the second from the index.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sales_shop_date_sku_qty", "sales", ["shop_id", "date", "sku", "quantity"], unique=False)
    op.create_index("ix_stock_shop_sku_qty", "stock_movements", ["shop_id", "sku", "quantity"], unique=False)
    op.drop_index("ix_stock_shop_sku", table_name="stock_movements")


def downgrade() -> None:
    op.create_index("ix_stock_shop_sku", "stock_movements", ["shop_id", "sku"], unique=False)
    op.drop_index("ix_stock_shop_sku_qty", table_name="stock_movements")
    op.drop_index("ix_sales_shop_date_sku_qty", table_name="sales")
