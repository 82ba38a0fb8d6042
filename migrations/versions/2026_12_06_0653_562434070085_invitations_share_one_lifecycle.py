"""Invitations share one lifecycle: partner, team and judge invitations gain what agency
invitations had — when they were last sent, who resolved them, and the rule that a resolution
has its time.

Revision ID: 562434070085
Revises: 27c9dc20c953
Create Date: 2026-12-06 06:53:31.285909

Existing rows stay valid: ``sent_at`` is their creation time (the best known), and a resolved
row without a time gets its creation time, before the check constraint is added. The partial
unique index (one open invitation per address) is dropped around the SQLite table rebuild and
created again, so its WHERE clause is kept on both engines.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "562434070085"
down_revision = "27c9dc20c953"
branch_labels = None
depends_on = None

_OWNERS = {"partner_invitation": "challenge_id", "team_invitation": "team_id", "judge_invitation": "panel_id"}
_NEW_RESOLVER = ("team_invitation", "judge_invitation")  # partner_invitation had it already
_UNRESOLVED = sa.text("resolution IS NULL")


def _open_index(table: str, create: bool) -> None:
    name = f"uq_{table}_open"
    if create:
        op.create_index(
            name,
            table,
            [_OWNERS[table], "email_normalized"],
            unique=True,
            sqlite_where=_UNRESOLVED,
            postgresql_where=_UNRESOLVED,
        )
    else:
        op.drop_index(name, table_name=table, sqlite_where=_UNRESOLVED, postgresql_where=_UNRESOLVED)


def upgrade():
    for table in _OWNERS:
        op.execute(
            f"UPDATE {table} SET resolved_at = created_at "  # noqa: S608 (fixed table names)
            "WHERE resolution IS NOT NULL AND resolved_at IS NULL"
        )
        op.execute(f"UPDATE {table} SET resolved_at = NULL WHERE resolution IS NULL")  # noqa: S608
        op.add_column(table, sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET sent_at = created_at")  # noqa: S608
        _open_index(table, create=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "sent_at", existing_type=sa.DateTime(timezone=True), nullable=False
            )
            if table in _NEW_RESOLVER:
                batch_op.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_{table}_resolved_by_id_user_account"),
                    "user_account",
                    ["resolved_by_id"],
                    ["id"],
                    ondelete="SET NULL",
                )
            batch_op.create_check_constraint(
                "resolution_has_time", "(resolution IS NULL) = (resolved_at IS NULL)"
            )
        _open_index(table, create=True)


def downgrade():
    for table in _OWNERS:
        _open_index(table, create=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_resolution_has_time"), type_="check")
            if table in _NEW_RESOLVER:
                batch_op.drop_constraint(
                    batch_op.f(f"fk_{table}_resolved_by_id_user_account"), type_="foreignkey"
                )
                batch_op.drop_column("resolved_by_id")
            batch_op.drop_column("sent_at")
        _open_index(table, create=True)
