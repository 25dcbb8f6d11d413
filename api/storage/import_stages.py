"""What a running import job can say while it runs: its stage, and the rows it is storing.

An import reads and checks the whole file (stage ``reading``), then stores the accepted rows
in ONE transaction (stage ``storing``) that also marks the job ``done``
(:mod:`api.storage.imports`). The rows read are known when storing starts, so the job says
how many; rows stored so far are not (they are written in that one transaction, which no
other connection sees before it commits), so no page may claim them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from api.storage.models import ImportJob

__all__ = ["STAGES", "mark_storing"]

STAGES: tuple[str, ...] = ("reading", "storing", "done")
"""The steps of an import as a page shows them: read and check the file, store it, done."""


def mark_storing(factory: sessionmaker[Session], job_id: int, rows_read: int) -> None:
    """Commit that the running job ``job_id`` read ``rows_read`` data rows and is storing them.

    Parameters
    ----------
    factory : sessionmaker
    job_id : int
    rows_read : int
        Data rows of the file, rejected ones included (the job's ``read`` count).
    """
    with factory() as session, session.begin():
        job = session.get_one(ImportJob, job_id)
        job.stage, job.rows_read = "storing", rows_read
