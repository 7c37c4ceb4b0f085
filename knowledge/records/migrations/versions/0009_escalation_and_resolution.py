"""records: escalations and resolutions of questions, and the bar of an auto channel

A question handed to a person (who asked for one, when, whether the handoff webhook took it) and
marked resolved (by whom); the answerability bar of a channel the bot answers by itself.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_by", sa.String(64), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("handoff_sent_at", sa.DateTime(timezone=True),
                                      nullable=True))  # fmt: skip
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(64), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.add_column(sa.Column("answer_bar", sa.Float, nullable=True))
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_off", sa.Boolean, nullable=False,
                                      server_default=sa.false()))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("handed_off")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("answer_bar")
        for column in ("resolved_by", "resolved_at", "handoff_sent_at", "escalated_by",
                       "escalated_at"):  # fmt: skip
            batch_op.drop_column(column)
