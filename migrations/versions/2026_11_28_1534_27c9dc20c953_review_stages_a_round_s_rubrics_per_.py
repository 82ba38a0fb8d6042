"""Review stages: a round's rubrics per stage, with their panels; assignments, decisions and
results per stage

Revision ID: 27c9dc20c953
Revises: 7fb5f46aeabd
Create Date: 2026-11-28 15:34:21.005285

The assignment table keeps its triggers (conflict guards): it is altered in place, never
rebuilt. ``round_result`` is a cache: it is recreated empty with its new key.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "27c9dc20c953"
down_revision = "7fb5f46aeabd"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("ended_at IS NULL")


def _round_result(*key: str) -> None:
    op.drop_table("round_result")
    op.create_table(
        "round_result",
        sa.Column("round_id", sa.Integer(), nullable=False),
        *([sa.Column("stage", sa.Integer(), nullable=False)] if "stage" in key else []),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_round_result_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_round_result")),
    )


def upgrade():
    with op.batch_alter_table("advancement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.Integer(), server_default="1", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_advancement_round_id_entry_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_advancement_round_id_stage_entry_id"), ["round_id", "stage", "entry_id"]
        )

    op.add_column(
        "assignment", sa.Column("stage", sa.Integer(), server_default="1", nullable=False)
    )
    op.drop_index("uq_assignment_active", table_name="assignment")
    op.create_index(
        "uq_assignment_active",
        "assignment",
        ["submission_id", "stage", "user_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )

    _round_result("round_id", "stage")

    with op.batch_alter_table("rubric", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("name", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(
            sa.Column("panel_scope", sa.String(length=8), server_default="all", nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_rubric_round_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_rubric_round_id_stage"), ["round_id", "stage"]
        )
        batch_op.create_check_constraint("stage_positive", "stage >= 1")
        batch_op.create_check_constraint(
            "panel_scope_valid", "panel_scope IN ('all', 'tracks', 'shared')"
        )


def downgrade():
    # Later stages cannot be represented before this revision: they are dropped.
    op.execute("DELETE FROM rubric WHERE stage > 1")
    op.execute("DELETE FROM advancement WHERE stage > 1")
    with op.batch_alter_table("rubric", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_rubric_panel_scope_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_rubric_stage_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_rubric_round_id_stage"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_rubric_round_id"), ["round_id"])
        batch_op.drop_column("panel_scope")
        batch_op.drop_column("name")
        batch_op.drop_column("stage")

    _round_result("round_id")

    op.drop_index("uq_assignment_active", table_name="assignment")
    op.execute(
        "UPDATE assignment SET ended_at = created_at, end_reason = 'unassigned' "
        "WHERE stage > 1 AND ended_at IS NULL"
    )
    op.create_index(
        "uq_assignment_active",
        "assignment",
        ["submission_id", "user_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.drop_column("assignment", "stage")

    with op.batch_alter_table("advancement", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_advancement_round_id_stage_entry_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_advancement_round_id_entry_id"), ["round_id", "entry_id"]
        )
        batch_op.drop_column("stage")
