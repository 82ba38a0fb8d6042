"""Sealed secrets: TOTP seeds and webhook signing secrets encrypted at rest (core.sealed)

Revision ID: da36c0fa68b2
Revises: cbdd24674573
Create Date: 2026-12-07 04:41:29.342437

The columns widen to hold a Fernet token, and every secret already stored is sealed with the
first of DATA_KEYS (or the key derived from SECRET_KEY); going down opens them again.
"""
from alembic import op
import sqlalchemy as sa

from competitions.core import sealed


# revision identifiers, used by Alembic.
revision = 'da36c0fa68b2'
down_revision = 'cbdd24674573'
branch_labels = None
depends_on = None

COLUMNS = (("account_totp", "secret", 64, False), ("webhook_endpoint", "secret", 100, False),
           ("webhook_endpoint", "previous_secret", 100, True))


def _convert(change) -> None:
    """Apply ``change`` to every stored value of the sealed columns, row by row."""
    bind = op.get_bind()
    for table, column, _length, _nullable in COLUMNS:
        value, key = sa.column(column, sa.String), sa.column("id", sa.Integer)
        t = sa.table(table, value, key)
        for row_id, stored in bind.execute(sa.select(key, value).where(value.is_not(None))).all():
            bind.execute(sa.update(t).where(key == row_id).values({column: change(stored)}))


def upgrade():
    for table, column, length, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.VARCHAR(length=length),
                                  type_=sa.String(length=sealed.LENGTH), existing_nullable=nullable)
    _convert(sealed.seal)


def downgrade():
    _convert(sealed.unseal)
    for table, column, length, nullable in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=sealed.LENGTH),
                                  type_=sa.VARCHAR(length=length), existing_nullable=nullable)
