"""Reading and writing the service's records; every write leaves an audit row.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the caller (a
route through :func:`api.deps.get_session`, or the CLI) owns the transaction, so a request
or an import is all-or-nothing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from api.storage import enrich
from api.storage.errors import ConflictError, NotFoundError, ServiceError
from api.storage.models import (
    ApiKey,
    AuditLog,
    Buyer,
    Firm,
    FirmCertification,
    Need,
    Outcome,
    ShortlistEntry,
    ShortlistRun,
)
from api.storage.outcomes import OUTCOME_IMPORT_LOCK_ID, RECORDED_ORDER, check_transition
from features import clock
from features.certifications import Certification, as_certification, valid_codes
from features.exceptions import CnhtError
from features.geo import geocode
from features.text import fold

__all__ = [
    "FIRM_FIELDS",
    "BUYER_FIELDS",
    "NEED_FIELDS",
    "CERTIFICATION_FIELDS",
    "snapshot",
    "check_park",
    "audit",
    "get_firm",
    "get_buyer",
    "get_need",
    "get_shortlist_entry",
    "InvalidFieldError",
    "resolve_code",
    "check_need_fields",
    "NEED_CODE_FIELDS",
    "create_firm",
    "update_firm",
    "delete_firm",
    "create_buyer",
    "update_buyer",
    "delete_buyer",
    "create_need",
    "update_need",
    "delete_need",
    "list_firms",
    "list_buyers",
    "list_needs",
    "latest_status",
    "lock_pair",
    "record_outcome",
    "suggest_pair",
    "match_history",
    "list_outcomes",
    "certification_is_valid",
    "stored_certificates",
    "firms_holding",
]

FIRM_FIELDS: tuple[str, ...] = (
    "name", "tax_code", "address", "district", "latitude", "longitude", "founded",
    "employees", "ownership", "sectors", "description", "products", "materials",
    "certifications_text", "export_markets", "customers", "monthly_capacity", "languages",
    "contact_email", "phone", "is_demo",
)  # fmt: skip
BUYER_FIELDS: tuple[str, ...] = (
    "name", "country", "park_id", "sector", "description", "is_demo",
)  # fmt: skip
NEED_FIELDS: tuple[str, ...] = (
    "buyer_id", "title", "description", "sector", "processes", "materials",
    "mandatory_certifications", "preferred_certifications", "annual_volume",
    "min_monthly_capacity", "tolerance_mm", "deadline", "created", "status",
    "target_price_usd", "internal_notes", "is_demo",
)  # fmt: skip
CERTIFICATION_FIELDS: tuple[str, ...] = (
    "code", "version", "issued", "valid_until", "issuer", "verified", "raw",
)  # fmt: skip
# Need fields naming taxonomy codes or aliases, and the kind each names (certifications are
# parsed from their written form, "ISO 9001:2015").
NEED_CODE_FIELDS: dict[str, str] = {
    "sector": "sector", "processes": "process", "materials": "material",
    "mandatory_certifications": "certification", "preferred_certifications": "certification",
}  # fmt: skip


# --- snapshots and audit -------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _certification_tuple(cert: FirmCertification | Mapping[str, Any]) -> tuple:
    get = cert.get if isinstance(cert, Mapping) else lambda name: getattr(cert, name)
    return tuple(get(name) for name in CERTIFICATION_FIELDS)


def snapshot(record: Firm | Buyer | Need | Outcome) -> dict[str, Any]:
    """JSON-ready copy of a record's fields (a firm's certificates included), for the audit log."""
    columns = [c.key for c in record.__table__.columns if c.key not in ("id", "search_text")]
    out = {name: _jsonable(getattr(record, name)) for name in columns}
    if isinstance(record, Firm):
        out["certifications"] = [
            {name: _jsonable(getattr(c, name)) for name in CERTIFICATION_FIELDS}
            for c in record.certifications
        ]
    return out


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Add one audit row (in the caller's transaction)."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            at=dt.datetime.now(dt.UTC),
        )
    )


# --- codes of the taxonomy ----------------------------------------------------------


class InvalidFieldError(ServiceError):
    """A field (or a filter) whose value the service cannot use; ``column`` names it.

    An import turns it into a reject of that row and column.
    """

    status_code = 422

    def __init__(self, message: str, column: str) -> None:
        super().__init__(message)
        self.column = column


def _close_codes(value: str, kind: str) -> list[str]:
    from features.taxonomy import alias_key, load_taxonomy

    index = load_taxonomy().alias_index(kind)
    keys = difflib.get_close_matches(alias_key(value), list(index), n=6, cutoff=0.6)
    codes = list(dict.fromkeys(index[key] for key in keys))[:3]
    if not codes:
        codes = [term.code for term in load_taxonomy().terms(kind)[:3]]
    return codes


def resolve_code(value: str, kind: str, field: str) -> str:
    """The taxonomy code of ``value`` (a code, label or alias, with or without diacritics).

    Parameters
    ----------
    value : str
        ``"ISO 9001"``, ``"iso_9001"``, ``"điện tử"``, ``"ep nhua"``...
    kind : {"sector", "process", "material", "certification"}
    field : str
        The field or filter the value came in (named in the error).

    Returns
    -------
    str
        The code (``"iso_9001"``, ``"electronics"``, ``"injection_moulding"``).

    Raises
    ------
    InvalidFieldError
        Nothing of that kind is called ``value``; the message lists close codes.

    Examples
    --------
    >>> resolve_code("ISO 9001", "certification", "certification")
    'iso_9001'
    """
    from features.taxonomy import load_taxonomy

    code = load_taxonomy().resolve(value, kind)
    if code is None:
        close = ", ".join(_close_codes(value, kind))
        raise InvalidFieldError(
            f"Field '{field}': expected a {kind} code or alias, got {value!r}. "
            f"Close codes: {close}. Fix the spelling (codes and aliases are in the taxonomy).",
            field,
        )
    return code


def check_need_fields(values: Mapping[str, Any], need_id: str) -> None:
    """Check that the need's code fields in ``values`` can be ranked (the matcher's own parser).

    Each of :data:`NEED_CODE_FIELDS` present is parsed alone by :func:`matching.parse_need`,
    so a need accepted here is never left out of ranking for a spelling of its fields.

    Raises
    ------
    InvalidFieldError
        A piece of a field is not a known code, alias or certification; ``column`` names it.
    """
    from matching import parse_need

    for field, kind in NEED_CODE_FIELDS.items():
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            parse_need({"need_id": need_id, field: value})
        except CnhtError as exc:
            pieces = [p.strip() for p in str(value).split(";") if p.strip()]
            hint = ""
            if kind != "certification":
                from features.taxonomy import load_taxonomy

                bad = [p for p in pieces if load_taxonomy().resolve(p, kind) is None]
                if bad:
                    hint = f" Close codes for {bad[0]!r}: {', '.join(_close_codes(bad[0], kind))}."
            raise InvalidFieldError(
                f"Field '{field}' of need {need_id}: {exc}{hint}", field
            ) from exc


# --- lookups -------------------------------------------------------------------------


def _one(session: Session, model: type, column: Any, value: str, label: str) -> Any:
    row = session.scalar(select(model).where(column == value))
    if row is None:
        raise NotFoundError(not_found_message(label, value))
    return row


def not_found_message(label: str, value: object) -> str:
    """The one 404 message of a record, missing or hidden from the caller alike.

    >>> not_found_message("Need", "N-1")
    'Need N-1 not found. Check the id (list them with GET /api/v1/needs).'
    """
    return f"{label} {value} not found. Check the id (list them with GET /api/v1/{label.lower()}s)."


def get_firm(session: Session, firm_id: str) -> Firm:
    """The firm ``firm_id``; :class:`NotFoundError` when there is none."""
    return _one(session, Firm, Firm.firm_id, firm_id, "Firm")


def get_buyer(session: Session, buyer_id: str) -> Buyer:
    """The buyer ``buyer_id``; :class:`NotFoundError` when there is none."""
    return _one(session, Buyer, Buyer.buyer_id, buyer_id, "Buyer")


def get_need(session: Session, need_id: str) -> Need:
    """The need ``need_id``; :class:`NotFoundError` when there is none."""
    return _one(session, Need, Need.need_id, need_id, "Need")


def get_shortlist_entry(session: Session, entry_id: int) -> ShortlistEntry:
    """The shortlist entry ``entry_id``; :class:`NotFoundError` when there is none."""
    row = session.get(ShortlistEntry, entry_id)
    if row is None:
        raise NotFoundError(f"Shortlist entry {entry_id} not found. Check the entry id.")
    return row


# --- derived columns -----------------------------------------------------------------


def _joined(codes: Iterable[str]) -> str:
    codes = sorted(set(codes))
    return f";{';'.join(codes)};" if codes else ""


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


def _refresh_buyer(buyer: Buyer) -> None:
    buyer.search_text = " ".join(
        fold(part) for part in (buyer.buyer_id, buyer.name, buyer.country, buyer.park_id,
                                buyer.sector, buyer.description) if part
    )  # fmt: skip


def _refresh_need(need: Need) -> None:
    codes = enrich.capability_codes(
        need.title, need.description, need.processes, need.materials, sector_cells=(need.sector,)
    )
    need.sector_codes = _joined(codes["sectors"])
    need.process_codes = _joined(codes["processes"])
    need.material_codes = _joined(codes["materials"])
    need.search_text = " ".join(
        fold(part) for part in (need.need_id, need.title, need.description, need.sector,
                                need.processes, need.materials) if part
    )  # fmt: skip


def _set_certifications(firm: Firm, certifications: list[Mapping[str, Any]]) -> bool:
    """Replace the firm's certificates when they differ; True when something changed."""
    old = sorted((_certification_tuple(c) for c in firm.certifications), key=repr)
    new = sorted((_certification_tuple(c) for c in certifications), key=repr)
    if old == new:
        return False
    firm.certifications.clear()
    for cert in certifications:
        firm.certifications.append(
            FirmCertification(**{name: cert.get(name) for name in CERTIFICATION_FIELDS})
        )
    return True


