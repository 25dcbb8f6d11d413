"""Imports: ``POST /imports/{kind}`` uploads a CSV or XLSX of firms, buyers, needs or
outcomes; ``GET /imports`` and ``GET /imports/{job_id}`` show what each import did.

The job is recorded (committed, ``running``) before the file is read. The file is read by
:func:`features.ingest.read_table` within the import limits of the settings
(:meth:`api.settings.Settings.read_limits`: inflated size, XML pieces, columns, cells, rows,
blank rows, parse time; a file past one answers 422 naming it), bad cells and rows becoming
rejects; the accepted rows are stored by :func:`api.storage.imports.import_result` in ONE
transaction that also marks the job ``done``. A database failure half-way leaves the
database as it was and the job ``failed`` with its reason; a server killed half-way leaves
the job ``running`` until a server of the same host starts again and marks it ``failed``
(:func:`api.storage.imports.fail_interrupted_jobs`). Re-importing the same file changes
nothing; a file with fewer columns changes only those columns.
"""

from __future__ import annotations

import csv
import zipfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from api.deps import SessionDep, StaffDep
from api.request_context import REQUEST_ID
from api.schemas_imports import ImportJobPublic, ImportJobsPublic, ImportJobSummary
from api.storage.errors import NotFoundError, UploadInvalidError, UploadTooLargeError
from api.storage.import_stages import mark_storing
from api.storage.imports import (
    count_rejected_cells,
    fail_job,
    finish_job,
    import_result,
    reject_records,
    start_job,
)
from api.storage.models import ImportJob
from features.exceptions import IngestError
from features.ingest import read_table

__all__ = ["router", "run_import"]

router = APIRouter(prefix="/imports", tags=["imports"])

Kind = Literal["firms", "buyers", "needs", "outcomes"]
_CHUNK = 1 << 16
# Lengths of ImportJob.filename and ImportJob.by: a long file name must not fail the job row.
_FILENAME_LENGTH, _ACTOR_LENGTH = 300, 120


