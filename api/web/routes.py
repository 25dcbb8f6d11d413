"""The web pages: sign in, dashboard, needs with their shortlists and exports, firms, API docs.

Server-rendered (Jinja2, plain forms), every script, style and font served by the app itself.
Pages call the same functions as the API routes (:func:`api.routes.kpi.kpi`,
:func:`api.routes.shortlists.read_shortlist` and ``create_shortlist``,
:func:`api.storage.repository.record_outcome`, ``list_needs``, ``list_firms``), so a rule
lives in one place. Errors are shown as a page in words, never as JSON.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Coroutine
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Principal, authenticate
from api.deps import SessionDep
from api.ranking import RankingError, parse_stored_need
from api.routes.kpi import kpi as kpi_figures
from api.routes.kpi import kpi_expiring, kpi_progress
from api.routes.shortlists import create_shortlist, read_shortlist
from api.routes.suggestions import suggestions, upgrades
from api.schemas import ShortlistPublic, ShortlistRequest
from api.storage import repository as repo
from api.storage.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from api.storage.interests import interests_of_need
from api.storage.models import Buyer, Firm, Need, Outcome, ShortlistRun
from api.storage.outcomes import allowed_next
from api.web import i18n
from api.web.exports import shortlist_pdf, shortlist_xlsx
from api.web.session import (
    _FORM_TOKEN_PROBLEM,
    LANG_COOKIE,
    FormRefused,
    SignInRequired,
    check_form,
    csrf_token,
    forget_key,
    page_principal,
    remember_key,
    safe_next,
)
from features import clock
from features.dates import read_date
from features.exceptions import CnhtError, message
from features.text import fold

__all__ = ["router", "install", "templates"]

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(_HERE / "templates"))
PAGE_SIZE = 50


class FormError(CnhtError):
    """A form's value a page refuses (422): the page is shown again with the message."""

    status_code = 422


class _PageRoute(APIRoute):
    """A page: domain errors and missing sign-in become pages, never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
            except CnhtError as exc:
                return error_page(request, getattr(exc, "status_code", 400), message(exc, _lang(request)))
            except StarletteHTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail))
            except RequestValidationError as exc:  # a form field or query value FastAPI refused
                return _invalid_request_page(request, exc)

        return page_handler


router = APIRouter(include_in_schema=False, route_class=_PageRoute)


def _invalid_request_page(request: Request, exc: RequestValidationError) -> HTMLResponse:
    """A page's form or query refused by its declared types: the 403 page for a bad form token
    (as :func:`api.web.session.check_form`), else the 422 page naming each field."""
    errors = exc.errors()
    if any("csrf" in map(str, error.get("loc", ())) for error in errors):
        return error_page(request, 403, str(FormRefused(_FORM_TOKEN_PROBLEM)))
    lang = _lang(request)
    fields = "; ".join(f"{'.'.join(str(p) for p in error.get('loc', ())[1:]) or error.get('loc', ('?',))[0]}: "
                       f"{str(error.get('msg', '')).removeprefix('Value error, ')}" for error in errors[:5])
    lead = {"vi": "Biểu mẫu hoặc địa chỉ có giá trị không hợp lệ; sửa rồi gửi lại.",
            "en": "The form or the address has a value that is not valid; correct it and send again."}[lang]
    return error_page(request, 422, f"{lead} ({fields})")


# --- rendering -----------------------------------------------------------------------


def _lang(request: Request) -> str:
    return i18n.pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _url_with(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    return request.url.path + ("?" + urlencode(params) if params else "")


def render(request: Request, name: str, context: dict[str, Any], *, principal: Principal | None = None,
           status_code: int = 200) -> HTMLResponse:  # fmt: skip
    """Render template ``name`` in the request's language; remember a ``?lang=`` choice."""
    lang = _lang(request)
    values = {
        "lang": lang,
        "t": lambda word: i18n.translate(word, lang),
        "date": lambda value: i18n.format_date(value, lang),
        "datetime": lambda value: i18n.format_datetime(value, lang),
        "num": lambda value, decimals=0: i18n.format_number(value, lang, decimals),
        "status_label": lambda status: i18n.STATUS_LABELS.get(status or "", {}).get(lang, status or "—"),
        "sector_label": lambda code: _sector_label(code, lang) if code else "—",
        "country_name": lambda code: i18n.country_name(code, lang),
        "component_label": lambda name: i18n.COMPONENT_LABELS.get(name, {}).get(lang, name),
        "actor_label": lambda actor: _actor_label(actor, lang),
        "lang_url": lambda code: _url_with(request, lang=code),
        "url_with": lambda **changes: _url_with(request, **changes),
        "nav": request.url.path.strip("/").split("/")[0],
        "principal": principal,
        "csrf": csrf_token(request) if principal else "",
        **context,
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="strict",
                            httponly=True, secure=request.url.scheme == "https")  # fmt: skip
    return response


