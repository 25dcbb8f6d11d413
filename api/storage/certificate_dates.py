"""The plan's certificate figures on any day, by the one validity rule.

Every figure here judges each firm's stored certificates with
:func:`features.certifications.certificate_status` (renewals included), the rule of the
whole project; nothing here decides validity on its own:

* :func:`firms_in_field`: the firms every figure of a day counts — those recorded (Hanoi day
  of ``created_at``) on or before it, so ``GET /kpi?as_of=`` a past day, the last point of
  ``GET /kpi/progress`` and the support plan's figures describe the same firms;
* :func:`certificate_counts`: firms meeting an international standard and certificates
  expiring within a window on a day (``GET /kpi``'s two certificate figures);
* :func:`expiring_certificates`: those expiring certificates one by one (``GET /kpi/expiring``);
* :func:`plan_standings`: where the plan stood on each of several days (``GET /kpi/progress``):
  firms recorded by that day and, of them, those with a valid international-standard
  certificate on that day;
* :func:`month_ends`: the days of the progress chart.

Examples
--------
>>> import datetime as dt
>>> month_ends(dt.date(2026, 3, 15), count=3)
[datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 15)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.storage.models import Firm, FirmCertification
from api.storage.repository import stored_certificates
from features import clock
from features.certifications import CertificateStatus, certificate_status, is_international, label

__all__ = [
    "EXPIRY_WINDOW_DAYS",
    "ExpiringCertificate",
    "PlanStanding",
    "certificate_counts",
    "expiring_certificates",
    "firms_in_field",
    "international_firms",
    "month_ends",
    "plan_firms",
    "plan_standings",
]

EXPIRY_WINDOW_DAYS = 90


@dataclass(frozen=True)
class ExpiringCertificate:
    """A valid certificate whose unbroken validity (renewals included) ends within the window."""

    firm_id: str
    firm_name: str
    code: str
    label: str
    valid_until: dt.date
    days_left: int
    verified: bool


@dataclass(frozen=True)
class PlanStanding:
    """The plan's two counts on one day.

    Attributes
    ----------
    on : date
    firms : int
        Firms in the field: recorded on or before ``on`` (Hanoi day of ``created_at``).
    international : int
        Of those, firms with a valid international-standard certificate on ``on``.
    """

    on: dt.date
    firms: int
    international: int


def month_ends(today: dt.date, count: int = 12) -> list[dt.date]:
    """The last ``count`` month-ends, oldest first; the current month's is ``today``.

    A month that has not ended yet stands at ``today`` (its end would be a forecast), so
    the last point of a chart is today's figure.

    Parameters
    ----------
    today : date
    count : int, default 12

    Returns
    -------
    list of date

    >>> month_ends(dt.date(2026, 1, 31), count=2)
    [datetime.date(2025, 12, 31), datetime.date(2026, 1, 31)]
    """
    if count < 1:
        raise ValueError(f"Expected count of at least 1, got count={count}.")
    days = [today]
    first = today.replace(day=1)
    for _ in range(count - 1):
        end = first - dt.timedelta(days=1)
        days.append(end)
        first = end.replace(day=1)
    return days[::-1]


def _records_by_firm(session: Session) -> dict[int, list[FirmCertification]]:
    rows: dict[int, list[FirmCertification]] = {}
    for row in session.scalars(select(FirmCertification)):
        rows.setdefault(row.firm_pk, []).append(row)
    return rows


def _valid_answers(rows: dict[int, list[FirmCertification]], on: dt.date,
                   firms: Iterable[int] | None = None) -> Iterator[tuple[int, CertificateStatus]]:  # fmt: skip
    """(firm pk, answer) of every code valid on ``on``: the one rule over each firm's records."""
    for firm_pk in rows if firms is None else firms:
        mine = rows.get(firm_pk)
        if not mine:
            continue
        for answer in certificate_status(stored_certificates(mine), on=on).values():
            if answer.valid:
                yield firm_pk, answer


def _expires_within(answer: CertificateStatus, on: dt.date, window_days: int) -> bool:
    return answer.valid_until is not None and answer.valid_until <= on + dt.timedelta(days=window_days)


def certificate_counts(session: Session, on: dt.date,
                       window_days: int = EXPIRY_WINDOW_DAYS) -> tuple[int, int]:  # fmt: skip
    """Firms meeting an international standard on ``on``, and certificates expiring within the window.

    A firm meets an international standard when one of its valid codes is flagged so in the
    taxonomy (:func:`~features.certifications.is_international`); a certificate is expiring
    when its code's unbroken validity ends within ``window_days`` of ``on``. The firms counted
    are those in the field on ``on`` (:func:`firms_in_field`): on today every stored firm.

    Returns
    -------
    (int, int)
    """
    international: set[int] = set()
    expiring = 0
    for firm_pk, answer in _valid_answers(_records_by_firm(session), on, firms_in_field(session, on)):
        if is_international(answer.code):
            international.add(firm_pk)
        if _expires_within(answer, on, window_days):
            expiring += 1
    return len(international), expiring


