"""Answer corrections and withdrawals, one Q&A digest a day for every challenge

Revision ID: 502d959eff16
Revises: 22aa659c8887
Create Date: 2026-12-06 15:47:52.361611

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "502d959eff16"
down_revision = "22aa659c8887"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "answer_digest_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_answer_digest_opt_out_subscription_id_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_digest_opt_out")),
        sa.UniqueConstraint(
            "subscription_id", name=op.f("uq_answer_digest_opt_out_subscription_id")
        ),
    )
    op.create_table(
        "answer_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("topic", sa.JSON(), nullable=False),
        sa.Column("question_text", sa.JSON(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)",
            name=op.f("ck_answer_version_published_has_time"),
        ),
        sa.CheckConstraint(
            "status IN ('awaiting_approval', 'published')",
            name=op.f("ck_answer_version_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answer.id"],
            name=op.f("fk_answer_version_answer_id_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_answer_version_approved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_answer_version_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_version")),
    )
    with op.batch_alter_table("answer_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_version_answer_id"), ["answer_id"], unique=False
        )

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_answer_withdrawn_by_id_user_account"),
            "user_account",
            ["withdrawn_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            "withdrawn_has_reason", "withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL"
        )

    # One run a day for every challenge: the runs of a day become its first run's.
    op.execute(
        "UPDATE answer SET digest_run_id = (SELECT MIN(r2.id) FROM answer_digest_run r1 "
        "JOIN answer_digest_run r2 ON r2.day = r1.day WHERE r1.id = answer.digest_run_id) "
        "WHERE digest_run_id IS NOT NULL"
    )
    op.execute(
        "DELETE FROM answer_digest_run WHERE id NOT IN "
        "(SELECT MIN(id) FROM answer_digest_run GROUP BY day)"
    )
    with op.batch_alter_table("answer_digest_run", schema=None) as batch_op:
        batch_op.drop_constraint("uq_answer_digest_run_challenge_id_day", type_="unique")
        batch_op.drop_constraint(
            "fk_answer_digest_run_challenge_id_challenge", type_="foreignkey"
        )
        batch_op.drop_column("challenge_id")
        batch_op.create_unique_constraint(batch_op.f("uq_answer_digest_run_day"), ["day"])


def downgrade():
    # The runs name no challenge any more: forget them (the next digest covers the answers).
    op.execute("UPDATE answer SET digest_run_id = NULL")
    op.execute("DELETE FROM answer_digest_run")
    with op.batch_alter_table("answer_digest_run", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_answer_digest_run_day"), type_="unique")
        batch_op.add_column(sa.Column("challenge_id", sa.Integer(), nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_answer_digest_run_challenge_id_challenge"),
            "challenge",
            ["challenge_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_answer_digest_run_challenge_id_day"), ["challenge_id", "day"]
        )

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_constraint("withdrawn_has_reason", type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_answer_withdrawn_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("corrected_at")

    with op.batch_alter_table("answer_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_version_answer_id"))

    op.drop_table("answer_version")
    op.drop_table("answer_digest_opt_out")
