"""records: each question's life (claim, state, where the reply goes), answers before delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before this revision were stored after their answer was posted: delivered.
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="delivered")
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("reply_task", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("reply_to", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("failure", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("event_id", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("collections", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("handoff_contact", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("swept_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_questions_state"), ["state"], unique=False)
    op.execute("UPDATE questions SET updated_at = asked_at, reply_to = '{}'")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True),
                              nullable=False)  # fmt: skip
        batch_op.alter_column("reply_to", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.alter_column("message_ref", existing_type=sa.String(length=255), nullable=True)
        batch_op.alter_column("place", existing_type=sa.String(length=255), nullable=True)
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE answers SET delivered_at = answered_at")


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_state"))
        for column in ("swept_at", "handoff_contact", "collections", "event_id", "failure",
                       "delivery_id", "reply_to", "reply_task", "updated_at", "state"):  # fmt: skip
            batch_op.drop_column(column)
