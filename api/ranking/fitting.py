"""Fitting a :class:`matching.SupplierMatcher` on the database: its inputs, its data version.

The firms and buyers are read from the database into the matcher's input tables (places and
certificates as stored, not re-derived from text); the data version (number of rows and latest
``updated_at`` of firms and buyers) says when a fitted matcher is stale. Stored needs are
parsed into :class:`matching.NeedQuery` objects here too, with errors a caller can act on.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.storage.errors import ServiceError
from api.storage.models import Buyer, Firm, Need, Outcome
from api.storage.repository import stored_certificates
from features import clock
from features.certifications import Certification, valid_codes
from features.columns import NEED_COLUMNS
from features.exceptions import CnhtError, message
from features.profile.build import COMPLETENESS_FIELDS
from matching import NeedQuery, SupplierMatcher
from matching.needs import NeedCache, parse_needs

__all__ = [
    "FittedMatcher",
    "RankingError",
    "data_version",
    "needs_version",
    "outcomes_version",
    "outcomes_frame",
    "firms_frame",
    "buyers_frame",
    "fit_matcher",
    "need_record",
    "parse_stored_need",
]

logger = logging.getLogger(__name__)

# Columns of the firm import format that the profile builder reads, as stored in the database.
_FIRM_COLUMNS: dict[str, str] = {
    "firm_id": "firm_id", "name": "name", "address": "address", "district": "district",
    "founded": "founded", "employees": "employees", "ownership": "ownership",
    "sectors": "sectors", "description": "description", "products": "products",
    "materials": "materials", "certifications": "certifications_text",
    "export_markets": "export_markets", "customers": "customers",
    "monthly_capacity": "monthly_capacity", "languages": "languages",
}  # fmt: skip
_MODEL_VERSION_LENGTH = 60  # shortlists.model_version is String(60)


class RankingError(ServiceError):
    """A need cannot be ranked as given (unknown code, malformed number, unknown park)."""

    status_code = 422


@dataclass(frozen=True)
class FittedMatcher:
    """A matcher fitted on the database at one data version.

    Attributes
    ----------
    matcher : SupplierMatcher
        Fitted on all firms and buyers; never modified after fitting (copy it to change a
        hyper-parameter such as ``diversity``).
    data_version : str
        Short digest of the firms' and buyers' counts and latest updates.
    model_version : str
        ``SupplierMatcher-{taxonomy version}-{data version}``, stored with each shortlist entry.
    names : dict
        firm_id -> firm name.
    buyers : DataFrame or None
        ``buyer_id, country, park_id`` the matcher was fitted with (the re-ranker's pair
        facts read them too).
    """

    matcher: SupplierMatcher
    data_version: str
    model_version: str
    names: Mapping[str, str]
    buyers: pd.DataFrame | None = field(default=None, compare=False)

    def with_diversity(self, diversity: bool) -> SupplierMatcher:
        """The matcher, or a shallow copy re-ranking by maximal marginal relevance.

        The copy shares the fitted arrays (read-only), so it costs nothing and leaves the
        cached matcher untouched for concurrent requests.
        """
        if not diversity:
            return self.matcher
        diverse = copy.copy(self.matcher)
        diverse.diversity = "mmr"
        return diverse


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:10]


def _table_state(session: Session, model: type) -> tuple[int, str]:
    count, latest = session.execute(select(func.count(model.id), func.max(model.updated_at))).one()
    return int(count or 0), str(latest)


def data_version(session: Session) -> str:
    """Version of the data a matcher is fitted on: firms and buyers (count, latest update).

    Every write of the repository sets ``updated_at`` (certificates included); a deletion
    changes the count; so equal versions mean the same firms and buyers.

    Returns
    -------
    str
        10 hexadecimal characters.
    """
    return _digest(_table_state(session, Firm), _table_state(session, Buyer))


def needs_version(session: Session) -> str:
    """Version of the needs (count, latest update), 10 hexadecimal characters."""
    return _digest(_table_state(session, Need))


def outcomes_version(session: Session) -> str:
    """Version of the recorded outcomes (count, latest id and time), 10 hexadecimal characters.

    Outcomes are appended, one row per event: a new event changes the latest id.
    """
    count, latest_id, latest_at = session.execute(
        select(func.count(Outcome.id), func.max(Outcome.id), func.max(Outcome.at))
    ).one()  # fmt: skip
    return _digest(int(count or 0), latest_id, str(latest_at))


def outcomes_frame(session: Session) -> pd.DataFrame:
    """Every recorded outcome event as the re-ranker reads it: ``need_id, firm_id, status,
    reason, at`` (``at`` as UTC timestamps), oldest first.

    The re-ranker counts, for each pair, only the firm's events strictly before the need's
    date (:class:`matching.rerank.FirmHistory`), so reading them all leaks nothing.
    """
    rows = session.execute(
        select(Outcome.need_id, Outcome.firm_id, Outcome.status, Outcome.reason, Outcome.at)
        .order_by(Outcome.at, Outcome.id)
    ).all()  # fmt: skip
    table = pd.DataFrame.from_records(rows, columns=["need_id", "firm_id", "status", "reason", "at"])
    # Stored times are UTC; a naive one (SQLite) must not be read as Hanoi time.
    table["at"] = pd.to_datetime(table["at"], utc=True)
    return table


def outcome_need_buyers(session: Session) -> pd.Series:
    """``need_id -> buyer_id`` of the needs with recorded outcomes: with
    :func:`outcomes_frame`, the buyers' history of a re-ranker trained with it
    (:class:`matching.rerank.BuyerHistory`), counted strictly before each need's date."""
    rows = session.execute(
        select(Need.need_id, Need.buyer_id).where(Need.need_id.in_(select(Outcome.need_id).distinct()))
    ).all()  # fmt: skip
    return pd.Series([buyer for _, buyer in rows], index=[need for need, _ in rows], dtype=object)


