"""accounting: ARCA reconciliation runs and confirmed pack conversions (issue 22)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("generation", sa.String(length=4), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_reconciliation_runs_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
    )
    with op.batch_alter_table("reconciliation_runs", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliation_runs_shop_created", ["shop_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reconciliation_runs_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "pack_conversions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_cuit", sa.String(length=11), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_pack_conversions_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_conversions")),
        sa.UniqueConstraint("shop_id", "supplier_cuit", "sku", name=op.f("uq_pack_conversions_shop_id_supplier_cuit_sku")),
    )
    with op.batch_alter_table("pack_conversions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_conversions_shop_id"), ["shop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pack_conversions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_conversions_shop_id"))
    op.drop_table("pack_conversions")
    with op.batch_alter_table("reconciliation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_runs_shop_id"))
        batch_op.drop_index("ix_reconciliation_runs_shop_created")
    op.drop_table("reconciliation_runs")
