"""Judges' anonymous numbers for their assignments

Revision ID: 4b786002027f
Revises: ec627ce3ef22
Create Date: 2026-12-06 08:38:25.853301

A judge's queue shows each assignment under the judge's own number (``judging.anonymity``),
unique among the judge's active assignments in the round. Existing assignments are numbered
from 1000 in the order they were made, per judge and round; new ones draw theirs at random.
The assignment table keeps its triggers (conflict guards): it is altered in place, never
rebuilt.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4b786002027f"
down_revision = "ec627ce3ef22"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("ended_at IS NULL")


def upgrade():
    op.add_column("assignment", sa.Column("number", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE assignment SET number = 999 + (SELECT count(*) FROM assignment b "
        "WHERE b.round_id = assignment.round_id AND b.user_id = assignment.user_id "
        "AND b.id <= assignment.id)"
    )
    op.create_index(
        "uq_assignment_number",
        "assignment",
        ["round_id", "user_id", "number"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def downgrade():
    op.drop_index("uq_assignment_number", table_name="assignment")
    op.drop_column("assignment", "number")
