"""chains: a ``chains`` table and the nullable ``shops.chain_id``

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

A chain groups shops; its managers read every member shop. ``shops.chain_id`` is added with a plain
``ALTER TABLE ... ADD COLUMN`` (nullable, so no table rebuild: on SQLite a rebuild of ``shops`` would cascade
to every shop-owned row). PostgreSQL also gets the foreign key; SQLite keeps the column without it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chains")),
        sa.UniqueConstraint("code", name=op.f("uq_chains_code")),
    )
    op.add_column("shops", sa.Column("chain_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_shops_chain_id"), "shops", ["chain_id"], unique=False)
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            op.f("fk_shops_chain_id_chains"), "shops", "chains", ["chain_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_shops_chain_id_chains"), "shops", type_="foreignkey")
    op.drop_index(op.f("ix_shops_chain_id"), table_name="shops")
    op.drop_column("shops", "chain_id")
    op.drop_table("chains")
