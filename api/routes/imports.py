"""``POST /imports/{kind}``: upload a CSV or XLSX of firms, buyers, needs or outcomes.

The file is read by :func:`features.ingest.read_table` (bad cells and rows become rejects)
and the accepted rows are upserted in ONE transaction: a database failure half-way leaves
the database as it was. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, File, Request, UploadFile, status
from sqlalchemy.exc import DBAPIError

from api.deps import StaffDep
from api.schemas import ImportPublic, RejectPublic
from api.storage.errors import ConflictError, UploadInvalidError, UploadTooLargeError
from api.storage.imports import upsert_table
from api.storage.models import ImportJob
from features.exceptions import IngestError
from features.ingest import read_table

__all__ = ["router"]

router = APIRouter(prefix="/imports", tags=["imports"])
logger = logging.getLogger(__name__)

Kind = Literal["firms", "buyers", "needs", "outcomes"]
_CHUNK = 1 << 16


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


def _ingest_rejects(frame) -> list[dict]:
    out = []
    for item in frame.to_dict("records"):
        row = item.get("row")
        out.append(
            {
                "row": None if row is None or row != row else int(row),
                "column": item.get("column") or None,
                "reason": str(item.get("reason") or ""),
                "fix": item.get("fix") or None,
            }
        )
    return out


def _save_job(factory, **fields) -> int:
    with factory() as session, session.begin():
        job = ImportJob(**fields)
        session.add(job)
        session.flush()
        return job.id


@router.post(
    "/{kind}",
    response_model=ImportPublic,
    status_code=status.HTTP_200_OK,
    responses={
        401: {"description": "Missing or unknown key"},
        403: {"description": "Staff only"},
        409: {"description": "The database refused a row; nothing was imported"},
        413: {"description": "File too large"},
        422: {"description": "Unreadable file or too many rows"},
    },
)
def import_table(
    kind: Kind,
    file: Annotated[UploadFile, File(description="CSV or XLSX with a header row")],
    request: Request,
    principal: StaffDep,
) -> ImportPublic:
    """Import a table (staff): counts of read, inserted, updated, unchanged and rejected rows."""
    settings = request.app.state.settings
    factory = request.app.state.sessionmaker
    filename = file.filename or f"{kind}.csv"
    data = _read_upload(file, settings.max_upload_bytes)
    if not data:
        raise UploadInvalidError(f"File {filename!r} is empty. Upload a CSV or XLSX with a header row.")
    try:
        result = read_table(kind, data, filename=filename)
    except IngestError as exc:
        raise UploadInvalidError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - the upload is client input: never a 500
        # The reader should raise IngestError for every unreadable file; anything else it
        # raises (csv.Error on a stray newline, a broken XLSX) still means "cannot read".
        logger.warning("read_table(%r) raised %s on %r", kind, type(exc).__name__, filename)
        raise UploadInvalidError(
            f"Cannot read {filename!r} as a {kind} table ({type(exc).__name__}: {exc}). "
            "Save it as CSV (UTF-8) or XLSX with a header row and upload it again."
        ) from exc
    if result.rows_read > settings.max_upload_rows:
        raise UploadInvalidError(
            f"File {filename!r} has {result.rows_read:,} rows; the limit is "
            f"{settings.max_upload_rows:,}. Split it and import the parts one by one."
        )
    rejects = [r for r in _ingest_rejects(result.rejects)]
    try:
        with factory() as session, session.begin():
            counts = upsert_table(session, kind, result.data, principal.actor)
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        _save_job(factory, kind=kind, filename=filename, status="failed",
                  rows_read=result.rows_read, rejected=result.rows_rejected,
                  rejects=rejects, error=reason, by=principal.actor)  # fmt: skip
        raise ConflictError(
            f"The database refused a row of {filename!r} ({reason}); the import was rolled "
            "back and nothing was changed. Fix the row and import the file again."
        ) from exc
    all_rejects = rejects + counts.rejects
    job_id = _save_job(
        factory, kind=kind, filename=filename, status="done", rows_read=result.rows_read,
        inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
        rejected=result.rows_rejected + counts.rejected, rejects=all_rejects, by=principal.actor,
    )  # fmt: skip
    return ImportPublic(
        job_id=job_id,
        kind=kind,
        filename=filename,
        read=result.rows_read,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=result.rows_rejected + counts.rejected,
        rejects=[RejectPublic(**r) for r in all_rejects],
    )