def _actor_label(actor: str | None, lang: str) -> str:
    """``staff:cnht_AbC12x`` of the audit log as a person reads it: "Cán bộ Sở · cnht_AbC12x"."""
    if not actor:
        return "—"
    role, _, prefix = actor.partition(":")
    if not prefix or f"who_{role}" not in i18n.WORDS:
        return actor
    return f"{i18n.translate('who_' + role, lang)} · {prefix}"


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error as a page: the message in words, a link back (no stack trace, no JSON)."""
    titles = {404: "not_found", 403: "forbidden_role"}
    return render(request, "error.html", {"status_code": status_code, "message": message,
                                          "title_word": titles.get(status_code, "error")},
                  status_code=status_code)  # fmt: skip


# --- who is signed in ----------------------------------------------------------------


def _signed_in(request: Request, session: SessionDep) -> Principal:
    principal = page_principal(request, session)
    if principal is None:
        raise SignInRequired("Sign in with your key.")
    return principal


UserDep = Annotated[Principal, Depends(_signed_in)]


def _reader(principal: Principal, lang: str) -> None:
    if principal.role not in ("staff", "analyst"):
        raise PermissionDeniedError(i18n.translate("forbidden_role", lang) + " "
                                    + i18n.translate("firm_portal_only", lang))  # fmt: skip


def _staff(principal: Principal, lang: str) -> None:
    if principal.role != "staff":
        raise PermissionDeniedError(
            {"vi": f"Chỉ cán bộ (staff) được làm việc này; khóa này có vai trò {principal.role!r}.",
             "en": f"Only staff may do this; this key has role {principal.role!r}."}[lang]
        )  # fmt: skip


# --- sign in / out -------------------------------------------------------------------


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    """Start page: the dashboard for staff and analysts, an association's nominations, the firm
    portal, the sign-in form otherwise."""
    principal = page_principal(request, session)
    if principal is None:
        return RedirectResponse(_with_lang(request, "/login"), status_code=303)
    if principal.role in ("staff", "analyst"):
        return RedirectResponse(_with_lang(request, "/dashboard"), status_code=303)
    if principal.role == "association":
        return RedirectResponse(_with_lang(request, "/association"), status_code=303)
    return RedirectResponse(_with_lang(request, "/portal"), status_code=303)


def _with_lang(request: Request, path: str) -> str:
    chosen = request.query_params.get("lang")
    return f"{path}?lang={chosen}" if chosen in i18n.LANGUAGES else path


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": safe_next(next, "/"), "error": None})


@router.post("/login")
def login(request: Request, session: SessionDep, key: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:  # fmt: skip
    """Check the key like the API does; keep it in the session cookie."""
    check_form(request, None, need_token=False)
    try:
        authenticate(session, f"Bearer {key.strip()}", allow_association=True)  # as page_principal reads it
    except AuthenticationError:
        return render(request, "login.html", {"next": safe_next(next, "/"), "error": "bad_key"},
                      status_code=401)  # fmt: skip
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    remember_key(request, response, key.strip())
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Forget the key (the form must come from this session)."""
    check_form(request, csrf)
    response = RedirectResponse("/login", status_code=303)
    forget_key(request, response)
    return response


