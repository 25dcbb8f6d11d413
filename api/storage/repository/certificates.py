"""A firm's stored certificates: their fields, replacing them, and which firms hold a code.

Validity is the one rule of :mod:`features.certifications`, applied to every stored record of
a code (a certificate and its renewal), never an SQL approximation of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.storage.models import Firm, FirmCertification
from features.certifications import Certification, as_certification, valid_codes

__all__ = [
    "CERTIFICATION_FIELDS",
    "certification_tuple",
    "certifications_differ",
    "stored_certificates",
    "firms_holding",
]


CERTIFICATION_FIELDS: tuple[str, ...] = (
    "code", "version", "issued", "valid_until", "issuer", "verified", "raw",
)  # fmt: skip


def certification_tuple(cert: FirmCertification | Mapping[str, Any]) -> tuple:
    """A certificate's :data:`CERTIFICATION_FIELDS` in order (a row or a mapping alike), to compare."""
    get = cert.get if isinstance(cert, Mapping) else lambda name: getattr(cert, name)
    return tuple(get(name) for name in CERTIFICATION_FIELDS)


def certifications_differ(firm: Firm, certifications: list[Mapping[str, Any]]) -> bool:
    """True when ``certifications`` are not the firm's stored certificates (in any order)."""
    old = [certification_tuple(c) for c in firm.certifications]
    new = [certification_tuple(c) for c in certifications]
    return old != new and sorted(old, key=repr) != sorted(new, key=repr)


def _set_certifications(firm: Firm, certifications: list[Mapping[str, Any]]) -> bool:
    """Replace the firm's certificates when they differ; True when something changed."""
    if not certifications_differ(firm, certifications):
        return False
    firm.certifications.clear()
    for cert in certifications:
        firm.certifications.append(
            FirmCertification(**{name: cert.get(name) for name in CERTIFICATION_FIELDS})
        )
    return True


def stored_certificates(rows: Iterable[object]) -> list[Certification]:
    """Stored certificates as records of the one validity rule (:mod:`features.certifications`).

    ``rows`` are :class:`FirmCertification` rows or mappings of their fields. A code the
    taxonomy no longer knows counts for nothing; a version it does not list is read as
    unknown (the API stores versions as typed).
    """
    records = (as_certification(row, strict=False) for row in rows)
    return [record for record in records if record is not None]


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
