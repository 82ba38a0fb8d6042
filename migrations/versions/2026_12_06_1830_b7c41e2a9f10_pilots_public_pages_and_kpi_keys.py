"""Pilots: public pages (opt-in by host and team) and KPI keys shared across hosts

Revision ID: b7c41e2a9f10
Revises: a3790d3b52d1
Create Date: 2026-12-06 18:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7c41e2a9f10"
down_revision = "a3790d3b52d1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pilot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public_by_host", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("public_by_team", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("pilot_kpi", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key", sa.String(length=60), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("pilot_kpi", schema=None) as batch_op:
        batch_op.drop_column("key")
    with op.batch_alter_table("pilot", schema=None) as batch_op:
        batch_op.drop_column("public_by_team")
        batch_op.drop_column("public_by_host")
