"""The support programme in the database: rounds, nominations, the proposal, overrides, monitoring (issue 14).

The rules are :mod:`matching.support`'s, never re-written here: a stored round is read back as a
:class:`matching.support.SupportRound` (its definition is the round file format, its nominations
the stored ones, its past funding the funded items of other rounds), a nomination is refused by
:func:`matching.support.check_nomination` (the rule that failed named, 422), and the proposal is
:func:`matching.support.propose_support` (eligibility, value, the MILP) over the firms as stored
(their certificates judged by the one validity rule). The API (:mod:`api.routes.support`) and the
CLI (``cnht support ...``) call the functions here, so both say the same thing.

A round moves ``open`` (nominations received) -> ``proposed`` (a decision stored for every
nomination; staff may override one with a reason, audited) -> ``decided`` (the selected
nominations become funded items with their milestones; nothing changes the decision after).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.storage.errors import ConflictError, NotFoundError, ServiceError
from api.storage.models import Firm, FirmCertification, Need, Outcome
from api.storage.outcomes import RECORDED_ORDER
from api.storage.repository import audit, stored_certificates
from api.storage.support_tables import (
    MILESTONES,
    SupportAssociation,
    SupportDecision,
    SupportFundedItem,
    SupportInspection,
    SupportMilestone,
    SupportNomination,
    SupportRoundRecord,
)
from features import clock
from features.exceptions import CnhtError
from features.geo import plan_district
from features.numbers import format_number
from matching.exceptions import IneligibleNominationError

__all__ = [
    "SupportInvalidError",
    "NominationRefusedError",
    "DEFAULT_MILESTONE_DAYS",
    "create_association",
    "list_associations",
    "create_round",
    "get_round",
    "list_rounds",
    "round_of",
    "firms_table",
    "nominate",
    "list_nominations",
    "get_nomination",
    "update_nomination",
    "nomination_dossier",
    "propose",
    "store_proposal",
    "decisions",
    "override",
    "decide",
    "funded_items",
    "record_milestone",
    "record_inspection",
    "overdue_milestones",
    "plan_figures",
    "plan_days",
    "plan_progress",
    "round_report",
]

# Days after the decision by which each milestone is due, unless the round says otherwise.
DEFAULT_MILESTONE_DAYS: dict[str, int] = {"contract": 30, "consulting_done": 180, "audit": 240,
                                          "certificate_issued": 300}
# Milestones of an item whose support type leads to no certificate (training, a fair booth).
_WITHOUT_CERTIFICATE = ("contract", "consulting_done")
_MAX_MILESTONE_DAYS = 3650
# Amounts a 64-bit column holds with room for units x unit cost: far above any real round.
_MAX_VND = 10**15
# Keys of the round file that the database keeps elsewhere (its own tables).
_NOT_IN_DEFINITION = ("nominations", "past_funding", "associations")
# A round's status in the Vietnamese of the errors (the pages' words: api.web.i18n_support_rounds).
_STATUS_VI = {"open": "Đang nhận đề cử", "proposed": "Đã đề xuất", "decided": "Đã chốt quyết định"}


def _vnd(amount: int) -> str:
    """An amount as a Vietnamese message writes it: ``1.200.000``."""
    return format_number(amount, "vi", 0)


def _vietnamese(error: Exception, lead: str) -> str:
    """The Vietnamese of an error raised below this module: its own (``message_vi``, or an
    ID's reason and fix), else ``lead`` with the English detail."""
    from features.identity import InvalidIdError

    if getattr(error, "message_vi", None):
        return error.message_vi
    if isinstance(error, InvalidIdError):
        return f"{error.reason_vi}. {error.fix_vi}"
    return f"{lead} (chi tiết bằng tiếng Anh): {error}"


class SupportInvalidError(ServiceError):
    """A round, nomination or decision cannot be stored as given (the message says what to fix)."""

    status_code = 422


class NominationRefusedError(SupportInvalidError):
    """A nomination refused by an eligibility rule; ``rule`` names it."""

    def __init__(self, message: str, rule: str, *, vi: str | None = None) -> None:
        super().__init__(message, vi=vi)
        self.rule = rule


# --- associations -------------------------------------------------------------------------


def create_association(session: Session, association_id: str, name: str, *, by: str) -> SupportAssociation:
    """Store an association (409 when its ID is taken)."""
    from features.identity import InvalidIdError, normalize_id

    try:
        association_id = normalize_id(association_id, "association ID")
    except InvalidIdError as error:
        raise SupportInvalidError(str(error), vi=_vietnamese(error, "Mã hiệp hội không hợp lệ")) from None
    if not (name or "").strip():
        raise SupportInvalidError(f"Association {association_id}: expected a name, got none.",
                                  vi=f"Hiệp hội {association_id}: chưa có tên; hãy nhập tên hiệp hội.")
    if session.scalar(select(SupportAssociation.id).where(SupportAssociation.association_id == association_id)):
        raise ConflictError(f"Association {association_id} is already stored; list them with `cnht support "
                            "associations` or GET /api/v1/support/associations.",
                            vi=f"Hiệp hội {association_id} đã có trong hệ thống; xem danh sách bằng `cnht support "
                               "associations` hoặc GET /api/v1/support/associations.")
    record = SupportAssociation(association_id=association_id, name=name.strip()[:300], by=by)
    session.add(record)
    session.flush()
    audit(session, by, "create", "support_association", association_id, None, {"name": record.name})
    return record


def list_associations(session: Session) -> list[SupportAssociation]:
    """Every association, by ID."""
    return list(session.scalars(select(SupportAssociation).order_by(SupportAssociation.association_id)))


# --- rounds -----------------------------------------------------------------------------------


def _milestone_days(round_id: str, definition: Mapping[str, Any]) -> dict[str, int]:
    given = definition.get("milestone_days") or {}
    if not isinstance(given, Mapping) or set(given) - set(MILESTONES):
        raise SupportInvalidError(f"Round {round_id}: expected milestone_days as an object with any of "
                                  f"{list(MILESTONES)} (days after the decision), got {given!r}.",
                                  vi=f"Đợt {round_id}: milestone_days phải là một đối tượng với các khóa trong "
                                     f"{list(MILESTONES)} (số ngày sau ngày quyết định), nhận được {given!r}.")
    days = DEFAULT_MILESTONE_DAYS | dict(given)
    for kind, value in days.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_MILESTONE_DAYS:
            raise SupportInvalidError(f"Round {round_id}: milestone_days.{kind} must be a whole number of days "
                                      f"from 0 to {_MAX_MILESTONE_DAYS}, got {value!r}.",
                                      vi=f"Đợt {round_id}: milestone_days.{kind} phải là số ngày nguyên từ 0 đến "
                                         f"{_MAX_MILESTONE_DAYS}, nhận được {value!r}.")
    return days


def _parse_round(definition: Mapping[str, Any]):
    from matching.support import round_from_dict

    try:
        return round_from_dict(definition)
    except CnhtError as error:  # names the field and how to fix it
        raise SupportInvalidError(str(error), vi=_vietnamese(error, "Tệp mô tả đợt chưa hợp lệ")) from None
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise SupportInvalidError(f"The round cannot be read ({type(error).__name__}: {error}). Fix it after the "
                                  "format of data/demo/support_round_demo.json and send it again.",
                                  vi=f"Không đọc được tệp mô tả đợt ({type(error).__name__}: {error}). Hãy sửa "
                                     "theo mẫu data/demo/support_round_demo.json rồi gửi lại.") from None


def _check_sizes(parsed) -> None:
    """What the round's columns hold: an ID by the one ID rule, type codes of 64 characters, amounts."""
    from features.identity import InvalidIdError, normalize_id

    try:
        if normalize_id(parsed.round_id, "round_id") != parsed.round_id:
            raise InvalidIdError(f"round_id {parsed.round_id!r} is not written as stored (spaces, Unicode form)",
                                 "Write it trimmed, in NFKC form.",
                                 f"round_id {parsed.round_id!r} không viết đúng dạng lưu (có khoảng trắng, dạng "
                                 "Unicode khác)", "Hãy bỏ khoảng trắng hai đầu và viết ở dạng NFKC.")
    except InvalidIdError as error:
        raise SupportInvalidError(str(error), vi=_vietnamese(error, "Mã đợt không hợp lệ")) from None
    for kind in parsed.support_types:
        if len(kind.code) > 64:
            raise SupportInvalidError(f"Round {parsed.round_id}: support type code {kind.code[:20]!r}... has "
                                      f"{len(kind.code)} characters; at most 64.",
                                      vi=f"Đợt {parsed.round_id}: mã loại hỗ trợ {kind.code[:20]!r}... dài "
                                         f"{len(kind.code)} ký tự; tối đa 64 ký tự.")
        if kind.unit_cost > _MAX_VND:
            raise SupportInvalidError(f"Round {parsed.round_id}: unit_cost_vnd of {kind.code} is above "
                                      f"{_MAX_VND:,} VND; check the amount.",
                                      vi=f"Đợt {parsed.round_id}: unit_cost_vnd của {kind.code} vượt quá "
                                         f"{_vnd(_MAX_VND)} VNĐ; hãy kiểm tra lại số tiền.")
    if parsed.budget > _MAX_VND or (parsed.max_per_firm or 0) > _MAX_VND:
        raise SupportInvalidError(f"Round {parsed.round_id}: amounts above {_MAX_VND:,} VND; check budget_vnd and "
                                  "max_per_firm_vnd.",
                                  vi=f"Đợt {parsed.round_id}: có số tiền vượt quá {_vnd(_MAX_VND)} VNĐ; hãy kiểm tra "
                                     "budget_vnd và max_per_firm_vnd.")


def create_round(session: Session, definition: Mapping[str, Any], *, by: str) -> SupportRoundRecord:
    """Check a round given in the round file format and store it (``open`` for nominations).

    The file's ``associations`` are stored too when new (an ID already stored must keep its
    name); its ``nominations`` and ``past_funding`` are not accepted here: nominations are
    received one by one (:func:`nominate`, each checked), past funding is the funded items.

    Raises
    ------
    SupportInvalidError
        The round is inconsistent (the message names the field), or carries nominations.
    ConflictError
        A round with this ``round_id`` is stored already.
    """
    if not isinstance(definition, Mapping):
        raise SupportInvalidError(f"Expected a support round as a JSON object, got {type(definition).__name__}.",
                                  vi=f"Đợt hỗ trợ phải là một đối tượng JSON, nhận được {type(definition).__name__}.")
    if definition.get("nominations") or definition.get("past_funding"):
        raise SupportInvalidError(
            "A stored round receives its nominations one by one, each checked against its rules: remove "
            "'nominations' and 'past_funding' from the round and send them with `cnht support nominate` or "
            "POST /api/v1/support/rounds/{round_id}/nominations (past funding is the funded items of earlier rounds).",
            vi="Đợt đã lưu nhận đề cử từng cái một, mỗi đề cử được kiểm tra theo điều kiện của đợt: hãy bỏ "
               "'nominations' và 'past_funding' khỏi tệp mô tả đợt và gửi đề cử bằng `cnht support nominate` hoặc "
               "POST /api/v1/support/rounds/{round_id}/nominations (hỗ trợ trước đây là các hạng mục tài trợ của "
               "các đợt trước).")
    try:  # stored as JSON on every database: no NaN or infinity
        json.dumps(definition, allow_nan=False)
    except ValueError:
        raise SupportInvalidError("The round holds NaN or infinity; give numbers.",
                                  vi="Tệp mô tả đợt có giá trị NaN hoặc vô cực; hãy nhập số.") from None
    parsed = _parse_round({**definition, "nominations": [], "past_funding": []})
    _check_sizes(parsed)
    _milestone_days(parsed.round_id, definition)
    if session.scalar(select(SupportRoundRecord.id).where(SupportRoundRecord.round_id == parsed.round_id)):
        raise ConflictError(f"Round {parsed.round_id} is already stored. Give the new round another round_id, or "
                            "read the stored one (GET /api/v1/support/rounds/{round_id}).",
                            vi=f"Đợt {parsed.round_id} đã có trong hệ thống. Hãy đặt round_id khác cho đợt mới, "
                               "hoặc xem đợt đã lưu (GET /api/v1/support/rounds/{round_id}).")
    known = {a.association_id: a.name for a in list_associations(session)}
    for association_id, name in (parsed.associations or {}).items():
        if association_id not in known:
            create_association(session, association_id, name or association_id, by=by)
    stored = {key: value for key, value in definition.items() if key not in _NOT_IN_DEFINITION}
    record = SupportRoundRecord(round_id=parsed.round_id, name=parsed.name[:300], budget_vnd=parsed.budget,
                                opens=parsed.opens, closes=parsed.closes, definition=stored, status="open", by=by)
    session.add(record)
    session.flush()
    audit(session, by, "create", "support_round", parsed.round_id, None,
          {"budget_vnd": parsed.budget, "opens": parsed.opens.isoformat(), "closes": parsed.closes.isoformat()})
    return record


def get_round(session: Session, round_id: str, *, for_update: bool = False) -> SupportRoundRecord:
    """The stored round ``round_id``; :class:`NotFoundError` (404) when there is none."""
    query = select(SupportRoundRecord).where(SupportRoundRecord.round_id == round_id)
    record = session.scalar(query.with_for_update() if for_update else query)
    if record is None:
        raise NotFoundError(f"Support round {round_id} not found. List the rounds with `cnht support rounds` or "
                            "GET /api/v1/support/rounds; store one with `cnht support round add FILE`.",
                            vi=f"Không tìm thấy đợt hỗ trợ {round_id}. Xem các đợt bằng `cnht support rounds` hoặc "
                               "GET /api/v1/support/rounds; thêm đợt bằng `cnht support round add FILE`.")
    return record


def list_rounds(session: Session) -> list[SupportRoundRecord]:
    """Every round, newest first."""
    return list(session.scalars(select(SupportRoundRecord).order_by(SupportRoundRecord.id.desc())))


def _past_funding(session: Session, record: SupportRoundRecord) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SupportFundedItem.firm_id, SupportFundedItem.support_type, SupportFundedItem.funded_on,
               SupportRoundRecord.round_id, SupportFundedItem.amount_vnd)
        .join(SupportRoundRecord, SupportRoundRecord.id == SupportFundedItem.round_pk)
        .where(SupportFundedItem.round_pk != record.id))
    return [{"firm_id": f, "support_type": t, "funded_on": on.isoformat(), "round_id": r, "amount_vnd": int(a)}
            for f, t, on, r, a in rows]


