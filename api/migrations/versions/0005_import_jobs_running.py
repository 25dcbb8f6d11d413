"""import jobs recorded before the work: stage, runner, finished_at

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00

An import job is committed as ``running`` before its file is read, so a server killed during
an import leaves a trace: ``stage`` (``reading`` or ``storing``), ``runner`` (the server
process, ``host:pid``) and ``finished_at``. Existing jobs are finished ones and keep NULL in
the three columns. ``ADD COLUMN`` of nullable columns rewrites nothing on either database.
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('import_jobs', sa.Column('stage', sa.String(length=16), nullable=True))
    op.add_column('import_jobs', sa.Column('runner', sa.String(length=200), nullable=True))
    op.add_column('import_jobs', sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A job still running has no meaning without its stage: it is recorded as failed.
    op.execute(
        "UPDATE import_jobs SET status = 'failed', "
        "error = 'interrupted (recorded by the downgrade of migration 0005)' "
        "WHERE status = 'running'"
    )
    with op.batch_alter_table('import_jobs') as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('runner')
        batch_op.drop_column('stage')
