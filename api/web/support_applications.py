"""Support programme pages (issue 14): an association's nominations and a firm's own applications.

Every figure comes from the function the API (:mod:`api.routes.support`) and ``cnht support``
use (:mod:`api.storage.support`), with the API's own scope: an association reads and changes
only its own nominations (another's answers the page of one that does not exist, 404) and the
public parts of firm profiles (:func:`api.routes.support.firm_profile`); a firm reads its own
applications, those it sent and those associations sent for it, and changes only the former.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep
from api.routes.support import _scope, firm_profile, get_decisions
from api.routes.support import update_nomination as api_update_nomination
from api.schemas_support import DecisionPublic, NominationUpdate
from api.storage import repository as repo
from api.storage import support as store
from api.storage.errors import NotFoundError, PermissionDeniedError
from api.storage.models import Firm
from api.storage.support_tables import SupportRoundRecord
from api.web import i18n
from api.web.routes import FormError, UserDep, _commit_before_redirect, _lang, _PageRoute, render
from api.web.session import check_form
from features import clock
from features.certifications import label as certificate_label
from features.exceptions import CnhtError, message
from features.text import fold
from matching.support.eligibility import RULES

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=_PageRoute)

_MAX_JUSTIFICATION = 4000  # NominationCreate's limit
_SEARCH_SHOWN = 10
_SEARCH_SCANNED = 300  # firms whose search text matches, of which those whose name matches are kept



def _words(word: str, lang: str, **values: Any) -> str:
    text = i18n.translate(word, lang)
    return text.format(**values) if values else text


# --- who may -------------------------------------------------------------------------


def _association(principal: Principal, lang: str) -> str:
    if principal.role != "association" or not principal.association_id:
        raise PermissionDeniedError(_words("sa_not_association", lang))
    return principal.association_id


def _firm(principal: Principal, lang: str) -> str:
    if principal.role != "firm" or not principal.firm_id:
        raise PermissionDeniedError(_words("sa_not_firm", lang))
    return principal.firm_id


# --- what the pages show -------------------------------------------------------------


def _money(value: int | None, lang: str) -> str:
    if value is None:
        return "—"
    return f"{i18n.format_number(value, lang)} {'đ' if lang == 'vi' else 'VND'}"


def _rules_in_words(parsed: Any, lang: str) -> list[str]:
    """The round's eligibility rules as sentences (the rules :func:`matching.support.check_nomination` applies)."""
    rules = parsed.rules
    words = [_words("sa_rule_one_per_type", lang)]
    if rules.valid_tax_code:
        words.append(_words("sa_rule_tax_code", lang))
    if rules.in_hanoi:
        words.append(_words("sa_rule_in_hanoi", lang))
    if rules.supporting_industry:
        words.append(_words("sa_rule_supporting_industry", lang))
    if rules.not_funded_within_years is not None:
        words.append(_words("sa_rule_recently_funded", lang, n=rules.not_funded_within_years))
    if any(kind.certification for kind in parsed.support_types):
        words.append(_words("sa_rule_already_certified", lang))
    if parsed.max_per_firm:
        words.append(_words("sa_rule_max_per_firm", lang, amount=_money(parsed.max_per_firm, lang)))
    for fairness in parsed.fairness:
        described = fairness.describe(lang)
        words.append(described[:1].upper() + described[1:])
    return words


def _type_name(kind: Any, lang: str) -> str:
    return (kind.name_vi if lang == "vi" else kind.name_en) or kind.name_vi or kind.name_en or kind.code


def _round_view(session: Any, record: SupportRoundRecord, lang: str) -> dict[str, Any]:
    """A round as the pages show it: its stored record, support types and rules in words."""
    parsed = store.round_of(session, record, with_nominations=False)
    today = clock.today()
    types = [{"code": k.code, "name": _type_name(k, lang), "unit_cost": _money(k.unit_cost, lang),
              "cap": k.cap_per_firm, "certification": certificate_label(k.certification) if k.certification else None}
             for k in parsed.support_types]
    return {"record": record, "types": types, "type_names": {t["code"]: t["name"] for t in types},
            "rules": _rules_in_words(parsed, lang), "budget": _money(record.budget_vnd, lang),
            "max_per_firm": _money(parsed.max_per_firm, lang) if parsed.max_per_firm else None,
            "open": record.status == "open" and today <= record.closes,
            "days_left": (record.closes - today).days}