def _certificates(firm: Firm) -> tuple[Certification, ...]:
    """The firm's stored certificates, all of them (renewals too): the matcher applies the one
    validity rule to them, with each code's validity years and superseded versions."""
    return tuple(stored_certificates(firm.certifications))


def firms_frame(firms: Sequence[Firm]) -> pd.DataFrame:
    """Firms of the database in the import format of :data:`features.columns.FIRM_COLUMNS`.

    Parameters
    ----------
    firms : sequence of Firm

    Returns
    -------
    pandas.DataFrame
        One row per firm; ``certifications`` is the text as entered (the structured
        certificates replace it in :func:`fit_matcher`).
    """
    records = [{column: getattr(firm, attribute) for column, attribute in _FIRM_COLUMNS.items()}
               for firm in firms]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=list(_FIRM_COLUMNS))


def buyers_frame(buyers: Sequence[Buyer]) -> pd.DataFrame:
    """``buyer_id, country, park_id`` of the buyers; a park unknown to the parks table is dropped.

    The matcher places a need at its buyer's park; a park id it cannot place would fail every
    ranking for that buyer, so it is left out (the distance component then scores nothing).
    """
    from features.geo import parks

    known = set(parks().index)
    records = []
    for buyer in buyers:
        park_id = buyer.park_id if buyer.park_id in known else None
        if buyer.park_id and park_id is None:
            logger.info("Buyer %s: park %r is not in the parks table; distance not scored",
                        buyer.buyer_id, buyer.park_id)  # fmt: skip
        records.append({"buyer_id": buyer.buyer_id, "country": (buyer.country or "").upper(),
                        "park_id": park_id or ""})  # fmt: skip
    return pd.DataFrame.from_records(records, columns=["buyer_id", "country", "park_id"])