# --- writes --------------------------------------------------------------------------


def _assign(record: Any, fields: tuple[str, ...], values: Mapping[str, Any]) -> bool:
    changed = False
    for name in fields:
        if name in values and getattr(record, name) != values[name]:
            setattr(record, name, values[name])
            changed = True
    return changed


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

    Raises
    ------
    ConflictError
        The firm id or the tax code is taken.
    """
    firm_id = values["firm_id"]
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


def match_history(session: Session, *, need_id: str | None = None,
                  firm_id: str | None = None) -> tuple[int, int]:
    """``(outcomes, shortlist entries)`` recorded for a need or a firm."""
    outcome_filter = Outcome.need_id == need_id if need_id else Outcome.firm_id == firm_id
    entry_filter = (ShortlistEntry.need_id == need_id if need_id
                    else ShortlistEntry.firm_id == firm_id)  # fmt: skip
    outcomes = session.scalar(select(func.count()).select_from(Outcome).where(outcome_filter))
    entries = session.scalar(select(func.count()).select_from(ShortlistEntry).where(entry_filter))
    return int(outcomes or 0), int(entries or 0)


def _refuse_delete_with_history(label: str, outcomes: int, entries: int, instead: str) -> None:
    if outcomes or entries:
        raise ConflictError(
            f"{label} has {outcomes} recorded outcome(s) and {entries} shortlist entr"
            f"{'y' if entries == 1 else 'ies'}; deleting it would erase match history that the "
            f"KPIs and the audit count. {instead}"
        )


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


def check_park(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """``values`` with its ``park_id`` as a park id of :func:`features.geo.parks` (a name
    such as ``KCN Thăng Long`` is read as its id); empty means no park.

    Raises
    ------
    InvalidFieldError
        An unknown park; the message lists the known ids.
    """
    park = values.get("park_id")
    if park is None or not str(park).strip():
        return {**values, "park_id": None} if "park_id" in values else values
    from features.geo import parks, resolve_park

    known = list(parks().index)
    park_id = park if park in known else resolve_park(str(park))
    if park_id is None:
        raise InvalidFieldError(
            f"Field 'park_id': expected an industrial park of features/data/industrial_parks.csv, "
            f"got {park!r}. Known parks: {', '.join(known)}.", "park_id",
        )
    return {**values, "park_id": park_id}


def create_buyer(session: Session, values: Mapping[str, Any], actor: str) -> Buyer:
    """Insert a buyer; :class:`ConflictError` when the id is taken."""
    buyer_id = values["buyer_id"]
    if session.scalar(select(Buyer.id).where(Buyer.buyer_id == buyer_id)) is not None:
        raise ConflictError(
            f"Buyer {buyer_id} already exists. Use PATCH /api/v1/buyers/{buyer_id} to change it."
        )
    buyer = Buyer(buyer_id=buyer_id, name=values["name"], is_demo=False)
    values = check_park(values)
    _assign(buyer, BUYER_FIELDS, values)
    _refresh_buyer(buyer)
    session.add(buyer)
    session.flush()
    audit(session, actor, "create", "buyer", buyer_id, None, snapshot(buyer))
    return buyer


def update_buyer(session: Session, buyer: Buyer, values: Mapping[str, Any], actor: str) -> bool:
    """Change a buyer's fields; True when something changed."""
    before = snapshot(buyer)
    values = check_park(values)
    if not _assign(buyer, BUYER_FIELDS, values):
        return False
    _refresh_buyer(buyer)
    buyer.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, actor, "update", "buyer", buyer.buyer_id, before, snapshot(buyer))
    return True