# --- dashboard -----------------------------------------------------------------------


def _sector_label(code: str, lang: str) -> str:
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    if code in taxonomy:
        return taxonomy.get(code).label(lang)
    return code


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """The plan's figures (GET /kpi's function) and their last 12 month-ends (GET /kpi/progress), the
    outcome funnel, certificates expiring in 90 days (GET /kpi/expiring) and recent shortlists."""
    lang = _lang(request)
    _reader(principal, lang)
    figures = kpi_figures(request=request, session=session, principal=principal, as_of=None)
    sectors = sorted(((_sector_label(code, lang), count) for code, count in figures.firms_by_sector.items()),
                     key=lambda item: -item[1])  # fmt: skip
    recent = session.execute(
        select(ShortlistRun, Need.title).join(Need, Need.need_id == ShortlistRun.need_id)
        .order_by(ShortlistRun.id.desc()).limit(8)
    ).all()  # fmt: skip
    funnel = [(status, count) for status, count in figures.outcome_funnel.items()]
    # GET /kpi/progress and GET /kpi/expiring on the KPI's day: the same figures as the API.
    progress = kpi_progress(request=request, session=session, principal=principal, as_of=figures.as_of)
    expiring = kpi_expiring(request=request, session=session, principal=principal, as_of=figures.as_of)
    return render(request, "dashboard.html", {
        "kpi": figures, "sectors": sectors, "sector_max": max([c for _, c in sectors] or [1]),
        "funnel": funnel, "funnel_max": max([c for _, c in funnel] or [1]) or 1, "recent": recent,
        "standings": progress, "expiring": expiring, "month_label": lambda day: _month_label(day, lang),
    }, principal=principal)  # fmt: skip


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_label(day: dt.date, lang: str) -> str:
    """A chart's label under a month-end: ``T3`` in Vietnamese, ``Mar`` in English; a day that is
    no month-end (today, standing for this month) as ``dd/mm``."""
    if (day + dt.timedelta(days=1)).day != 1:
        return day.strftime("%d/%m")
    return i18n.translate("month_short", lang).format(m=day.month, name=_MONTHS_EN[day.month - 1])


# --- needs ---------------------------------------------------------------------------


