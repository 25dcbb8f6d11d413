"""Benchmark: how long a 20,000-row firms import holds the database's write lock.

Usage::

    python benchmarks/bench_import.py [--rows 20000] [--seed 0] [--postgres URL] [--tree DIR]

Builds a firms CSV of ``--rows`` firms resampled from ``data/demo/firms.csv`` (unique firm ids
and valid, unique tax codes), reads it as the service does (:func:`features.ingest.read_table`),
creates a fresh SQLite database in a temporary folder (WAL, busy timeout, ``BEGIN IMMEDIATE``:
:func:`api.storage.session.make_engine`) migrated to head, and stores the file three times
as ``cnht import`` does (:func:`api.storage.imports.import_result` and the import job in one
transaction):

* ``first``: every row new;
* ``again``: the same file (every row unchanged);
* ``changed``: the same file with one row in ten changed (description and phone) and one
  in twenty with other certificates.

For each run it prints the seconds from the transaction's first statement (SQLite takes its
write lock there: ``BEGIN IMMEDIATE``) to the end of its COMMIT (``write_lock_seconds``), the
seconds before that first statement (``read_ahead_seconds``: the rows' texts are read before the
lock), the SQL statements sent in the transaction (one ``executemany`` counts once) per row,
and the counts. Load averages before and after are printed too: on a shared machine, compare
runs made at the same load.

``--tree DIR`` imports the ``api``/``features`` packages of another checkout (to measure the code
before a change at the same load: ``git worktree add /tmp/base HEAD``). ``--postgres URL`` runs
on PostgreSQL in a schema of its own (dropped afterwards) instead of SQLite.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _build_csv(rows: int, seed: int) -> tuple[bytes, bytes]:
    """The firms file, and the same file with some rows changed (UTF-8 CSV bytes)."""
    import numpy as np

    from benchmarks._resample import load_demo_firms, resample_firms
    from features.demo.render import mst_check_digit

    firms = resample_firms(load_demo_firms(), rows, seed=seed).drop(columns=["source_firm_id"])
    rng = np.random.default_rng(seed)
    codes: list[str] = []
    used: set[str] = set()
    while len(codes) < rows:
        body = "02" + f"{int(rng.integers(0, 10**7)):07d}"
        check = mst_check_digit(body)
        if check != "10" and body[2:] != "0000000" and body + check not in used:
            used.add(body + check)
            codes.append(body + check)
    firms["tax_code"] = codes
    first = firms.to_csv(index=False).encode("utf-8")
    changed = firms.copy()
    every_tenth = changed.index % 10 == 3
    changed.loc[every_tenth, "description"] = changed.loc[every_tenth, "description"].fillna("") + " Nhận gia công theo bản vẽ."
    changed.loc[every_tenth, "phone"] = "024 3999 0000"
    every_twentieth = changed.index % 20 == 7
    changed.loc[every_twentieth, "certifications"] = "ISO 9001:2015 cấp ngày 01/03/2025, hiệu lực đến 28/02/2028"
    return first, changed.to_csv(index=False).encode("utf-8")


def _store(factory, engine, result) -> dict:
    """Store ``result`` as ``cnht import`` does; the transaction's timings and statements."""
    from sqlalchemy import event

    from api.storage.imports import import_result
    from api.storage.models import ImportJob
    from api.storage.session import transaction

    marks: dict[str, float] = {}
    statements = [0]
    collections = {"seconds": 0.0, "started": 0.0, "full": 0}

    def _begin(conn) -> None:
        marks.setdefault("begin", time.perf_counter())
        marks.setdefault("begin_cpu", time.process_time())

    def _collection(phase: str, info: dict) -> None:
        # Python's cyclic garbage collector, while the write lock is held.
        if "begin" not in marks or "end" in marks:
            return
        if phase == "start":
            collections["started"] = time.perf_counter()
        else:
            collections["seconds"] += time.perf_counter() - collections["started"]
            collections["full"] += info["generation"] == 2

    def _statement(conn, cursor, statement, parameters, context, executemany) -> None:
        statements[0] += 1

    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _statement)
    gc.callbacks.append(_collection)
    start = time.perf_counter()
    try:
        with transaction(factory) as session:
            counts = import_result(session, result, "bench")
            session.add(ImportJob(
                kind="firms", filename="bench.csv", status="done", rows_read=counts.read,
                inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
                rejected=counts.rows_rejected, rejects=counts.rejects, by="bench",
            ))  # fmt: skip
        end, end_cpu = time.perf_counter(), time.process_time()
        marks["end"] = end
    finally:
        gc.callbacks.remove(_collection)
        event.remove(engine, "begin", _begin)
        event.remove(engine, "before_cursor_execute", _statement)
    begin = marks.get("begin", end)
    rows = max(1, result.rows_read)
    return {
        "write_lock_seconds": round(end - begin, 2),
        # CPU seconds of this process in the transaction: less sensitive to a busy machine.
        "write_lock_cpu_seconds": round(end_cpu - marks.get("begin_cpu", end_cpu), 2),
        "gc_seconds_in_lock": round(collections["seconds"], 2),
        "gc_full_collections_in_lock": collections["full"],
        "read_ahead_seconds": round(begin - start, 2),
        "statements": statements[0],
        "statements_per_row": round(statements[0] / rows, 3),
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "rejected": counts.rows_rejected,
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def run(rows: int = 20_000, seed: int = 0, postgres: str | None = None) -> dict:
    """Build the file, read it, store it three times; timings, statements and counts."""
    import sqlalchemy as sa

    import api.storage.imports as imports
    from api.settings import Settings
    from api.storage.session import make_engine, make_sessionmaker, migrate
    from features.ingest import ReadLimits, read_table

    load_before = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    first_csv, changed_csv = _build_csv(rows, seed)
    build_seconds = time.perf_counter() - t0
    limits = ReadLimits(max_upload_bytes=max(len(first_csv), len(changed_csv)) * 2,
                        max_upload_rows=rows, max_parse_seconds=600.0)  # fmt: skip
    t0 = time.perf_counter()
    first = read_table("firms", first_csv, filename="bench.csv", limits=limits)
    read_seconds = time.perf_counter() - t0
    changed = read_table("firms", changed_csv, filename="bench-changed.csv", limits=limits)

    schema = None
    admin = None
    with tempfile.TemporaryDirectory(prefix="cnht-bench-import-") as folder:
        if postgres:
            schema = f"cnht_bench_{uuid.uuid4().hex[:12]}"
            admin = sa.create_engine(postgres)
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            settings = Settings(database_url=postgres, database_schema=schema)
        else:
            settings = Settings(database_url=f"sqlite:///{Path(folder) / 'cnht.db'}")
        engine = make_engine(settings)
        try:
            migrate(engine)
            factory = make_sessionmaker(engine)
            runs = {
                "first": _store(factory, engine, first),
                "again": _store(factory, engine, first),
                "changed": _store(factory, engine, changed),
            }
        finally:
            engine.dispose()
            if admin is not None:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return {
        "rows": first.rows_read,
        "database": "postgresql" if postgres else "sqlite",
        "code": str(Path(imports.__file__).resolve().parents[2]),
        "build_seconds": round(build_seconds, 2),
        "read_table_seconds": round(read_seconds, 2),
        "load_before": load_before,
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", metavar="URL", default=None,
                        help="PostgreSQL URL (postgresql+psycopg://...) instead of SQLite")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="checkout whose api/features packages are measured (default: this one)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.tree.resolve()))
    if args.tree.resolve() != ROOT:
        sys.path.insert(1, str(ROOT))  # benchmarks._resample of this checkout, after the tree's
    print(json.dumps(run(args.rows, args.seed, args.postgres), indent=2))


if __name__ == "__main__":
    main()
