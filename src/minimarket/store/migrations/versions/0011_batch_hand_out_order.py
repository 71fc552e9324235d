"""batch documents handed out the likely slowest first

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

``hand_out`` is where a document of a batch comes in the order the readers take them (the likely slowest of the
batch first: :func:`minimarket.documents.reading_order.hand_out_order`); ``position`` stays the order the client
sent them in. Documents of batches created before this revision have none: they are taken by position.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_documents") as batch:
        batch.add_column(sa.Column("hand_out", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_documents") as batch:
        batch.drop_column("hand_out")
