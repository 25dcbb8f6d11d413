"""The one validity rule: which of a firm's certificates are valid on a day, and why not.

A firm's code is valid on day D when one of its records of that code is held and valid on D:
issued on or before D (or no issue date), and D no later than the record's last day, the
earliest of its expiry, its issue date plus the code's ``validity_years`` less a day, and the
day before its code or version was superseded (see :meth:`Certification.period`). Several
records of one code add up: a certificate and its renewal make one unbroken period. A
record with no dates counts as valid until superseded (self-declared, ``verified=False``).

Otherwise the answer says why not, in this order: ``"pending"`` (a record becomes valid after
D), ``"revoked"`` (the text says revoked or suspended), ``"expired"`` or ``"superseded"``
(the last period ended before D, by its expiry or by a superseded code or version),
``"lacking"`` (the firm says it does not have it, is preparing it, or names it not at all).

What a text says about certificates the firm does not hold never changes the answer, so
profiles and the database, which keep held records only, agree with the full text.

Everything that decides validity calls :func:`certificate_status` or :func:`validity_periods`:
profiles, the matcher's filter and reasons, the repository's filter, the ranking service and
the KPI of Plan 04/KH-UBND.

Examples
--------
>>> from datetime import date
>>> answers = certificate_status(
...     "ISO 9001 hiệu lực đến 31/03/2026; ISO 9001 cấp ngày 01/03/2026 hiệu lực đến 28/02/2029; "
...     "IATF 16949 đã bị thu hồi", on=date(2026, 1, 1))
>>> {code: (a.status, a.valid_until) for code, a in answers.items()}
{'iso_9001': ('held', datetime.date(2029, 2, 28)), 'iatf_16949': ('revoked', None)}
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from features import clock
from features.certifications.catalogue import is_international, label
from features.certifications.records import Certification, _day, as_certification
from features.exceptions import CertificationError

__all__ = [
    "VALIDITY_STATUSES",
    "CertificateStatus",
    "Period",
    "certificate_status",
    "status_from_periods",
    "validity_periods",
    "valid_codes",
]

VALIDITY_STATUSES: tuple[str, ...] = ("held", "pending", "expired", "superseded", "revoked", "lacking")
"""Answers of :func:`certificate_status`; only ``"held"`` is valid."""

Period = tuple[date | None, date | None, bool]
"""``(first day, last day, verified)`` of a stretch in which a code is valid; ``None`` days are
not bounded."""

_TEXT = {
    "vi": {
        "held": "{label} còn hiệu lực đến {until} ({checked})",
        "held_open": "có {label} ({checked}, không rõ hạn)",
        "verified": "đã xác minh",
        "declared": "tự khai",
        "pending": "{label} chưa có hiệu lực (từ {since})",
        "pending_open": "{label} chưa có hiệu lực",
        "expired": "{label} hết hạn {until}",
        "expired_open": "{label} đã hết hạn",
        "superseded": "{label} đã bị thay thế, hết hiệu lực {until}",
        "revoked": "{label} bị thu hồi",
        "suspended": "{label} bị đình chỉ",
        "lacking": "không có {label}",
        "mandatory": "bắt buộc",
        "preferred": "ưu tiên",
    },
    "en": {
        "held": "{label} valid until {until} ({checked})",
        "held_open": "holds {label} ({checked}, no expiry stated)",
        "verified": "verified",
        "declared": "self-declared",
        "pending": "{label} not yet valid (from {since})",
        "pending_open": "{label} not yet valid",
        "expired": "{label} expired {until}",
        "expired_open": "{label} expired",
        "superseded": "{label} superseded, ended {until}",
        "revoked": "{label} revoked",
        "suspended": "{label} suspended",
        "lacking": "no {label}",
        "mandatory": "mandatory",
        "preferred": "preferred",
    },
}


@dataclass(frozen=True)
class CertificateStatus:
    """The rule's answer for one code of one firm on one day.

    Attributes
    ----------
    code : str
    status : {"held", "pending", "expired", "superseded", "revoked", "lacking"}
        :data:`VALIDITY_STATUSES`; only ``"held"`` is valid.
    on : date
        The day asked about.
    valid_from, valid_until : date or None
        ``"held"``: first and last day of the unbroken validity around ``on`` (renewals
        included; ``None`` when not bounded). ``"pending"``: the period to come.
        ``"expired"``/``"superseded"``: ``valid_until`` is the last valid day.
    verified : bool
        ``"held"`` only: a certificate valid on ``on`` was checked by staff.
    record : Certification or None
        The record that decided the answer (``None`` when the firm names no such certificate,
        or when the answer comes from periods alone).
    """

    code: str
    status: str
    on: date
    valid_from: date | None = None
    valid_until: date | None = None
    verified: bool = False
    record: Certification | None = None

    @property
    def valid(self) -> bool:
        """True for ``"held"``."""
        return self.status == "held"

    @property
    def label(self) -> str:
        """The taxonomy's name of the standard (``"VDA 6.3"``)."""
        return label(self.code)

    def describe(self, lang: str = "vi", asked: str | None = None) -> str:
        """The answer in words, for explanations.

        Parameters
        ----------
        lang : {"vi", "en"}, default "vi"
        asked : {"mandatory", "preferred"}, optional
            How a need asks for the certificate, said after its name.

        >>> CertificateStatus("vda_6_3", "lacking", date(2026, 1, 1)).describe("en", "mandatory")
        'no VDA 6.3 (mandatory)'
        >>> CertificateStatus("as9100", "held", date(2026, 1, 1), valid_until=date(2027, 3, 31),
        ...                   verified=True).describe()
        'AS9100 còn hiệu lực đến 03/2027 (đã xác minh)'
        """
        if lang not in _TEXT:
            raise CertificationError(f"Expected lang 'vi' or 'en', got {lang!r}. Pass one of those two.")
        if asked not in (None, "mandatory", "preferred"):
            raise CertificationError(
                f"Expected asked 'mandatory', 'preferred' or None, got {asked!r}. Pass one of those."
            )
        text = _TEXT[lang]
        name = self.label if asked is None else f"{self.label} ({text[asked]})"
        key = self.status
        if key == "held":
            key = "held" if self.valid_until is not None else "held_open"
        elif key == "pending" and self.valid_from is None:
            key = "pending_open"
        elif key in ("expired", "superseded") and self.valid_until is None:
            key = "expired_open"
        elif key == "revoked" and self.record is not None and self.record.status == "suspended":
            key = "suspended"
        return text[key].format(
            label=name,
            until=_month(self.valid_until),
            since=_month(self.valid_from),
            checked=text["verified" if self.verified else "declared"],
        )