def delete_buyer(session: Session, buyer: Buyer, actor: str) -> None:
    """Delete a buyer that has no needs (:class:`ConflictError` otherwise)."""
    needs = session.scalar(select(func.count()).where(Need.buyer_id == buyer.buyer_id))
    if needs:
        raise ConflictError(
            f"Buyer {buyer.buyer_id} still has {needs} need(s). Delete or move them first."
        )
    before = snapshot(buyer)
    session.delete(buyer)
    session.flush()
    audit(session, actor, "delete", "buyer", buyer.buyer_id, before, None)


def _check_buyer(session: Session, buyer_id: str) -> None:
    if session.scalar(select(Buyer.id).where(Buyer.buyer_id == buyer_id)) is None:
        raise NotFoundError(
            f"Buyer {buyer_id} not found. Create the buyer first (POST /api/v1/buyers)."
        )


def create_need(session: Session, values: Mapping[str, Any], actor: str) -> Need:
    """Insert a need of an existing buyer."""
    need_id = values["need_id"]
    if session.scalar(select(Need.id).where(Need.need_id == need_id)) is not None:
        raise ConflictError(
            f"Need {need_id} already exists. Use PATCH /api/v1/needs/{need_id} to change it."
        )
    _check_buyer(session, values["buyer_id"])
    check_need_fields(values, need_id)
    need = Need(need_id=need_id, buyer_id=values["buyer_id"], title=values["title"],
                status="open", is_demo=False)  # fmt: skip
    _assign(need, NEED_FIELDS, values)
    _refresh_need(need)
    session.add(need)
    session.flush()
    audit(session, actor, "create", "need", need_id, None, snapshot(need))
    return need