def _nomination_dict(n: SupportNomination) -> dict[str, Any]:
    return {"nomination_id": n.nomination_id, "firm_id": n.firm_id, "support_type": n.support_type,
            "nominated_by": n.nominated_by, "association_id": n.association_id or "",
            "justification": n.justification, "units": n.units}


def round_of(session: Session, record: SupportRoundRecord, *, with_nominations: bool = True):
    """The :class:`matching.support.SupportRound` of a stored round: its definition, the stored
    associations, its submitted nominations (withdrawn ones left out) and, as past funding, the
    funded items of every other round."""
    nominations = [] if not with_nominations else [_nomination_dict(n) for n in session.scalars(
        select(SupportNomination).where(SupportNomination.round_pk == record.id,
                                        SupportNomination.status == "submitted").order_by(SupportNomination.id))]
    associations = [{"association_id": a.association_id, "name": a.name} for a in list_associations(session)]
    return _parse_round({**record.definition, "associations": associations, "nominations": nominations,
                         "past_funding": _past_funding(session, record)})


def firms_table(session: Session, firm_ids: set[str] | None = None) -> pd.DataFrame:
    """The firms as the eligibility rules read them: ``certifications`` holds the stored records
    (judged by the one validity rule, as ``GET /kpi`` judges them)."""
    query = select(Firm).order_by(Firm.firm_id)
    if firm_ids is not None:
        query = query.where(Firm.firm_id.in_(firm_ids))
    rows = [{"firm_id": f.firm_id, "name": f.name, "tax_code": f.tax_code, "address": f.address,
             "district": plan_district(f.district_legacy, f.ward_2025) or f.district, "sectors": f.sectors, "description": f.description,
             "products": f.products, "materials": f.materials,
             "certifications": list(stored_certificates(f.certifications))} for f in session.scalars(query)]
    return pd.DataFrame.from_records(rows, columns=["firm_id", "name", "tax_code", "address", "district", "sectors",
                                                    "description", "products", "materials", "certifications"])


