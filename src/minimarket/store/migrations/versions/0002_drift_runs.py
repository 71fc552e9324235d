"""drift runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import minimarket.store.types


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "drift_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("drift_share", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("n_reference", sa.Integer(), nullable=False),
        sa.Column("n_current", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("report_html", sa.String(length=500), nullable=True),
        sa.Column("report_json", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_drift_runs_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_runs")),
    )
    with op.batch_alter_table("drift_runs", schema=None) as batch_op:
        batch_op.create_index("ix_drift_runs_shop_dataset_created", ["shop_id", "dataset", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_drift_runs_shop_id"), ["shop_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("drift_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drift_runs_shop_id"))
        batch_op.drop_index("ix_drift_runs_shop_dataset_created")

    op.drop_table("drift_runs")
