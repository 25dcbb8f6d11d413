"""Certifications: the catalogue, records and the one validity rule, and the text parser.

* :mod:`~features.certifications.catalogue`: what the taxonomy (``certifications.yaml``)
  says about each standard: names, versions, supersession, validity years, the display
  label (:func:`label`) and the international-standard flag (:func:`is_international`,
  :func:`international_codes`).
* :mod:`~features.certifications.records`: :class:`Certification`, one certificate as
  written or stored, and :func:`as_certification` for records from elsewhere.
* :mod:`~features.certifications.validity`: the one rule, :func:`certificate_status`:
  which of a firm's certificates are valid on a day, and why not (held, pending, expired,
  superseded, revoked, lacking); :func:`validity_periods` gives the same rule for every day
  at once, :func:`valid_codes` the codes valid on a day.
* :mod:`~features.certifications.parser`: :func:`parse_certifications`, a free-text cell
  (Vietnamese, English, with or without diacritics) into records.

Examples
--------
>>> from datetime import date
>>> certs = parse_certifications("ISO 9001:2015, ISO 14001 (hết hạn 12/2024)")
>>> [(c.code, c.version, c.valid_until) for c in certs]
[('iso_9001', '2015', None), ('iso_14001', None, datetime.date(2024, 12, 31))]
>>> sorted(valid_codes(certs, as_of=date(2025, 1, 1)))
['iso_9001']
>>> certificate_status(certs, on=date(2025, 1, 1))["iso_14001"].describe("en")
'ISO 14001 expired 12/2024'
"""

from features.certifications.catalogue import international_codes, is_international, label
from features.certifications.parser import parse_certifications
from features.certifications.records import (
    STATUSES,
    Certification,
    ParsedCertifications,
    as_certification,
)
from features.certifications.validity import (
    VALIDITY_STATUSES,
    CertificateStatus,
    Period,
    certificate_status,
    status_from_periods,
    valid_codes,
    validity_periods,
)
from features.exceptions import CertificationError

__all__ = [
    "STATUSES",
    "VALIDITY_STATUSES",
    "Certification",
    "CertificateStatus",
    "CertificationError",
    "ParsedCertifications",
    "Period",
    "as_certification",
    "certificate_status",
    "international_codes",
    "is_international",
    "label",
    "parse_certifications",
    "status_from_periods",
    "valid_codes",
    "validity_periods",
]