# --- nominations -----------------------------------------------------------------------------


def _refuse_unless_open(record: SupportRoundRecord, what: str, what_vi: str) -> None:
    if record.status != "open":
        raise ConflictError(f"Round {record.round_id} is {record.status}: {what} only while it is open "
                            "(before its proposal).",
                            vi=f"Đợt {record.round_id} ở trạng thái “{_STATUS_VI.get(record.status, record.status)}”: "
                               f"chỉ {what_vi} khi đợt đang mở (trước khi có đề xuất).")


def _next_nomination_id(session: Session, record: SupportRoundRecord) -> str:
    taken = set(session.scalars(select(SupportNomination.nomination_id)
                                .where(SupportNomination.round_pk == record.id)))
    numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(r"NOM-(\d+)", t))]
    return f"NOM-{max(numbers, default=0) + 1:04d}"


def nominate(session: Session, round_id: str, *, firm_id: str, support_type: str, by: str,
             association_id: str | None = None, justification: str = "", units: int = 1,
             nomination_id: str | None = None, on: dt.date | None = None) -> SupportNomination:
    """Receive a nomination (``association_id`` given) or a firm's own application (none given).

    Checked against the round's rules as the round's file would be
    (:func:`matching.support.check_nomination`): a duplicate (same firm and type), a type over
    its cap, an invalid tax code, a firm outside Hanoi or outside the supporting industries, one
    funded for the same type within N years, or one already holding the certificate, is refused
    with :class:`NominationRefusedError` naming the rule; nothing is stored then.

    Raises
    ------
    NotFoundError
        No such round, or no such association.
    ConflictError
        The round is no longer open, or its closing day has passed (``on``, default today).
    NominationRefusedError
    """
    from matching.support import Nomination, check_nomination

    record = get_round(session, round_id, for_update=True)
    _refuse_unless_open(record, "nominations are received", "nhận đề cử")
    today = on or clock.today()
    if today > record.closes:
        raise ConflictError(f"Round {round_id} closed on {record.closes:%d/%m/%Y}; nominations are no longer "
                            "received.",
                            vi=f"Đợt {round_id} đã đóng ngày {record.closes:%d/%m/%Y}; không nhận thêm đề cử.")
    if association_id is not None and session.scalar(
            select(SupportAssociation.id).where(SupportAssociation.association_id == association_id)) is None:
        raise NotFoundError(f"Association {association_id} not found; store it first (`cnht support association add`).",
                            vi=f"Không tìm thấy hiệp hội {association_id}; hãy thêm hiệp hội trước "
                               "(`cnht support association add`).")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise SupportInvalidError(f"Expected units as a whole number >= 1, got {units!r}.",
                                  vi=f"Số đơn vị phải là số nguyên >= 1, nhận được {units!r}.")
    support_round = round_of(session, record)
    nomination_id = nomination_id or _next_nomination_id(session, record)
    nomination = Nomination(nomination_id, firm_id, support_type, "association" if association_id else "self",
                            association_id or "", justification or "", units)
    try:
        check_nomination(support_round, nomination, firms_table(session, {firm_id}))
    except IneligibleNominationError as error:
        # Its message holds both languages: "<English>. / Đề cử bị từ chối ..." (check_nomination).
        _, marker, vietnamese = str(error).partition(" / Đề cử bị từ chối")
        raise NominationRefusedError(str(error), error.rule, vi=("Đề cử bị từ chối" + vietnamese) if marker
                                     else _vietnamese(error, "Đề cử bị từ chối")) from None
    except CnhtError as error:  # an unknown support type, an ID taken
        raise SupportInvalidError(str(error), vi=_vietnamese(error, "Không nhận được đề cử")) from None
    withdrawn = session.scalar(select(SupportNomination).where(
        SupportNomination.round_pk == record.id, SupportNomination.firm_id == firm_id,
        SupportNomination.support_type == support_type))
    if withdrawn is not None:  # withdrawn earlier (a submitted one is refused as a duplicate above)
        raise ConflictError(f"Nomination {withdrawn.nomination_id} of {firm_id} for {support_type} was withdrawn "
                            "from this round; it cannot be sent again.",
                            vi=f"Đề cử {withdrawn.nomination_id} của {firm_id} cho {support_type} đã được rút khỏi "
                               "đợt này; không thể gửi lại.")
    row = SupportNomination(round_pk=record.id, nomination_id=nomination_id, firm_id=firm_id,
                            support_type=support_type, units=units, nominated_by=nomination.nominated_by,
                            association_id=association_id, justification=justification or "", by=by)
    session.add(row)
    session.flush()
    audit(session, by, "create", "support_nomination", f"{round_id}/{nomination_id}", None,
          _nomination_dict(row) | {"status": row.status})
    return row


def list_nominations(session: Session, round_id: str, *, association_id: str | None = None,
                     firm_id: str | None = None) -> list[SupportNomination]:
    """A round's nominations in the order received; only an association's or a firm's own when given."""
    record = get_round(session, round_id)
    query = select(SupportNomination).where(SupportNomination.round_pk == record.id)
    if association_id is not None:
        query = query.where(SupportNomination.association_id == association_id)
    if firm_id is not None:
        query = query.where(SupportNomination.firm_id == firm_id)
    return list(session.scalars(query.order_by(SupportNomination.id)))


def get_nomination(session: Session, round_id: str, nomination_id: str, *, association_id: str | None = None,
                   firm_id: str | None = None) -> SupportNomination:
    """One nomination; 404 also when it is not the given association's or firm's own (no hint it exists)."""
    for row in list_nominations(session, round_id, association_id=association_id, firm_id=firm_id):
        if row.nomination_id == nomination_id:
            return row
    raise NotFoundError(f"Nomination {nomination_id} not found in round {round_id}.",
                        vi=f"Không tìm thấy đề cử {nomination_id} trong đợt {round_id}.")


