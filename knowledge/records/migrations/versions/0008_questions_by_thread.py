"""records: questions found by their thread (is a reply in a thread a follow-up?)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_questions_thread", "questions", ["channel", "thread"])


def downgrade() -> None:
    op.drop_index("ix_questions_thread", table_name="questions")