@router.get("/needs")
def needs_list(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed|all)?$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Needs, open ones first (closed and past-deadline ones marked), with folded search."""
    lang = _lang(request)
    _reader(principal, lang)
    q = (q or "").strip() or None
    offset = (page - 1) * PAGE_SIZE
    if status in ("open", "closed"):
        needs, total = repo.list_needs(session, status=status, q=q, limit=PAGE_SIZE, offset=offset)
    else:  # open ones first, then the closed ones, one page across both
        needs, open_total = repo.list_needs(session, status="open", q=q, limit=PAGE_SIZE, offset=offset)
        closed_offset = max(0, offset - open_total)
        closed, closed_total = repo.list_needs(session, status="closed", q=q,
                                               limit=max(1, PAGE_SIZE - len(needs)), offset=closed_offset)  # fmt: skip
        if len(needs) < PAGE_SIZE:
            needs = needs + closed[: PAGE_SIZE - len(needs)]
        total = open_total + closed_total
    # a buyer's name says more to staff than its id (the page of 50 needs: one query)
    buyer_ids = sorted({need.buyer_id for need in needs if need.buyer_id})
    buyer_names = dict(session.execute(
        select(Buyer.buyer_id, Buyer.name).where(Buyer.buyer_id.in_(buyer_ids))
    ).all()) if buyer_ids else {}
    return render(request, "needs.html", {
        "needs": needs, "buyer_names": buyer_names, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "q": q or "", "status": status or "all", "today": clock.today(),
    }, principal=principal)  # fmt: skip


def _read_run(session: Any, need_id: str, run_id: int | None) -> ShortlistPublic | None:
    """The latest run (the API's :func:`read_shortlist`) or an earlier one; None without runs."""
    latest = session.scalar(select(ShortlistRun.id).where(ShortlistRun.need_id == need_id)
                            .order_by(ShortlistRun.id.desc()).limit(1))  # fmt: skip
    if latest is None:
        return None
    return read_shortlist(session, need_id, run_id)


def _understood(need: Need) -> tuple[dict[str, Any] | None, str | None]:
    from matching.need_facts import understood

    try:
        return understood(parse_stored_need(need)), None
    except RankingError as exc:
        return None, str(exc)


def _need_page(request: Request, session: Any, principal: Principal, need_id: str,
               run_id: int | None, *, error: str | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    need = repo.get_need(session, need_id)
    try:
        buyer = repo.get_buyer(session, need.buyer_id)
    except NotFoundError:
        buyer = None
    facts, facts_error = _understood(need)
    shortlist = _read_run(session, need_id, run_id)
    runs = session.execute(
        select(ShortlistRun.id, ShortlistRun.created_at, ShortlistRun.model_version, ShortlistRun.by,
               ShortlistRun.k).where(ShortlistRun.need_id == need_id).order_by(ShortlistRun.id.desc())
    ).all()  # fmt: skip
    history: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in session.scalars(select(Outcome).where(Outcome.need_id == need_id)
                                   .order_by(Outcome.at, Outcome.id)):  # fmt: skip
        history[outcome.firm_id].append(outcome)
    component_max = max([v for e in (shortlist.data if shortlist else []) for v in e.components.values()] or [1.0]) or 1.0
    interests = interests_of_need(session, need_id)
    interested_names = dict(session.execute(select(Firm.firm_id, Firm.name).where(
        Firm.firm_id.in_([i.firm_id for i in interests]))).all()) if interests else {}  # fmt: skip
    return render(request, "need.html", {
        "interests": interests, "interested_names": interested_names,
        "need": need, "buyer": buyer, "facts": facts, "facts_error": facts_error,
        "shortlist": shortlist, "runs": runs, "latest_run": runs[0].id if runs else None,
        "history": history, "allowed_next": allowed_next, "component_max": component_max,
        "today": clock.today(), "error": error, "saved": request.query_params.get("saved"),
        "can_write": principal.role == "staff",
    }, principal=principal, status_code=status_code)  # fmt: skip


@router.get("/needs/{need_id}")
def need_page(request: Request, session: SessionDep, principal: UserDep, need_id: str,
              run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:  # fmt: skip
    """A need: what was understood, its shortlist (a run) with bars and reasons, outcomes, runs."""
    _reader(principal, _lang(request))
    return _need_page(request, session, principal, need_id, run)


@router.post("/needs/{need_id}/shortlist")
def need_shortlist(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    need_id: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    k: Annotated[int, Form(ge=1, le=100)] = 10,
    diversity: Annotated[bool, Form()] = False,
) -> Response:
    """Compute a new shortlist run (staff), as ``POST /needs/{need_id}/shortlist`` does."""
    check_form(request, csrf)
    _staff(principal, _lang(request))
    create_shortlist(need_id=need_id, body=ShortlistRequest(k=k, diversity=diversity), session=session,
                     ranking=request.app.state.ranking, principal=principal)  # fmt: skip
    _commit_before_redirect(session)
    return RedirectResponse(f"/needs/{need_id}?saved=shortlist", status_code=303)


def _commit_before_redirect(session: Any) -> None:
    # The request's session commits when its dependency exits, which may be after the
    # response is sent: the browser's GET that follows the redirect must see the write.
    session.commit()


def _parse_day(text: str) -> dt.date | None:
    # the one day-first reader of the project (01/05/2026 is 1 May)
    return read_date(text)


def _outcome_time(day: dt.date, last: dt.datetime | None, lang: str) -> dt.datetime:
    """When a step recorded for ``day`` happened: now for today, else midday Hanoi time.

    The pair's status is its latest step by time, so a step may not be dated before the
    pair's last one (that would hide it); on the same day it goes one second after it.
    """
    now = dt.datetime.now(dt.UTC)
    local_today = i18n.to_local(now).date()
    if day > local_today:
        raise _OutcomeDateError({"vi": f"Ngày {day:%d/%m/%Y} ở tương lai; chọn hôm nay hoặc một ngày đã qua.",
                                 "en": f"The date {day:%d/%m/%Y} is in the future; pick today or a past day."}[lang])  # fmt: skip
    at = now if day == local_today else dt.datetime.combine(day, dt.time(12, 0), tzinfo=i18n.LOCAL_TIME)
    if last is not None:
        last_utc = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
        if at <= last_utc:
            if i18n.to_local(last_utc).date() == day:
                return last_utc + dt.timedelta(seconds=1)
            shown = i18n.format_date(last_utc, lang)
            raise _OutcomeDateError({"vi": f"Bước trước được ghi ngày {shown}; ngày của bước mới không được sớm hơn.",
                                     "en": f"The previous step is dated {shown}; the new step cannot be earlier."}[lang])  # fmt: skip
    return at


class _OutcomeDateError(CnhtError):
    status_code = 422


@router.post("/shortlists/{entry_id}/outcome")
def entry_outcome(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    entry_id: int,
    csrf: Annotated[str, Form(max_length=100)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the next step of a shortlist row's pair (staff), with its date and a note."""
    check_form(request, csrf)
    lang = _lang(request)
    _staff(principal, lang)
    entry = repo.get_shortlist_entry(session, entry_id)
    back = f"/needs/{entry.need_id}?run={entry.run_id}"
    try:
        when = _parse_day(day) if day.strip() else clock.today()
        if when is None:
            raise _OutcomeDateError({"vi": f"Ngày phải có dạng dd/mm/yyyy, nhận được {day!r}.",
                                     "en": f"Expected a date as dd/mm/yyyy, got {day!r}."}[lang])  # fmt: skip
        last = session.scalar(select(Outcome.at).where(Outcome.need_id == entry.need_id,
                                                       Outcome.firm_id == entry.firm_id)
                              .order_by(Outcome.at.desc(), Outcome.id.desc()).limit(1))  # fmt: skip
        repo.record_outcome(session, entry.need_id, entry.firm_id, status, reason=note.strip() or None,
                            by=principal.actor, at=_outcome_time(when, last, lang),
                            shortlist_entry_id=entry.id)  # fmt: skip
    except CnhtError as exc:
        session.rollback()
        return _need_page(request, session, principal, entry.need_id, entry.run_id,
                          error=f"{entry.firm_id}: {message(exc, lang)}",
                          status_code=getattr(exc, "status_code", 400))  # fmt: skip
    _commit_before_redirect(session)
    return RedirectResponse(f"{back}&saved=outcome#entry-{entry.id}", status_code=303)


@router.get("/needs/{need_id}/shortlist.xlsx")
def need_xlsx(request: Request, session: SessionDep, principal: UserDep, need_id: str,
              run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:  # fmt: skip
    """The shortlist (a run) as an Excel workbook with Vietnamese headers and the reasons."""
    lang = _lang(request)
    _reader(principal, lang)
    need = repo.get_need(session, need_id)
    shortlist = _read_run(session, need_id, run) or read_shortlist(session, need_id)
    return Response(shortlist_xlsx(shortlist, need, lang),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="shortlist-{need_id}-run{shortlist.run_id}.xlsx"'})  # fmt: skip


@router.get("/needs/{need_id}/shortlist.pdf")
def need_pdf(request: Request, session: SessionDep, principal: UserDep, need_id: str,
             run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:  # fmt: skip
    """The shortlist (a run) as a PDF for a meeting with the buyer."""
    lang = _lang(request)
    _reader(principal, lang)
    need = repo.get_need(session, need_id)
    shortlist = _read_run(session, need_id, run) or read_shortlist(session, need_id)
    return Response(shortlist_pdf(shortlist, need, lang), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="shortlist-{need_id}-run{shortlist.run_id}.pdf"'})  # fmt: skip


# --- firms ---------------------------------------------------------------------------


@router.get("/firms")
def firms_list(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sector: Annotated[str | None, Query(max_length=60)] = None,
    process: Annotated[str | None, Query(max_length=60)] = None,
    certification: Annotated[str | None, Query(max_length=60)] = None,
    on: Annotated[str | None, Query(max_length=20)] = None,
    district: Annotated[str | None, Query(max_length=120)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Firms, searched with or without diacritics and filtered (the API's ``list_firms``)."""
    lang = _lang(request)
    _reader(principal, lang)
    filters = {name: (value or "").strip() or None for name, value in
               (("q", q), ("sector", sector), ("process", process), ("certification", certification),
                ("district", district), ("on", on))}  # fmt: skip
    error, firms, total = None, [], 0
    day = _parse_day(filters["on"]) if filters["on"] else None
    if filters["on"] and day is None:
        error = {"vi": f"Ngày phải có dạng dd/mm/yyyy, nhận được {filters['on']!r}.",
                 "en": f"Expected a date as dd/mm/yyyy, got {filters['on']!r}."}[lang]  # fmt: skip
    else:
        try:
            firms, total = repo.list_firms(session, q=filters["q"], sector=filters["sector"],
                                           process=filters["process"], certification=filters["certification"],
                                           district=filters["district"], today=day,
                                           limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)  # fmt: skip
        except CnhtError as exc:
            error = message(exc, _lang(request))
    return render(request, "firms.html", {
        "firms": firms, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": filters, "q": filters["q"] or "", "error": error, "choices": taxonomy_choices(lang),
        "filtered": any(v for k, v in filters.items() if k != "q"),
    }, principal=principal)  # fmt: skip


def taxonomy_choices(lang: str) -> dict[str, list[tuple[str, str]]]:
    """``(code, label in lang)`` of the taxonomy's sectors, processes, materials and
    certifications, sorted by label: the pick-lists of the pages."""
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return {kind: sorted(((term.code, term.label(lang)) for term in taxonomy.terms(kind)),
                         key=lambda item: fold(item[1]))
            for kind in ("sector", "process", "material", "certification")}  # fmt: skip


@router.get("/firms/{firm_id}")
def firm_page(request: Request, session: SessionDep, principal: UserDep, firm_id: str) -> Response:
    """A firm: profile, certificates, the needs it fits, its best upgrades, its outcomes.

    A firm key sees its own in the portal; any other firm answers the very page of a firm
    that does not exist (no hint that it does).
    """
    lang = _lang(request)
    if principal.role == "firm":
        if firm_id == principal.firm_id:
            return RedirectResponse(_with_lang(request, "/portal"), status_code=303)
        raise NotFoundError(f"Firm {firm_id} not found.", vi=f"Không tìm thấy doanh nghiệp {firm_id}.")
    _reader(principal, lang)
    firm = repo.get_firm(session, firm_id)
    outcomes, _ = repo.list_outcomes(session, firm_id=firm_id, limit=500)
    fits, fits_error = firm_suggestions(request, session, principal, firm_id)
    try:
        best = upgrades(firm_id=firm_id, session=session, ranking=request.app.state.ranking,
                        principal=principal, top=5, k=10).data  # fmt: skip
        upgrades_error = None
    except CnhtError as exc:
        best, upgrades_error = [], message(exc, _lang(request))
    return render(request, "firm.html", {
        "firm": firm, "certificates": certificate_rows(firm), "outcomes": outcomes[::-1],
        "fits": fits, "fits_error": fits_error, "upgrades": best, "upgrades_error": upgrades_error,
        "today": clock.today(),
    }, principal=principal)  # fmt: skip


def certificate_rows(firm: Firm) -> list[tuple[Any, str]]:
    """The firm's certificates with their state today by the one validity rule
    (:func:`features.certifications.certificate_status`: ``held``, ``expired``, ``superseded``...),
    ``expiring`` for one held that ends within 90 days."""
    from features.certifications import certificate_status

    rows = []
    for cert in firm.certifications:
        records = repo.stored_certificates([cert])
        if not records:
            rows.append((cert, "unknown"))
            continue
        today = clock.today()
        status = certificate_status(records, on=today).get(cert.code)
        state = status.status if status is not None else "unknown"
        if state == "held" and status.valid_until is not None and status.valid_until <= today + dt.timedelta(days=90):
            state = "expiring"
        rows.append((cert, state))
    return rows


def firm_suggestions(request: Request, session: Any, principal: Principal, firm_id: str,
                     k: int = 10) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The open needs ``firm_id`` fits (``GET /firms/{firm_id}/suggestions``' function), each
    with its buyer's sector and country only (never the buyer's confidential fields)."""
    try:
        found = suggestions(firm_id=firm_id, session=session, ranking=request.app.state.ranking,
                            principal=principal, k=k)  # fmt: skip
    except CnhtError as exc:
        return [], message(exc, _lang(request))
    buyer_ids = sorted({s.buyer_id for s in found.data})
    buyers = {b.buyer_id: b for b in session.scalars(select(Buyer).where(Buyer.buyer_id.in_(buyer_ids)))}
    rows = []
    for suggestion in found.data:
        buyer = buyers.get(suggestion.buyer_id)
        rows.append({"suggestion": suggestion, "buyer_sector": buyer.sector if buyer else None,
                     "buyer_country": buyer.country if buyer else None})  # fmt: skip
    return rows, None


# --- API docs, offline ---------------------------------------------------------------


def _docs_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


@lru_cache(maxsize=1)
def _redoc_script() -> bytes:
    # ReDoc's sidebar shows a logo fetched from its makers' CDN: point it at our own icon.
    script = (_docs_assets() / "redoc.standalone.js").read_text(encoding="utf-8")
    return script.replace("https://cdn.redoc.ly/redoc/logo-mini.svg", "/static/favicon.svg").encode("utf-8")


@router.get("/docs-assets/redoc.standalone.js")
def redoc_script() -> Response:
    """ReDoc's script, served here without its one link to a CDN."""
    return Response(_redoc_script(), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI with its script and style served by the app (works without internet)."""
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title="cnht-match — API",
                               swagger_js_url="/static/docs/swagger-ui-bundle.js",
                               swagger_css_url="/static/docs/swagger-ui.css",
                               swagger_favicon_url="/static/docs/favicon.png",
                               swagger_ui_parameters={"validatorUrl": None})  # fmt: skip


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc with its script served by the app, without web fonts from elsewhere."""
    return get_redoc_html(openapi_url=request.app.openapi_url, title="cnht-match — API",
                          redoc_js_url="/docs-assets/redoc.standalone.js",
                          redoc_favicon_url="/static/docs/favicon.png", with_google_fonts=False)  # fmt: skip


def install(app: FastAPI) -> None:
    """Serve the pages, their static files and the offline API docs on ``app``.

    ``app`` must be made with ``docs_url=None, redoc_url=None`` (these pages replace them).
    """
    app.mount("/static/docs", StaticFiles(directory=str(_docs_assets())), name="docs-assets")
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    from api.web.events import router as events_router
    from api.web.portal import router as portal_router
    from api.web.staff import router as staff_router
    from api.web.support_applications import router as support_applications_router
    from api.web.support_monitor import router as support_monitor_router
    from api.web.support_rounds import router as support_rounds_router

    # before the main router: /needs/new must not be read as the need "new"
    app.include_router(staff_router)
    app.include_router(portal_router)
    app.include_router(events_router)
    app.include_router(support_rounds_router)
    app.include_router(support_monitor_router)
    app.include_router(support_applications_router)
    app.include_router(router)
