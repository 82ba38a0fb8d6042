"""Entries of a track by registration instant

Revision ID: b7e4c2a91f05
Revises: 5e1c0a7b9d42
Create Date: 2026-12-06 19:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "b7e4c2a91f05"
down_revision = "5e1c0a7b9d42"
branch_labels = None
depends_on = None


def upgrade():
    # An agency's list of a track's entries, the newest first, reads this index in order
    # and stops at the page's end instead of sorting every entry of the track.
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entry_track_registered", ["track_id", "registered_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_track_registered")
