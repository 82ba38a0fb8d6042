"""Insights at scale: each review's weighted score kept with its scores, the subscription each
announcement email was sent under, and the kept results' leniency apart

Revision ID: 5e1c0a7b9d42
Revises: b7c41e2a9f10
Create Date: 2026-12-06 18:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1c0a7b9d42"
down_revision = "b7c41e2a9f10"
branch_labels = None
depends_on = None

# The submitted reviews' scores weighed as judging.normalization.weighted_raw does (every
# criterion of a submitted review is scored); drafts get theirs at their next save.
BACKFILL = """
UPDATE review SET weighted_score = (
    SELECT 100.0 * SUM(CAST(c.weight AS FLOAT)
                       * (CAST(s.value - c.scale_min AS FLOAT)
                          / CAST(c.scale_max - c.scale_min AS FLOAT)))
           / SUM(CAST(c.weight AS FLOAT))
    FROM score s JOIN criterion c ON c.id = s.criterion_id
    WHERE s.review_id = review.id
)
WHERE status = 'submitted'
"""


# The announcements' emails already written: their recipient's subscription to the challenge,
# matched as the insights did before (the address, case-insensitively).
SUBSCRIPTIONS = """
UPDATE outbox_message SET subscription_id = (
    SELECT s.id FROM subscription s JOIN announcement a ON a.challenge_id = s.challenge_id
    WHERE outbox_message.source = 'announcement:' || CAST(a.id AS VARCHAR(20))
      AND s.email_normalized = lower(outbox_message.to_address)
)
WHERE source LIKE 'announcement:%'
"""


def upgrade():
    # Not in batch mode: SQLite adds (and drops) a column in place, keeping review's triggers.
    op.add_column("review", sa.Column("weighted_score", sa.Float(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_outbox_message_subscription_id",
            ["subscription_id"],
            unique=False,
            postgresql_where=sa.text("subscription_id IS NOT NULL"),
            sqlite_where=sa.text("subscription_id IS NOT NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_subscription_id_subscription"),
            "subscription",
            ["subscription_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(SUBSCRIPTIONS)
    # round_result keeps computed results until their reviews change: emptied, each round's
    # results are recomputed (with their leniency apart) at their next view.
    op.add_column("round_result", sa.Column("leniency", sa.JSON(), nullable=True))
    op.execute("DELETE FROM round_result")


def downgrade():
    op.drop_column("round_result", "leniency")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_subscription_id_subscription"), type_="foreignkey"
        )
        batch_op.drop_index("ix_outbox_message_subscription_id")
        batch_op.drop_column("subscription_id")
    op.drop_column("review", "weighted_score")
