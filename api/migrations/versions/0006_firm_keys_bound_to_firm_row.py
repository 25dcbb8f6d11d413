"""firm keys remember the firm's row: api_keys.firm_row_id

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00

A firm key used to name its firm only by the firm's ID, so a firm deleted and its ID given to
another company handed the old key the new company's records (issue 12). A key now also keeps
``firms.id`` of the firm it was issued for, and is refused when that row is gone or the ID now
belongs to another row. Existing firm keys are bound to the firm their ID names today; keys of
firms already deleted get NULL and are refused.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_keys', sa.Column('firm_row_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE api_keys SET firm_row_id = "
        "(SELECT firms.id FROM firms WHERE firms.firm_id = api_keys.firm_id) "
        "WHERE role = 'firm'"
    )


def downgrade() -> None:
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.drop_column('firm_row_id')
