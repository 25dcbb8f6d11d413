"""The demo support programme stored in the database (``cnht support demo``, issue 14).

Reads ``data/demo/support_programme.json`` (:func:`features.demo.support.draw_support_programme`):
its associations; the past round with the decisions taken then, decided on its day, its
milestones and inspections as they happened (a certificate milestone links to the firm's
certificate record, already in the demo firms); and the open round, whose nominations are
received one by one by :func:`api.storage.support.nominate`, so the rules refuse what they
refuse. Nothing is stored twice: a round already stored is left as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.storage import support as store
from api.storage.models import Firm, FirmCertification
from api.storage.support_tables import SupportDecision, SupportMilestone, SupportNomination

__all__ = ["seed_support_demo", "seed_support_demo_folder", "PROGRAMME_FILE"]

PROGRAMME_FILE = "support_programme.json"

_OUTCOME_KEYS = ("nominations", "decisions", "funded_on", "milestones", "inspections")


def _definition(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _OUTCOME_KEYS}


def _hanoi(day: dt.date, hour: int = 9) -> dt.datetime:
    """``hour`` o'clock in Hanoi on ``day``, in UTC (how the tables keep moments)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone(dt.timedelta(hours=7))).astimezone(dt.UTC)


def _received_at(record, index: int, count: int) -> dt.datetime:
    """The ``index``-th of ``count`` nominations of a past round, spread over the days it was open."""
    days = max((record.closes - record.opens).days, 0)
    return _hanoi(record.opens + dt.timedelta(days=days * index // max(count, 1)), hour=9 + index % 8)


def _past_round(session: Session, data: Mapping[str, Any], firms: set[str], by: str) -> int:
    record = store.create_round(session, _definition(data), by=by)
    support_round = store.round_of(session, record, with_nominations=False)
    decided = {d["nomination_id"]: d for d in data["decisions"]}
    rows = {}
    for n in data["nominations"]:
        if n["firm_id"] not in firms:
            continue
        row = SupportNomination(round_pk=record.id, nomination_id=n["nomination_id"], firm_id=n["firm_id"],
                                support_type=n["support_type"], units=n["units"], nominated_by=n["nominated_by"],
                                association_id=n["association_id"] or None, justification=n["justification"], by=by,
                                created_at=_received_at(record, len(rows), len(data["nominations"])))
        session.add(row)
        session.flush()
        rows[n["nomination_id"]] = row
        decision = decided[n["nomination_id"]]
        cost = support_round.support_type(n["support_type"]).unit_cost * n["units"]
        session.add(SupportDecision(
            round_pk=record.id, nomination_pk=row.id, selected=decision["selected"], proposed=decision["selected"],
            cost_vnd=cost, value=0.0, eligible=True, reason_code="selected" if decision["selected"] else "over_budget",
            reason_vi=decision["reason_vi"], reason_en="Selected (demo round)" if decision["selected"]
            else "Over the remaining budget (demo round)", created_at=_hanoi(record.closes, hour=16)))
    record.status = "proposed"
    session.flush()
    funded_on = dt.date.fromisoformat(data["funded_on"])
    items = {i.nomination_pk: i for i in store.decide(session, record.round_id, by=by, on=funded_on)}
    # as it happened: received when the round opened, proposed when it closed, decided on its day
    record.created_at = _hanoi(record.opens)
    record.proposed_at = _hanoi(record.closes, hour=16)
    record.decided_at = _hanoi(funded_on, hour=10)
    for m in data["milestones"]:
        row = rows.get(m["nomination_id"])
        if row is None:
            continue
        item = items[row.id]
        milestone = session.scalar(select(SupportMilestone).where(SupportMilestone.item_pk == item.id,
                                                                  SupportMilestone.kind == m["kind"]))
        milestone.done_on = dt.date.fromisoformat(m["done_on"])
        milestone.by = by
        if m["kind"] == "certificate_issued":  # the certificate is in the demo firm's profile already
            record_ = session.scalar(
                select(FirmCertification).join(Firm, Firm.id == FirmCertification.firm_pk)
                .where(Firm.firm_id == item.firm_id, FirmCertification.code == item.certification)
                .order_by(FirmCertification.id.desc()))
            if record_ is not None:
                milestone.certificate_pk = record_.id
                milestone.certificate = {"code": record_.code, "issued": m["done_on"],
                                         "valid_until": record_.valid_until.isoformat() if record_.valid_until else None,
                                         "issuer": record_.issuer}
    for v in data["inspections"]:
        row = rows.get(v["nomination_id"])
        if row is not None:
            store.record_inspection(session, items[row.id].id, visited_on=dt.date.fromisoformat(v["visited_on"]),
                                    inspector=v["inspector"], findings=v["findings"], satisfactory=v["satisfactory"],
                                    by=by)
    session.flush()
    return len(items)


def seed_support_demo(session: Session, document: Mapping[str, Any], *, by: str = "demo") -> dict[str, Any]:
    """Store the demo programme; returns what was stored and what the rules refused.

    Returns
    -------
    dict
        ``associations`` (new ones), ``past_round`` (funded items, or "already stored"),
        ``current_round`` (nominations received, or "already stored"), ``refused`` (rule -> count).
    """
    firms = set(session.scalars(select(Firm.firm_id)))
    known = {a.association_id for a in store.list_associations(session)}
    new = [a for a in document["associations"] if a["association_id"] not in known]
    for a in new:
        store.create_association(session, a["association_id"], a["name"], by=by)
    out: dict[str, Any] = {"associations": len(new), "refused": {}}
    stored = {r.round_id for r in store.list_rounds(session)}
    past = document["past_round"]
    out["past_round"] = "already stored" if past["round_id"] in stored else _past_round(session, past, firms, by)
    current = document["current_round"]
    if current["round_id"] in stored:
        out["current_round"] = "already stored"
        return out
    record = store.create_round(session, _definition(current), by=by)
    refused: Counter[str] = Counter()
    received = 0
    for n in current["nominations"]:
        try:
            with session.begin_nested():
                store.nominate(session, record.round_id, firm_id=n["firm_id"], support_type=n["support_type"],
                               association_id=n["association_id"] or None, justification=n["justification"],
                               units=n["units"], nomination_id=n["nomination_id"], by=by, on=record.opens)
            received += 1
        except store.NominationRefusedError as error:
            refused[error.rule] += 1
    out["current_round"] = received
    out["refused"] = dict(sorted(refused.items()))
    return out


def seed_support_demo_folder(factory: sessionmaker[Session], folder: str | Path) -> tuple[dict[str, Any] | None, str]:
    """Store the demo programme of ``folder`` (``cnht serve --demo``), once: a second call adds nothing.

    Skipped, and said why, when ``folder`` has no ``support_programme.json`` or when a firm it
    names is not in the database (it belongs with the demo firms, not with a database of real ones).

    Returns
    -------
    (dict or None, str)
        The counts of :func:`seed_support_demo` (None when skipped) and a line saying what was done.
    """
    path = Path(folder) / PROGRAMME_FILE
    if not path.is_file():
        return None, f"demo support programme: no {path} (regenerate with `cnht demo --generate`); not seeded"
    document = json.loads(path.read_text(encoding="utf-8"))
    named = {n["firm_id"] for key in ("past_round", "current_round") for n in document[key]["nominations"]}
    with factory() as session, session.begin():
        missing = named - set(session.scalars(select(Firm.firm_id).where(Firm.firm_id.in_(named))))
        if missing:
            return None, (f"demo support programme: {len(missing)} of the {len(named)} firms it names are not in "
                          f"the database (e.g. {sorted(missing)[0]}), so it belongs to other data; not seeded")
        counts = seed_support_demo(session, document)
    return counts, support_demo_line(counts)


def support_demo_line(counts: Mapping[str, Any]) -> str:
    """What :func:`seed_support_demo` did, in one line (``cnht support demo``, ``cnht serve --demo``)."""
    refused = ", ".join(f"{rule} {n}" for rule, n in counts["refused"].items()) or "0"
    past, current = counts["past_round"], counts["current_round"]
    past = past if isinstance(past, str) else f"{past} funded items"
    current = current if isinstance(current, str) else f"{current} nominations received, refused by rule: {refused}"
    return (f"demo support programme: {counts['associations']} new associations; past round: {past}; "
            f"open round: {current}")
