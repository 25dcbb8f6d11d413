"""The firm portal (a firm key): its profile and certificates, the open needs it fits with
what it lacks, "we are interested", its outcomes.

Every read and write goes through the API's own functions (``GET /firms/{id}/suggestions``'
:func:`api.routes.suggestions.suggestions`, ``PATCH /firms/{id}``'s
:func:`api.routes.firms.update_firm`, ``GET /outcomes``' :func:`api.routes.outcomes.list_outcomes`),
so a firm sees and changes here exactly what the API lets it: its own firm only, never a
buyer's confidential fields, never a certificate's ``verified`` flag.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep
from api.routes.firms import update_firm
from api.routes.needs import check_interest_allowed
from api.routes.outcomes import list_outcomes
from api.schemas import CertificationIn, FirmUpdate
from api.storage import repository as repo
from api.storage.errors import PermissionDeniedError
from api.storage.interests import interests_of_firm, record_interest
from api.storage.models import Firm, Need
from api.web.routes import (
    FormError,
    UserDep,
    _commit_before_redirect,
    _lang,
    _PageRoute,
    certificate_rows,
    firm_suggestions,
    render,
    taxonomy_choices,
)
from api.web.session import check_form
from features.certifications import parse_certifications
from features.dates import read_date
from features.exceptions import CnhtError, message

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=_PageRoute)
_MAX_CERTIFICATES = 100



def _firm_key(principal: Principal, lang: str) -> str:
    if principal.role != "firm" or not principal.firm_id:
        raise PermissionDeniedError({"vi": "Cổng doanh nghiệp dành cho khóa doanh nghiệp; cán bộ Sở xem doanh nghiệp ở trang Doanh nghiệp.",
                                     "en": "The firm portal is for firm keys; staff see firms on the Firms page."}[lang])  # fmt: skip
    return principal.firm_id


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(piece) for piece in error.get("loc", ()) if piece != "body")
        parts.append(f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", "")))
    return "; ".join(parts)


def _portal(request: Request, session: Any, principal: Principal, *, error: str | None = None,
            status_code: int = 200) -> HTMLResponse:  # fmt: skip
    lang = _lang(request)
    firm_id = _firm_key(principal, lang)
    firm = repo.get_firm(session, firm_id)
    fits, fits_error = firm_suggestions(request, session, principal, firm_id)
    outcomes = list_outcomes(session=session, principal=principal, need_id=None, firm_id=None,
                             limit=500, offset=0).data  # fmt: skip
    titles = dict(session.execute(select(Need.need_id, Need.title).where(
        Need.need_id.in_(sorted({o.need_id for o in outcomes})))).all()) if outcomes else {}  # fmt: skip
    return render(request, "portal.html", {
        "firm": firm, "certificates": certificate_rows(firm), "fits": fits, "fits_error": fits_error,
        "interests": interests_of_firm(session, firm_id), "outcomes": outcomes[::-1], "titles": titles,
        "choices": taxonomy_choices(lang), "error": error, "saved": request.query_params.get("saved"),
    }, principal=principal, status_code=status_code)  # fmt: skip


@router.get("/portal")
def portal(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """The firm's page: needs it fits (with gaps), profile, certificates, outcomes."""
    return _portal(request, session, principal)


def _text(value: str) -> str | None:
    return value.strip() or None


