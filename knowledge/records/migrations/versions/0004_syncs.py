"""records: the syncs of docs sources and ingests, with their progress and reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "syncs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_index("ix_syncs_source", "syncs", ["source"])


def downgrade() -> None:
    op.drop_index("ix_syncs_source", table_name="syncs")
    op.drop_table("syncs")
