"""Staff pages: import a file and read its problems, create and revoke keys, write a new need.

Each calls the API's own function (``POST /imports/{kind}``' :func:`api.routes.imports.run_import`,
in a thread so the job's page can show its stage meanwhile, and ``GET /imports/{job_id}``' :func:`~api.routes.imports.get_import`; :func:`api.auth.create_key`,
:func:`~api.auth.revoke_key`, :func:`~api.auth.list_keys`; ``POST /buyers`` and ``POST /needs``'
:func:`api.routes.buyers.create_buyer`, :func:`api.routes.needs.create_need`), so the rules
(import limits, a known park, codes the matcher can rank) live in one place.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import tempfile
import time
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import ROLES, Principal, create_key, list_keys, revoke_key
from api.deps import SessionDep
from api.routes.buyers import create_buyer
from api.routes.imports import _read_upload, get_import, list_imports, run_import
from api.routes.needs import create_need
from api.schemas import BuyerCreate, NeedCreate
from api.storage.errors import NotFoundError
from api.storage.imports import start_job
from api.storage.models import Buyer, Need
from api.storage.repository import InvalidFieldError
from api.storage.support import list_associations
from api.web.exports import safe_cell
from api.web.jobs import run_in_background
from api.web.portal import _validation_message
from api.web.routes import (
    FormError,
    UserDep,
    _commit_before_redirect,
    _lang,
    _PageRoute,
    _staff,
    render,
    taxonomy_choices,
)
from api.web.session import check_form
from features.columns import VI_HEADERS
from features.dates import read_date
from features.demo import default_folder
from features.exceptions import CnhtError, message
from features.ingest import TablePreview, preview_table

__all__ = ["router"]

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, route_class=_PageRoute)
KINDS: tuple[str, ...] = ("firms", "buyers", "needs", "outcomes")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



# --- import --------------------------------------------------------------------------


def _imports_page(request: Request, session: Any, principal: Principal, *, error: str | None = None,
                  kind: str = "firms", status_code: int = 200, preview: TablePreview | None = None,
                  token: str | None = None, filename: str | None = None) -> HTMLResponse:  # fmt: skip
    jobs = list_imports(session=session, principal=principal, kind=None, job_status=None, limit=15, offset=0)
    return render(request, "imports.html", {"jobs": jobs.data, "kinds": KINDS, "kind": kind, "error": error,
                                            "job": None, "preview": preview, "token": token,
                                            "filename": filename, "vi_headers": VI_HEADERS},
                  principal=principal,
                  status_code=status_code)  # fmt: skip


@router.get("/imports")
def imports_page(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """Upload a CSV or XLSX of firms, buyers, needs or outcomes (staff); recent imports."""
    _staff(principal, _lang(request))
    return _imports_page(request, session, principal)


@router.get("/imports/templates/{kind}.xlsx")
def import_template(request: Request, principal: UserDep,
                    kind: Annotated[str, Path(pattern="^(firms|buyers|needs|outcomes)$")]) -> Response:  # fmt: skip
    """The project's own XLSX template of ``kind`` (Vietnamese headers, help rows), to fill in."""
    _staff(principal, _lang(request))
    template = default_folder() / "templates" / f"{kind}_template.xlsx"
    if not template.is_file():
        raise NotFoundError(f"Template {template.name} not found (cnht demo --generate writes it).")
    return Response(template.read_bytes(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{template.name}"'})


# An upload waits here between its preview and the staff member's confirmation (a file
# per upload, named by a random token, bound to the one who uploaded it; gone after an hour).
_PENDING = FilePath(tempfile.gettempdir()) / "cnht-import-previews"
_PENDING_SECONDS = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,60}")


def _keep_pending(data: bytes, filename: str, kind: str, actor: str) -> str:
    _PENDING.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = time.time()
    for old in _PENDING.glob("*"):
        try:
            if now - old.stat().st_mtime > _PENDING_SECONDS:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(24)
    (_PENDING / f"{token}.bin").write_bytes(data)
    (_PENDING / f"{token}.json").write_text(json.dumps({"filename": filename, "kind": kind, "actor": actor}))
    return token


def _take_pending(token: str, actor: str) -> tuple[bytes, dict[str, str]] | None:
    if not _TOKEN.fullmatch(token):
        return None
    data_path, meta_path = _PENDING / f"{token}.bin", _PENDING / f"{token}.json"
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("actor") != actor or time.time() - meta_path.stat().st_mtime > _PENDING_SECONDS:
            return None
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    data_path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    return data, meta


@router.post("/imports")
def imports_upload(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=20)] = "firms",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Read the file and show its first rows under the columns they go to; import on confirm."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    if kind not in KINDS:
        return _imports_page(request, session, principal, status_code=422,
                             error={"vi": f"Loại dữ liệu phải là một trong {', '.join(KINDS)}, nhận được {kind!r}.",
                                    "en": f"Expected one of {', '.join(KINDS)}, got {kind!r}."}[lang])  # fmt: skip
    if not file.filename:
        return _imports_page(request, session, principal, kind=kind, status_code=422,
                             error={"vi": "Chưa chọn tệp. Chọn một tệp CSV hoặc XLSX rồi nhập lại.",
                                    "en": "No file chosen. Pick a CSV or XLSX file and import again."}[lang])  # fmt: skip
    settings = request.app.state.settings
    filename = file.filename[:200]
    try:
        data = _read_upload(file, settings.max_upload_bytes)
        if not data:
            raise FormError({"vi": f"Tệp {filename!r} trống. Chọn một tệp CSV hoặc XLSX có dòng tiêu đề.",
                              "en": f"File {filename!r} is empty. Pick a CSV or XLSX file with a header row."}[lang])  # fmt: skip
        preview = preview_table(kind, data, filename=filename, limits=settings.read_limits())
    except CnhtError as exc:  # unreadable, no required column, past a limit: nothing was imported
        return _imports_page(request, session, principal, kind=kind, error=message(exc, _lang(request)),
                             status_code=getattr(exc, "status_code", 422))  # fmt: skip
    except Exception:  # a file the readers choke on (a broken zip, a stray encoding)
        return _imports_page(request, session, principal, kind=kind, status_code=422, error={
            "vi": f"Không đọc được {filename!r} như một bảng. Lưu lại dạng CSV (UTF-8) hoặc XLSX có dòng tiêu đề.",
            "en": f"Cannot read {filename!r} as a table. Save it as CSV (UTF-8) or XLSX with a header row."}[lang])  # fmt: skip
    token = _keep_pending(data, filename, kind, principal.actor)
    return _imports_page(request, session, principal, kind=kind, preview=preview, token=token, filename=filename)


