"""Support programme pages (issue 14): the support rounds, their nominations, the proposal, overrides and the decision (staff, analysts).

Every figure comes from the function the API (:mod:`api.routes.support`) and ``cnht support``
use (:mod:`api.storage.support`): the rounds (:func:`~api.storage.support.list_rounds`), the
plan's figures (:func:`~api.storage.support.plan_figures`), the decisions as the API gives them
(:func:`api.routes.support._decisions_public`), a nomination's dossier
(:func:`~api.storage.support.nomination_dossier`), overrides
(:func:`~api.storage.support.override`), the decision (:func:`~api.storage.support.decide`) and
its workbook (:func:`api.support_workbook.decision_workbook`). Proposing runs the API's
:func:`api.routes.support.propose` (``propose`` + ``store_proposal``) in a thread
(:func:`api.web.jobs.run_in_background`, as an event's schedule); the page shows it running and
loads its result when it ends.

A proposal job is known to the server process that runs it (``cnht serve --workers N``: the page
polled on another worker sees the proposal once it is stored, not the job).
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep
from api.ranking import RankingError
from api.routes.imports import _read_upload
from api.routes.support import _decisions_public
from api.routes.support import propose as propose_route
from api.schemas_support import ProposalRequest
from api.storage import support as store
from api.storage.models import Firm
from api.web.jobs import PageJob, PageJobs
from api.web.routes import (
    FormError,
    UserDep,
    _commit_before_redirect,
    _lang,
    _PageRoute,
    _reader,
    _staff,
    render,
)
from api.web.session import check_form
from features.exceptions import CnhtError, message

__all__ = ["router", "SHOWS", "SORTS"]

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, route_class=_PageRoute)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The decisions table's filters and orders (``?show=``, ``?sort=``).
SHOWS = ("all", "selected", "not_selected", "overridden")
SORTS = ("decision", "rank", "value", "cost")
# The upgrade kinds of :func:`matching.gaps.best_upgrades` the page names in words.
_UPGRADE_KINDS = frozenset({"sr_kind_certification", "sr_kind_process", "sr_kind_material", "sr_kind_capacity"})



# --- the proposal job ------------------------------------------------------------------


_JOBS = PageJobs({"vi": "đề xuất đợt hỗ trợ", "en": "Proposing support round"})


def _job(round_id: str) -> PageJob | None:
    return _JOBS.get(round_id)


def _propose(job: PageJob, state: Any, principal: Principal) -> None:
    """``POST /support/rounds/{id}/proposal``'s work for the job (the MILP over the fitted matcher)."""
    with state.sessionmaker() as session:
        propose_route(round_id=job.key, session=session, ranking=state.ranking, principal=principal,
                      body=ProposalRequest())  # fmt: skip


# --- the rounds ------------------------------------------------------------------------


def _spending(session: Any, record: Any) -> tuple[int | None, int | None]:
    """Selected nominations and VND they cost, by the stored decisions (None before a proposal)."""
    if record.status == "open":
        return None, None
    pairs = store.decisions(session, record.round_id)
    chosen = [d for _, d in pairs if d.selected]
    return len(chosen), sum(d.cost_vnd for d in chosen)


def _round_rows(session: Any) -> list[dict[str, Any]]:
    rows = []
    for record in store.list_rounds(session):
        nominations = store.list_nominations(session, record.round_id)
        selected, spent = _spending(session, record)
        job = _job(record.round_id)
        rows.append({
            "round_id": record.round_id, "name": record.name, "opens": record.opens, "closes": record.closes,
            "budget_vnd": record.budget_vnd, "status": record.status,
            "running": job is not None and job.status == "running",
            "nominations": sum(n.status == "submitted" for n in nominations),
            "withdrawn": sum(n.status == "withdrawn" for n in nominations),
            "selected": selected, "spent": spent,
        })  # fmt: skip
    return rows


def _rounds_page(request: Request, session: Any, principal: Principal, *, error: str | None = None,
                 status_code: int = 200) -> HTMLResponse:  # fmt: skip
    return render(request, "support_rounds.html", {
        "rounds": _round_rows(session), "plan": store.plan_figures(session), "error": error,
        "can_write": principal.role == "staff",
    }, principal=principal, status_code=status_code)  # fmt: skip


