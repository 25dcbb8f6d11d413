"""Firms: lookup, create, update (certificates included), delete (revoking their keys), list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from api.storage import enrich
from api.storage.errors import ConflictError
from api.storage.models import ApiKey, AuditLog, Firm, FirmCertification
from api.storage.repository.audit_log import _jsonable, audit, snapshot
from api.storage.repository.certificates import (
    CERTIFICATION_FIELDS,
    _set_certifications,
    certifications_differ,
    firms_holding,
)
from api.storage.repository.codes import resolve_code
from api.storage.repository.history import _refuse_delete_with_history, match_history
from api.storage.repository.queries import _assign, _has_code, _joined, _like_fold, _one, _page
from features import clock
from features.geo import geocode
from features.text import fold

__all__ = [
    "FIRM_FIELDS", "get_firm", "create_firm", "update_firm", "delete_firm", "list_firms",
    "NewFirm", "new_firm", "insert_firms", "audit_row", "insert_audit_rows",
]  # fmt: skip


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
            f"Update {holder.firm_id} instead, or correct the tax code.",
            vi=f"Mã số thuế {tax_code} đã thuộc về doanh nghiệp {holder.firm_id}. "
               f"Hãy cập nhật {holder.firm_id}, hoặc sửa lại mã số thuế.",
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
                f"Firm {firm_id} already exists. Use PATCH /api/v1/firms/{firm_id} to change it.",
                vi=f"Doanh nghiệp {firm_id} đã có trong hệ thống. Để sửa, dùng PATCH /api/v1/firms/{firm_id}.",
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


@dataclass
class NewFirm:
    """A firm to insert with others (:func:`insert_firms`): its columns, its certificates and
    the snapshot its audit row records, as :func:`create_firm` would store them."""

    row: dict[str, Any]
    certifications: list[dict[str, Any]]
    snapshot: dict[str, Any]


# Columns of a firm (all but the key) and those of its audit snapshot (as :func:`snapshot`).
_FIRM_COLUMNS = tuple(c.key for c in Firm.__table__.columns if c.key != "id")
_SNAPSHOT_COLUMNS = tuple(name for name in _FIRM_COLUMNS if name != "search_text")


def new_firm(values: Mapping[str, Any], certifications: list[Mapping[str, Any]]) -> NewFirm:
    """The firm :func:`create_firm` would store for ``values`` and ``certifications`` (derived
    fields included: codes, place, search text, creation time), as plain values: no ORM object
    is built (an import's chunk inserts thousands, :func:`insert_firms`).
    """
    firm = SimpleNamespace(**dict.fromkeys(_FIRM_COLUMNS))
    firm.firm_id, firm.name, firm.is_demo = values["firm_id"], values["name"], False
    _assign(firm, FIRM_FIELDS, values)
    _mark_given_location(firm, values)
    _refresh_firm(firm)
    firm.created_at = firm.updated_at = dt.datetime.now(dt.UTC)
    row = vars(firm)
    certs = [{name: cert.get(name) for name in CERTIFICATION_FIELDS} for cert in certifications]
    after = {name: _jsonable(row[name]) for name in _SNAPSHOT_COLUMNS}
    after["certifications"] = [
        {name: _jsonable(c[name]) for name in CERTIFICATION_FIELDS} for c in certs
    ]
    return NewFirm(row, certs, after)


def insert_firms(session: Session, firms: list[NewFirm]) -> None:
    """Insert new firms (:func:`new_firm`) and their certificates: one executemany each, the
    firms' ids read back by ``firm_id`` in one query. Nothing is added to the session.

    The caller has checked that the firm ids and tax codes are free, and writes the audit rows
    (:func:`audit_row` with each firm's :attr:`NewFirm.snapshot`).
    """
    if not firms:
        return
    table = Firm.__table__
    # A plain executemany, then the new ids in one query: with psycopg, one multi-row INSERT
    # ... RETURNING of thousands of parameters costs more to send than the rows themselves.
    session.execute(insert(table), [f.row for f in firms])
    new_ids = [f.row["firm_id"] for f in firms]
    found = session.execute(select(table.c.firm_id, table.c.id).where(table.c.firm_id.in_(new_ids)))
    ids = dict(found.all())
    certificates = [
        {"firm_pk": ids[firm.row["firm_id"]], **cert} for firm in firms for cert in firm.certifications
    ]  # fmt: skip
    if certificates:
        session.execute(insert(FirmCertification.__table__), certificates)


def audit_row(actor: str, action: str, entity: str, entity_id: str,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The values of one audit row (as :func:`audit` adds it), for a multi-row insert
    (:func:`insert_audit_rows`)."""
    return {"actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
            "before": before, "after": after, "at": dt.datetime.now(dt.UTC)}  # fmt: skip


def insert_audit_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows (:func:`audit_row`) in one executemany, in their order."""
    if rows:
        session.execute(insert(AuditLog.__table__), rows)


def update_firm(
    session: Session,
    firm: Firm,
    values: Mapping[str, Any],
    certifications: list[Mapping[str, Any]] | None,
    actor: str,
    *,
    checked: bool = False,
    audit_rows: list[dict[str, Any]] | None = None,
) -> bool:
    """Change a firm's fields (and replace its certificates when given).

    Parameters
    ----------
    checked : bool, default False
        The caller has just checked in this transaction that the tax code of ``values`` is
        free or the firm's own (an import's row): it is not looked up again.
    audit_rows : list of dict, optional
        Given by an import storing a chunk of rows: the change is not flushed and its audit
        row is appended here (:func:`audit_row`); the caller flushes the chunk and inserts its
        audit rows together (:func:`insert_audit_rows`).

    Returns
    -------
    bool
        True when something changed (then an audit row is written).
    """
    if "tax_code" in values and not checked:
        _check_tax_code(session, values["tax_code"], firm.id)
    differs = any(name in values and getattr(firm, name) != values[name] for name in FIRM_FIELDS)
    if not differs and (certifications is None or not certifications_differ(firm, certifications)):
        return False  # the usual re-import: no snapshot taken
    before = snapshot(firm)
    changed = _assign(firm, FIRM_FIELDS, values)
    if changed:
        _mark_given_location(firm, values)
    if certifications is not None:
        changed = _set_certifications(firm, certifications) or changed
    if not changed:
        return False
    _refresh_firm(firm)
    firm.updated_at = dt.datetime.now(dt.UTC)
    if audit_rows is not None:
        audit_rows.append(audit_row(actor, "update", "firm", firm.firm_id, before, snapshot(firm)))
        return True
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
        label_vi=f"Doanh nghiệp {firm.firm_id}",
        instead_vi="Hãy giữ doanh nghiệp và sửa hồ sơ bằng PATCH thay vì xóa.",
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
