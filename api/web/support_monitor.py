"""Support programme pages (issue 14): monitoring funded items (milestones, inspections, overdue) and the plan's figures over time.

Every figure comes from the function the API (:mod:`api.routes.support`) and ``cnht support``
use (:mod:`api.storage.support`): the monitoring page shows :func:`~api.storage.support.round_report`
(``GET /api/v1/support/rounds/{id}/report``), the plan page :func:`~api.storage.support.plan_figures`
(``GET /api/v1/support/plan``) and :func:`~api.storage.support.plan_progress` over
:func:`~api.storage.support.plan_days` (``GET /api/v1/support/plan/progress``). Nothing is counted
here: a firm "meets international standards" by the one certificate-validity rule those apply.

Staff record a milestone reached (a certificate with ``certificate_issued``) and an inspection
visit through :func:`~api.storage.support.record_milestone` and ``record_inspection``, the form
checked by the API's own schemas (:class:`api.schemas_support.MilestoneCreate`,
``InspectionCreate``); analysts read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep
from api.schemas_support import InspectionCreate, MilestoneCreate
from api.storage import support as store
from api.storage.errors import NotFoundError
from api.storage.models import Firm
from api.storage.support_tables import MILESTONES, SupportFundedItem, SupportRoundRecord
from api.web.i18n import format_date
from api.web.portal import _validation_message
from api.web.routes import (
    FormError,
    UserDep,
    _commit_before_redirect,
    _lang,
    _month_label,
    _PageRoute,
    _reader,
    _staff,
    render,
)
from api.web.session import check_form
from features import clock
from features.certifications import label as certificate_label
from features.dates import read_date
from features.exceptions import CnhtError, message
from features.identity import ID_MAX_LENGTH, ID_PATTERN

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=_PageRoute)

# The days the API accepts (api.routes.support.AsOfQuery).
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)



class _DayError(CnhtError):
    status_code = 422


def _day(text: str | None, name: str, lang: str) -> dt.date | None:
    """A day typed in a form or the address (dd/mm/yyyy or yyyy-mm-dd), None when left empty."""
    text = (text or "").strip()[:40]
    if not text:
        return None
    day = read_date(text)
    if day is None or not _FIRST_DAY <= day <= _LAST_DAY:
        raise _DayError({"vi": f"{name}: ngày phải có dạng dd/mm/yyyy (từ năm 1900 đến 2199), nhận được {text!r}.",
                         "en": f"{name}: expected a day as dd/mm/yyyy (years 1900 to 2199), got {text!r}."}[lang])
    return day


def _round_id(round_id: str, lang: str) -> str:
    """``round_id`` when it can be a round's ID (:data:`features.identity.ID_PATTERN`); the 404 page otherwise."""
    if len(round_id) > ID_MAX_LENGTH or not re.fullmatch(ID_PATTERN, round_id):
        raise NotFoundError({"vi": "Không có đợt hỗ trợ này.", "en": "No such support round."}[lang])
    return round_id


def _item(session: Any, item_id: str, lang: str) -> tuple[SupportFundedItem, str]:
    """The funded item ``item_id`` and its round's ID; the 404 page for anything else."""
    number = int(item_id) if item_id.isdigit() and len(item_id) <= 10 else 0
    item = session.get(SupportFundedItem, number) if 1 <= number <= 2**31 - 1 else None
    if item is None:
        raise NotFoundError({"vi": f"Không có hạng mục được tài trợ số {item_id[:20]!r}; danh sách ở trang theo "
                                   "dõi của từng đợt.",
                             "en": f"Funded item {item_id[:20]!r} not found; each round's monitoring page lists "
                                   "its items."}[lang])
    round_id = session.scalar(select(SupportRoundRecord.round_id).where(SupportRoundRecord.id == item.round_pk))
    return item, round_id


def _support_types(record_definition: dict[str, Any]) -> dict[str, dict[str, str]]:
    """code -> its name in each language, as the round file names it (the code when it does not)."""
    names = {}
    for kind in record_definition.get("support_types") or []:
        code = str(kind.get("code", ""))
        names[code] = {"vi": kind.get("name_vi") or code, "en": kind.get("name_en") or kind.get("name_vi") or code}
    return names


# --- monitoring ---------------------------------------------------------------------------