@router.post("/portal/profile")
def portal_profile(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    products: Annotated[str, Form(max_length=20_000)] = "",
    monthly_capacity: Annotated[str, Form(max_length=20)] = "",
    contact_email: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Save the firm's own description, products, capacity and contact (``PATCH /firms/{id}``)."""
    check_form(request, csrf)
    lang = _lang(request)
    firm_id = _firm_key(principal, lang)
    capacity_text = monthly_capacity.strip().replace(".", "").replace(",", "").replace(" ", "")
    try:
        if capacity_text and not capacity_text.isdigit():
            raise FormError({"vi": f"Năng lực/tháng phải là số nguyên, nhận được {monthly_capacity!r}.",
                              "en": f"Monthly capacity must be a whole number, got {monthly_capacity!r}."}[lang])  # fmt: skip
        body = FirmUpdate(description=_text(description), products=_text(products),
                          monthly_capacity=int(capacity_text) if capacity_text else None,
                          contact_email=_text(contact_email), phone=_text(phone))  # fmt: skip
        update_firm(firm_id=firm_id, body=body, session=session, principal=principal)
    except ValidationError as exc:
        session.rollback()
        return _portal(request, session, principal, error=_validation_message(exc), status_code=422)
    except CnhtError as exc:
        session.rollback()
        return _portal(request, session, principal, error=message(exc, _lang(request)), status_code=getattr(exc, "status_code", 400))
    _commit_before_redirect(session)
    return RedirectResponse("/portal?saved=profile#profile", status_code=303)


def _stored(cert: Any) -> dict[str, Any]:
    return {"code": cert.code, "version": cert.version, "issued": cert.issued,
            "valid_until": cert.valid_until, "issuer": cert.issuer, "raw": cert.raw}  # fmt: skip


def _day(value: str, what: str, lang: str) -> Any:
    if not value.strip():
        return None
    day = read_date(value)
    if day is None:
        raise FormError({"vi": f"{what}: ngày phải có dạng dd/mm/yyyy, nhận được {value!r}.",
                          "en": f"{what}: expected a date as dd/mm/yyyy, got {value!r}."}[lang])  # fmt: skip
    return day


def submitted_certificates(firm: Firm, form: Any, lang: str) -> list[CertificationIn]:
    """The certificates a firm's form asks for: every staff-verified one as stored (the form
    cannot change or drop them), the unverified ones as edited (or removed), a new one from
    the fields, and any typed as text (:func:`features.certifications.parse_certifications`).

    Raises
    ------
    FormError, ValidationError
        A date not as dd/mm/yyyy, an unknown certificate, text that was not understood.
    """
    out: list[dict[str, Any]] = []
    for index, cert in enumerate(firm.certifications):
        if cert.verified:
            out.append(_stored(cert))
            continue
        prefix = f"cert-{index}-"
        if form.get(prefix + "remove"):
            continue
        code = (form.get(prefix + "code") or "").strip()
        if not code:
            continue
        edited = {"code": code, "version": _text(form.get(prefix + "version") or ""),
                  "issued": _day(form.get(prefix + "issued") or "", code, lang),
                  "valid_until": _day(form.get(prefix + "valid_until") or "", code, lang),
                  "issuer": _text(form.get(prefix + "issuer") or "")}  # fmt: skip
        same = all(edited[name] == getattr(cert, name) for name in ("code", "version", "issued", "valid_until", "issuer"))
        out.append({**edited, "raw": cert.raw if same else None})
    code = (form.get("new-code") or "").strip()
    if code:
        out.append({"code": code, "version": _text(form.get("new-version") or ""),
                    "issued": _day(form.get("new-issued") or "", code, lang),
                    "valid_until": _day(form.get("new-valid_until") or "", code, lang),
                    "issuer": _text(form.get("new-issuer") or ""), "raw": None})  # fmt: skip
    text = (form.get("certificates_text") or "").strip()
    if text:
        parsed = parse_certifications(text)
        if parsed.unparsed:
            pieces = "; ".join(repr(p) for p in parsed.unparsed)
            raise FormError({"vi": f"Không đọc được chứng chỉ: {pieces}. Ghi tên tiêu chuẩn và ngày, ví dụ: ISO 9001:2015 hiệu lực đến 31/12/2027.",
                              "en": f"Certificates not understood: {pieces}. Write the standard and its dates, e.g. ISO 9001:2015 valid until 31/12/2027."}[lang])  # fmt: skip
        out.extend({"code": c.code, "version": c.version, "issued": c.issued, "valid_until": c.valid_until,
                    "issuer": c.issuer, "raw": c.raw} for c in parsed)  # fmt: skip
    if len(out) > _MAX_CERTIFICATES:
        raise FormError(f"At most {_MAX_CERTIFICATES} certificates / tối đa {_MAX_CERTIFICATES} chứng chỉ.")
    return [CertificationIn(**values) for values in out]


@router.post("/portal/certificates")
async def portal_certificates(request: Request, session: SessionDep, principal: UserDep) -> Response:
    """Save the firm's certificates (``PATCH /firms/{id}`` with ``certifications``)."""
    form = await request.form(max_fields=2000)
    check_form(request, str(form.get("csrf") or ""))
    lang = _lang(request)
    firm_id = _firm_key(principal, lang)
    firm = repo.get_firm(session, firm_id)
    try:
        certificates = submitted_certificates(firm, form, lang)
        update_firm(firm_id=firm_id, body=FirmUpdate(certifications=certificates), session=session,
                    principal=principal)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _portal(request, session, principal, error=_validation_message(exc), status_code=422)
    except CnhtError as exc:
        session.rollback()
        return _portal(request, session, principal, error=message(exc, _lang(request)), status_code=getattr(exc, "status_code", 400))
    _commit_before_redirect(session)
    return RedirectResponse("/portal?saved=certificates#certificates", status_code=303)


@router.post("/portal/needs/{need_id}/interest")
def portal_interest(
    request: Request,
    session: SessionDep,
    principal: UserDep,
    need_id: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Say "we are interested" in an open need the firm fits; staff see it on the need's page."""
    check_form(request, csrf)
    firm_id = _firm_key(principal, _lang(request))
    # A need the firm is not suggested for answers like a missing one (POST /needs/{id}/interest's rule).
    check_interest_allowed(session, request.app.state.ranking, firm_id, need_id)
    record_interest(session, need_id, firm_id, note, principal.actor)
    _commit_before_redirect(session)
    return RedirectResponse(f"/portal?saved=interest#need-{need_id}", status_code=303)
