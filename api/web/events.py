"""Event pages (issue 13): business-matching events listed, read, changed by hand, scheduled, reported.

Every figure comes from the function the API and the CLI use: the event and its schedule
(:func:`api.storage.events.get_event`, the API's :func:`api.routes.events._schedule_public`),
the matcher's proposals (:func:`api.storage.events.event_proposals`), the follow-up report
(:func:`api.storage.events.event_report`, the figures of ``cnht event report``), the files
(:func:`matching.events.hall_pdf`, ``participants_pdf``, ``participant_calendars`` and the
workbook of ``cnht event schedule``). Scheduling runs the API's
:func:`api.routes.events.schedule_event` in a thread (:func:`api.web.jobs.run_in_background`,
as an import does); the page shows it running and loads its result when it ends.

A scheduling job is known to the server process that runs it (``cnht serve --workers N``:
the page polled on another worker sees the schedule once it is stored, not the job).
"""

from __future__ import annotations

import io
import json
import logging
import re
import tempfile
import threading
import zipfile
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep
from api.ranking import RankingError, needs_version, parse_stored_need
from api.routes.events import _schedule_public, schedule_event
from api.routes.imports import _read_upload
from api.schemas_events import TIME_LIMIT_MAX_SECONDS, EventCreate, EventScheduleRequest
from api.storage import events as store
from api.storage.models import Buyer, Need
from api.web.jobs import PageJob, PageJobs
from api.web.portal import _validation_message
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

__all__ = ["router", "PROPOSALS_PER_BUYER"]

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, route_class=_PageRoute)

PROPOSALS_PER_BUYER = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DEFAULT_TIME_LIMIT = 30



# --- the scheduling job ----------------------------------------------------------------


_JOBS = PageJobs({"vi": "xếp lịch sự kiện", "en": "Scheduling event"})


def _job(event_id: str) -> PageJob | None:
    return _JOBS.get(event_id)


def _schedule(job: PageJob, state: Any, principal: Principal) -> None:
    """``POST /events/{id}/schedule``'s work for the job."""
    with state.sessionmaker() as session:
        schedule_event(event_id=job.key, session=session, ranking=state.ranking, principal=principal,
                       body=EventScheduleRequest(time_limit=job.details["time_limit"]))  # fmt: skip


# --- list ------------------------------------------------------------------------------


def _days(definition: dict[str, Any]) -> list[str]:
    days = [str(d.get("date")) for d in definition.get("days") or []]
    days += [str(s.get("day")) for s in definition.get("slots") or []]
    return sorted(set(days))


def _event_rows(session: Any) -> tuple[list[dict[str, Any]], int]:
    records, total = store.list_events(session, limit=200)
    rows = []
    for record in records:
        definition = record.definition or {}
        summary = record.schedule_summary or {}
        job = _job(record.event_id)
        rows.append({
            "event_id": record.event_id, "name": record.name, "days": _days(definition),
            "buyers": len(definition.get("buyers", [])), "firms": len(definition.get("firms", [])),
            "state": "running" if job and job.status == "running" else ("scheduled" if record.schedule_summary else "draft"),
            "meetings": summary.get("meetings"), "created_at": record.created_at,
        })  # fmt: skip
    return rows, total


