"""batches across API replicas: per-document leases

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05

A batch document being read is claimed by one replica (``claimed_by``) until ``lease_until``; the replica
renews the lease while it works, and when a replica dies its leases lapse and another replica takes the
documents over. (Re-chained after 0007 when the branches are merged.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_documents") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_documents") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
