"""support programme: associations, rounds, nominations, decisions, funded items (issue 14)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:30:00

``support_rounds`` keeps a round's budget and dates as columns and its support types,
eligibility, fairness and milestone settings as the round file format (``definition``);
``support_nominations`` the associations' nominations and firms' own applications;
``support_decisions`` the decision on each (the solver's proposal and a staff override with its
reason); ``support_funded_items`` with ``support_milestones`` and ``support_inspections`` the
monitoring. ``api_keys.association_id`` binds an association key to its association. New
tables and one nullable column: nothing existing is rewritten.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_associations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_associations'))
    )
    op.create_index(op.f('ix_support_associations_association_id'), 'support_associations', ['association_id'], unique=True)
    op.create_table('support_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('budget_vnd', sa.BigInteger(), nullable=False),
    sa.Column('opens', sa.Date(), nullable=False),
    sa.Column('closes', sa.Date(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposal_summary', sa.JSON(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_rounds'))
    )
    op.create_index(op.f('ix_support_rounds_round_id'), 'support_rounds', ['round_id'], unique=True)
    op.create_table('support_nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_pk', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.String(length=64), nullable=False),
    sa.Column('firm_id', sa.String(length=64), nullable=False),
    sa.Column('support_type', sa.String(length=64), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('nominated_by', sa.String(length=16), nullable=False),
    sa.Column('association_id', sa.String(length=64), nullable=True),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['support_associations.association_id'], name=op.f('fk_support_nominations_association_id_support_associations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.firm_id'], name=op.f('fk_support_nominations_firm_id_firms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_pk'], ['support_rounds.id'], name=op.f('fk_support_nominations_round_pk_support_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_nominations')),
    sa.UniqueConstraint('round_pk', 'firm_id', 'support_type', name='uq_support_nominations_firm_type'),
    sa.UniqueConstraint('round_pk', 'nomination_id', name=op.f('uq_support_nominations_round_pk'))
    )
    op.create_index(op.f('ix_support_nominations_association_id'), 'support_nominations', ['association_id'], unique=False)
    op.create_index(op.f('ix_support_nominations_firm_id'), 'support_nominations', ['firm_id'], unique=False)
    op.create_index(op.f('ix_support_nominations_round_pk'), 'support_nominations', ['round_pk'], unique=False)
    op.create_table('support_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_pk', sa.Integer(), nullable=False),
    sa.Column('nomination_pk', sa.Integer(), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('proposed', sa.Boolean(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('cost_vnd', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('target_gain', sa.Integer(), nullable=False),
    sa.Column('new_shortlists', sa.Integer(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('reason_code', sa.String(length=64), nullable=False),
    sa.Column('reason_vi', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('overridden_by', sa.String(length=120), nullable=True),
    sa.Column('overridden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['nomination_pk'], ['support_nominations.id'], name=op.f('fk_support_decisions_nomination_pk_support_nominations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_pk'], ['support_rounds.id'], name=op.f('fk_support_decisions_round_pk_support_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_decisions')),
    sa.UniqueConstraint('nomination_pk', name=op.f('uq_support_decisions_nomination_pk'))
    )
    op.create_index(op.f('ix_support_decisions_round_pk'), 'support_decisions', ['round_pk'], unique=False)
    op.create_table('support_funded_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_pk', sa.Integer(), nullable=False),
    sa.Column('nomination_pk', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.String(length=64), nullable=False),
    sa.Column('support_type', sa.String(length=64), nullable=False),
    sa.Column('certification', sa.String(length=40), nullable=True),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('funded_on', sa.Date(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.firm_id'], name=op.f('fk_support_funded_items_firm_id_firms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['nomination_pk'], ['support_nominations.id'], name=op.f('fk_support_funded_items_nomination_pk_support_nominations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_pk'], ['support_rounds.id'], name=op.f('fk_support_funded_items_round_pk_support_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_funded_items')),
    sa.UniqueConstraint('nomination_pk', name=op.f('uq_support_funded_items_nomination_pk'))
    )
    op.create_index(op.f('ix_support_funded_items_firm_id'), 'support_funded_items', ['firm_id'], unique=False)
    op.create_index(op.f('ix_support_funded_items_round_pk'), 'support_funded_items', ['round_pk'], unique=False)
    op.create_table('support_inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_pk', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('inspector', sa.String(length=120), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('satisfactory', sa.Boolean(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_pk'], ['support_funded_items.id'], name=op.f('fk_support_inspections_item_pk_support_funded_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_inspections'))
    )
    op.create_index(op.f('ix_support_inspections_item_pk'), 'support_inspections', ['item_pk'], unique=False)
    op.create_table('support_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('certificate_pk', sa.Integer(), nullable=True),
    sa.Column('certificate', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_pk'], ['firm_certifications.id'], name=op.f('fk_support_milestones_certificate_pk_firm_certifications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_pk'], ['support_funded_items.id'], name=op.f('fk_support_milestones_item_pk_support_funded_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_milestones')),
    sa.UniqueConstraint('item_pk', 'kind', name=op.f('uq_support_milestones_item_pk'))
    )
    op.create_index(op.f('ix_support_milestones_item_pk'), 'support_milestones', ['item_pk'], unique=False)
    op.add_column('api_keys', sa.Column('association_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # The programme's tables hold no one else's rows: dropping them loses rounds, nominations,
    # decisions and monitoring only (certificates recorded on firms stay with the firms).
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('association_id')
    for table in ('support_milestones', 'support_inspections', 'support_funded_items', 'support_decisions',
                  'support_nominations', 'support_rounds', 'support_associations'):
        op.drop_table(table)