def update_nomination(session: Session, nomination: SupportNomination, *, by: str, justification: str | None = None,
                      withdraw: bool = False) -> SupportNomination:
    """Change a nomination's justification or withdraw it, while its round is open."""
    record = session.get(SupportRoundRecord, nomination.round_pk)
    _refuse_unless_open(record, "nominations are changed", "sửa đề cử")
    before = {"justification": nomination.justification, "status": nomination.status}
    if nomination.status == "withdrawn":
        raise ConflictError(f"Nomination {nomination.nomination_id} is withdrawn; it cannot be changed.",
                            vi=f"Đề cử {nomination.nomination_id} đã được rút; không thể sửa.")
    if justification is not None:
        nomination.justification = justification
    if withdraw:
        nomination.status = "withdrawn"
    after = {"justification": nomination.justification, "status": nomination.status}
    if after != before:
        session.flush()
        audit(session, by, "update", "support_nomination", f"{record.round_id}/{nomination.nomination_id}",
              before, after)
    return nomination


_DOSSIER_NEEDS = 10  # the open needs an upgrade would open, listed per upgrade


def nomination_dossier(session: Session, round_id: str, nomination_id: str, matcher=None,
                       needs: pd.DataFrame | None = None, *, on: dt.date | None = None) -> dict[str, Any]:
    """What staff verify a nomination with: the firm's profile, its certificates judged by the one
    validity rule (with the reason when one is not valid), its match outcomes (each pair's latest
    status), whether it meets international standards, the nomination's rule check now, and the
    matcher's view (the single upgrades that would put it on the most open needs' shortlists,
    :func:`matching.gaps.best_upgrades`, with up to ten of the needs each would open) when
    ``matcher`` is given."""
    from features.certifications import certificate_status, is_international
    from matching.support import check_nominations

    on = on or clock.today()
    nomination = get_nomination(session, round_id, nomination_id)
    firm = session.scalar(select(Firm).where(Firm.firm_id == nomination.firm_id))
    answers = certificate_status(stored_certificates(firm.certifications), on=on) if firm else {}
    certificates = [{"code": code, "valid": a.valid, "status": a.status, "valid_until": a.valid_until,
                     "verified": a.verified, "international": is_international(code), "vi": a.describe("vi"),
                     "en": a.describe("en")} for code, a in sorted(answers.items())]
    latest: dict[str, str] = {}
    for need_id, status in session.execute(select(Outcome.need_id, Outcome.status)
                                           .where(Outcome.firm_id == nomination.firm_id)
                                           .order_by(*RECORDED_ORDER)):
        latest[need_id] = status  # the last recorded event of each pair wins
    record = get_round(session, round_id)
    support_round = round_of(session, record)
    mine = [n for n in support_round.nominations if n.nomination_id == nomination_id]
    check = {"eligible": None, "rule": "", "rule_vi": "", "rule_en": ""}
    if mine:  # submitted: checked now, against the others received before it
        at = support_round.nominations.index(mine[0])
        earlier = support_round.nominations[:at + 1]  # in the order received
        table = check_nominations(replace(support_round, nominations=tuple(earlier)),
                                  firms_table(session, {nomination.firm_id}))
        row = table[table["nomination_id"] == nomination_id].iloc[0]
        check = {"eligible": bool(row["eligible"]), "rule": row["rule"], "rule_vi": row["rule_vi"],
                 "rule_en": row["rule_en"]}
    upgrades = []
    if matcher is not None and firm is not None and nomination.firm_id in set(map(str, matcher.firm_ids_)):
        from matching.gaps import best_upgrades

        found = best_upgrades(matcher, nomination.firm_id, needs, top=3)
        titles = {} if needs is None or "title" not in needs else dict(zip(needs["need_id"].astype(str),
                                                                           needs["title"].fillna(""), strict=True))
        upgrades = [{"kind": u.kind, "code": u.code, "label_vi": u.label_vi, "label_en": u.label_en,
                     "new_shortlists": int(u.new_shortlists),
                     "needs": [{"need_id": str(n), "title": titles.get(str(n), "")}
                               for n in list(u.needs)[:_DOSSIER_NEEDS]]}
                    for u in found.itertuples(index=False)]
    profile = {} if firm is None else {
        name: getattr(firm, name) for name in ("firm_id", "name", "tax_code", "address", "district", "sectors",
                                               "description", "products", "employees", "ownership",
                                               "contact_email", "phone")}
    return {"round_id": round_id, "nomination": _nomination_dict(nomination) | {"status": nomination.status},
            "firm": profile, "certificates": certificates,
            "meets_international_standards": any(c["valid"] and c["international"] for c in certificates),
            "outcomes": dict(sorted(Counter(latest.values()).items())), "pairs": len(latest),
            "check": check, "best_upgrades": upgrades, "on": on}


# --- the proposal and the decision -----------------------------------------------------------


def open_needs(session: Session) -> pd.DataFrame:
    """The open needs as records the matcher ranks (confidential fields left out)."""
    from api.ranking import need_record

    records = [need_record(n) for n in session.scalars(select(Need).where(Need.status == "open").order_by(Need.need_id))]
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["need_id", "buyer_id"])


def propose(session: Session, round_id: str, matcher, needs: pd.DataFrame, *, time_limit: float = 60.0,
            weight_target: float = 1.0, weight_demand: float = 0.1):
    """The round's proposal (:func:`matching.support.propose_support`): every submitted nomination
    checked, valued (firms newly meeting international standards; open needs' shortlists the
    certificate unlocks, :func:`matching.gaps.best_upgrades`) and decided within the budget and the
    round's fairness settings, with a reason. Nothing is stored (:func:`store_proposal` does).

    Raises
    ------
    ConflictError
        The round is decided already.
    SupportInvalidError
        No submitted nomination, or the constraints cannot all hold (a min_share no one can fill).
    """
    from matching.support import propose_support

    record = get_round(session, round_id)
    if record.status == "decided":
        raise ConflictError(f"Round {round_id} is decided; its decision can no longer be proposed again.",
                            vi=f"Đợt {round_id} đã chốt quyết định; không thể đề xuất lại.")
    support_round = round_of(session, record)
    if not support_round.nominations:
        raise SupportInvalidError(f"Round {round_id} has no submitted nomination to decide on; receive nominations "
                                  "first (`cnht support nominate`).",
                                  vi=f"Đợt {round_id} chưa có đề cử nào đã nộp để xét; hãy nhận đề cử trước "
                                     "(`cnht support nominate`).")
    firms = firms_table(session, {n.firm_id for n in support_round.nominations})
    held = {n.nomination_id: d.selected for n, d in _overrides(session, record)}
    try:
        return propose_support(support_round, firms, matcher, needs, weight_target=weight_target,
                               weight_demand=weight_demand, time_limit=time_limit, held=held)
    except CnhtError as error:
        raise SupportInvalidError(str(error), vi=_vietnamese(error, "Không lập được đề xuất")) from None


def _overrides(session: Session, record: SupportRoundRecord) -> list[tuple[SupportNomination, SupportDecision]]:
    """(nomination, decision) of the round's standing staff overrides, in the order received."""
    return [tuple(r) for r in session.execute(
        select(SupportNomination, SupportDecision)
        .join(SupportDecision, SupportDecision.nomination_pk == SupportNomination.id)
        .where(SupportDecision.round_pk == record.id, SupportDecision.override_reason.is_not(None))
        .order_by(SupportNomination.id))]


def _override_reasons(selected: bool, reason: str) -> dict[str, str]:
    return {"reason_code": "override_in" if selected else "override_out",
            "reason_vi": f"Cán bộ điều chỉnh ({'chọn' if selected else 'không chọn'}): {reason}",
            "reason_en": f"Staff override ({'selected' if selected else 'not selected'}): {reason}"}