@router.get("/support")
def rounds_list(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """The support rounds, newest first, and the plan's figures (staff, analysts)."""
    _reader(principal, _lang(request))
    return _rounds_page(request, session, principal)


@router.post("/support/rounds")
def round_add(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Store a round from its JSON file (the round file format without nominations), as
    ``POST /api/v1/support/rounds`` does (:func:`api.storage.support.create_round`), then open it."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    name = ((file.filename if file is not None else "") or "")[:200]
    try:
        if file is None:  # no field limits on the form: they would answer JSON
            raise FormError({"vi": "Chọn tệp JSON mô tả đợt hỗ trợ rồi gửi lại.",
                              "en": "Choose the round's JSON file and send it again."}[lang])  # fmt: skip
        data = _read_upload(file, request.app.state.settings.max_upload_bytes)
        try:
            definition = json.loads(data.decode("utf-8-sig"))
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested past the parser
            raise FormError({"vi": f"Tệp {name!r} không phải JSON đọc được ({exc}). Lưu đợt hỗ trợ theo mẫu data/demo/support_round_demo.json (không có 'nominations').",
                              "en": f"File {name!r} is not readable JSON ({exc}). Save the round after data/demo/support_round_demo.json (without 'nominations')."}[lang]) from None  # fmt: skip
        record = store.create_round(session, definition, by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        return _rounds_page(request, session, principal, error=message(exc, _lang(request)), status_code=getattr(exc, "status_code", 400))
    _commit_before_redirect(session)
    return RedirectResponse(f"/support/rounds/{record.round_id}?saved=round", status_code=303)


# --- one round -------------------------------------------------------------------------


def _firm_names(session: Any, firm_ids: set[str]) -> dict[str, str]:
    if not firm_ids:
        return {}
    return dict(session.execute(select(Firm.firm_id, Firm.name).where(Firm.firm_id.in_(firm_ids))).all())


def _fairness_shares(session: Any, support_round: Any, selected: list[Any]) -> list[dict[str, Any]]:
    """Each stated fairness rule with the share of the budget the selection gives each of its
    groups, grouped as the solver groups them (:func:`matching.support.check_nominations`)."""
    from matching.support import check_nominations
    from matching.support.selection import _groups

    if not support_round.fairness:
        return []
    groups_of: dict[str, set[str]] = {}
    if selected:
        table = check_nominations(support_round, store.firms_table(session, {d.firm_id for d in selected}))
    out = []
    for rule in support_round.fairness:
        if selected:
            groups_of = dict(zip(table["nomination_id"], _groups(table, rule.by), strict=True))
        spent: dict[str, int] = defaultdict(int)
        for d in selected:
            for group in groups_of.get(d.nomination_id, ()):
                spent[group] += d.cost_vnd
        shares = sorted(((g, v / support_round.budget) for g, v in spent.items()), key=lambda item: -item[1])
        out.append({"rule": rule, "by": rule.by, "shares": shares})
    return out


def _sorted(rows: list[Any], sort: str) -> list[Any]:
    if sort == "rank":  # the solver's rank; ranked ones first
        return sorted(rows, key=lambda d: (d.rank <= 0, d.rank))
    if sort == "value":
        return sorted(rows, key=lambda d: -d.value)
    if sort == "cost":
        return sorted(rows, key=lambda d: -d.cost_vnd)
    return rows  # the API's order: selected first by rank


def _shown(rows: list[Any], show: str) -> list[Any]:
    if show == "selected":
        return [d for d in rows if d.selected]
    if show == "not_selected":
        return [d for d in rows if not d.selected]
    if show == "overridden":
        return [d for d in rows if d.held_by_override]
    return rows


def _round_page(request: Request, session: Any, principal: Principal, round_id: str, *,
                error: str | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    record = store.get_round(session, round_id)
    support_round = store.round_of(session, record)  # its submitted nominations: the fairness groups
    types = {k.code: k for k in support_round.support_types}
    nominations = store.list_nominations(session, round_id)
    decided = _decisions_public(session, round_id, principal) if record.status != "open" else None
    names = _firm_names(session, {n.firm_id for n in nominations})
    associations = {a.association_id: a.name for a in store.list_associations(session)}
    show = request.query_params.get("show", "all")
    show = show if show in SHOWS else "all"
    sort = request.query_params.get("sort", "decision")
    sort = sort if sort in SORTS else "decision"
    rows, selected, by_nomination = [], [], {}
    if decided is not None:
        selected = [d for d in decided.data if d.selected]
        by_nomination = {d.nomination_id: d for d in decided.data}
        rows = _sorted(_shown(decided.data, show), sort)
    job = _job(round_id)
    if job is not None and job.status == "done":
        job = None  # its result is the decision shown
    summary = decided.summary if decided is not None else None
    return render(request, "support_round.html", {
        "record": record, "round": support_round, "types": types, "nominations": nominations,
        "names": names, "associations": associations, "decided": decided, "rows": rows,
        "by_nomination": by_nomination, "summary": summary,
        "selected_count": len(selected), "spent": sum(d.cost_vnd for d in selected),
        "overridden_count": sum(d.held_by_override for d in decided.data) if decided else 0,
        "fairness": _fairness_shares(session, support_round, selected) if decided else [],
        "show": show, "sort": sort, "shows": SHOWS, "sorts": SORTS, "job": job, "error": error,
        "saved": request.query_params.get("saved"),
        "can_write": principal.role == "staff" and record.status != "decided",
    }, principal=principal, status_code=status_code)  # fmt: skip


@router.get("/support/rounds/{round_id}")
def round_page(request: Request, session: SessionDep, principal: UserDep, round_id: str) -> Response:
    """A round: its terms, nominations, the proposal or decision with reasons, overrides."""
    _reader(principal, _lang(request))
    return _round_page(request, session, principal, round_id)


@router.post("/support/rounds/{round_id}/proposal")
def round_propose(request: Request, session: SessionDep, principal: UserDep, round_id: str,
                  csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    """Run the proposal in the background (the API's ``propose``); the page shows it running."""
    check_form(request, csrf)
    _staff(principal, _lang(request))
    record = store.get_round(session, round_id)  # 404 page for an unknown round
    if record.status == "decided":
        return _round_page(request, session, principal, round_id, status_code=409, error={
            "vi": f"Đợt {round_id} đã chốt quyết định; không đề xuất lại được.",
            "en": f"Round {round_id} is decided; its decision can no longer be proposed again."}[_lang(request)])  # fmt: skip
    session.rollback()  # only read: the job's own session writes the proposal
    # one at a time: a second press while one runs shows the running one
    _JOBS.start(round_id, principal.actor, _propose, request.app.state, principal)
    return RedirectResponse(f"/support/rounds/{round_id}#proposal", status_code=303)


@router.get("/support/rounds/{round_id}/proposal/status.json")
def round_propose_status(request: Request, session: SessionDep, principal: UserDep, round_id: str) -> Response:
    """Where the round's proposal job stands, for its page to poll."""
    _reader(principal, _lang(request))
    record = store.get_round(session, round_id)
    job = _job(round_id)
    return JSONResponse({"round_id": round_id, "status": job.status if job else "none", "stage": "solving",
                         "round_status": record.status,
                         "proposed_at": record.proposed_at.isoformat() if record.proposed_at else None},
                        headers={"Cache-Control": "no-store"})  # fmt: skip


@router.post("/support/rounds/{round_id}/decisions/{nomination_id}/override")
def round_override(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    round_id: str,
    nomination_id: str,
    csrf: Annotated[str, Form()] = "",
    selected: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Put a nomination in or out against the proposal, with the reason (:func:`api.storage.support.override`)."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    selected, reason = selected.strip()[:10], reason.strip()
    try:
        if selected not in ("1", "0"):
            raise FormError({"vi": f"Chọn đưa vào (1) hoặc đưa ra (0), nhận được {selected!r}.",
                              "en": f"Expected to put in (1) or out (0), got {selected!r}."}[lang])  # fmt: skip
        if not reason:
            raise FormError({"vi": f"Ghi lý do điều chỉnh đề cử {nomination_id}: lý do được lưu trong nhật ký.",
                              "en": f"Give the reason for overriding {nomination_id}: it is kept in the audit log."}[lang])  # fmt: skip
        if len(reason) > 2000:
            raise FormError({"vi": f"Lý do tối đa 2000 ký tự, nhận được {len(reason)}.",
                              "en": f"Expected a reason of at most 2000 characters, got {len(reason)}."}[lang])  # fmt: skip
        store.override(session, round_id, nomination_id, selected=selected == "1", reason=reason, by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        return _round_page(request, session, principal, round_id, error=message(exc, _lang(request)),
                           status_code=getattr(exc, "status_code", 400))  # fmt: skip
    _commit_before_redirect(session)
    return RedirectResponse(f"/support/rounds/{round_id}?saved=override#d-{nomination_id}", status_code=303)


@router.post("/support/rounds/{round_id}/decide")
def round_decide(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    round_id: str,
    csrf: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Close the decision (:func:`api.storage.support.decide`), once confirmed on the form."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    try:
        if confirm != "yes":
            store.get_round(session, round_id)  # 404 first
            raise FormError({"vi": "Đánh dấu ô xác nhận để chốt quyết định: sau khi chốt không thay đổi được.",
                              "en": "Tick the confirmation to close the decision: nothing changes it afterwards."}[lang])  # fmt: skip
        store.decide(session, round_id, by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        return _round_page(request, session, principal, round_id, error=message(exc, _lang(request)),
                           status_code=getattr(exc, "status_code", 400))  # fmt: skip
    _commit_before_redirect(session)
    return RedirectResponse(f"/support/rounds/{round_id}?saved=decided#proposal", status_code=303)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


@router.get("/support/rounds/{round_id}/decision.xlsx")
def round_xlsx(request: Request, session: SessionDep, principal: UserDep, round_id: str) -> Response:
    """The decision workbook in Vietnamese (:func:`api.support_workbook.decision_workbook`)."""
    from api.support_workbook import decision_workbook

    _reader(principal, _lang(request))
    content = decision_workbook(session, round_id)
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{_safe_name(round_id)}_quyet_dinh.xlsx"'})


# --- one nomination --------------------------------------------------------------------


@router.get("/support/rounds/{round_id}/nominations/{nomination_id}")
def nomination_page(request: Request, session: SessionDep, principal: UserDep, round_id: str,
                    nomination_id: str) -> Response:  # fmt: skip
    """A nomination's dossier (:func:`api.storage.support.nomination_dossier`, as the API's
    dossier route) and its decision with the reason."""
    _reader(principal, _lang(request))
    record = store.get_round(session, round_id)
    nomination = store.get_nomination(session, round_id, nomination_id)  # 404 before fitting anything
    ranking = request.app.state.ranking
    matcher_error = None
    try:
        fitted = ranking.get(session)
        with ranking.slot():
            dossier = store.nomination_dossier(session, round_id, nomination_id, fitted.matcher,
                                               store.open_needs(session))  # fmt: skip
    except RankingError as exc:  # no matcher to ask: the dossier without its view
        matcher_error = message(exc, _lang(request))
        dossier = store.nomination_dossier(session, round_id, nomination_id)
    decision = None
    if record.status != "open":
        decision = next((d for d in _decisions_public(session, round_id, principal).data
                         if d.nomination_id == nomination_id), None)  # fmt: skip
    support_round = store.round_of(session, record, with_nominations=False)
    types = {k.code: k for k in support_round.support_types}
    associations = {a.association_id: a.name for a in store.list_associations(session)}
    return render(request, "support_nomination.html", {
        "record": record, "nomination": nomination, "dossier": dossier, "decision": decision, "types": types,
        "associations": associations, "matcher_error": matcher_error, "kinds": _UPGRADE_KINDS,
    }, principal=principal)  # fmt: skip
