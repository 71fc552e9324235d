"""operations: runs of the scheduled pipelines

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

One row per run of a ``pipelines/*.yaml`` file (monthly CPI update, weekly drift check, nightly backup,
monthly key rotation): start, end, outcome, exit code and the tail of what it printed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pipeline", sa.String(length=80), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
    )
    op.create_index("ix_schedule_runs_pipeline_started", "schedule_runs", ["pipeline", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_schedule_runs_pipeline_started", table_name="schedule_runs")
    op.drop_table("schedule_runs")
