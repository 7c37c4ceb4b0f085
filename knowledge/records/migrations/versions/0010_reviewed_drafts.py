"""records: answers a teammate reviews before the asker sees them (draft channels)

Where the draft waits for review (its message in the review channel), who approved it and when.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_ref", sa.String(255), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("reviewed_by", sa.String(64), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_questions_review_ref", ["review_ref"])


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_review_ref")
        for column in ("reviewed_at", "reviewed_by", "review_ref"):
            batch_op.drop_column(column)