def _monitoring_page(request: Request, session: Any, principal: Principal, round_id: str, *,
                     as_of: str | None = None, overdue_only: bool = False, error: str | None = None,
                     error_item: int | None = None, typed: dict[str, str] | None = None,
                     status_code: int = 200) -> HTMLResponse:
    lang = _lang(request)
    record = store.get_round(session, round_id)  # the 404 page for an unknown round
    as_of_text = (as_of or "").strip()[:40]
    try:
        on = _day(as_of, {"vi": "Tính đến ngày", "en": "As of"}[lang], lang) or clock.today()
        as_of_text = format_date(on)
    except _DayError as exc:
        on, error, status_code = clock.today(), message(exc, _lang(request)), 422
    report = store.round_report(session, round_id, on)
    firm_ids = sorted({row["firm_id"] for row in report["funded_items"]})
    names = dict(session.execute(select(Firm.firm_id, Firm.name).where(Firm.firm_id.in_(firm_ids))).all()) \
        if firm_ids else {}
    items = report["funded_items"]
    late = [row for row in items if any(m["overdue"] for m in row["milestones"])]
    return render(request, "support_monitoring.html", {
        "record": record, "report": report, "on": on, "names": names,
        "items": late if overdue_only else items, "late_items": len(late), "overdue_only": overdue_only,
        "as_of_text": as_of_text,
        "type_names": _support_types(record.definition or {}), "certificate_label": certificate_label,
        "milestone_kinds": MILESTONES, "today": clock.today(),
        "saved": request.query_params.get("saved"), "error": error, "error_item": error_item,
        "typed": typed or {},
        "can_record": principal.role == "staff",
    }, principal=principal, status_code=status_code)


@router.get("/support/rounds/{round_id}/monitoring")
def monitoring(request: Request, session: SessionDep, principal: UserDep, round_id: str,
               as_of: str | None = None, overdue: str | None = None) -> Response:
    """A round's report (``GET /api/v1/support/rounds/{id}/report``' function on ``?as_of=``, default
    today): spending, funded items with their milestones (overdue flagged; ``?overdue=1`` keeps the
    items with one) and inspections, what the round contributed; staff record milestones and visits."""
    lang = _lang(request)
    _reader(principal, lang)
    return _monitoring_page(request, session, principal, _round_id(round_id, lang), as_of=as_of,
                            overdue_only=overdue == "1")


def _kept(typed: dict[str, str]) -> dict[str, str]:
    """What was typed in a refused form, to show it again (cut to what its fields hold)."""
    return {name: value[:4000] for name, value in typed.items()}


def _back(round_id: str, as_of: str, overdue: str, saved: str, item_id: int) -> str:
    """The monitoring page as it was (its day, its filter) with the saved notice, at the item."""
    from urllib.parse import urlencode

    params = {"saved": saved}
    day = read_date(as_of.strip()[:40]) if as_of.strip() else None
    if day is not None and _FIRST_DAY <= day <= _LAST_DAY:
        params["as_of"] = day.isoformat()
    if overdue == "1":
        params["overdue"] = "1"
    return f"/support/rounds/{round_id}/monitoring?{urlencode(params)}#item-{item_id}"