def _read_upload(file: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refusing (413) as soon as it passes ``limit``."""
    chunks, size = [], 0
    while chunk := file.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadTooLargeError(
                f"File {file.filename!r} is larger than the limit of {limit:,} bytes. "
                "Split it into smaller files and import them one by one."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _too_many_rows(filename: str, limit: int, rows: int | None = None) -> UploadInvalidError:
    has = f"{rows:,} rows" if rows is not None else f"more than {limit:,} rows"
    return UploadInvalidError(
        f"File {filename!r} has {has}; the limit is {limit:,}. "
        "Split it and import the parts one by one."
    )


def _summary(job: ImportJob) -> dict[str, Any]:
    return {
        "job_id": job.id, "kind": job.kind, "filename": job.filename, "status": job.status,
        "stage": job.stage, "finished_at": job.finished_at,
        "read": job.rows_read or 0, "inserted": job.inserted or 0, "updated": job.updated or 0,
        "unchanged": job.unchanged or 0, "rejected": job.rejected or 0,
        "cells_rejected": count_rejected_cells(job.rejects or []), "error": job.error,
        "by": job.by, "created_at": job.created_at,
    }  # fmt: skip


def _public(job: ImportJob) -> ImportJobPublic:
    return ImportJobPublic(**_summary(job), rejects=job.rejects or [])


@router.post(
    "/{kind}",
    response_model=ImportJobPublic,
    status_code=status.HTTP_200_OK,
    responses={
        401: {"description": "Missing or unknown key"},
        403: {"description": "Staff only"},
        409: {
            "description": "The database failed; nothing was imported. `job_id` names the "
            "failed job (GET /imports/{job_id}).",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["detail", "job_id"],
                "properties": {"detail": {"type": "string"}, "job_id": {"type": "integer"}},
            }}},
        },  # fmt: skip
        413: {"description": "File too large (max_upload_bytes)"},
        422: {"description": "Unreadable file, or past an import limit (the message names it: "
              "max_uncompressed_bytes, max_xml_node_bytes, max_columns, max_cell_chars, "
              "max_upload_rows, max_blank_rows, max_parse_seconds ...); the failed job is "
              "recorded"},
    },
)
def import_table(
    kind: Kind,
    file: Annotated[UploadFile, File(description="CSV or XLSX with a header row")],
    request: Request,
    principal: StaffDep,
) -> Any:
    """Import a table (staff): rows read, inserted, updated, unchanged, rejected; cells rejected.

    Only the file's columns are written; a rejected cell keeps the stored value.
    """
    filename = (file.filename or f"{kind}.csv")[:_FILENAME_LENGTH]
    actor = principal.actor[:_ACTOR_LENGTH]
    data = _read_upload(file, request.app.state.settings.max_upload_bytes)
    # Recorded before any work: whatever happens next, the job says what became of the file.
    job_id = start_job(request.app.state.sessionmaker, kind, filename, actor)
    return run_import(request.app.state, job_id, kind, filename, data, actor)


def run_import(state: Any, job_id: int, kind: str, filename: str, data: bytes, actor: str) -> Any:
    """Read ``data`` and store its rows as the recorded ``running`` job ``job_id``.

    The work of ``POST /imports/{kind}`` once the job is recorded (:func:`start_job`); the
    import page runs it in a thread of its own and shows the job's stage meanwhile.

    Parameters
    ----------
    state : starlette State
        The app's state (``settings``, ``sessionmaker``).
    job_id : int
    kind, filename, data, actor
        The table kind, the file's name and bytes, who imports it (cut to the columns).

    Returns
    -------
    ImportJobPublic, or a 409 JSONResponse when the database refused a row.

    Raises
    ------
    UploadInvalidError
        An empty or unreadable file, or one past an import limit (the job is failed first).
    """
    settings, factory = state.settings, state.sessionmaker
    try:
        if not data:
            raise UploadInvalidError(
                f"File {filename!r} is empty. Upload a CSV or XLSX with a header row."
            )
        try:
            result = read_table(kind, data, filename=filename, limits=settings.read_limits())
        except (IngestError, csv.Error, zipfile.BadZipFile, UnicodeDecodeError) as exc:
            # The reader turns unreadable files into IngestError; the others are the same
            # client mistake met by a library first.
            raise UploadInvalidError(
                str(exc) if isinstance(exc, IngestError) else
                f"Cannot read {filename!r} as a {kind} table. Save it as CSV (UTF-8) or XLSX "
                "with a header row and upload it again."
            ) from exc
        if result.rows_read > settings.max_upload_rows:  # lines that were no text count too
            raise _too_many_rows(filename, settings.max_upload_rows, result.rows_read)
    except UploadInvalidError as exc:
        fail_job(factory, job_id, str(exc))
        raise
    except Exception:
        # A bug, not the file: the job says so and the client gets a 500 with the request ID.
        fail_job(factory, job_id, f"internal error while reading (request ID {REQUEST_ID.get()})")
        raise
    # The rows read are known now: the job says how many it is storing.
    mark_storing(factory, job_id, result.rows_read)
    try:
        with factory() as session, session.begin():
            counts = import_result(session, result, actor)
            answer = _public(finish_job(session, job_id, counts))
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        fail_job(factory, job_id, reason, rows_read=result.rows_read,
                 rejected=result.rows_rejected, rejects=reject_records(result.rejects))  # fmt: skip
        return JSONResponse(status_code=status.HTTP_409_CONFLICT, content={
            "detail": f"The database refused a row of {filename!r} ({reason}); the import was "
            "rolled back and nothing was changed. Fix the row and import the file again; "
            f"the failed job is GET /api/v1/imports/{job_id}.",
            "job_id": job_id,
        })  # fmt: skip
    except Exception:
        fail_job(factory, job_id, f"internal error while storing (request ID {REQUEST_ID.get()})",
                 rows_read=result.rows_read)  # fmt: skip
        raise
    return answer


@router.get(
    "",
    response_model=ImportJobsPublic,
    responses={401: {"description": "Missing or unknown key"}, 403: {"description": "Staff only"}},
)
def list_imports(
    session: SessionDep,
    principal: StaffDep,
    kind: Kind | None = None,
    job_status: Annotated[
        Literal["running", "done", "failed"] | None,
        Query(alias="status", description="running, done or failed"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ImportJobsPublic:
    """List import jobs, newest first (staff); the rejects are in ``GET /imports/{job_id}``."""
    query = select(ImportJob)
    if kind is not None:
        query = query.where(ImportJob.kind == kind)
    if job_status is not None:
        query = query.where(ImportJob.status == job_status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    jobs = session.scalars(query.order_by(ImportJob.id.desc()).limit(limit).offset(offset))
    return ImportJobsPublic(data=[ImportJobSummary(**_summary(j)) for j in jobs], count=total)


@router.get(
    "/{job_id}",
    response_model=ImportJobPublic,
    responses={
        401: {"description": "Missing or unknown key"},
        403: {"description": "Staff only"},
        404: {"description": "No such import job"},
    },
)
def get_import(
    job_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    principal: StaffDep,
) -> ImportJobPublic:
    """One import job with every reject (staff): which rows went in, which did not and why."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFoundError(
            f"Import job {job_id} not found. List the jobs with GET /api/v1/imports."
        )
    return _public(job)