def store_proposal(session: Session, round_id: str, selection, *, by: str) -> SupportRoundRecord:
    """Replace the round's decisions with ``selection``'s and mark it ``proposed``.

    Every standing staff override is kept on top of the new proposal: :func:`propose` held it
    (the solver chose the others around it), and it is stored again with its reason, who and when;
    ``proposed`` keeps the solver's own choice without it. An override the selection could not
    hold (its nomination has since become ineligible) is lifted, and said so. The proposal's summary
    names both (``held_by_override``, ``overrides_lifted``) and so does the audit row.

    Raises
    ------
    ConflictError
        The round is decided, or its overrides changed since ``selection`` was computed.
    """
    record = get_round(session, round_id, for_update=True)
    if record.status == "decided":
        raise ConflictError(f"Round {round_id} is decided; its decision can no longer be proposed again.",
                            vi=f"Đợt {round_id} đã chốt quyết định; không thể đề xuất lại.")
    standing = {n.nomination_id: d for n, d in _overrides(session, record)}
    rows = selection.decisions.to_dict("records")
    held = {row["nomination_id"] for row in rows if row.get("held")}
    if {nid: d.selected for nid, d in standing.items()} != dict(getattr(selection, "held", {}) or {}):
        raise ConflictError(f"The overrides of round {round_id} changed while the proposal was computed; propose "
                            "again.",
                            vi=f"Các điều chỉnh của đợt {round_id} đã thay đổi trong lúc tính đề xuất; hãy đề xuất "
                               "lại.")
    kept = {nid: {"selected": d.selected, "override_reason": d.override_reason, "overridden_by": d.overridden_by,
                  "overridden_at": d.overridden_at} for nid, d in standing.items()}
    pks = dict(session.execute(select(SupportNomination.nomination_id, SupportNomination.id)
                               .where(SupportNomination.round_pk == record.id)).all())
    firm_of = dict(session.execute(select(SupportNomination.nomination_id, SupportNomination.firm_id)
                                   .where(SupportNomination.round_pk == record.id)).all())
    for old in session.scalars(select(SupportDecision).where(SupportDecision.round_pk == record.id)):
        session.delete(old)
    session.flush()
    held_rows, lifted = [], []
    for row in rows:
        nomination_id = row["nomination_id"]
        decision = SupportDecision(
            round_pk=record.id, nomination_pk=pks[nomination_id], selected=bool(row["selected"]),
            proposed=bool(row.get("proposed", row["selected"])), rank=int(row["rank"]), cost_vnd=int(row["cost"]),
            value=float(row["value"]), target_gain=int(row.get("target_gain", 0)),
            new_shortlists=int(row.get("new_shortlists", 0)), eligible=bool(row["eligible"]),
            rule=str(row.get("rule") or ""), reason_code=str(row["reason_code"]), reason_vi=str(row["reason_vi"]),
            reason_en=str(row["reason_en"]))
        if nomination_id in held:
            override = kept[nomination_id]
            decision.override_reason = override["override_reason"]
            decision.overridden_by = override["overridden_by"]
            decision.overridden_at = override["overridden_at"]
            for name, text in _override_reasons(override["selected"], override["override_reason"]).items():
                setattr(decision, name, text)
            held_rows.append({"nomination_id": nomination_id, "firm_id": firm_of[nomination_id],
                              "selected": override["selected"], "solver_proposed": decision.proposed,
                              "reason": override["override_reason"], "by": override["overridden_by"]})
        elif nomination_id in kept:
            lifted.append({"nomination_id": nomination_id, "firm_id": firm_of[nomination_id],
                           "selected": kept[nomination_id]["selected"], "reason": kept[nomination_id]["override_reason"],
                           "lifted_because": f"now ineligible: {row['reason_en']}"})
        session.add(decision)
    summary = selection.summary()
    summary["held_by_override"] = held_rows
    summary["overrides_lifted"] = lifted
    record.status = "proposed"
    record.proposal_summary = summary
    record.proposed_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, by, "propose", "support_round", round_id, None,
          {k: summary[k] for k in ("selected", "spent", "objective", "status", "held_by_override",
                                   "overrides_lifted")})
    for entry in lifted:
        audit(session, by, "override_lifted", "support_decision", f"{round_id}/{entry['nomination_id']}",
              {"selected": entry["selected"], "reason": entry["reason"]}, {"lifted_because": entry["lifted_because"]})
    return record


def decisions(session: Session, round_id: str, *, association_id: str | None = None,
              firm_id: str | None = None) -> list[tuple[SupportNomination, SupportDecision]]:
    """(nomination, decision) of a proposed round, selected first by rank; only an association's or a
    firm's own when given. 404 before the round is proposed."""
    record = get_round(session, round_id)
    query = (select(SupportNomination, SupportDecision)
             .join(SupportDecision, SupportDecision.nomination_pk == SupportNomination.id)
             .where(SupportDecision.round_pk == record.id))
    if association_id is not None:
        query = query.where(SupportNomination.association_id == association_id)
    if firm_id is not None:
        query = query.where(SupportNomination.firm_id == firm_id)
    rows = [tuple(r) for r in session.execute(query)]
    if not rows and record.status == "open":
        raise NotFoundError(f"Round {round_id} has no decision yet; propose it first (`cnht support propose "
                            f"{round_id}`, POST /api/v1/support/rounds/{round_id}/proposal).",
                            vi=f"Đợt {round_id} chưa có quyết định; hãy đề xuất trước (`cnht support propose "
                               f"{round_id}`, POST /api/v1/support/rounds/{round_id}/proposal).")
    return sorted(rows, key=lambda r: (not r[1].selected, r[1].rank if r[1].selected else 0, r[0].id))


def override(session: Session, round_id: str, nomination_id: str, *, selected: bool, reason: str,
             by: str) -> SupportDecision:
    """Staff put a nomination in or out against the proposal, with the reason (audit row: who,
    when, what, why). An ineligible nomination cannot be put in (its rule is named); putting one
    in may not take the selection over the budget.
    """
    record = get_round(session, round_id, for_update=True)
    if record.status == "decided":
        raise ConflictError(f"Round {round_id} is decided; its decisions can no longer be changed.",
                            vi=f"Đợt {round_id} đã chốt quyết định; không thể thay đổi các quyết định nữa.")
    reason = (reason or "").strip()
    if not reason:
        raise SupportInvalidError("An override needs its reason (--reason / 'reason'): say why the proposal is "
                                  "changed; it is kept in the audit log.",
                                  vi="Điều chỉnh cần có lý do (--reason / 'reason'): hãy nêu vì sao thay đổi đề xuất; "
                                     "lý do được lưu trong nhật ký.")
    nomination = get_nomination(session, round_id, nomination_id)
    decision = session.scalar(select(SupportDecision).where(SupportDecision.nomination_pk == nomination.id))
    if decision is None:
        raise NotFoundError(f"Nomination {nomination_id} has no decision yet; propose round {round_id} first.",
                            vi=f"Đề cử {nomination_id} chưa có quyết định; hãy đề xuất đợt {round_id} trước.")
    if decision.selected == selected:
        state = "selected" if selected else "not selected"
        raise ConflictError(f"Nomination {nomination_id} is already {state}; nothing to override.",
                            vi=f"Đề cử {nomination_id} đã ở trạng thái "
                               f"{'được chọn' if selected else 'không được chọn'}; không cần điều chỉnh.")
    if selected and not decision.eligible:
        raise SupportInvalidError(f"Nomination {nomination_id} cannot be selected: it fails eligibility rule "
                                  f"'{decision.rule}' ({decision.reason_en}).",
                                  vi=f"Không thể chọn đề cử {nomination_id}: đề cử không đạt điều kiện "
                                     f"'{decision.rule}' ({decision.reason_vi}).")
    if selected:
        spent = session.scalar(select(func.coalesce(func.sum(SupportDecision.cost_vnd), 0)).where(
            SupportDecision.round_pk == record.id, SupportDecision.selected.is_(True))) or 0
        if int(spent) + decision.cost_vnd > record.budget_vnd:
            raise SupportInvalidError(
                f"Selecting {nomination_id} ({decision.cost_vnd:,} VND) would spend {int(spent) + decision.cost_vnd:,} "
                f"of the budget {record.budget_vnd:,} VND; put another nomination out first.",
                vi=f"Chọn {nomination_id} ({_vnd(decision.cost_vnd)} VNĐ) sẽ đưa tổng kinh phí lên "
                   f"{_vnd(int(spent) + decision.cost_vnd)} VNĐ, vượt ngân sách {_vnd(record.budget_vnd)} VNĐ; "
                   "hãy bỏ chọn một đề cử khác trước.")
    before = {"selected": decision.selected, "reason_code": decision.reason_code}
    decision.selected = selected
    decision.override_reason = reason
    decision.overridden_by = by
    decision.overridden_at = dt.datetime.now(dt.UTC)
    for name, text in _override_reasons(selected, reason).items():
        setattr(decision, name, text)
    session.flush()
    audit(session, by, "override", "support_decision", f"{round_id}/{nomination_id}", before,
          {"selected": selected, "reason": reason})
    return decision