@router.get("/events")
def events_list(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """Stored events, newest first: name, days, buyers and firms, schedule state."""
    _reader(principal, _lang(request))
    return _events_page(request, session, principal)


def _events_page(request: Request, session: Any, principal: Principal, *, error: str | None = None,
                 status_code: int = 200) -> HTMLResponse:  # fmt: skip
    rows, total = _event_rows(session)
    return render(request, "events.html", {"events": rows, "total": total, "error": error,
                                           "can_write": principal.role == "staff"},
                  principal=principal, status_code=status_code)  # fmt: skip


@router.post("/events")
def event_add(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Store an event from its JSON file (the format of ``data/demo/event_demo.json``), as
    ``POST /events`` and ``cnht event add`` do, then open its page."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    name = (file.filename or "")[:200]
    try:
        data = _read_upload(file, request.app.state.settings.max_upload_bytes)
        try:
            body = EventCreate.model_validate(json.loads(data.decode("utf-8-sig")))
        except ValidationError as exc:  # a ValueError too: first
            raise FormError(f"{name}: {_validation_message(exc)}") from None
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested past the parser
            raise FormError({"vi": f"Tệp {name!r} không phải JSON đọc được ({exc}). Lưu sự kiện theo mẫu data/demo/event_demo.json.",
                              "en": f"File {name!r} is not readable JSON ({exc}). Save the event after data/demo/event_demo.json."}[lang]) from None  # fmt: skip
        record = store.create_event(session, body.definition(), by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        return _events_page(request, session, principal, error=message(exc, _lang(request)), status_code=getattr(exc, "status_code", 400))
    _commit_before_redirect(session)
    return RedirectResponse(f"/events/{record.event_id}?saved=event", status_code=303)


# --- one event -------------------------------------------------------------------------


# Proposals depend on the matcher's data, the needs and the event's participants, not on the
# requests or refusals: the page after each change by hand reads them here instead of ranking again.
_PROPOSALS: OrderedDict[tuple[str, ...], list[dict[str, Any]]] = OrderedDict()
_PROPOSALS_KEPT = 16
_PROPOSALS_LOCK = threading.Lock()


def _proposals(request: Request, session: Any, event: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The matcher's proposals (best first) with each pair's reasons, or the reason there are none."""
    ranking = request.app.state.ranking
    try:
        fitted = ranking.get(session)
        key = (event.event_id, fitted.model_version, needs_version(session),
               repr((event.buyers, [(f.firm_id, f.registered) for f in event.firms])))  # fmt: skip
        with _PROPOSALS_LOCK:
            if key in _PROPOSALS:
                _PROPOSALS.move_to_end(key)
                return _PROPOSALS[key], None
        with ranking.slot():
            needs = store.event_needs(session, event)
            proposals = store.event_proposals(event, fitted.matcher, needs)
            rows = proposals.to_dict("records")
            # reasons for the pairs shown: each buyer's best, each firm's best buyer
            shown = {(r["buyer_id"], r["firm_id"]) for r in _best_per(rows, "buyer_id", PROPOSALS_PER_BUYER)}
            shown |= {(r["buyer_id"], r["firm_id"]) for r in _best_per(rows, "firm_id", 1)}
            wanted: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                if (row["buyer_id"], row["firm_id"]) in shown:
                    wanted[row["need_id"]].append(row)
            stored = {n.need_id: n for n in session.scalars(select(Need).where(Need.need_id.in_(list(wanted))))}
            for need_id, pairs in wanted.items():
                query = parse_stored_need(stored[need_id])
                for row, explanation in zip(pairs, fitted.matcher.explain_many(query, [p["firm_id"] for p in pairs]),
                                            strict=True):  # fmt: skip
                    row["reasons"] = explanation.failed + explanation.reasons
    except (CnhtError, RankingError) as exc:
        return [], message(exc, _lang(request))
    with _PROPOSALS_LOCK:
        _PROPOSALS[key] = rows
        while len(_PROPOSALS) > _PROPOSALS_KEPT:
            _PROPOSALS.popitem(last=False)
    return rows, None


def _best_per(rows: list[dict[str, Any]], key: str, n: int) -> list[dict[str, Any]]:
    counts: dict[str, int] = defaultdict(int)
    out = []
    for row in rows:  # best first already
        if counts[row[key]] < n:
            counts[row[key]] += 1
            out.append(row)
    return out


def _by_buyer(event: Any, proposals: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each buyer of the event (in the event's order) with its best proposals, best first."""
    best = _best_per(proposals, "buyer_id", PROPOSALS_PER_BUYER)
    return [(b.buyer_id, rows) for b in event.buyers if (rows := [r for r in best if r["buyer_id"] == b.buyer_id])]


def _grid(event: Any, meetings: list[Any]) -> list[dict[str, Any]]:
    """One row per slot: its time and, per table, the meeting there (None: free)."""
    at = {(m.slot_id, m.table): m for m in meetings}
    multi_day = len({s.day for s in event.slots}) > 1
    return [{"slot": s, "multi_day": multi_day,
             "cells": [at.get((s.slot_id, t)) for t in range(1, event.tables + 1)]} for s in event.slots]  # fmt: skip


def _event_page(request: Request, session: Any, principal: Principal, event_id: str, *,
                error: str | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    record = store.get_event(session, event_id)
    event = store.stored_event(record)
    names = store.participant_names(session, event)
    buyers = {b.buyer_id: b for b in session.scalars(select(Buyer).where(
        Buyer.buyer_id.in_([b.buyer_id for b in event.buyers])))}  # fmt: skip
    needs = store.event_needs(session, event)
    titles = dict(zip(needs["need_id"], needs["title"] if "title" in needs else needs["need_id"], strict=True))
    brought: dict[str, list[str]] = defaultdict(list)
    for need_id, buyer_id in zip(needs["need_id"], needs["buyer_id"], strict=True):
        brought[buyer_id].append(need_id)
    proposals, proposals_error = _proposals(request, session, event)
    best_buyer = {r["firm_id"]: r for r in _best_per(proposals, "firm_id", 1)}
    requested: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in event.requests:
        requested[(r.buyer_id, r.firm_id)].add(r.by)
    refused = set(event.refusals)
    schedule = _schedule_public(session, event_id) if record.schedule_summary is not None else None
    report = store.event_report(session, event_id)
    per_participant: dict[str, int] = defaultdict(int)
    held: set[tuple[str, str]] = set()
    if schedule is not None:
        for m in schedule.data:
            per_participant[m.buyer_id] += 1
            per_participant[m.firm_id] += 1
            if m.held_at is not None:
                held.add((m.buyer_id, m.firm_id))
    job = _job(event_id)
    if job is not None and job.status == "done":
        job = None  # its result is the schedule shown
    return render(request, "event.html", {
        "record": record, "event": event, "names": names, "buyers": buyers, "titles": titles, "brought": brought,
        "days": sorted({s.day for s in event.slots}), "proposals": _by_buyer(event, proposals),
        "proposals_total": len(proposals), "proposals_error": proposals_error, "best_buyer": best_buyer,
        "requested": requested, "refused": refused, "schedule": schedule,
        "grid": _grid(event, schedule.data) if schedule else [], "report": report,
        "per_participant": per_participant, "held": held, "job": job, "error": error,
        "saved": request.query_params.get("saved"), "can_write": principal.role == "staff" and not held,
        "can_record": principal.role == "staff",
        "proposals_per_buyer": PROPOSALS_PER_BUYER, "time_limit": _DEFAULT_TIME_LIMIT, "time_limit_max": int(TIME_LIMIT_MAX_SECONDS),
        "firm_ids": [f.firm_id for f in event.firms], "buyer_ids": [b.buyer_id for b in event.buyers],
    }, principal=principal, status_code=status_code)  # fmt: skip


@router.get("/events/{event_id}")
def event_page(request: Request, session: SessionDep, principal: UserDep, event_id: str) -> Response:
    """An event: participants, the matcher's proposals, requests and refusals, the schedule, the report."""
    _reader(principal, _lang(request))
    return _event_page(request, session, principal, event_id)


@router.post("/events/{event_id}/pairs")
def event_pair(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    event_id: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    buyer_id: Annotated[str, Form()] = "",
    firm_id: Annotated[str, Form()] = "",
    change: Annotated[str, Form()] = "",
) -> Response:
    """Add or lift a request or a refusal by hand (:func:`api.storage.events.change_pair`)."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    # No length limit on the fields (it would answer JSON): an ID that long is no participant.
    buyer_id, firm_id, change = buyer_id.strip()[:200], firm_id.strip()[:200], change[:40]
    try:
        if not buyer_id or not firm_id:
            raise FormError({"vi": "Chọn một bên mua và một doanh nghiệp của sự kiện.",
                              "en": "Pick one of the event's buyers and one of its firms."}[lang])  # fmt: skip
        if change not in store.PAIR_CHANGES:
            raise FormError({"vi": f"Thao tác phải là một trong {', '.join(store.PAIR_CHANGES)}, nhận được {change!r}.",
                              "en": f"Expected one of {', '.join(store.PAIR_CHANGES)}, got {change!r}."}[lang])  # fmt: skip
        said = store.change_pair(session, event_id, buyer_id, firm_id, change, by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        return _event_page(request, session, principal, event_id, error=message(exc, _lang(request)),
                           status_code=getattr(exc, "status_code", 400))  # fmt: skip
    _commit_before_redirect(session)
    flag = "unchanged" if said == "unchanged" else ("pair_discarded" if "discarded" in said else "pair_saved")
    return RedirectResponse(f"/events/{event_id}?saved={flag}#requests", status_code=303)


@router.post("/events/{event_id}/schedule")
def event_schedule(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    event_id: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    time_limit: Annotated[str, Form()] = "",
) -> Response:
    """Run the solver in the background (the API's ``schedule_event``); the page shows it running."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    record = store.get_event(session, event_id)  # 404 page for an unknown event
    time_limit = time_limit[:20]  # quoted back in the error
    text = time_limit.strip().replace(",", ".") or str(_DEFAULT_TIME_LIMIT)
    try:
        seconds = float(text)
        if not 1 <= seconds <= TIME_LIMIT_MAX_SECONDS:
            raise ValueError
        store.refuse_if_held(session, record)
    except ValueError:
        return _event_page(request, session, principal, event_id, status_code=422, error={
            "vi": f"Thời gian cho bộ giải phải là số giây từ 1 đến {TIME_LIMIT_MAX_SECONDS:g}, nhận được {time_limit!r}.",
            "en": f"Expected the solver's time as seconds from 1 to {TIME_LIMIT_MAX_SECONDS:g}, got {time_limit!r}."}[lang])  # fmt: skip
    except CnhtError as exc:
        return _event_page(request, session, principal, event_id, error=message(exc, _lang(request)),
                           status_code=getattr(exc, "status_code", 400))  # fmt: skip
    session.rollback()  # only read: the job's own session writes the schedule
    # one solve at a time: a second press while one runs shows the running one
    _JOBS.start(event_id, principal.actor, _schedule, request.app.state, principal, time_limit=seconds)
    return RedirectResponse(f"/events/{event_id}#schedule", status_code=303)


@router.get("/events/{event_id}/schedule/status.json")
def event_schedule_status(request: Request, session: SessionDep, principal: UserDep, event_id: str) -> Response:
    """Where the event's scheduling job stands, for its page to poll."""
    _reader(principal, _lang(request))
    record = store.get_event(session, event_id)
    job = _job(event_id)
    return JSONResponse({"event_id": event_id, "status": job.status if job else "none", "stage": "solving",
                         "scheduled_at": record.scheduled_at.isoformat() if record.scheduled_at else None},
                        headers={"Cache-Control": "no-store"})  # fmt: skip


@router.post("/events/{event_id}/held")
def event_meeting_held(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    event_id: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    buyer_id: Annotated[str, Form()] = "",
    firm_id: Annotated[str, Form()] = "",
) -> Response:
    """Record that a scheduled meeting took place (:func:`api.storage.events.record_meeting_held`)."""
    check_form(request, csrf)
    _staff(principal, _lang(request))
    try:
        store.record_meeting_held(session, event_id, buyer_id.strip()[:200], firm_id.strip()[:200], by=principal.actor)
    except CnhtError as exc:
        session.rollback()
        return _event_page(request, session, principal, event_id, error=message(exc, _lang(request)),
                           status_code=getattr(exc, "status_code", 400))  # fmt: skip
    _commit_before_redirect(session)
    return RedirectResponse(f"/events/{event_id}?saved=held#meetings", status_code=303)


# --- files -----------------------------------------------------------------------------


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


@router.get("/events/{event_id}/schedule.xlsx")
def event_xlsx(request: Request, session: SessionDep, principal: UserDep, event_id: str) -> Response:
    """The schedule as the workbook ``cnht event schedule`` writes (by participant, by table, given up)."""
    from api.cli.commands.event import OutputFormat, _tables, _write

    _reader(principal, _lang(request))
    schedule, names = store.schedule_of(session, event_id)
    with tempfile.TemporaryDirectory() as folder:
        path = _write(_tables(schedule, names), Path(folder), _safe_name(event_id), OutputFormat.xlsx)[0]
        data = path.read_bytes()
    return _attachment(data, XLSX, f"{_safe_name(event_id)}_schedule.xlsx")


@router.get("/events/{event_id}/{which}.pdf")
def event_pdf(request: Request, session: SessionDep, principal: UserDep, event_id: str, which: str) -> Response:
    """The hall's PDF (a page per table) or the participants' (a page per buyer and firm)."""
    from matching.events import hall_pdf, participants_pdf

    lang = _lang(request)
    _reader(principal, lang)
    writers = {"hall": hall_pdf, "participants": participants_pdf}
    if which not in writers:
        raise _NotScheduled({"vi": f"Không có tệp {which}.pdf; có hall.pdf (theo bàn) và participants.pdf (theo người).",
                             "en": f"No file {which}.pdf; there are hall.pdf (by table) and participants.pdf (by participant)."}[lang])  # fmt: skip
    schedule, names = store.schedule_of(session, event_id)
    return _attachment(writers[which](schedule, names), "application/pdf", f"{_safe_name(event_id)}_{which}.pdf")


def _calendars(session: Any, event_id: str) -> dict[tuple[str, str], str]:
    from matching.events import participant_calendars

    schedule, names = store.schedule_of(session, event_id)
    return participant_calendars(schedule, names)


@router.get("/events/{event_id}/calendars.zip")
def event_calendars(request: Request, session: SessionDep, principal: UserDep, event_id: str) -> Response:
    """Every participant's .ics calendar in one ZIP (``buyer_B001.ics``, ``firm_F0001.ics``...)."""
    _reader(principal, _lang(request))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for (kind, who), text in sorted(_calendars(session, event_id).items()):
            archive.writestr(f"{kind}_{_safe_name(who)}.ics", text.encode("utf-8"))
    return _attachment(out.getvalue(), "application/zip", f"{_safe_name(event_id)}_calendars.zip")


@router.get("/events/{event_id}/calendars/{kind}/{participant_id}.ics")
def event_calendar(request: Request, session: SessionDep, principal: UserDep, event_id: str, kind: str,
                   participant_id: str) -> Response:  # fmt: skip
    """One participant's .ics calendar."""
    lang = _lang(request)
    _reader(principal, lang)
    text = _calendars(session, event_id).get((kind, participant_id))
    if text is None:
        raise _NotScheduled({"vi": f"{participant_id} không có buổi gặp nào trong lịch của sự kiện {event_id}.",
                             "en": f"{participant_id} has no meeting in the schedule of event {event_id}."}[lang])  # fmt: skip
    return _attachment(text.encode("utf-8"), "text/calendar; charset=utf-8", f"{kind}_{_safe_name(participant_id)}.ics")


class _NotScheduled(CnhtError):
    status_code = 404