def update_need(session: Session, need: Need, values: Mapping[str, Any], actor: str) -> bool:
    """Change a need's fields; True when something changed."""
    if "buyer_id" in values and values["buyer_id"] != need.buyer_id:
        _check_buyer(session, values["buyer_id"])
    changed = {k: v for k, v in values.items() if k in NEED_CODE_FIELDS and getattr(need, k) != v}
    check_need_fields(changed, need.need_id)
    before = snapshot(need)
    if not _assign(need, NEED_FIELDS, values):
        return False
    _refresh_need(need)
    need.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, actor, "update", "need", need.need_id, before, snapshot(need))
    return True


def delete_need(session: Session, need: Need, actor: str) -> None:
    """Delete a need that has no match history.

    Raises
    ------
    ConflictError
        The need has recorded outcomes or shortlists; close it instead.
    """
    outcomes, entries = match_history(session, need_id=need.need_id)
    runs = session.scalar(select(func.count()).select_from(ShortlistRun)
                          .where(ShortlistRun.need_id == need.need_id))  # fmt: skip
    _refuse_delete_with_history(
        f"Need {need.need_id}", outcomes, entries,
        f'Close it instead: PATCH /api/v1/needs/{need.need_id} {{"status": "closed"}}.',
    )
    if runs:
        raise ConflictError(
            f"Need {need.need_id} has {runs} computed shortlist(s); deleting it would erase "
            f'them. Close it instead: PATCH /api/v1/needs/{need.need_id} {{"status": "closed"}}.'
        )
    before = snapshot(need)
    session.delete(need)
    session.flush()
    audit(session, actor, "delete", "need", need.need_id, before, None)


