"""Certificate records: one certificate as written or stored, and the validity of that record.

A :class:`Certification` is one record (code, version, issue and expiry dates, issuer, staff
verification, and what the text said about holding it: :data:`STATUSES`). Its
:meth:`Certification.period` is the record's part of the validity rule; which certificates of
a firm are valid on a day, several records per code, is :mod:`features.certifications.validity`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from features import clock
from features.certifications.catalogue import _standard_of
from features.exceptions import CertificationError, UnknownCodeError
from features.text import fold

__all__ = ["STATUSES", "Certification", "ParsedCertifications", "as_certification"]

STATUSES: tuple[str, ...] = ("held", "expired", "revoked", "suspended", "planned", "absent")
"""What a text can say about a certificate; only ``"held"`` can be valid."""



def _day(value: Any, name: str) -> date | None:
    """``value`` as a ``date``: dates, datetimes (pandas Timestamps too) and ISO strings."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CertificationError(
        f"Expected {name} to be a date (or an ISO 'YYYY-MM-DD' string), got {value!r}. "
        "Parse free-text dates with parse_certifications."
    )


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Certification:
    """One certificate held by a firm.

    Attributes
    ----------
    code : str
        Certification code of the taxonomy (``"iso_9001"``).
    version : str or None
        Version of the standard (``"2015"``; ``"D"`` for AS9100D; ``"TS 16949:2009"`` for the
        predecessor of IATF 16949); ``None`` when not written.
    issued : date or None
        Issue date.
    valid_until : date or None
        Last day of validity as written (a month means its last day).
    issuer : str or None
        Certification body as written (``"TÜV SÜD"``).
    verified : bool
        Checked by staff against the certificate; ``False`` for self-declared entries.
    raw : str
        The text the record was read from (normalised, diacritics kept).
    national_equivalent : bool
        Written as a national adoption (``TCVN ISO 9001:2015``) equivalent to the code.
    status : {"held", "expired", "revoked", "suspended", "planned", "absent"}, default "held"
        What the text says about holding it (:data:`STATUSES`): ``"expired"`` for an expiry
        stated without a date (``đã hết hạn``), ``"planned"`` for one being prepared
        (``issued`` is then the date it is expected, if written), ``"absent"`` for one the
        firm says it does not have. Only ``"held"`` can be valid.

    Raises
    ------
    UnknownCodeError
        When ``code`` is not a certification code.
    CertificationError
        When ``version`` is not a version the taxonomy lists for ``code`` (other spellings
        of a listed version, such as ``"2016"`` for AS9100 rev. D, are stored as that
        version), when ``status`` is not one of :data:`STATUSES`, or when a date is not a date.
    """

    code: str
    version: str | None = None
    issued: date | None = None
    valid_until: date | None = None
    issuer: str | None = None
    verified: bool = False
    raw: str = ""
    national_equivalent: bool = False
    status: str = "held"

    def __post_init__(self) -> None:
        std = _standard_of(self.code)  # an unknown code fails here, not at the first is_valid()
        for name in ("issued", "valid_until"):
            object.__setattr__(self, name, _day(getattr(self, name), name))
        if self.status not in STATUSES:
            raise CertificationError(
                f"Expected status one of {', '.join(map(repr, STATUSES))}, got {self.status!r}. "
                'Pass one of those ("held" for a certificate the firm has).'
            )
        if self.version is not None and std.versions:
            version = str(self.version)
            known = version if version in std.versions else std.version_aliases.get(fold(version))
            if known is None:
                raise CertificationError(
                    f"Expected a version of {std.short_name} listed in the taxonomy "
                    f"({', '.join(std.versions)}), got version={self.version!r}. Pass one of "
                    "those, or version=None when unknown (add a real new version to "
                    "features/data/taxonomy/certifications.yaml)."
                )
            object.__setattr__(self, "version", known)

    def _supersession(self) -> date | None:
        std = _standard_of(self.code)
        dates = [std.superseded_on]
        if self.version is not None:
            dates.append(std.versions.get(self.version))
        known = [d for d in dates if d is not None]
        return min(known) if known else None

    def expires(self) -> date | None:
        """Last day the certificate is valid, or ``None`` when nothing bounds it.

        The earliest of: ``valid_until``; ``issued`` plus the code's validity years (minus
        one day); the day before its code or version was superseded.

        >>> Certification("iso_9001", version="2008", issued=date(2017, 1, 10)).expires()
        datetime.date(2018, 9, 14)
        """
        std = _standard_of(self.code)
        candidates: list[date] = []
        if self.valid_until is not None:
            candidates.append(self.valid_until)
        elif self.issued is not None and std.validity_years:
            candidates.append(_add_years(self.issued, std.validity_years) - timedelta(days=1))
        superseded = self._supersession()
        if superseded is not None:
            candidates.append(superseded - timedelta(days=1))
        return min(candidates) if candidates else None

    def is_valid(self, as_of: date | None = None) -> bool:
        """Whether the certificate is valid on ``as_of`` (default: today).

        ``False`` when past :meth:`expires` (the last valid day is still valid), when its
        code or version was superseded on or before ``as_of``, or when it is issued after
        ``as_of``, or when its :attr:`status` is not ``"held"`` (absent, planned, expired,
        revoked or suspended). A certificate with no dates counts as valid unless superseded.

        >>> c = Certification("iso_14001", valid_until=date(2024, 12, 31))
        >>> c.is_valid(date(2024, 12, 31)), c.is_valid(date(2025, 1, 1))
        (True, False)
        """
        as_of = _day(as_of, "as_of") or clock.today()
        period = self.period()
        if period is None:
            return False
        first, last = period
        return (first is None or first <= as_of) and (last is None or as_of <= last)

    def period(self) -> tuple[date | None, date | None] | None:
        """First and last day this record is valid (``None``: not bounded), or ``None`` when
        it is never valid: not ``"held"``, or issued after its last day (an ISO 9001:2008
        certificate issued after 2018-09-15).

        >>> Certification("iso_17025", issued=date(2022, 1, 10)).period()
        (datetime.date(2022, 1, 10), datetime.date(2027, 1, 9))
        >>> Certification("iso_9001", status="revoked").period() is None
        True
        """
        if self.status != "held":
            return None
        last = self.expires()
        if self.issued is not None and last is not None and self.issued > last:
            return None
        return self.issued, last

    def name(self) -> str:
        """Standard and version as people write them (``"ISO 9001:2015"``, ``"AS9100D"``)."""
        short = _standard_of(self.code).short_name
        if self.version is None:
            return short
        if re.fullmatch(r"\d{4}", self.version):
            return f"{short}:{self.version}"
        if re.fullmatch(r"[A-Z]", self.version):
            return f"{short}{self.version}"
        return self.version

    def describe(self, lang: str = "vi", as_of: date | None = None) -> str:
        """One line for a person: standard, version and validity (or what the text said:
        absent, planned, expired, revoked, suspended).

        Parameters
        ----------
        lang : {"vi", "en"}, default "vi"
        as_of : date, optional
            Day the validity is stated for (default: today).

        >>> c = Certification("iso_9001", version="2015", valid_until=date(2027, 3, 31))
        >>> c.describe(as_of=date(2026, 1, 1))
        'ISO 9001:2015, còn hiệu lực đến 03/2027'
        >>> c.describe("en", as_of=date(2026, 1, 1))
        'ISO 9001:2015, valid until 03/2027'
        >>> Certification("iso_14001", status="revoked").describe("en")
        'ISO 14001, revoked'
        """
        texts = {
            "vi": (
                "còn hiệu lực đến {}",
                "hết hạn {}",
                "chưa rõ thời hạn",
                "chưa hiệu lực",
            ),
            "en": ("valid until {}", "expired {}", "expiry unknown", "not yet valid"),
        }
        if lang not in texts:
            raise CertificationError(
                f"Expected lang 'vi' or 'en', got {lang!r}. Pass one of those two."
            )
        valid, expired, unknown, future = texts[lang]
        as_of = _day(as_of, "as_of") or clock.today()
        last = self.expires()
        said = _STATUS_TEXT[lang].get(self.status)
        if self.status == "planned" and self.issued is not None:
            state = _STATUS_TEXT[lang]["planned_for"].format(self.issued.year)
        elif self.status == "expired" and last is not None and last < as_of:
            state = expired.format(last.strftime("%m/%Y"))
        elif said is not None:
            state = said
        elif self.issued is not None and self.issued > as_of:
            state = future
        elif last is None:
            state = unknown
        elif as_of <= last:
            state = valid.format(last.strftime("%m/%Y"))
        else:
            state = expired.format(last.strftime("%m/%Y"))
        return f"{self.name()}, {state}"