def _month(day: date | None) -> str:
    return "" if day is None else day.strftime("%m/%Y")


def _records(certs: Iterable[object] | str | None, on: date) -> list[Certification]:
    if certs is None or isinstance(certs, str):
        from features.certifications.parser import parse_certifications

        return list(parse_certifications(certs, as_of=on))
    return [as_certification(cert) for cert in certs]


def _ordinal(day: date | None, unbounded: float) -> float:
    return unbounded if day is None else float(day.toordinal())


def _day_of(ordinal: float) -> date | None:
    return None if math.isinf(ordinal) else date.fromordinal(int(ordinal))


def _spans(records: Iterable[Certification]) -> list[tuple[float, float, bool, Certification]]:
    out = []
    for record in records:
        period = record.period()
        if period is not None:
            first, last = period
            out.append((_ordinal(first, -math.inf), _ordinal(last, math.inf), record.verified, record))
    return out


def _merge(spans: list[tuple[float, float, bool, Certification]]) -> list[tuple[float, float, bool]]:
    """Disjoint, sorted stretches covered by ``spans``, split where verification changes."""
    bounds = sorted({s for s, _, _, _ in spans} | {e + 1 for _, e, _, _ in spans})
    out: list[tuple[float, float, bool]] = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        cover = [verified for s, e, verified, _ in spans if s <= low <= e]
        if not cover:
            continue
        verified = any(cover)
        if out and out[-1][1] == low - 1 and out[-1][2] == verified:
            out[-1] = (out[-1][0], high - 1, verified)
        else:
            out.append((low, high - 1, verified))
    return out


def validity_periods(certs: Iterable[object] | str | None) -> dict[str, tuple[Period, ...]]:
    """For each code, the stretches of days in which it is valid (the rule, for every day at once).

    Parameters
    ----------
    certs : iterable of Certification (or mappings), or str
        A firm's records, or the text to parse.

    Returns
    -------
    dict of str to tuple of Period
        Code -> sorted, disjoint ``(first day, last day, verified)``; ``None`` days are not
        bounded. A period ends where the next begins when only verification changes. Codes
        never valid are left out.

    >>> validity_periods([Certification("iso_9001", valid_until=date(2026, 3, 31)),
    ...                   Certification("iso_9001", issued=date(2026, 3, 1), valid_until=date(2029, 2, 28))])
    {'iso_9001': ((None, datetime.date(2029, 2, 28), False),)}
    """
    by_code: dict[str, list] = {}
    for span in _spans(_records(certs, clock.today())):
        by_code.setdefault(span[3].code, []).append(span)
    return {
        code: tuple((_day_of(s), _day_of(e), v) for s, e, v in _merge(spans))
        for code, spans in by_code.items()
    }