def decide(session: Session, round_id: str, *, by: str, on: dt.date | None = None) -> list[SupportFundedItem]:
    """Close the decision: every selected nomination becomes a funded item (decided on ``on``,
    default today) with its milestones due per the round's ``milestone_days``."""
    record = get_round(session, round_id, for_update=True)
    if record.status != "proposed":
        raise ConflictError(f"Round {round_id} is {record.status}; only a proposed round is decided "
                            f"(`cnht support propose {round_id}` first)." if record.status == "open" else
                            f"Round {round_id} is decided already.",
                            vi=f"Đợt {round_id} đang nhận đề cử; chỉ chốt quyết định cho đợt đã có đề xuất "
                               f"(chạy `cnht support propose {round_id}` trước)." if record.status == "open" else
                               f"Đợt {round_id} đã chốt quyết định rồi.")
    support_round = round_of(session, record, with_nominations=False)
    days = _milestone_days(round_id, record.definition)
    on = on or clock.today()
    items = []
    for nomination, decision in decisions(session, round_id):
        if not decision.selected:
            continue
        kind = support_round.support_type(nomination.support_type)
        item = SupportFundedItem(round_pk=record.id, nomination_pk=nomination.id, firm_id=nomination.firm_id,
                                 support_type=nomination.support_type, certification=kind.certification,
                                 amount_vnd=decision.cost_vnd, funded_on=on, by=by)
        session.add(item)
        session.flush()
        for milestone in (MILESTONES if kind.certification else _WITHOUT_CERTIFICATE):
            session.add(SupportMilestone(item_pk=item.id, kind=milestone, due=on + dt.timedelta(days=days[milestone]),
                                         by=by))
        items.append(item)
    record.status = "decided"
    record.decided_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, by, "decide", "support_round", round_id, {"status": "proposed"},
          {"status": "decided", "funded_items": len(items), "funded_on": on.isoformat()})
    return items


# --- monitoring ------------------------------------------------------------------------------


def funded_items(session: Session, round_id: str, *, firm_id: str | None = None) -> list[SupportFundedItem]:
    """A round's funded items (one firm's when given), by ID."""
    record = get_round(session, round_id)
    query = select(SupportFundedItem).where(SupportFundedItem.round_pk == record.id)
    if firm_id is not None:
        query = query.where(SupportFundedItem.firm_id == firm_id)
    return list(session.scalars(query.order_by(SupportFundedItem.id)))


def _item(session: Session, item_id: int) -> SupportFundedItem:
    item = session.get(SupportFundedItem, item_id)
    if item is None:
        raise NotFoundError(f"Funded item {item_id} not found; list a round's items with `cnht support report ROUND`.",
                            vi=f"Không tìm thấy hạng mục tài trợ {item_id}; xem các hạng mục của một đợt bằng "
                               "`cnht support report ROUND`.")
    return item


def record_milestone(session: Session, item_id: int, kind: str, *, done_on: dt.date, by: str,
                     note: str | None = None, certificate: Mapping[str, Any] | None = None) -> SupportMilestone:
    """Record a milestone as reached. ``certificate_issued`` needs the certificate (``valid_until``,
    optional ``issued``, ``issuer``, ``version``): it is added to the firm's certificates (so the plan's
    figure counts it by the one validity rule) and the milestone links to its record."""
    from api.storage.repository import CERTIFICATION_FIELDS, update_firm

    item = _item(session, item_id)
    milestone = session.scalar(select(SupportMilestone).where(SupportMilestone.item_pk == item.id,
                                                              SupportMilestone.kind == kind))
    if milestone is None:
        kinds = list(session.scalars(select(SupportMilestone.kind).where(SupportMilestone.item_pk == item.id)))
        raise SupportInvalidError(f"Funded item {item_id} has no milestone {kind!r}; expected one of {kinds}.",
                                  vi=f"Hạng mục tài trợ {item_id} không có mốc {kind!r}; các mốc hợp lệ: {kinds}.")
    if done_on > clock.today():
        raise SupportInvalidError(f"Milestone {kind} done on {done_on:%d/%m/%Y} is in the future; record it when reached.",
                                  vi=f"Mốc {kind} hoàn thành ngày {done_on:%d/%m/%Y} là ngày trong tương lai; hãy "
                                     "ghi nhận khi đã đạt.")
    if milestone.done_on is not None:
        raise ConflictError(f"Milestone {kind} of funded item {item_id} was recorded on {milestone.done_on:%d/%m/%Y}.",
                            vi=f"Mốc {kind} của hạng mục tài trợ {item_id} đã được ghi nhận ngày "
                               f"{milestone.done_on:%d/%m/%Y}.")
    if kind == "certificate_issued":
        if not certificate or not certificate.get("valid_until"):
            raise SupportInvalidError("The certificate_issued milestone needs the certificate: its valid_until "
                                      "(YYYY-MM-DD) and, when known, issued, issuer and version.",
                                      vi="Mốc certificate_issued cần thông tin chứng chỉ: valid_until (YYYY-MM-DD) "
                                         "và, nếu có, issued, issuer và version.")
        firm = session.scalar(select(Firm).where(Firm.firm_id == item.firm_id))
        unknown = sorted(set(certificate) - {"valid_until", "issued", "issuer", "version", "verified"})
        if unknown:
            raise SupportInvalidError(f"Unknown certificate fields {unknown}; expected valid_until, issued, issuer, "
                                      "version, verified.",
                                      vi=f"Trường chứng chỉ không xác định {unknown}; các trường hợp lệ: valid_until, "
                                         "issued, issuer, version, verified.")
        fields = {name: None for name in CERTIFICATION_FIELDS}
        fields |= {"code": item.certification, "verified": certificate.get("verified", True) is not False,
                   "issuer": _short_text(certificate.get("issuer"), "issuer", 200),
                   "version": _short_text(certificate.get("version"), "version", 20),
                   "issued": _day(certificate.get("issued")) or done_on,
                   "valid_until": _day(certificate.get("valid_until"))}
        if fields["valid_until"] <= fields["issued"]:
            raise SupportInvalidError("The certificate's valid_until must be after its issue day.",
                                      vi="valid_until của chứng chỉ phải sau ngày cấp.")
        current = [{name: getattr(c, name) for name in CERTIFICATION_FIELDS} for c in firm.certifications]
        update_firm(session, firm, {}, [*current, fields], by)
        session.flush()
        record = session.scalar(select(FirmCertification).where(
            FirmCertification.firm_pk == firm.id, FirmCertification.code == item.certification,
            FirmCertification.valid_until == fields["valid_until"]).order_by(FirmCertification.id.desc()))
        milestone.certificate_pk = record.id if record is not None else None
        milestone.certificate = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items()}
    milestone.done_on = done_on
    milestone.note = note
    milestone.by = by
    session.flush()
    audit(session, by, "update", "support_milestone", f"{item_id}/{kind}", {"done_on": None},
          {"done_on": done_on.isoformat(), "note": note, "certificate": milestone.certificate})
    return milestone