# --- listing -------------------------------------------------------------------------


def _like_fold(column: Any, q: str) -> Any:
    needle = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{needle}%", escape="\\")


def _has_code(column: Any, code: str) -> Any:
    # A resolved code holds "_", a LIKE wildcard: escaped.
    escaped = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%;{escaped};%", escape="\\")


def stored_certificates(rows: Iterable[object]) -> list[Certification]:
    """Stored certificates as records of the one validity rule (:mod:`features.certifications`).

    ``rows`` are :class:`FirmCertification` rows or mappings of their fields. A code the
    taxonomy no longer knows counts for nothing; a version it does not list is read as
    unknown (the API stores versions as typed).
    """
    records = (as_certification(row, strict=False) for row in rows)
    return [record for record in records if record is not None]


def certification_is_valid(
    valid_until: dt.date | None, issued: dt.date | None, on: dt.date, *, code: str | None = None,
    version: str | None = None,
) -> bool:
    """True when a certificate is in force on ``on``, by the one validity rule when ``code`` is given.

    Deprecated: read stored rows with :func:`stored_certificates` and ask
    :func:`features.certifications.certificate_status`. Without ``code`` (the old call, kept
    for callers not yet moved) the code's validity years and superseded versions cannot apply,
    and a certificate with no end date counts for three years from issue, as before.
    """
    if code is not None:
        records = stored_certificates([{"code": code, "version": version, "issued": issued,
                                        "valid_until": valid_until}])  # fmt: skip
        return code in valid_codes(records, as_of=on)
    if valid_until is not None:
        return valid_until >= on
    if issued is not None:
        return issued <= on <= issued + dt.timedelta(days=3 * 365)
    return True


def firms_holding(session: Session, code: str, on: dt.date) -> set[int]:
    """Primary keys of the firms whose certificates of ``code`` are valid on ``on``.

    The one validity rule (:func:`features.certifications.valid_codes`) over every stored
    record of the code, several per firm (a certificate and its renewal), rather than an SQL
    approximation of it.
    """
    rows: dict[int, list[FirmCertification]] = {}
    for row in session.scalars(select(FirmCertification).where(FirmCertification.code == code)):
        rows.setdefault(row.firm_pk, []).append(row)
    return {pk for pk, mine in rows.items() if code in valid_codes(stored_certificates(mine), as_of=on)}


def _page(session: Session, query: Select, order: Any, limit: int, offset: int) -> tuple[list, int]:
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    orders = order if isinstance(order, tuple) else (order,)
    rows = session.scalars(query.order_by(*orders).limit(limit).offset(offset)).all()
    return list(rows), int(count or 0)


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


def list_buyers(
    session: Session,
    *,
    sector: str | None = None,
    country: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Buyer], int]:
    """Buyers matching the filters (sector code, country, folded text ``q``)."""
    query = select(Buyer)
    if sector:  # a code or an alias (điện tử, electronics), as for firms and needs
        query = query.where(Buyer.sector == resolve_code(sector, "sector", "sector"))
    if country:
        query = query.where(Buyer.country == country.strip().upper())
    if q:
        for word in fold(q).split():
            query = query.where(_like_fold(Buyer.search_text, word))
    return _page(session, query, Buyer.buyer_id, limit, offset)


