"""Account sessions: one row per signed-in browser, so that signing out, ending a session
from the list and "sign out everywhere" end it on the server.

Revision ID: ec627ce3ef22
Revises: 562434070085
Create Date: 2026-12-06 08:17:29.123814

No existing row changes. Browsers signed in before this revision carry cookies that name no
session row: they are signed out once, and sign in again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ec627ce3ef22"
down_revision = "562434070085"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_token", sa.String(length=64), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("member", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_account_session_expires_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_account_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_account_session_key_hash")),
    )
    with op.batch_alter_table("account_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_session_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("account_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_session_user_id"))

    op.drop_table("account_session")