@router.post("/imports/confirm")
def imports_confirm(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    token: Annotated[str, Form(max_length=100)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Import the previewed file with ``POST /imports/{kind}``' function, then show the job
    (its stage while it runs, its counts and rejects once done)."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    pending = _take_pending(token, principal.actor)
    if pending is None:
        return _imports_page(request, session, principal, status_code=410, error={
            "vi": "Bản xem trước đã hết hạn hoặc đã được nhập. Chọn lại tệp.",
            "en": "The preview has expired or was already imported. Choose the file again."}[lang])  # fmt: skip
    data, meta = pending
    # The job is recorded first, then runs in a thread of its own: the job's page shows its
    # stage while it runs (a small file is done before the page is even asked for).
    job_id = start_job(request.app.state.sessionmaker, meta["kind"], meta["filename"][:300],
                       principal.actor[:120])  # fmt: skip
    run_in_background(f"import-{job_id}", _run_import, request.app.state, job_id, meta, data, principal.actor[:120])
    return RedirectResponse(f"/imports/{job_id}", status_code=303)


def _run_import(state: Any, job_id: int, meta: dict[str, str], data: bytes, actor: str) -> None:
    """``POST /imports/{kind}``' work on the recorded job; whatever fails is on the job already."""
    try:
        run_import(state, job_id, meta["kind"], meta["filename"][:300], data, actor)
    except CnhtError:
        pass  # an unreadable file or one past a limit: the job is failed with the reason
    except Exception:  # a bug: the job is failed with the request ID; the log keeps the trace
        logger.exception("Import job %s failed", job_id)


@router.get("/imports/{job_id}/status.json")
def import_job_status(request: Request, session: SessionDep, principal: UserDep,
                      job_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:  # fmt: skip
    """Where an import stands, for its page to poll: status, stage, rows read (no rejects)."""
    _staff(principal, _lang(request))
    job = get_import(job_id=job_id, session=session, principal=principal)
    return JSONResponse({"job_id": job.job_id, "status": job.status, "stage": job.stage, "read": job.read},
                        headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get("/imports/{job_id}")
def import_job_page(request: Request, session: SessionDep, principal: UserDep,
                    job_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:  # fmt: skip
    """What an import did: counts, and the rejects (row, column, reason, fix)."""
    _staff(principal, _lang(request))
    job = get_import(job_id=job_id, session=session, principal=principal)
    jobs = list_imports(session=session, principal=principal, kind=None, job_status=None, limit=15, offset=0)
    return render(request, "imports.html", {"jobs": jobs.data, "kinds": KINDS, "kind": job.kind, "error": None,
                                            "job": job, "preview": None}, principal=principal)  # fmt: skip


def rejects_xlsx(job: Any, lang: str) -> bytes:
    """The rejects of an import job as a workbook: row, column, reason, fix, scope (formula-safe)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers = {"vi": ["Dòng", "Cột", "Lý do", "Cách sửa", "Phạm vi"],
               "en": ["Row", "Column", "Reason", "How to fix", "Scope"]}[lang]  # fmt: skip
    book = Workbook()
    sheet = book.active
    sheet.title = "Rejects" if lang == "en" else "Van de"
    sheet.append([safe_cell(f"{job.filename} — {job.kind} — #{job.job_id}")])
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for reject in job.rejects:
        reason = reject.reason_vi if lang == "vi" and reject.reason_vi else reject.reason
        fix = reject.fix_vi if lang == "vi" and reject.fix_vi else reject.fix
        sheet.append([reject.row, safe_cell(reject.column), safe_cell(reason), safe_cell(fix), reject.scope])
    for letter, width in zip("ABCDE", (8, 22, 70, 60, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@router.get("/imports/{job_id}/rejects.xlsx")
def import_rejects_xlsx(request: Request, session: SessionDep, principal: UserDep,
                        job_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:  # fmt: skip
    """The rejects of an import as an Excel workbook."""
    lang = _lang(request)
    _staff(principal, lang)
    job = get_import(job_id=job_id, session=session, principal=principal)
    return Response(rejects_xlsx(job, lang), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="import-{job_id}-rejects.xlsx"'})  # fmt: skip


# --- keys ----------------------------------------------------------------------------


def _keys_page(request: Request, session: Any, principal: Principal, *, created: str | None = None,
               error: str | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    response = render(request, "keys.html", {"keys": list_keys(session), "roles": ROLES, "created": created,
                                             "associations": list_associations(session),
                                             "error": error, "revoked": request.query_params.get("revoked")},
                      principal=principal, status_code=status_code)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"  # a new key is on it
    return response


@router.get("/keys")
def keys_page(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """Every key (prefix, role, firm, label, revoked or not) with a form to create one (staff)."""
    _staff(principal, _lang(request))
    return _keys_page(request, session, principal)


@router.post("/keys")
def keys_create(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    firm_id: Annotated[str, Form(max_length=100)] = "",
    association_id: Annotated[str, Form(max_length=100)] = "",
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create a key (:func:`api.auth.create_key`; a firm key names its firm, an association key
    its association); the page shows it this once."""
    check_form(request, csrf)
    _staff(principal, _lang(request))
    try:
        _, key = create_key(session, role, firm_id.strip() or None, label.strip() or None, actor=principal.actor,
                            association_id=association_id.strip() or None)
    except CnhtError as exc:
        session.rollback()
        return _keys_page(request, session, principal, error=message(exc, _lang(request)), status_code=getattr(exc, "status_code", 400))
    session.commit()
    return _keys_page(request, session, principal, created=key, status_code=201)


@router.post("/keys/{prefix}/revoke")
def keys_revoke(request: Request, session: SessionDep, principal: UserDep, prefix: str,
                csrf: Annotated[str, Form(max_length=100)] = "") -> Response:  # fmt: skip
    """Revoke a key by its prefix (:func:`api.auth.revoke_key`); its pages sign out at once."""
    check_form(request, csrf)
    _staff(principal, _lang(request))
    revoked = revoke_key(session, prefix, actor=principal.actor)
    _commit_before_redirect(session)
    return RedirectResponse(f"/keys?revoked={revoked.prefix}", status_code=303)


# --- new need ------------------------------------------------------------------------


def _next_need_id(session: Any) -> str:
    ids = set(session.scalars(select(Need.need_id).where(Need.need_id.like("N-%"))))
    number = len(ids) + 1
    while f"N-{number:04d}" in ids:
        number += 1
    return f"N-{number:04d}"


def _park_choices(lang: str) -> list[tuple[str, str]]:
    from features.geo import parks

    table = parks()
    column = "name_vi" if lang == "vi" else "name_en"
    return [(row["park_id"], row[column]) for row in table.to_dict("records")]


def _need_form(request: Request, session: Any, principal: Principal, values: dict[str, Any], *,
               error: str | None = None, park_error: str | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    lang = _lang(request)
    buyers = session.execute(select(Buyer.buyer_id, Buyer.name).order_by(Buyer.buyer_id)).all()
    return render(request, "need_new.html", {
        "values": values, "buyers": buyers, "choices": taxonomy_choices(lang), "parks": _park_choices(lang),
        "error": error, "park_error": park_error,
    }, principal=principal, status_code=status_code)  # fmt: skip


@router.get("/needs/new")
def need_new(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """The new-need form (staff): free text and pick-lists of the taxonomy, a park pick-list."""
    _staff(principal, _lang(request))
    return _need_form(request, session, principal, {"need_id": _next_need_id(session)})


def _park_id(text: str, lang: str) -> str | None:
    """The park id of a picked or typed park (an id or a name), None for none."""
    text = text.strip()
    if not text:
        return None
    from features.geo import parks, resolve_park

    for park_id, name in _park_choices(lang):
        if text in (park_id, name):
            return park_id
    return text if text in parks().index else (resolve_park(text) or text)  # unknown: refused below


@router.post("/needs/new")
async def need_create(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """Save the need (and a new buyer when asked) with the API's functions, then open it."""
    form = await request.form(max_fields=500)
    check_form(request, str(form.get("csrf") or ""))
    lang = _lang(request)
    _staff(principal, lang)
    values = {name: str(form.get(name) or "").strip() for name in (
        "need_id", "buyer_id", "new_buyer_id", "new_buyer_name", "country", "park", "title", "description",
        "sector", "min_monthly_capacity", "deadline", "target_price", "internal_notes")}  # fmt: skip
    for many in ("processes", "materials", "mandatory", "preferred"):
        values[many] = [str(v) for v in form.getlist(many) if str(v).strip()]
    try:
        deadline = read_date(values["deadline"]) if values["deadline"] else None
        if values["deadline"] and deadline is None:
            raise FormError({"vi": f"Hạn chót phải có dạng dd/mm/yyyy, nhận được {values['deadline']!r}.",
                              "en": f"Expected the deadline as dd/mm/yyyy, got {values['deadline']!r}."}[lang])  # fmt: skip
        buyer_id = values["buyer_id"]
        if values["new_buyer_id"] or values["new_buyer_name"]:
            buyer = create_buyer(body=BuyerCreate(
                buyer_id=values["new_buyer_id"], name=values["new_buyer_name"],
                country=values["country"].upper() or None, park_id=_park_id(values["park"], lang),
                sector=values["sector"] or None), session=session, principal=principal)  # fmt: skip
            buyer_id = buyer.buyer_id
        elif values["park"]:
            raise FormError({"vi": "Khu công nghiệp đi cùng bên mua mới; bên mua đã có giữ khu công nghiệp của mình.",
                              "en": "The industrial park goes with a new buyer; an existing buyer keeps its own."}[lang])  # fmt: skip
        if not buyer_id:
            raise FormError({"vi": "Chọn một bên mua đã có, hoặc nhập mã và tên bên mua mới.",
                              "en": "Pick an existing buyer, or give a new buyer's ID and name."}[lang])  # fmt: skip
        capacity = values["min_monthly_capacity"].replace(".", "").replace(",", "").replace(" ", "")
        price = values["target_price"].replace(",", ".")
        need = create_need(body=NeedCreate(
            need_id=values["need_id"], buyer_id=buyer_id, title=values["title"],
            description=values["description"] or None, sector=values["sector"] or None,
            processes=";".join(values["processes"]) or None, materials=";".join(values["materials"]) or None,
            mandatory_certifications=";".join(values["mandatory"]) or None,
            preferred_certifications=";".join(values["preferred"]) or None,
            min_monthly_capacity=int(capacity) if capacity.isdigit() else (capacity or None),
            deadline=deadline, target_price_usd=price or None, internal_notes=values["internal_notes"] or None,
        ), session=session, principal=principal)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _need_form(request, session, principal, values, error=_validation_message(exc), status_code=422)
    except InvalidFieldError as exc:
        session.rollback()
        park_error = message(exc, _lang(request)) if exc.column == "park_id" else None
        return _need_form(request, session, principal, values, error=None if park_error else message(exc, _lang(request)),
                          park_error=park_error, status_code=422)  # fmt: skip
    except CnhtError as exc:
        session.rollback()
        return _need_form(request, session, principal, values, error=message(exc, _lang(request)),
                          status_code=getattr(exc, "status_code", 400))  # fmt: skip
    _commit_before_redirect(session)
    return RedirectResponse(f"/needs/{need.need_id}?saved=need", status_code=303)


