"""records: questions asked again when the docs their answer cited changed

Whether a question's channel wants that (`refresh`), and which question a refresh asks again
(`supersedes`: its key), so the records say which answer superseded which.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refresh", sa.Boolean, nullable=False,
                                      server_default=sa.false()))  # fmt: skip
        batch_op.add_column(sa.Column("supersedes", sa.String(255), nullable=False,
                                      server_default=""))  # fmt: skip
        batch_op.create_index("ix_questions_supersedes", ["supersedes"])


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_supersedes")
        batch_op.drop_column("supersedes")
        batch_op.drop_column("refresh")