def _decisions_of(session: Any, record: SupportRoundRecord, principal: Principal) -> dict[str, DecisionPublic]:
    """The caller's decisions of a round, by nomination (GET .../decisions' function: its scope,
    its fields); none before the round's proposal."""
    if record.status == "open":
        return {}
    try:
        found = get_decisions(round_id=record.round_id, session=session, principal=principal)
    except NotFoundError:
        return {}
    return {d.nomination_id: d for d in found.data}


def _rounds_with_own(session: Any, principal: Principal, lang: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(open rounds, every round with the caller's own nominations and their decisions), newest first."""
    scope = _scope(principal)
    opened, mine = [], []
    for record in store.list_rounds(session):
        view = _round_view(session, record, lang)
        if view["open"]:
            opened.append(view)
        rows = store.list_nominations(session, record.round_id, **scope)
        if rows or view["open"]:
            decided = _decisions_of(session, record, principal)
            view["nominations"] = [{"n": n, "decision": decided.get(n.nomination_id)} for n in rows]
            mine.append(view)
    firm_ids = sorted({row["n"].firm_id for view in mine for row in view["nominations"]})
    names = dict(session.execute(select(Firm.firm_id, Firm.name).where(Firm.firm_id.in_(firm_ids))).all()) \
        if firm_ids else {}
    for view in mine:
        for row in view["nominations"]:
            row["firm_name"] = names.get(row["n"].firm_id, "")
    return opened, mine


def _decision_words(decision: DecisionPublic | None, status: str, lang: str) -> dict[str, str] | None:
    if decision is None:
        return None
    if status == "decided":
        label = "sa_selected" if decision.selected else "sa_not_selected"
    else:
        label = "sa_proposed_selected" if decision.selected else "sa_proposed_not_selected"
    return {"label": _words(label, lang), "selected": decision.selected,
            "reason": decision.reason_vi if lang == "vi" else decision.reason_en}


def _refusal_words(error: store.NominationRefusedError, lang: str) -> dict[str, str]:
    """The rule that failed, in the page's language: its name and the detail the check gave."""
    # The message holds both languages (:func:`matching.support.check_nomination`):
    # "... refused by rule 'r': <rule>: <detail>. / Đề cử bị từ chối theo quy tắc 'r': <quy tắc>: <chi tiết>."
    english, marker, vietnamese = str(error).partition(" / Đề cử bị từ chối")
    text = ("Đề cử bị từ chối" + vietnamese) if lang == "vi" and marker else english
    name = RULES.get(error.rule, (error.rule, error.rule))[0 if lang == "vi" else 1]
    _, found, detail = text.partition(f"{name}: ")
    detail = (detail if found else text).strip().rstrip(".")
    return {"rule": error.rule, "name": name, "detail": detail[:1].upper() + detail[1:]}


def _search_firms(session: Any, principal: Principal, q: str) -> tuple[list[Any], bool]:
    """Firms whose name (or ID) holds every word of ``q``, as their public profile parts
    (:func:`api.routes.support.firm_profile`, what ``GET /support/firms/{id}`` answers).

    Only the name and ID are searched: a search by tax code or address would tell which firm
    holds one, and those are not public parts.
    """
    words = fold(q).split()
    if not words:
        return [], False
    candidates, _ = repo.list_firms(session, q=q, limit=_SEARCH_SCANNED)
    found = [f.firm_id for f in candidates
             if all(w in fold(f.name or "") or w in fold(f.firm_id) for w in words)]
    profiles = [firm_profile(firm_id=firm_id, session=session, principal=principal)
                for firm_id in found[:_SEARCH_SHOWN]]
    for profile in profiles:
        for certificate in profile.certifications:
            certificate["label"] = certificate_label(certificate["code"])
    return profiles, len(found) > _SEARCH_SHOWN


def _form_values(firm_id: str = "", support_type: str = "", units: str = "1", justification: str = "") -> dict[str, str]:
    return {"firm_id": firm_id, "support_type": support_type, "units": units, "justification": justification}


def _page(request: Request, session: Any, principal: Principal, *, typed: dict[str, Any] | None = None,
          status_code: int = 200) -> HTMLResponse:
    """The association's page, or the firm's, with what the form kept (``typed``: round_id, values, error, refusal)."""
    lang = _lang(request)
    if principal.role == "association":
        association_id = _association(principal, lang)
        association = next((a for a in store.list_associations(session) if a.association_id == association_id), None)
        template = "association.html"
        extra: dict[str, Any] = {"association": association, "association_id": association_id}
        q = (request.query_params.get("q") or "").strip()[:200]
        extra["q"] = q
        extra["found"], extra["more_found"] = _search_firms(session, principal, q) if q else ([], False)
        chosen = (request.query_params.get("firm") or "").strip()[:100]
    else:
        firm_id = _firm(principal, lang)
        template = "portal_support.html"
        extra = {"firm": repo.get_firm(session, firm_id), "nav_support": True}
        chosen = ""
    opened, mine = _rounds_with_own(session, principal, lang)
    names = {a.association_id: a.name for a in store.list_associations(session)}
    for view in mine:
        for row in view["nominations"]:
            row["decision_words"] = _decision_words(row["decision"], view["record"].status, lang)
            row["editable"] = (view["open"] and row["n"].status == "submitted"
                               and (principal.role == "association" or row["n"].nominated_by == "self"))
    typed = typed or {}
    forms = {view["record"].round_id: _form_values(firm_id=chosen) for view in opened}
    if typed.get("round_id") in forms:
        forms[typed["round_id"]] = typed["values"]
    return render(request, template, {
        **extra, "open_rounds": opened, "rounds": mine, "forms": forms, "association_names": names,
        "typed_round": typed.get("round_id"), "form_error": typed.get("error"), "refusal": typed.get("refusal"),
        "saved": request.query_params.get("saved"), "saved_id": request.query_params.get("id", "")[:40],
        "today": clock.today(), "base": "/association" if principal.role == "association" else "/portal/support",
        "collection": "nominations" if principal.role == "association" else "applications",
        "is_firm": principal.role == "firm",
    }, principal=principal, status_code=status_code)


def _units(text: str, lang: str) -> int:
    cleaned = text.strip()
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= 1000:
        raise FormError(_words("sa_units_invalid", lang, value=text))
    return int(cleaned)


def _send(request: Request, session: Any, principal: Principal, round_id: str, values: dict[str, str],
          back: str) -> Response:
    """Send a nomination (association) or an application (firm) through :func:`api.storage.support.nominate`,
    under the key's own association or firm, as ``POST /support/rounds/{id}/nominations`` does."""
    lang = _lang(request)
    if principal.role == "association":
        association_id, firm_id = _association(principal, lang), values["firm_id"].strip()
    else:
        association_id, firm_id = None, _firm(principal, lang)
    try:
        if not firm_id:
            raise FormError(_words("sa_firm_required", lang))
        if not values["support_type"].strip():
            raise FormError(_words("sa_type_required", lang))
        if len(values["justification"]) > _MAX_JUSTIFICATION:
            raise FormError(_words("sa_too_long", lang))
        row = store.nominate(session, round_id, firm_id=firm_id, support_type=values["support_type"].strip(),
                             association_id=association_id, justification=values["justification"].strip(),
                             units=_units(values["units"], lang), by=principal.actor)
    except store.NominationRefusedError as error:
        session.rollback()
        return _page(request, session, principal, status_code=422, typed={
            "round_id": round_id, "values": values, "refusal": _refusal_words(error, lang)})
    except NotFoundError as error:
        session.rollback()
        store.get_round(session, round_id)  # no such round: the 404 page
        return _page(request, session, principal, status_code=404,
                     typed={"round_id": round_id, "values": values, "error": message(error, _lang(request))})
    except CnhtError as error:
        session.rollback()
        return _page(request, session, principal, status_code=getattr(error, "status_code", 400),
                     typed={"round_id": round_id, "values": values, "error": message(error, _lang(request))})
    _commit_before_redirect(session)
    return RedirectResponse(f"{back}?saved=sent&id={row.nomination_id}#round-{round_id}", status_code=303)


def _change(request: Request, session: Any, principal: Principal, round_id: str, nomination_id: str,
            justification: str, action: str, back: str) -> Response:
    """Change the justification or withdraw (``PATCH .../nominations/{id}``'s function: the
    caller's own only, a firm not an association's nomination of it, while the round is open)."""
    lang = _lang(request)
    if principal.role == "association":
        _association(principal, lang)
    else:
        _firm(principal, lang)
    withdraw = action == "withdraw"
    if not withdraw and len(justification) > _MAX_JUSTIFICATION:
        raise FormError(_words("sa_too_long", lang))
    body = NominationUpdate(withdraw=True) if withdraw else NominationUpdate(justification=justification.strip())
    api_update_nomination(round_id=round_id, nomination_id=nomination_id, body=body, session=session,
                          principal=principal)
    _commit_before_redirect(session)
    saved = "withdrawn" if withdraw else "changed"
    return RedirectResponse(f"{back}?saved={saved}&id={nomination_id}#n-{round_id}-{nomination_id}", status_code=303)


def _own_or_404(session: Any, principal: Principal, round_id: str, nomination_id: str, back: str) -> Response:
    store.get_nomination(session, round_id, nomination_id, **_scope(principal))  # 404 unless the caller's own
    return RedirectResponse(f"{back}#n-{round_id}-{nomination_id}", status_code=303)


# --- an association ------------------------------------------------------------------

_Text = Annotated[str, Form(max_length=20_000)]
_Short = Annotated[str, Form(max_length=200)]
_Token = Annotated[str, Form(max_length=100)]


@router.get("/association")
def association_page(request: Request, session: SessionDep, principal: UserDep,
                     q: Annotated[str | None, Query(max_length=200)] = None,
                     firm: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """The association's page: open rounds with their rules, a firm search (public parts only),
    the nomination form, its own nominations with their decisions."""
    _association(principal, _lang(request))
    return _page(request, session, principal)


@router.post("/association/rounds/{round_id}/nominations")
def association_nominate(request: Request, session: SessionDep, principal: UserDep, round_id: str,
                         csrf: _Token = "", firm_id: _Short = "", support_type: _Short = "", units: _Short = "1",
                         justification: _Text = "") -> Response:
    """Nominate a firm under the key's association; a refusal names the rule and keeps what was typed."""
    check_form(request, csrf)
    _association(principal, _lang(request))
    return _send(request, session, principal, round_id,
                 _form_values(firm_id, support_type, units, justification), "/association")


@router.get("/association/rounds/{round_id}/nominations/{nomination_id}")
def association_nomination(request: Request, session: SessionDep, principal: UserDep, round_id: str,
                           nomination_id: str) -> Response:
    """One of the association's nominations on its page (another's: 404)."""
    _association(principal, _lang(request))
    return _own_or_404(session, principal, round_id, nomination_id, "/association")


@router.post("/association/rounds/{round_id}/nominations/{nomination_id}")
def association_change(request: Request, session: SessionDep, principal: UserDep, round_id: str,
                       nomination_id: str, csrf: _Token = "", justification: _Text = "",
                       action: _Short = "save") -> Response:
    """Change the justification of the association's own nomination, or withdraw it."""
    check_form(request, csrf)
    return _change(request, session, principal, round_id, nomination_id, justification, action, "/association")


# --- a firm --------------------------------------------------------------------------


@router.get("/portal/support")
def portal_support(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """The firm's applications: open rounds, the form to apply, its own and associations'
    nominations of it with their decisions."""
    _firm(principal, _lang(request))
    return _page(request, session, principal)


@router.post("/portal/support/rounds/{round_id}/applications")
def portal_apply(request: Request, session: SessionDep, principal: UserDep, round_id: str, csrf: _Token = "",
                 support_type: _Short = "", units: _Short = "1", justification: _Text = "") -> Response:
    """Apply for the key's own firm (no association)."""
    check_form(request, csrf)
    firm_id = _firm(principal, _lang(request))
    return _send(request, session, principal, round_id,
                 _form_values(firm_id, support_type, units, justification), "/portal/support")


@router.get("/portal/support/rounds/{round_id}/applications/{nomination_id}")
def portal_application(request: Request, session: SessionDep, principal: UserDep, round_id: str,
                       nomination_id: str) -> Response:
    """One of the firm's applications on its page (another firm's: 404)."""
    _firm(principal, _lang(request))
    return _own_or_404(session, principal, round_id, nomination_id, "/portal/support")


@router.post("/portal/support/rounds/{round_id}/applications/{nomination_id}")
def portal_change(request: Request, session: SessionDep, principal: UserDep, round_id: str, nomination_id: str,
                  csrf: _Token = "", justification: _Text = "", action: _Short = "save") -> Response:
    """Change the justification of the firm's own application, or withdraw it (not an association's)."""
    check_form(request, csrf)
    return _change(request, session, principal, round_id, nomination_id, justification, action, "/portal/support")
