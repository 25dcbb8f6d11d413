"""API schemas of imports: what an import did, and the stored import jobs.

Kept apart from :mod:`api.schemas` so the import answer can carry what the other
resources do not need: cell-level rejects (``cells_rejected``, ``scope``), the job's
status and, for a failed import, its error.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["ImportRejectPublic", "ImportJobSummary", "ImportJobPublic", "ImportJobsPublic"]


class ImportRejectPublic(BaseModel):
    """A rejected row, cell or header of an import.

    ``scope``: ``row`` (the row was not stored), ``field`` (the cell was left out, the row
    stored; an existing record keeps its value there), ``header`` (a column left out), or
    another note of the reader (e.g. ``note``: a line read in another encoding); None on
    jobs stored before scopes were recorded.
    """

    row: int | None
    column: str | None
    reason: str
    fix: str | None = None
    scope: str | None = None
    reason_vi: str | None = Field(default=None, description="The reason in Vietnamese")
    fix_vi: str | None = Field(default=None, description="How to fix it, in Vietnamese")


class ImportJobSummary(BaseModel):
    """One import job, without its rejects (listing).

    ``running`` (``stage``: ``reading`` or ``storing``) until it is ``done`` or ``failed``;
    a job whose server stopped half-way is marked ``failed`` with its reason when a server
    starts again, and nothing of its file is stored.
    """

    job_id: int
    kind: str
    filename: str
    status: Literal["running", "done", "failed"]
    stage: Literal["reading", "storing"] | None = None
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    cells_rejected: int
    error: str | None = None
    by: str | None = None
    created_at: dt.datetime
    finished_at: dt.datetime | None = None


class ImportJobPublic(ImportJobSummary):
    """What an import did, with every reject (``POST /imports/{kind}``, ``GET /imports/{id}``)."""

    rejects: list[ImportRejectPublic]


class ImportJobsPublic(BaseModel):
    """A page of import jobs, newest first; ``count`` is the total."""

    data: list[ImportJobSummary]
    count: int