_STATUS_TEXT = {
    "vi": {
        "expired": "đã hết hạn",
        "revoked": "bị thu hồi",
        "suspended": "bị đình chỉ",
        "planned": "chưa đạt (đang chuẩn bị)",
        "planned_for": "chưa đạt, dự kiến năm {}",
        "absent": "không có",
    },
    "en": {
        "expired": "expired",
        "revoked": "revoked",
        "suspended": "suspended",
        "planned": "not yet certified (planned)",
        "planned_for": "not yet certified, planned for {}",
        "absent": "not held",
    },
}


class ParsedCertifications(list):
    """A ``list`` of :class:`Certification` plus ``unparsed``: the pieces of the input
    that could not be understood, as written (normalised)."""

    def __init__(self, certifications: Iterable[Certification] = (), unparsed: Iterable[str] = ()):
        super().__init__(certifications)
        self.unparsed: list[str] = list(unparsed)

    def __repr__(self) -> str:
        return f"ParsedCertifications({list.__repr__(self)}, unparsed={self.unparsed!r})"


_FIELDS = ("code", "version", "issued", "valid_until", "issuer", "verified", "raw", "national_equivalent", "status")


def as_certification(record: object, *, strict: bool = True) -> Certification | None:
    """A :class:`Certification` from a record stored or typed elsewhere.

    Parameters
    ----------
    record : Certification, mapping or object
        A ``Certification`` is returned as it is. A mapping (``{"code": "iso_9001",
        "valid_until": "2027-03-31"}``) or an object with those attributes (a database row)
        gives ``code`` and any of ``version``, ``issued``, ``valid_until`` (or ``expires``),
        ``issuer``, ``verified``, ``raw``, ``status`` (default ``"held"``).
    strict : bool, default True
        When False, a code the taxonomy does not know gives ``None`` (it counts for
        nothing) and a version it does not list is dropped (``None``: unknown); when True
        both raise.

    Returns
    -------
    Certification or None

    Raises
    ------
    UnknownCodeError, CertificationError
        With ``strict=True``: an unknown code, an unlisted version, a malformed date.

    >>> as_certification({"code": "iso_9001", "valid_until": "2027-03-31"}).valid_until
    datetime.date(2027, 3, 31)
    >>> as_certification({"code": "made_up"}, strict=False) is None
    True
    """
    if isinstance(record, Certification):
        return record
    if isinstance(record, Mapping):
        values = {name: record[name] for name in _FIELDS if name in record}
        if "valid_until" not in values and "expires" in record:
            values["valid_until"] = record["expires"]
    elif hasattr(record, "code"):
        values = {name: getattr(record, name) for name in _FIELDS if hasattr(record, name)}
    else:
        raise CertificationError(
            f"Expected Certification records, mappings or rows with a 'code', got "
            f"{type(record).__name__} {record!r}. Parse text with parse_certifications first."
        )
    values = {name: value for name, value in values.items() if value is not None}
    values["raw"] = str(values.get("raw") or "")
    values["verified"] = bool(values.get("verified", False))
    try:
        return Certification(**values)
    except UnknownCodeError:
        if strict:
            raise
        return None
    except CertificationError:
        if strict or "version" not in values:
            raise
        return Certification(**{**values, "version": None})