def _short_text(value: object, name: str, length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > length:
        raise SupportInvalidError(f"Expected the certificate's {name} as text of at most {length} characters, "
                                  f"got {str(value)[:40]!r}.",
                                  vi=f"{name} của chứng chỉ phải là văn bản tối đa {length} ký tự, nhận được "
                                     f"{str(value)[:40]!r}.")
    return value.strip() or None


def _day(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value))
        if not dt.date(1900, 1, 1) <= day <= dt.date(2199, 12, 31):
            raise ValueError(value)
        return day
    except ValueError:
        raise SupportInvalidError(f"Expected a day as YYYY-MM-DD, got {value!r}.",
                                  vi=f"Ngày phải viết dạng YYYY-MM-DD, nhận được {value!r}.") from None


def record_inspection(session: Session, item_id: int, *, visited_on: dt.date, inspector: str, findings: str,
                      satisfactory: bool, by: str) -> SupportInspection:
    """Record an inspection visit to a funded item, with its findings."""
    item = _item(session, item_id)
    if visited_on > clock.today():
        raise SupportInvalidError(f"Inspection on {visited_on:%d/%m/%Y} is in the future; record it when made.",
                                  vi=f"Lần kiểm tra ngày {visited_on:%d/%m/%Y} là ngày trong tương lai; hãy ghi nhận "
                                     "khi đã kiểm tra.")
    if not (inspector or "").strip():
        raise SupportInvalidError("An inspection needs the inspector's name.",
                                  vi="Lần kiểm tra cần có tên người kiểm tra.")
    visit = SupportInspection(item_pk=item.id, visited_on=visited_on, inspector=inspector.strip()[:120],
                              findings=findings or "", satisfactory=satisfactory, by=by)
    session.add(visit)
    session.flush()
    audit(session, by, "create", "support_inspection", str(item.id), None,
          {"visited_on": visited_on.isoformat(), "satisfactory": satisfactory})
    return visit


def overdue_milestones(session: Session, on: dt.date | None = None,
                       round_id: str | None = None) -> list[tuple[SupportFundedItem, SupportMilestone]]:
    """Milestones not reached by their due day (``on``, default today), oldest due first."""
    on = on or clock.today()
    query = (select(SupportFundedItem, SupportMilestone)
             .join(SupportMilestone, SupportMilestone.item_pk == SupportFundedItem.id)
             .where(SupportMilestone.done_on.is_(None), SupportMilestone.due < on))
    if round_id is not None:
        query = query.where(SupportFundedItem.round_pk == get_round(session, round_id).id)
    return [tuple(r) for r in session.execute(query.order_by(SupportMilestone.due, SupportFundedItem.id))]


def _international_firms(session: Session, on: dt.date) -> dict[str, bool]:
    """firm_id -> meets an international standard on ``on``: the rule of ``GET /kpi``
    (:func:`api.storage.certificate_dates.international_firms`, every stored firm)."""
    from api.storage.certificate_dates import international_firms

    (counted,) = international_firms(session, [on])
    return {firm_id: pk in counted for pk, firm_id in session.execute(select(Firm.id, Firm.firm_id))}


def _firm_groups(session: Session) -> list[tuple[int, str, list[str], str]]:
    """(pk, firm_id, sectors, district) of every stored firm, as the plan's tables group them (the
    district by :func:`features.geo.plan_district`, as a round's district shares)."""
    return [(pk, firm_id, [c for c in (codes or "").split(";") if c] or ["(none)"],
             plan_district(legacy, ward) or district or "(unknown)")
            for pk, firm_id, codes, legacy, ward, district in session.execute(
                select(Firm.id, Firm.firm_id, Firm.sector_codes, Firm.district_legacy, Firm.ward_2025, Firm.district))]


def _grouped(groups: list[tuple[int, str, list[str], str]], firms: set[int],
             international: set[int]) -> dict[str, list[dict[str, Any]]]:
    """The by-sector and by-district tables of ``firms`` (pks) and, of them, ``international``
    (a firm in two sectors counts in both)."""
    by_sector: dict[str, list[int]] = {}
    by_district: dict[str, list[int]] = {}
    for pk, _, sectors, district in groups:
        if pk not in firms:
            continue
        counted = int(pk in international)
        for sector in sectors:
            cell = by_sector.setdefault(sector, [0, 0])
            cell[0] += 1
            cell[1] += counted
        cell = by_district.setdefault(district, [0, 0])
        cell[0] += 1
        cell[1] += counted
    table = lambda found: [{"group": g, "firms": n, "international": i}  # noqa: E731
                           for g, (n, i) in sorted(found.items())]
    return {"by_sector": table(by_sector), "by_district": table(by_district)}


def plan_figures(session: Session, on: dt.date | None = None) -> dict[str, Any]:
    """The plan's figures on ``on`` (default today): firms in the field against 900, firms meeting
    international standards against 400, both by sector and by district.

    The firms counted are those in the field on ``on`` (recorded by then,
    :func:`api.storage.certificate_dates.plan_firms`), as ``GET /kpi?as_of=`` and the last point
    of ``GET /kpi/progress`` count them: the totals are their figures on every day.
    """
    from api.storage.certificate_dates import plan_firms
    from features.plan import FIRMS_TARGET, INTERNATIONAL_TARGET

    on = on or clock.today()
    groups = _firm_groups(session)
    ((in_field, international),) = plan_firms(session, [on])
    return {"on": on, "firms_total": len(in_field), "firms_target": FIRMS_TARGET,
            "firms_international": len(international), "international_target": INTERNATIONAL_TARGET,
            **_grouped(groups, set(in_field), international)}


_MAX_PLAN_DAYS = 120  # ten years of month ends


def plan_days(start: dt.date | None, end: dt.date | None = None) -> list[dt.date]:
    """The month ends from ``start`` to ``end`` (both included), and ``end`` itself when it is not
    one (a month not yet ended stands at its last day asked, as ``GET /kpi/progress``).

    ``end`` defaults to today in Hanoi, ``start`` to the month end 11 months before ``end`` (the 12
    points of ``GET /kpi/progress``).

    Raises
    ------
    SupportInvalidError
        A day outside 1900..2199, ``start`` after ``end``, or more than 120 days asked.

    >>> plan_days(dt.date(2026, 1, 15), dt.date(2026, 3, 10))
    [datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 10)]
    """
    from api.storage.certificate_dates import month_ends

    end = end or clock.today()
    for name, day in (("to", end), ("from", start)):
        if day is not None and not dt.date(1900, 1, 1) <= day <= dt.date(2199, 12, 31):
            raise SupportInvalidError(f"Expected '{name}' between 1900-01-01 and 2199-12-31, got {day.isoformat()}.",
                                      vi=f"'{name}' phải trong khoảng 01/01/1900 đến 31/12/2199, nhận được "
                                         f"{day:%d/%m/%Y}.")
    start = start or month_ends(end, 12)[0]
    if start > end:
        raise SupportInvalidError(f"Expected 'from' on or before 'to', got from={start.isoformat()} and "
                                  f"to={end.isoformat()}; swap them.",
                                  vi=f"'from' phải trước hoặc bằng 'to', nhận được from={start:%d/%m/%Y} và "
                                     f"to={end:%d/%m/%Y}; hãy đổi chỗ hai ngày.")
    days = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        last = following - dt.timedelta(days=1)
        if start <= last <= end:
            days.append(last)
        first = following
        if len(days) > _MAX_PLAN_DAYS:
            break
    if not days or days[-1] != end:
        days.append(end)
    if len(days) > _MAX_PLAN_DAYS:
        raise SupportInvalidError(f"'from' {start.isoformat()} to 'to' {end.isoformat()} spans more than "
                                  f"{_MAX_PLAN_DAYS} month ends; ask for at most ten years at a time.",
                                  vi=f"Khoảng từ 'from' {start:%d/%m/%Y} đến 'to' {end:%d/%m/%Y} dài hơn "
                                     f"{_MAX_PLAN_DAYS} cuối tháng; mỗi lần hỏi tối đa mười năm.")
    return days