def list_needs(
    session: Session,
    *,
    buyer_id: str | None = None,
    sector: str | None = None,
    process: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Need], int]:
    """Needs matching the filters (buyer, sector/process codes or aliases, status, folded ``q``).

    Raises
    ------
    InvalidFieldError
        A sector or process that the taxonomy does not know (422).
    """
    query = select(Need)
    if buyer_id:
        query = query.where(Need.buyer_id == buyer_id)
    if sector:
        query = query.where(_has_code(Need.sector_codes, resolve_code(sector, "sector", "sector")))
    if process:
        query = query.where(_has_code(Need.process_codes, resolve_code(process, "process", "process")))
    if status:
        query = query.where(Need.status == status)
    if q:
        for word in fold(q).split():
            query = query.where(_like_fold(Need.search_text, word))
    return _page(session, query, Need.need_id, limit, offset)


# --- outcomes ------------------------------------------------------------------------


def latest_status(session: Session, need_id: str, firm_id: str) -> str | None:
    """The pair's status: that of its last recorded event, None when nothing was recorded.

    Events are ordered by when they were recorded (:data:`api.storage.outcomes.RECORDED_ORDER`),
    not by the time they claim (``at``): an event dated in the future must not hide the moves
    recorded after it.
    """
    return session.scalar(
        select(Outcome.status)
        .where(Outcome.need_id == need_id, Outcome.firm_id == firm_id)
        .order_by(*(column.desc() for column in RECORDED_ORDER))
        .limit(1)
    )


def lock_pair(session: Session, need_id: str, firm_id: str) -> None:
    """Hold the (need, firm) pair's lock until the transaction ends.

    PostgreSQL: a transaction-level advisory lock keyed by the pair, so two requests moving
    the same pair run one after the other and the second sees the first's status (read
    committed: each statement sees what committed before it). SQLite already serialises
    writers (``BEGIN IMMEDIATE``), so nothing is needed there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # Shared against an outcomes import, which holds it exclusively while it checks its
    # rows against the history it loaded (api.storage.imports).
    session.execute(text("select pg_advisory_xact_lock_shared(:key)"),
                    {"key": OUTCOME_IMPORT_LOCK_ID})  # fmt: skip
    digest = hashlib.sha256(f"outcome\x1f{need_id}\x1f{firm_id}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})


def record_outcome(
    session: Session,
    need_id: str,
    firm_id: str,
    status: str,
    *,
    reason: str | None,
    by: str,
    at: dt.datetime | None = None,
    shortlist_entry_id: int | None = None,
) -> Outcome:
    """Record the next status of a (need, firm) pair, checked by the state machine.

    Raises
    ------
    NotFoundError
        The need or the firm does not exist.
    IllegalTransitionError
        ``status`` cannot follow the pair's latest status (``.allowed`` says what can).
    """
    get_need(session, need_id)
    get_firm(session, firm_id)
    lock_pair(session, need_id, firm_id)
    check_transition(latest_status(session, need_id, firm_id), status, reason)
    outcome = Outcome(
        need_id=need_id,
        firm_id=firm_id,
        status=status,
        reason=reason,
        by=by,
        at=at or dt.datetime.now(dt.UTC),
        shortlist_entry_id=shortlist_entry_id,
    )
    session.add(outcome)
    session.flush()
    audit(session, by, "create", "outcome", f"{need_id}/{firm_id}", None, snapshot(outcome))
    return outcome


def suggest_pair(
    session: Session, need_id: str, firm_id: str, *, by: str, shortlist_entry_id: int | None = None
) -> Outcome | None:
    """Record ``suggested`` for a pair that has no history yet (under the pair's lock).

    Returns
    -------
    Outcome or None
        None when the pair already has a status (it keeps it).
    """
    lock_pair(session, need_id, firm_id)
    if latest_status(session, need_id, firm_id) is not None:
        return None
    return record_outcome(session, need_id, firm_id, "suggested", reason=None, by=by,
                          shortlist_entry_id=shortlist_entry_id)  # fmt: skip


def list_outcomes(
    session: Session,
    *,
    need_id: str | None = None,
    firm_id: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[Outcome], int]:
    """Status history of the matching pairs, oldest first."""
    query = select(Outcome)
    if need_id:
        query = query.where(Outcome.need_id == need_id)
    if firm_id:
        query = query.where(Outcome.firm_id == firm_id)
    return _page(session, query, (Outcome.at, Outcome.id), limit, offset)
