"""events: business-matching events and the meetings of their schedule (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:20:00

``events`` keeps each event as the project's event JSON (``definition``, the format of
``data/demo/event_demo.json``) and the summary of its current schedule; ``event_meetings``
holds that schedule's meetings one row each, with when a meeting was held and the
``meeting`` outcome it recorded. New tables only: nothing existing is rewritten.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('schedule_summary', sa.JSON(), nullable=True),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('scheduled_by', sa.String(length=120), nullable=True),
        sa.Column('by', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    )
    op.create_index(op.f('ix_events_event_id'), 'events', ['event_id'], unique=True)
    op.create_table(
        'event_meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_pk', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('start', sa.String(length=5), nullable=False),
        sa.Column('end', sa.String(length=5), nullable=False),
        sa.Column('table_number', sa.Integer(), nullable=False),
        sa.Column('buyer_id', sa.String(length=64), nullable=False),
        sa.Column('firm_id', sa.String(length=64), nullable=False),
        sa.Column('need_id', sa.String(length=64), nullable=True),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('requested_by', sa.String(length=8), nullable=False),
        sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('held_by', sa.String(length=120), nullable=True),
        sa.Column('outcome_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['event_pk'], ['events.id'], name=op.f('fk_event_meetings_event_pk_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_event_meetings_outcome_id_outcomes'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_meetings')),
        sa.UniqueConstraint('event_pk', 'buyer_id', 'firm_id', name=op.f('uq_event_meetings_event_pk')),
    )
    op.create_index(op.f('ix_event_meetings_event_pk'), 'event_meetings', ['event_pk'], unique=False)
    op.create_index(op.f('ix_event_meetings_firm_id'), 'event_meetings', ['firm_id'], unique=False)


def downgrade() -> None:
    # Events hold no one else's rows: dropping them loses the events and their schedules only
    # (the outcomes their held meetings recorded stay, with their notes naming the event).
    op.drop_index(op.f('ix_event_meetings_firm_id'), table_name='event_meetings')
    op.drop_index(op.f('ix_event_meetings_event_pk'), table_name='event_meetings')
    op.drop_table('event_meetings')
    op.drop_index(op.f('ix_events_event_id'), table_name='events')
    op.drop_table('events')
