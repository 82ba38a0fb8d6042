"""Kept results one row per submission: a results page reads the rows it shows (a range of a
track's index) and the round's small summary, not every submission's result in one JSON
document. Kept results are a cache: emptied, each round's results are recomputed at their next
view.

Revision ID: a75d4858ba04
Revises: b7e4c2a91f05
Create Date: 2026-12-06 21:39:23.252557

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a75d4858ba04"
down_revision = "b7e4c2a91f05"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM round_result")
    with op.batch_alter_table("round_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mu", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("sigma", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("outliers", sa.JSON(), nullable=True))
        batch_op.drop_column("data")
    op.create_table(
        "round_result_item",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("track_position", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=False),
        sa.Column("raw", sa.Double(), nullable=True),
        sa.Column("normalized", sa.Double(), nullable=True),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("spread", sa.Double(), nullable=True),
        sa.Column("sd", sa.Double(), nullable=True),
        sa.Column("rank_track", sa.Integer(), nullable=True),
        sa.Column("rank_overall", sa.Integer(), nullable=True),
        sa.Column("tied", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id", "stage"],
            ["round_result.round_id", "round_result.stage"],
            name=op.f("fk_round_result_item_round_id_round_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "stage", "position", name=op.f("pk_round_result_item")),
    )
    with op.batch_alter_table("round_result_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_round_result_item_track_page",
            ["round_id", "stage", "track_id", "track_position"],
            unique=True,
        )
        batch_op.create_index(
            "ix_round_result_item_entry", ["round_id", "stage", "entry_id"], unique=False
        )


def downgrade():
    op.drop_table("round_result_item")
    op.execute("DELETE FROM round_result")
    with op.batch_alter_table("round_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=False))
        batch_op.drop_column("outliers")
        batch_op.drop_column("sigma")
        batch_op.drop_column("mu")