def _profiles(firms: Sequence[Firm], today: dt.date) -> pd.DataFrame:
    """Profiles built from the firms' text, with place and certificates from the database.

    Places were geocoded (or entered by staff) when the firm was written, and certificates
    are stored structured, with the staff's ``verified`` flag: both are taken as stored
    rather than re-derived from text. ``completeness`` is the share of
    :data:`COMPLETENESS_FIELDS` filled, so its address and certification shares follow them.
    """
    from features.profile import build_profiles

    profiles = build_profiles(firms_frame(firms), as_of=today, geocode=False)
    share = 1.0 / len(COMPLETENESS_FIELDS)
    lat = np.array([np.nan if f.latitude is None else f.latitude for f in firms], dtype=float)
    lon = np.array([np.nan if f.longitude is None else f.longitude for f in firms], dtype=float)
    placed = ~(np.isnan(lat) | np.isnan(lon))
    text_valid = np.array([bool(valid_codes(cell, as_of=today)) for cell in profiles["certifications"]],
                          dtype=bool)  # fmt: skip
    stored = [_certificates(f) for f in firms]
    stored_valid = np.array([bool(valid_codes(certs, as_of=today)) for certs in stored], dtype=bool)
    completeness = profiles["completeness"].to_numpy(dtype=float)
    completeness = completeness + share * (placed.astype(float) - profiles["geo_ok"].to_numpy(bool))
    completeness = completeness + share * (stored_valid.astype(float) - text_valid)
    profiles["lat"], profiles["lon"], profiles["geo_ok"] = lat, lon, placed
    profiles["district_legacy"] = [f.district_legacy or "" for f in firms]
    profiles["ward_2025"] = [f.ward_2025 or "" for f in firms]
    profiles["certifications"] = pd.Series(stored, index=profiles.index, dtype=object)
    profiles["completeness"] = np.clip(completeness, 0.0, 1.0)
    return profiles


def fit_matcher(session: Session, *, today: dt.date | None = None) -> FittedMatcher:
    """Fit a :class:`SupplierMatcher` on every firm and buyer of the database.

    Parameters
    ----------
    session : Session
        Read in one transaction, so the data version matches the rows fitted on.
    today : datetime.date, optional
        Date of certificate validity for the profiles' completeness (default: today).

    Returns
    -------
    FittedMatcher

    Raises
    ------
    RankingError
        When the database holds no firm yet.
    """
    from features.taxonomy import load_taxonomy

    version = data_version(session)
    firms = list(session.scalars(select(Firm).order_by(Firm.firm_id)))
    if not firms:
        raise RankingError(
            "Expected at least one firm in the database to rank, got none. Create firms "
            "(POST /api/v1/firms) or import them (cnht import firms FILE) first.",
            vi="Cơ sở dữ liệu chưa có doanh nghiệp nào để xếp hạng. Hãy tạo doanh nghiệp "
               "(POST /api/v1/firms) hoặc nhập từ tệp (cnht import firms FILE) trước.",
        )
    buyers = buyers_frame(list(session.scalars(select(Buyer).order_by(Buyer.buyer_id))))
    matcher = SupplierMatcher(geocode=False).fit(_profiles(firms, today or clock.today()), buyers=buyers)
    taxonomy_version = load_taxonomy().version
    model_version = f"SupplierMatcher-{taxonomy_version}-{version}"
    if len(model_version) > _MODEL_VERSION_LENGTH:  # several taxonomy file versions joined
        model_version = f"SupplierMatcher-{_digest(taxonomy_version)}-{version}"
    return FittedMatcher(matcher=matcher, data_version=version, model_version=model_version,
                         names={f.firm_id: f.name for f in firms}, buyers=buyers)  # fmt: skip


def need_record(need: Need) -> dict[str, Any]:
    """The fields of a stored need that :func:`matching.parse_need` reads (confidential ones left out)."""
    record = {name: getattr(need, name) for name in NEED_COLUMNS
              if name not in ("target_price_usd", "internal_notes", "is_demo")}  # fmt: skip
    return {name: value for name, value in record.items() if value is not None}


# Stored needs parsed once per content (the id aside) and day, with the default taxonomy: a
# shortlist parses its need to rank it and again to say what was understood, and the same open
# needs are ranked, suggested and shown again and again.
_STORED_NEEDS = NeedCache(maxsize=4096)


def parse_stored_need(need: Need, **extra: Any) -> NeedQuery:
    """Parse a stored need (plus ``extra`` keys such as ``exclude_firms``) into a NeedQuery.

    Raises
    ------
    RankingError
        The need's fields do not parse (an unknown process alias, a malformed date).
    """
    try:
        (query,) = parse_needs({**need_record(need), **extra}, cache=_STORED_NEEDS)
        return query
    except CnhtError as exc:
        raise RankingError(
            f"Need {need.need_id} cannot be ranked: {exc} Correct the need "
            f"(PATCH /api/v1/needs/{need.need_id}) and try again.",
            vi=f"Không thể xếp hạng nhu cầu {need.need_id}: {message(exc, 'vi')} Hãy sửa nhu cầu "
               f"(PATCH /api/v1/needs/{need.need_id}) rồi thử lại.",
        ) from exc
