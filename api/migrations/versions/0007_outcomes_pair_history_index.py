"""outcomes: one index over a pair's history (need_id, firm_id, id, status)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:10:00

A pair's latest status (the last recorded event), the outcome funnel of ``GET /kpi`` (the
furthest stage of each pair, the pairs whose last event is a rejection) and the firms
connected to a multinational are all read per pair in recorded order. With this covering
index the database reads them from the index alone instead of sorting every event (issue 12:
the KPI under load).
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outcomes_pair_history', 'outcomes', ['need_id', 'firm_id', 'id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_outcomes_pair_history', table_name='outcomes')
