"""records: what is kept about people, and the tuning exports written from them

When a question's words were removed (its retention ran out, or its asker was forgotten), so
its counts and outcomes stay without them; questions by date, for retention and the report; and
each tuning export written, so forgetting someone rewrites the exports that held their words.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_questions_asked_at", ["asked_at"])
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("held_out", sa.Float, nullable=False),
        sa.Column("pushed_to", sa.String(255), nullable=False, server_default=""),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exports")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_asked_at")
        batch_op.drop_column("redacted_at")