def expiring_certificates(session: Session, on: dt.date | None = None,
                          window_days: int = EXPIRY_WINDOW_DAYS) -> list[ExpiringCertificate]:  # fmt: skip
    """The certificates :func:`certificate_counts` counts as expiring, soonest first.

    Parameters
    ----------
    session : Session
    on : date, optional
        Default: today in Hanoi (:func:`features.clock.today`).
    window_days : int, default 90

    Returns
    -------
    list of ExpiringCertificate
        One per (firm, code), sorted by end date, then firm id.
    """
    on = on or clock.today()
    rows = _records_by_firm(session)
    found = [(pk, answer) for pk, answer in _valid_answers(rows, on, firms_in_field(session, on))
             if _expires_within(answer, on, window_days)]
    firms = {pk: (firm_id, name) for pk, firm_id, name in session.execute(
        select(Firm.id, Firm.firm_id, Firm.name).where(Firm.id.in_({pk for pk, _ in found})))} if found else {}  # fmt: skip
    out = [
        ExpiringCertificate(firm_id=firms[pk][0], firm_name=firms[pk][1], code=answer.code,
                            label=label(answer.code), valid_until=answer.valid_until,
                            days_left=(answer.valid_until - on).days, verified=answer.verified)  # fmt: skip
        for pk, answer in found
    ]
    return sorted(out, key=lambda c: (c.valid_until, c.firm_id, c.code))


def _recorded_by(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` ends in Hanoi, in UTC (``created_at`` is stored in UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=clock.TIME_ZONE).astimezone(dt.UTC)


def _in_field(created: Sequence[tuple[int, dt.datetime | None]], day: dt.date) -> list[int]:
    bound = _recorded_by(day)
    return [pk for pk, at in created if at is None or at < bound]


def firms_in_field(session: Session, on: dt.date) -> list[int]:
    """Primary keys of the firms in the field on ``on``: recorded (``created_at``, Hanoi day) on or
    before it. Every figure of a day counts these firms (``GET /kpi``, ``/kpi/progress``, the
    support plan), so a past day is not counted with firms recorded after it."""
    return _in_field(session.execute(select(Firm.id, Firm.created_at)).all(), on)


def international_firms(session: Session, days: Sequence[dt.date],
                        firms: Iterable[int] | None = None) -> list[set[int]]:  # fmt: skip
    """On each of ``days``, the primary keys of the firms (of ``firms``, default every stored
    firm) with a valid international-standard certificate: the one validity rule, as
    :func:`certificate_counts` and :func:`plan_standings` count them.

    Returns
    -------
    list of set of int
        In the order of ``days``.
    """
    rows = _records_by_firm(session)
    firms = None if firms is None else list(firms)
    return [{pk for pk, answer in _valid_answers(rows, day, firms) if is_international(answer.code)} for day in days]


def plan_firms(session: Session, days: Sequence[dt.date]) -> list[tuple[list[int], set[int]]]:
    """On each of ``days``, the firms :func:`plan_standings` counts: (primary keys of the firms in
    the field, those of them with a valid international-standard certificate).

    A firm is in the field on a day when it was recorded (``created_at``, Hanoi day) on or before it.
    """
    created = session.execute(select(Firm.id, Firm.created_at)).all()
    rows = _records_by_firm(session)
    out = []
    for day in days:
        in_field = _in_field(created, day)
        international = {pk for pk, answer in _valid_answers(rows, day, in_field) if is_international(answer.code)}
        out.append((in_field, international))
    return out


def plan_standings(session: Session, days: Sequence[dt.date]) -> list[PlanStanding]:
    """Where the plan stood on each of ``days``: firms in the field and, of them, those certified.

    A firm is in the field on a day when it was recorded (``created_at``, Hanoi day) on or
    before it; it counts as certified when the one validity rule finds one of its
    international-standard codes valid on that day (:func:`plan_firms`). On today, the two
    figures are ``GET /kpi``'s ``firms_total`` and ``firms_international_certified``. A firm
    deleted since is not counted on any day (the database no longer has it).

    Parameters
    ----------
    session : Session
    days : sequence of date

    Returns
    -------
    list of PlanStanding
        In the order of ``days``.
    """
    return [PlanStanding(on=day, firms=len(in_field), international=len(international))
            for day, (in_field, international) in zip(days, plan_firms(session, days), strict=True)]  # fmt: skip