@router.post("/support/items/{item_id}/milestones")
def milestone_done(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    item_id: str,
    csrf: Annotated[str, Form()] = "",  # no max_length: a long token gets the 403 page, not JSON
    kind: Annotated[str, Form()] = "",
    done_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    certificate_issued: Annotated[str, Form()] = "",
    certificate_valid_until: Annotated[str, Form()] = "",
    certificate_issuer: Annotated[str, Form()] = "",
    certificate_version: Annotated[str, Form()] = "",
    as_of: Annotated[str, Form()] = "",
    overdue: Annotated[str, Form()] = "",
) -> Response:
    """Record a milestone reached (staff), as ``POST /api/v1/support/items/{id}/milestones/{kind}``:
    ``certificate_issued`` adds the certificate to the firm, so the plan's figure counts it."""
    check_form(request, csrf[:200])
    lang = _lang(request)
    _staff(principal, lang)
    item, round_id = _item(session, item_id, lang)
    # No length limits on the fields (they would answer JSON): the schema below says what is too long.
    kind = kind.strip()[:40]
    try:
        if kind not in MILESTONES:
            raise FormError({"vi": f"Mốc phải là một trong {', '.join(MILESTONES)}, nhận được {kind!r}.",
                              "en": f"Expected a milestone among {', '.join(MILESTONES)}, got {kind!r}."}[lang])
        day = _day(done_on, {"vi": "Ngày hoàn thành", "en": "Done on"}[lang], lang) or clock.today()
        certificate = None
        if kind == "certificate_issued":
            valid_until = _day(certificate_valid_until, {"vi": "Hiệu lực đến", "en": "Valid until"}[lang], lang)
            if valid_until is None:
                raise FormError({"vi": "Mốc cấp chứng chỉ cần ngày hết hiệu lực của chứng chỉ (dd/mm/yyyy).",
                                  "en": "The certificate issued milestone needs the certificate's valid-until "
                                        "day (dd/mm/yyyy)."}[lang])
            issued = _day(certificate_issued, {"vi": "Ngày cấp", "en": "Issued"}[lang], lang)
            certificate = {"valid_until": valid_until.isoformat()}
            if issued is not None:
                certificate["issued"] = issued.isoformat()
            for name, value in (("issuer", certificate_issuer), ("version", certificate_version)):
                if value.strip():
                    certificate[name] = value.strip()
        try:
            body = MilestoneCreate(done_on=day, note=note.strip() or None, certificate=certificate)
        except ValidationError as exc:
            raise FormError(_validation_message(exc)) from None
        store.record_milestone(session, item.id, kind, done_on=body.done_on, note=body.note,
                               certificate=body.certificate, by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        typed = {"form": "milestone", "kind": kind, "done_on": done_on, "note": note,
                 "certificate_issued": certificate_issued, "certificate_valid_until": certificate_valid_until,
                 "certificate_issuer": certificate_issuer, "certificate_version": certificate_version}
        return _monitoring_page(request, session, principal, round_id, as_of=as_of, overdue_only=overdue == "1",
                                error=message(exc, _lang(request)), error_item=item.id, typed=_kept(typed),
                                status_code=getattr(exc, "status_code", 400))
    _commit_before_redirect(session)
    return RedirectResponse(_back(round_id, as_of, overdue, "milestone", item.id), status_code=303)


@router.post("/support/items/{item_id}/inspections")
def inspection(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    item_id: str,
    csrf: Annotated[str, Form()] = "",  # no max_length: a long token gets the 403 page, not JSON
    visited_on: Annotated[str, Form()] = "",
    inspector: Annotated[str, Form()] = "",
    findings: Annotated[str, Form()] = "",
    satisfactory: Annotated[str, Form()] = "",
    as_of: Annotated[str, Form()] = "",
    overdue: Annotated[str, Form()] = "",
) -> Response:
    """Record an inspection visit with its findings (staff), as ``POST /api/v1/support/items/{id}/inspections``."""
    check_form(request, csrf[:200])
    lang = _lang(request)
    _staff(principal, lang)
    item, round_id = _item(session, item_id, lang)
    try:
        if satisfactory not in ("yes", "no"):
            raise FormError({"vi": "Chọn kết quả kiểm tra: đạt hoặc chưa đạt.",
                              "en": "Pick the visit's result: satisfactory or not."}[lang])
        day = _day(visited_on, {"vi": "Ngày kiểm tra", "en": "Visited on"}[lang], lang) or clock.today()
        try:
            body = InspectionCreate(visited_on=day, inspector=inspector.strip(), findings=findings.strip(),
                                    satisfactory=satisfactory == "yes")
        except ValidationError as exc:
            raise FormError(_validation_message(exc)) from None
        store.record_inspection(session, item.id, visited_on=body.visited_on, inspector=body.inspector,
                                findings=body.findings, satisfactory=body.satisfactory, by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        typed = {"form": "inspection", "visited_on": visited_on, "inspector": inspector, "findings": findings,
                 "satisfactory": satisfactory}
        return _monitoring_page(request, session, principal, round_id, as_of=as_of, overdue_only=overdue == "1",
                                error=message(exc, _lang(request)), error_item=item.id, typed=_kept(typed),
                                status_code=getattr(exc, "status_code", 400))
    _commit_before_redirect(session)
    return RedirectResponse(_back(round_id, as_of, overdue, "inspection", item.id), status_code=303)


# --- the plan -----------------------------------------------------------------------------


@router.get("/support/plan")
def plan(request: Request, session: SessionDep, principal: UserDep, to: str | None = None) -> Response:
    """The plan's figures on ``?to=`` (default today; ``GET /api/v1/support/plan``' function) against
    400 and 900, by sector and district, and at each month end from ``?from=`` to ``?to=`` with each
    round's contribution (``GET /api/v1/support/plan/progress``' function)."""
    lang = _lang(request)
    _reader(principal, lang)
    error = None
    start_text = (request.query_params.get("from") or "").strip()[:40]
    end_text = (to or "").strip()[:40]
    try:
        first = _day(start_text, {"vi": "Từ ngày", "en": "From"}[lang], lang)
        last = _day(end_text, {"vi": "Đến ngày", "en": "To"}[lang], lang)
        days = store.plan_days(first, last)
    except CnhtError as exc:
        error, days = message(exc, _lang(request)), store.plan_days(None, None)
    figures = store.plan_figures(session, days[-1])
    progress = store.plan_progress(session, days)
    return render(request, "support_plan.html", {
        "plan": figures, "progress": progress, "error": error,
        "from_text": start_text if error else format_date(days[0]),
        "to_text": end_text if error else format_date(days[-1]),
        "month_label": lambda day: _month_label(day, lang),
    }, principal=principal, status_code=422 if error else 200)