def status_from_periods(code: str, periods: Iterable[Period], on: date) -> CertificateStatus:
    """The rule's answer from a code's validity periods alone: held, pending, expired or lacking.

    What a caller that keeps periods rather than records (the matcher's arrays) can say;
    :func:`certificate_status` refines the answers that are not ``"held"`` with the records.

    >>> status_from_periods("iso_9001", [(None, date(2025, 6, 30), True)], date(2026, 1, 1)).describe("en")
    'ISO 9001 expired 06/2025'
    """
    on = _day(on, "on") or clock.today()
    day = float(on.toordinal())
    spans = sorted((_ordinal(s, -math.inf), _ordinal(e, math.inf), bool(v)) for s, e, v in periods)
    for i, (first, last, verified) in enumerate(spans):
        if first <= day <= last:
            start, end = i, i
            while start > 0 and spans[start - 1][1] + 1 >= spans[start][0]:
                start -= 1
            while end + 1 < len(spans) and spans[end][1] + 1 >= spans[end + 1][0]:
                end += 1
            return CertificateStatus(code, "held", on, _day_of(spans[start][0]), _day_of(spans[end][1]), verified)
    later = [(s, e) for s, e, _ in spans if s > day]
    if later:
        first, last = later[0]
        for s, e in later[1:]:
            if s > last + 1:
                break
            last = max(last, e)
        return CertificateStatus(code, "pending", on, _day_of(first), _day_of(last))
    earlier = [e for _, e, _ in spans if e < day]
    if earlier:
        return CertificateStatus(code, "expired", on, valid_until=_day_of(max(earlier)))
    return CertificateStatus(code, "lacking", on)


def _why_not(answer: CertificateStatus, records: list[Certification]) -> CertificateStatus:
    """Refine a not-held answer from periods with what the records say."""
    code, on = answer.code, answer.on
    if answer.status == "pending":
        starts = [r for r in records if (r.period() or (None, None))[0] == answer.valid_from]
        return CertificateStatus(code, "pending", on, answer.valid_from, answer.valid_until,
                                 record=starts[0] if starts else None)  # fmt: skip
    revoked = [r for r in records if r.status in ("revoked", "suspended")]
    if revoked:
        return CertificateStatus(code, "revoked", on, record=revoked[0])
    held = [r for r in records if r.status == "held"]
    if held:
        # The record that ended last decides between expiry and supersession.
        def last_day(record: Certification) -> date:
            return record.expires() or date.max

        record = max(held, key=last_day)
        end = record.expires()
        superseded = record._supersession()
        status = "superseded" if superseded is not None and end == superseded - timedelta(days=1) else "expired"
        return CertificateStatus(code, status, on, valid_until=end, record=record)
    said = [r for r in records if r.status == "expired"]
    if said:
        return CertificateStatus(code, "expired", on, record=said[0])
    return CertificateStatus(code, "lacking", on, record=records[0] if records else None)


def certificate_status(
    certs: Iterable[object] | str | None,
    on: date | None = None,
    codes: Iterable[str] = (),
) -> dict[str, CertificateStatus]:
    """Which of a firm's certificates are valid on ``on``, and why not: the one validity rule.

    Parameters
    ----------
    certs : iterable of Certification (or mappings, or rows with a ``code``), or str
        Every record of one firm, several per code allowed; or its certification text.
    on : date, optional
        The day asked about. Default: today.
    codes : iterable of str, optional
        Codes to answer for even when the firm names none of them (``"lacking"``).

    Returns
    -------
    dict of str to CertificateStatus
        One answer per code the records name, then per code of ``codes``, in that order.

    Raises
    ------
    CertificationError, UnknownCodeError
        A record that is not a certificate, an unknown code, an unlisted version.

    Examples
    --------
    >>> answers = certificate_status("IATF 16949 cấp ngày 01/03/2026; Không có ISO 14001",
    ...                              on=date(2026, 1, 1), codes=["iso_9001"])
    >>> {code: a.status for code, a in answers.items()}
    {'iatf_16949': 'pending', 'iso_14001': 'lacking', 'iso_9001': 'lacking'}
    """
    on = _day(on, "on") or clock.today()
    records = _records(certs, on)
    by_code: dict[str, list[Certification]] = {}
    for record in records:
        by_code.setdefault(record.code, []).append(record)
    for code in codes:
        by_code.setdefault(code, [])
    out = {}
    for code, mine in by_code.items():
        spans = _spans(mine)
        periods = [(_day_of(s), _day_of(e), v) for s, e, v in _merge(spans)]
        answer = status_from_periods(code, periods, on)
        if answer.valid:
            covering = [r for s, e, _, r in spans if s <= on.toordinal() <= e]
            record = max(covering, key=lambda r: (r.verified, r.expires() or date.max))
            answer = CertificateStatus(code, "held", on, answer.valid_from, answer.valid_until,
                                       answer.verified, record)  # fmt: skip
        else:
            answer = _why_not(answer, mine)
        out[code] = answer
    return out


def valid_codes(
    certs: Iterable[object] | str | None,
    as_of: date | None = None,
    international_only: bool = False,
) -> set[str]:
    """Codes of the certifications valid on ``as_of`` (default: today), by :func:`certificate_status`.

    Parameters
    ----------
    certs : iterable of Certification, or str
        Records, or the text to parse.
    as_of : date, optional
    international_only : bool, default False
        Keep only codes that count as international standards (:func:`is_international`).

    Returns
    -------
    set of str

    >>> sorted(valid_codes("ISO 9001:2015; OHSAS 18001; BSCI", as_of=date(2024, 1, 1)))
    ['amfori_bsci', 'iso_9001']
    """
    return {
        code for code, answer in certificate_status(certs, on=as_of).items()
        if answer.valid and (not international_only or is_international(code))
    }
