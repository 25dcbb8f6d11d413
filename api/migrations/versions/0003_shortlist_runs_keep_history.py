"""shortlist runs; match history kept

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00

* ``shortlist_runs``: each computation of a need's shortlist is a run of its own; entries
  are never deleted or replaced, so an entry id keeps naming the same (need, firm) pair.
  Existing entries get one run per (need, model version, created_at), the way the old code
  wrote them (one POST = one timestamp).
* ``shortlists``: ``run_id``; unique per (run, firm) instead of (need, firm, model version);
  ``sqlite_autoincrement`` so SQLite never reuses an id.
* ``shortlists`` and ``outcomes``: foreign keys to firms and needs ``RESTRICT`` instead of
  ``CASCADE``: deleting a firm or need no longer erases its match history.

SQLite rebuilds a table to change its constraints; dropping the old ``shortlists`` with
foreign keys on would fire ``ON DELETE SET NULL`` on ``outcomes.shortlist_entry_id``, so
those links are saved before and restored after.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _restrict(batch_op, table: str, cascade: bool = False) -> None:
    ondelete = 'CASCADE' if cascade else 'RESTRICT'
    for column, parent in (('need_id', 'needs'), ('firm_id', 'firms')):
        name = f'fk_{table}_{column}_{parent}'
        batch_op.drop_constraint(name, type_='foreignkey')
        batch_op.create_foreign_key(name, parent, [column], [column], ondelete=ondelete)


def _save_entry_links(bind) -> list:
    if bind.dialect.name != 'sqlite':
        return []
    return list(bind.execute(sa.text(
        'SELECT id, shortlist_entry_id FROM outcomes WHERE shortlist_entry_id IS NOT NULL'
    )))


def _restore_entry_links(bind, links: list) -> None:
    for outcome_id, entry_id in links:
        bind.execute(sa.text('UPDATE outcomes SET shortlist_entry_id = :entry WHERE id = :id'),
                     {'entry': entry_id, 'id': outcome_id})


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('shortlist_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.String(length=16), nullable=False),
    sa.Column('model_version', sa.String(length=60), nullable=False),
    sa.Column('k', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['needs.need_id'], name=op.f('fk_shortlist_runs_need_id_needs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_runs')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('shortlist_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlist_runs_need_id'), ['need_id'], unique=False)
    with op.batch_alter_table('shortlists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=True))

    # One run per list the old code stored: same need, model version and timestamp.
    bind.execute(sa.text(
        "INSERT INTO shortlist_runs (need_id, model_version, k, parameters, created_at) "
        "SELECT need_id, model_version, COUNT(*), '{}', created_at FROM shortlists "
        "GROUP BY need_id, model_version, created_at ORDER BY MIN(id)"
    ))
    bind.execute(sa.text(
        "UPDATE shortlists SET run_id = (SELECT r.id FROM shortlist_runs r "
        "WHERE r.need_id = shortlists.need_id AND r.model_version = shortlists.model_version "
        "AND r.created_at = shortlists.created_at)"
    ))

    links = _save_entry_links(bind)
    with op.batch_alter_table('shortlists', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.alter_column('run_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_shortlists_need_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_shortlists_run_id'), ['run_id', 'firm_id'])
        batch_op.create_index(batch_op.f('ix_shortlists_run_id'), ['run_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_shortlists_run_id_shortlist_runs'), 'shortlist_runs', ['run_id'], ['id'], ondelete='RESTRICT')
        _restrict(batch_op, 'shortlists')
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        _restrict(batch_op, 'outcomes')
    _restore_entry_links(bind, links)


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        _restrict(batch_op, 'outcomes', cascade=True)
    # The old schema allows one entry per (need, firm, model version): keep the newest.
    bind.execute(sa.text(
        "UPDATE outcomes SET shortlist_entry_id = NULL WHERE shortlist_entry_id IN ("
        "SELECT s.id FROM shortlists s WHERE EXISTS (SELECT 1 FROM shortlists t "
        "WHERE t.need_id = s.need_id AND t.firm_id = s.firm_id "
        "AND t.model_version = s.model_version AND t.id > s.id))"
    ))
    bind.execute(sa.text(
        "DELETE FROM shortlists WHERE EXISTS (SELECT 1 FROM shortlists t "
        "WHERE t.need_id = shortlists.need_id AND t.firm_id = shortlists.firm_id "
        "AND t.model_version = shortlists.model_version AND t.id > shortlists.id)"
    ))
    links = _save_entry_links(bind)
    with op.batch_alter_table('shortlists', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shortlists_run_id_shortlist_runs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_shortlists_run_id'))
        batch_op.drop_constraint(batch_op.f('uq_shortlists_run_id'), type_='unique')
        batch_op.create_unique_constraint('uq_shortlists_need_id', ['need_id', 'firm_id', 'model_version'])
        _restrict(batch_op, 'shortlists', cascade=True)
        batch_op.drop_column('run_id')
    _restore_entry_links(bind, links)
    with op.batch_alter_table('shortlist_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlist_runs_need_id'))
    op.drop_table('shortlist_runs')
