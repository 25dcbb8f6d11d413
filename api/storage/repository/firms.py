"""Firms: lookup, create, update (certificates included), delete (revoking their keys), list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from api.storage import enrich
from api.storage.errors import ConflictError
from api.storage.models import ApiKey, Firm
from api.storage.repository.audit_log import audit, snapshot
from api.storage.repository.certificates import _set_certifications, firms_holding
from api.storage.repository.codes import resolve_code
from api.storage.repository.history import _refuse_delete_with_history, match_history
from api.storage.repository.queries import _assign, _has_code, _joined, _like_fold, _one, _page
from features import clock
from features.geo import geocode
from features.text import fold

__all__ = ["FIRM_FIELDS", "get_firm", "create_firm", "update_firm", "delete_firm", "list_firms"]


FIRM_FIELDS: tuple[str, ...] = (
    "name", "tax_code", "address", "district", "latitude", "longitude", "founded",
    "employees", "ownership", "sectors", "description", "products", "materials",
    "certifications_text", "export_markets", "customers", "monthly_capacity", "languages",
    "contact_email", "phone", "is_demo",
)  # fmt: skip


def get_firm(session: Session, firm_id: str) -> Firm:
    """The firm ``firm_id``; :class:`NotFoundError` when there is none."""
    return _one(session, Firm, Firm.firm_id, firm_id, "Firm")


def _refresh_firm(firm: Firm) -> None:
    codes = enrich.capability_codes(
        firm.description, firm.products, firm.materials, sector_cells=(firm.sectors,)
    )
    firm.sector_codes = _joined(codes["sectors"])
    firm.process_codes = _joined(codes["processes"])
    firm.material_codes = _joined(codes["materials"])
    _locate(firm)
    firm.search_text = " ".join(
        fold(part)
        for part in (firm.firm_id, firm.name, firm.tax_code, firm.district, firm.address,
                     firm.products, firm.description, firm.sectors, firm.materials)
        if part
    )  # fmt: skip


def _locate(firm: Firm) -> None:
    """Place the firm from its address and district unless coordinates were entered."""
    if firm.geo_precision != "given":
        place = ", ".join(part for part in (firm.address, firm.district) if part)
        found = geocode(place) if place else None
        ok = found is not None and found.ok
        firm.latitude = found.lat if ok else None
        firm.longitude = found.lon if ok else None
        firm.geo_precision = found.precision if ok else None
        firm.district_legacy = found.district_legacy if ok else None
        firm.ward_2025 = found.ward_2025 if ok else None
    places = {fold(p) for p in (firm.district, firm.district_legacy, firm.ward_2025) if p}
    firm.district_folded = " | ".join(sorted(places)) or None


def _mark_given_location(firm: Firm, values: Mapping[str, Any]) -> None:
    if "latitude" in values or "longitude" in values:
        given = firm.latitude is not None and firm.longitude is not None
        firm.geo_precision = "given" if given else None


def _check_tax_code(session: Session, tax_code: str | None, firm_pk: int | None) -> None:
    if not tax_code:
        return
    holder = session.scalar(select(Firm).where(Firm.tax_code == tax_code))
    if holder is not None and holder.id != firm_pk:
        raise ConflictError(
            f"Tax code {tax_code} already belongs to firm {holder.firm_id}. "
            f"Update {holder.firm_id} instead, or correct the tax code."
        )


def create_firm(
    session: Session,
    values: Mapping[str, Any],
    certifications: list[Mapping[str, Any]],
    actor: str,
    *,
    checked: bool = False,
) -> Firm:
    """Insert a firm with its certificates.

    Parameters
    ----------
    session : Session
    values : mapping
        ``firm_id`` and any of :data:`FIRM_FIELDS`.
    certifications : list of mapping
        Each with the keys of :data:`CERTIFICATION_FIELDS`.
    actor : str
        Who writes (audit log).
    checked : bool, default False
        The caller has just looked the firm id and the tax code up in this transaction and
        found them free (an import's row): the two lookups are not repeated.

    Raises
    ------
    ConflictError
        The firm id or the tax code is taken.
    """
    firm_id = values["firm_id"]
    if not checked:
        if session.scalar(select(Firm.id).where(Firm.firm_id == firm_id)) is not None:
            raise ConflictError(
                f"Firm {firm_id} already exists. Use PATCH /api/v1/firms/{firm_id} to change it."
            )
        _check_tax_code(session, values.get("tax_code"), None)
    firm = Firm(firm_id=firm_id, name=values["name"], is_demo=False)
    _assign(firm, FIRM_FIELDS, values)
    _mark_given_location(firm, values)
    _set_certifications(firm, certifications)
    _refresh_firm(firm)
    session.add(firm)
    session.flush()
    audit(session, actor, "create", "firm", firm_id, None, snapshot(firm))
    return firm


def update_firm(
    session: Session,
    firm: Firm,
    values: Mapping[str, Any],
    certifications: list[Mapping[str, Any]] | None,
    actor: str,
) -> bool:
    """Change a firm's fields (and replace its certificates when given).

    Returns
    -------
    bool
        True when something changed (then an audit row is written).
    """
    before = snapshot(firm)
    if "tax_code" in values:
        _check_tax_code(session, values["tax_code"], firm.id)
    changed = _assign(firm, FIRM_FIELDS, values)
    if changed:
        _mark_given_location(firm, values)
    if certifications is not None:
        changed = _set_certifications(firm, certifications) or changed
    if not changed:
        return False
    _refresh_firm(firm)
    firm.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, actor, "update", "firm", firm.firm_id, before, snapshot(firm))
    return True


def delete_firm(session: Session, firm: Firm, actor: str) -> None:
    """Delete a firm with its certificates and revoke its keys.

    Raises
    ------
    ConflictError
        The firm has recorded outcomes or shortlist entries (its match history is kept).
    """
    outcomes, entries = match_history(session, firm_id=firm.firm_id)
    _refuse_delete_with_history(
        f"Firm {firm.firm_id}", outcomes, entries,
        "Keep the firm and correct its profile with PATCH instead.",
    )
    before = snapshot(firm)
    _revoke_firm_keys(session, firm, actor)
    session.delete(firm)
    session.flush()
    audit(session, actor, "delete", "firm", before["firm_id"], before, None)


def _revoke_firm_keys(session: Session, firm: Firm, actor: str) -> None:
    # In the deleting transaction: a firm is never gone while a key of it still works.
    keys = session.scalars(select(ApiKey).where(
        ApiKey.revoked_at.is_(None), ApiKey.role == "firm", ApiKey.firm_id == firm.firm_id))  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    for key in keys:
        key.revoked_at = now
        audit(session, actor, "revoke", "api_key", key.prefix, {"revoked_at": None},
              {"revoked_at": now.isoformat(), "reason": f"firm {firm.firm_id} deleted"})  # fmt: skip


def list_firms(
    session: Session,
    *,
    sector: str | None = None,
    process: str | None = None,
    certification: str | None = None,
    district: str | None = None,
    q: str | None = None,
    firm_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    today: dt.date | None = None,
) -> tuple[list[Firm], int]:
    """Firms matching every given filter, a page of them and the total count.

    Parameters
    ----------
    sector, process : str, optional
        Taxonomy code or alias (with or without diacritics) the firm's extracted
        capabilities must contain.
    certification : str, optional
        Certification (code or name: ``iso_9001``, ``ISO 9001``) the firm holds, valid ``today``.
    district : str, optional
        District or ward, compared without case or diacritics.
    q : str, optional
        Words found anywhere in name, tax code, district, products or description, with or
        without diacritics.
    firm_id : str, optional
        Restrict to one firm (a firm key sees only itself).
    limit, offset : int
    today : date, optional
        Reference date of certificate validity (default: today).

    Raises
    ------
    InvalidFieldError
        A sector, process or certification that the taxonomy does not know (422).
    """
    query = select(Firm)
    if sector:
        query = query.where(_has_code(Firm.sector_codes, resolve_code(sector, "sector", "sector")))
    if process:
        query = query.where(_has_code(Firm.process_codes, resolve_code(process, "process", "process")))
    if certification:
        code = resolve_code(certification, "certification", "certification")
        holders = sorted(firms_holding(session, code, today or clock.today()))
        # Rendered as literals (integers only): no bound-parameter limit for 100,000 holders.
        query = query.where(Firm.id.in_(bindparam("holders", holders, expanding=True, literal_execute=True)))
    if district:
        query = query.where(_like_fold(Firm.district_folded, district))
    if q:
        for word in fold(q).split():
            query = query.where(_like_fold(Firm.search_text, word))
    if firm_id is not None:
        query = query.where(Firm.firm_id == firm_id)
    return _page(session, query, Firm.firm_id, limit, offset)