def plan_progress(session: Session, days: list[dt.date]) -> dict[str, Any]:
    """The plan's figures on each of ``days`` (e.g. :func:`plan_days`), and what each round contributed.

    On each day: firms in the field (recorded by then) against 900 and, of them, firms meeting
    international standards against 400, by sector and by district — the firms ``GET
    /kpi/progress`` counts (:func:`api.storage.certificate_dates.plan_firms`, the one validity
    rule), so the totals are its figures.

    Each decided round's contribution on each day: its funded certificates (the
    ``certificate_issued`` milestones recorded) that are valid that day by their own dates — the
    linked certificate record, else the fields recorded with the milestone — judged by the same
    rule (:func:`features.certifications.certificate_status`); international standards only, and
    the firms holding them. A certificate without an issue day counts from the day its milestone
    was recorded (``counted_from_milestone`` lists those items).
    """
    from api.storage.certificate_dates import plan_firms
    from features.certifications import certificate_status, is_international
    from features.plan import FIRMS_TARGET, INTERNATIONAL_TARGET

    groups = _firm_groups(session)
    data = []
    for day, (in_field, international) in zip(days, plan_firms(session, days), strict=True):
        data.append({"on": day, "firms_total": len(in_field), "firms_international": len(international),
                     **_grouped(groups, set(in_field), international)})
    rounds = []
    for record in sorted(list_rounds(session), key=lambda r: (r.opens, r.id)):
        items = funded_items(session, record.round_id)
        if not items:
            continue
        certificates, from_milestone = [], []
        for item in items:
            milestone = session.scalar(select(SupportMilestone).where(SupportMilestone.item_pk == item.id,
                                                                      SupportMilestone.kind == "certificate_issued"))
            if milestone is None or milestone.done_on is None:
                continue
            linked = session.get(FirmCertification, milestone.certificate_pk) if milestone.certificate_pk else None
            fields = ({name: getattr(linked, name) for name in ("code", "version", "issued", "valid_until", "issuer",
                                                                 "verified")}
                      if linked is not None else dict(milestone.certificate or {"code": item.certification}))
            if not fields.get("issued"):
                fields["issued"] = milestone.done_on
                from_milestone.append(item.id)
            certificates.append((item, stored_certificates([fields])))
        points = []
        for day in days:
            valid = [item for item, records in certificates
                     if any(a.valid and is_international(a.code) for a in certificate_status(records, on=day).values())]
            points.append({"on": day, "certificates_valid": len(valid), "firms": len({i.firm_id for i in valid})})
        rounds.append({"round_id": record.round_id, "name": record.name, "funded_items": len(items),
                       "funded_on": min(i.funded_on for i in items),
                       "certificates_issued": len(certificates), "counted_from_milestone": from_milestone,
                       "data": points})
    return {"firms_target": FIRMS_TARGET, "international_target": INTERNATIONAL_TARGET, "days": days,
            "data": data, "rounds": rounds,
            "note": "A funded certificate without an issue day counts from the day its certificate_issued milestone "
                    "was recorded."}


def round_report(session: Session, round_id: str, on: dt.date | None = None) -> dict[str, Any]:
    """A round's report: budget and spending, nominations and decisions (overrides named), funded
    items with their milestones (overdue flagged) and inspections, what the round contributed to
    the plan (funded firms meeting international standards on ``on`` that did not the day before
    they were funded, by the same rule as the KPI), and the plan's figures on ``on``."""
    on = on or clock.today()
    record = get_round(session, round_id)
    nominations = list_nominations(session, round_id)
    pairs = decisions(session, round_id) if record.status != "open" else []
    items = funded_items(session, round_id)
    milestones: dict[int, list[SupportMilestone]] = {}
    inspections: dict[int, list[SupportInspection]] = {}
    if items:
        ids = [i.id for i in items]
        for m in session.scalars(select(SupportMilestone).where(SupportMilestone.item_pk.in_(ids))
                                 .order_by(SupportMilestone.due, SupportMilestone.id)):
            milestones.setdefault(m.item_pk, []).append(m)
        for v in session.scalars(select(SupportInspection).where(SupportInspection.item_pk.in_(ids))
                                 .order_by(SupportInspection.visited_on, SupportInspection.id)):
            inspections.setdefault(v.item_pk, []).append(v)
    now = _international_firms(session, on)
    # The round's contribution: funded firms that meet the standard on ``on`` but did not on the
    # day before they were funded.
    funded_day = min((i.funded_on for i in items), default=record.closes)
    before = _international_firms(session, funded_day - dt.timedelta(days=1))
    funded_firms = sorted({i.firm_id for i in items})
    turned = [f for f in funded_firms if now.get(f) and not before.get(f)]
    item_rows = []
    for item in items:
        mine = milestones.get(item.id, [])
        item_rows.append({
            "item_id": item.id, "firm_id": item.firm_id, "support_type": item.support_type,
            "certification": item.certification, "amount_vnd": item.amount_vnd, "funded_on": item.funded_on,
            "milestones": [{"kind": m.kind, "due": m.due, "done_on": m.done_on,
                            "overdue": m.done_on is None and m.due < on, "certificate_pk": m.certificate_pk,
                            "certificate": m.certificate, "note": m.note} for m in mine],
            "inspections": [{"visited_on": v.visited_on, "inspector": v.inspector, "findings": v.findings,
                             "satisfactory": v.satisfactory} for v in inspections.get(item.id, [])],
            "meets_international_standards": bool(now.get(item.firm_id)),
        })
    selected = [(n, d) for n, d in pairs if d.selected]
    return {
        "round_id": record.round_id, "name": record.name, "status": record.status, "on": on,
        "budget_vnd": record.budget_vnd, "opens": record.opens, "closes": record.closes,
        "nominations": len(nominations),
        "withdrawn": sum(n.status == "withdrawn" for n in nominations),
        "by_association": {a or "(self)": sum((n.association_id or "") == a for n in nominations)
                           for a in sorted({n.association_id or "" for n in nominations})},
        "selected": len(selected), "allocated_vnd": sum(d.cost_vnd for _, d in selected),
        "overrides": [{"nomination_id": n.nomination_id, "firm_id": n.firm_id, "selected": d.selected,
                       "reason": d.override_reason, "by": d.overridden_by, "at": d.overridden_at}
                      for n, d in pairs if d.override_reason],
        "proposal": record.proposal_summary,
        "funded_items": item_rows,
        "overdue_milestones": sum(m["overdue"] for row in item_rows for m in row["milestones"]),
        "funded_firms": len(funded_firms),
        "funded_firms_meeting_international_standards": sum(bool(now.get(f)) for f in funded_firms),
        "firms_turned_international": turned,
        "plan": plan_figures(session, on),
    }
