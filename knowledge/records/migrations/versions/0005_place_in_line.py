"""records: a waiting question's place in line, as last told in its thread, and that message

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ahead", sa.Integer, nullable=True))
        batch_op.add_column(
            sa.Column("placeholder", sa.String(128), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("placeholder")
        batch_op.drop_column("ahead")
