"""firm, buyer and need IDs up to 64 characters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00

Firms, buyers and needs keep the user's own stable ID, up to 64 characters
(``features.identity.ID_MAX_LENGTH``). Every column holding one grows from ``VARCHAR(16)``
to ``VARCHAR(64)``: the keys of ``firms``, ``buyers`` and ``needs``, the foreign keys that
point at them, and ``api_keys.firm_id``. ``audit_log.entity_id`` names an outcome as
``need_id/firm_id``, so it grows from ``VARCHAR(40)`` to ``VARCHAR(129)``.

* PostgreSQL: ``ALTER COLUMN ... TYPE VARCHAR(n)``. Widening a ``VARCHAR`` rewrites neither
  the table nor its indexes, and the foreign keys stay in place.
* SQLite: a ``VARCHAR(n)`` column has TEXT affinity whatever ``n`` is and its length is never
  enforced, so nothing stored changes; only the declared type in each table's ``CREATE
  TABLE`` text does, so that the schema matches the models. It is edited in ``sqlite_master``
  the way SQLite documents for changes that leave the stored content alone ("Making Other
  Kinds Of Table Schema Changes", https://www.sqlite.org/lang_altertable.html): bump
  ``schema_version``, then ``PRAGMA integrity_check``. Batch mode's copy-and-move cannot be
  used here: migrations run in one transaction with foreign keys on (``PRAGMA foreign_keys``
  cannot change inside it), so dropping ``firms`` to rebuild it would delete its
  certifications (``ON DELETE CASCADE``) and fail on its match history (``RESTRICT``).

The downgrade refuses, naming the table and column, while a value is longer than the old
length.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# (table, column, old length, new length, nullable); the lengths are frozen here on purpose:
# this revision must keep meaning the same schema whatever the models say later.
WIDENED = (
    ('firms', 'firm_id', 16, 64, False),
    ('buyers', 'buyer_id', 16, 64, False),
    ('needs', 'need_id', 16, 64, False),
    ('needs', 'buyer_id', 16, 64, False),
    ('shortlist_runs', 'need_id', 16, 64, False),
    ('shortlists', 'need_id', 16, 64, False),
    ('shortlists', 'firm_id', 16, 64, False),
    ('outcomes', 'need_id', 16, 64, False),
    ('outcomes', 'firm_id', 16, 64, False),
    ('api_keys', 'firm_id', 16, 64, True),
    ('audit_log', 'entity_id', 40, 129, False),
)


def _declared_type(sql: str, table: str, column: str, old: int, new: int) -> str:
    """``sql`` (a ``CREATE TABLE``) with ``column VARCHAR(old)`` declared ``VARCHAR(new)``."""
    pattern = re.compile(rf'(\n\s*"?{re.escape(column)}"?\s+)VARCHAR\({old}\)', re.IGNORECASE)
    changed, found = pattern.subn(rf'\g<1>VARCHAR({new})', sql)
    if found != 1:
        raise RuntimeError(
            f"Expected one column '{column} VARCHAR({old})' in the SQLite table '{table}', "
            f"found {found}. The database is not at revision {down_revision!r} as Alembic "
            "records it; check `alembic current` and the table's schema."
        )
    return changed


def _retype_sqlite(bind, changes: list[tuple[str, str, int, int]]) -> None:
    tables = {table for table, *_ in changes}
    sql = {name: text for name, text in bind.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN :names"
    ).bindparams(sa.bindparam('names', expanding=True)), {'names': sorted(tables)})}
    for table, column, old, new in changes:
        sql[table] = _declared_type(sql[table], table, column, old, new)
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    try:
        for table in sorted(tables):
            bind.execute(sa.text(
                "UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"
            ), {'sql': sql[table], 'name': table})
        # A new schema version makes every connection, this one too, read the schema again.
        bind.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    finally:
        bind.exec_driver_sql('PRAGMA writable_schema = OFF')
    problems = [row[0] for row in bind.exec_driver_sql('PRAGMA integrity_check')]
    if problems != ['ok']:
        raise RuntimeError(f"SQLite integrity check failed after changing column types: {problems}")


def _retype(changes: list[tuple[str, str, int, int, bool]]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _retype_sqlite(bind, [(table, column, old, new) for table, column, old, new, _ in changes])
        return
    for table, column, old, new, nullable in changes:
        op.alter_column(table, column, existing_type=sa.String(length=old),
                        type_=sa.String(length=new), existing_nullable=nullable)


def _refuse_too_long(changes: list[tuple[str, str, int, int, bool]]) -> None:
    bind = op.get_bind()
    for table, column, _, longest, _ in changes:
        count = bind.execute(sa.text(
            f'SELECT COUNT(*) FROM {table} WHERE LENGTH({column}) > {longest}'
        )).scalar()
        if count:
            raise RuntimeError(
                f"Cannot downgrade below revision {revision!r}: {count} row(s) of '{table}' have "
                f"a '{column}' longer than {longest} characters. Shorten or delete them first."
            )


def upgrade() -> None:
    _retype(list(WIDENED))


def downgrade() -> None:
    narrowed = [(table, column, new, old, nullable)
                for table, column, old, new, nullable in WIDENED]  # fmt: skip
    _refuse_too_long(narrowed)
    _retype(narrowed)
