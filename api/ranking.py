"""The service-side matcher: a :class:`matching.SupplierMatcher` fitted on the database, cached.

Fitting builds every firm's profile (taxonomy codes, certificates, places) and takes seconds
for the demo's 900 firms, so the fitted matcher is kept and refitted only when the firms or
buyers changed. What "changed" means is read from the database itself (number of rows and
latest ``updated_at`` of firms and buyers), so a write by another process (``cnht import``,
a second server) is noticed as well as one by this service. The open needs, parsed into
:class:`matching.NeedQuery` objects, are cached the same way on the needs' version.

Examples
--------
>>> cache = MatcherCache()                                        # doctest: +SKIP
>>> fitted = cache.get(session)                                    # doctest: +SKIP
>>> fitted.model_version                                           # doctest: +SKIP
'SupplierMatcher-2026.11.1-5c1e0a9d2b'
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.storage.errors import ServiceError
from api.storage.models import Buyer, Firm, Need
from api.storage.repository import stored_certificates
from api.storage.session import READ_ONLY
from features import clock
from features.certifications import Certification, valid_codes
from features.columns import NEED_COLUMNS
from features.exceptions import CnhtError
from features.profile.build import COMPLETENESS_FIELDS
from matching import NeedQuery, SupplierMatcher, parse_need

__all__ = [
    "FittedMatcher",
    "MatcherCache",
    "RankingError",
    "data_version",
    "needs_version",
    "firms_frame",
    "buyers_frame",
    "need_record",
    "fit_matcher",
    "parse_stored_need",
    "reading",
    "get_ranking",
    "RankingDep",
    "reason_records",
    "ranked_entries",
    "needs_for_firm",
    "FIRM_VISIBLE_NEEDS",
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
    """

    matcher: SupplierMatcher
    data_version: str
    model_version: str
    names: Mapping[str, str]

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
            "(POST /api/v1/firms) or import them (cnht import firms FILE) first."
        )
    buyers = list(session.scalars(select(Buyer).order_by(Buyer.buyer_id)))
    matcher = SupplierMatcher(geocode=False).fit(
        _profiles(firms, today or clock.today()), buyers=buyers_frame(buyers)
    )
    taxonomy_version = load_taxonomy().version
    model_version = f"SupplierMatcher-{taxonomy_version}-{version}"
    if len(model_version) > _MODEL_VERSION_LENGTH:  # several taxonomy file versions joined
        model_version = f"SupplierMatcher-{_digest(taxonomy_version)}-{version}"
    return FittedMatcher(matcher=matcher, data_version=version, model_version=model_version,
                         names={f.firm_id: f.name for f in firms})  # fmt: skip


def need_record(need: Need) -> dict[str, Any]:
    """The fields of a stored need that :func:`matching.parse_need` reads (confidential ones left out)."""
    record = {name: getattr(need, name) for name in NEED_COLUMNS
              if name not in ("target_price_usd", "internal_notes", "is_demo")}  # fmt: skip
    return {name: value for name, value in record.items() if value is not None}


def parse_stored_need(need: Need, **extra: Any) -> NeedQuery:
    """Parse a stored need (plus ``extra`` keys such as ``exclude_firms``) into a NeedQuery.

    Raises
    ------
    RankingError
        The need's fields do not parse (an unknown process alias, a malformed date).
    """
    try:
        return parse_need({**need_record(need), **extra})
    except CnhtError as exc:
        raise RankingError(
            f"Need {need.need_id} cannot be ranked: {exc} Correct the need "
            f"(PATCH /api/v1/needs/{need.need_id}) and try again."
        ) from exc


class MatcherCache:
    """The fitted matcher of one service, refitted only when firms or buyers changed.

    Thread-safe: requests read the data version without a lock; a stale or missing matcher
    is refitted under a lock by one request while the others wait for it (and then reuse
    it) instead of fitting in parallel.

    Ranking is CPU-bound and runs in the routes' worker threads, off the event loop; at most
    ``slots`` rankings run at once (:meth:`slot`), so they cannot crowd out the event loop
    and the other requests. A ranking that finds no free slot within ``wait_seconds``
    answers 503 with ``Retry-After``.

    Parameters
    ----------
    slots : int, default 2
        Rankings computed at once (setting ``ranking_concurrency``).
    wait_seconds : float, default 5.0
        Longest wait for a slot (setting ``queue_wait_seconds``).

    Attributes
    ----------
    fits : int
        How many times a matcher was fitted (refits included).
    """

    def __init__(self, slots: int = 2, wait_seconds: float = 5.0) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._fitted: FittedMatcher | None = None
        self._needs: tuple[str, list[NeedQuery]] | None = None
        self._warming: threading.Thread | None = None
        self.warm_up_error: str | None = None
        self.fits = 0

    @property
    def fitted(self) -> FittedMatcher | None:
        """The matcher fitted last (possibly at an older data version), or None before any fit."""
        return self._fitted

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``slots`` ranking slots while ranking.

        Raises
        ------
        ServiceBusyError
            No slot came free within ``wait_seconds`` (503 with ``Retry-After``).
        """
        from api.deps import ServiceBusyError, retry_after_seconds

        if not self._slots.acquire(timeout=self.wait_seconds):
            raise ServiceBusyError(
                f"All {self.slots} ranking slots stayed busy for {self.wait_seconds:g} s "
                "(limits ranking_concurrency, queue_wait_seconds); retry shortly.",
                retry_after_seconds(self.wait_seconds),
            )
        try:
            yield
        finally:
            self._slots.release()

    def warm_up(self, factory: sessionmaker[Session]) -> None:
        """Fit the matcher in a background thread, unless fitted or already fitting.

        Readiness (``GET /ready``) waits for this: a server is ready once its matcher is
        fitted. A database without firms leaves nothing to fit (``warm_up_error`` says so).
        """

        def fit() -> None:
            try:
                with factory() as session, session.begin():
                    session.connection(execution_options={READ_ONLY: True})
                    self.get(session)
                self.warm_up_error = None
            except Exception as exc:  # reported by /ready, logged here; never kills the server
                self.warm_up_error = str(exc)
                logger.warning("Matcher warm-up failed: %s", exc)

        with self._lock:
            if self._fitted is not None or (self._warming is not None and self._warming.is_alive()):
                return
            self._warming = threading.Thread(target=fit, name="cnht-matcher-warm-up", daemon=True)
            self._warming.start()

    def wait_for_warm_up(self, timeout: float | None = None) -> bool:
        """Wait until a :meth:`warm_up` fit ends (at most ``timeout`` s); True when fitted."""
        warming = self._warming
        if warming is not None:
            warming.join(timeout)
        return self._fitted is not None

    @property
    def warming_up(self) -> bool:
        """True while a :meth:`warm_up` fit runs."""
        return self._warming is not None and self._warming.is_alive()

    def get(self, session: Session) -> FittedMatcher:
        """The matcher fitted at the database's current data version (fit when stale)."""
        version = data_version(session)
        fitted = self._fitted
        if fitted is not None and fitted.data_version == version:
            return fitted
        with self._lock:
            fitted = self._fitted
            if fitted is not None and fitted.data_version == version:
                return fitted
            fitted = fit_matcher(session)
            self._fitted = fitted
            self.fits += 1
            logger.info("Fitted %s on %d firms", fitted.model_version, fitted.matcher.n_firms_fit_)
            return fitted

    def open_needs(self, session: Session) -> list[NeedQuery]:
        """The open needs, parsed (cached on the needs' version); unparseable needs are skipped.

        A need that does not parse cannot be ranked, but must not hide the other needs from a
        firm: it is logged and left out.
        """
        version = needs_version(session)
        cached = self._needs
        if cached is not None and cached[0] == version:
            return cached[1]
        queries = []
        for need in session.scalars(select(Need).where(Need.status == "open").order_by(Need.need_id)):
            try:
                queries.append(parse_stored_need(need))
            except RankingError as exc:
                logger.warning("%s", exc)
        with self._lock:
            self._needs = (version, queries)
        return queries


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """The request's session in a read-only transaction (SQLite: no write lock) for ranking.

    A POST that ranks and then stores must not hold SQLite's write lock for the seconds a
    refit can take: it ranks in a read-only transaction of its own session, ended when the
    block ends (nothing was written), and its writes begin a new transaction afterwards.
    A session already in a transaction (a GET's read-only one) is used as it is.
    """
    if session.in_transaction():
        yield session
        return
    session.connection(execution_options={READ_ONLY: True})
    try:
        yield session
    finally:
        session.rollback()  # only read; ends the read-only transaction


def get_ranking(request: Request) -> MatcherCache:
    """The service's :class:`MatcherCache` (``app.state.ranking``, made by ``create_app``)."""
    return request.app.state.ranking


RankingDep = Annotated[MatcherCache, Depends(get_ranking)]


def reason_records(reasons: Iterable[Any]) -> list[dict[str, Any]]:
    """Reasons as JSON records ``{component, vi, en, positive}``.

    Plain strings (entries stored by hand or by older versions) become a positive reason
    with the same text in both languages.
    """
    out = []
    for reason in reasons:
        if isinstance(reason, str):
            out.append({"component": "", "vi": reason, "en": reason, "positive": True})
        elif isinstance(reason, Mapping):
            out.append({"component": str(reason.get("component", "")), "vi": str(reason.get("vi", "")),
                        "en": str(reason.get("en", "")), "positive": bool(reason.get("positive", True))})  # fmt: skip
        else:
            out.append({"component": reason.component, "vi": reason.vi, "en": reason.en,
                        "positive": bool(reason.positive)})  # fmt: skip
    return out


def ranked_entries(fitted: FittedMatcher, query: NeedQuery, k: int, *, diversity: bool = False) -> list[dict[str, Any]]:
    """Rank the firms for ``query``: rank, firm, score, contributions and reasons (vi/en).

    Parameters
    ----------
    fitted : FittedMatcher
    query : NeedQuery
    k : int
        Firms wanted (fewer when fewer pass the need's constraints).
    diversity : bool, default False
        Re-rank by maximal marginal relevance.

    Returns
    -------
    list of dict
        ``rank, firm_id, firm_name, score, components, reasons`` in rank order.

    Raises
    ------
    RankingError
        The need names something the matcher cannot use (an unknown park).
    """
    matcher = fitted.with_diversity(diversity)
    try:
        frame = matcher.rank(query, k=k)
        out = []
        for row in frame.to_dict("records"):
            explanation = matcher.explain(query, row["firm_id"])
            out.append({
                "rank": int(row["rank"]),
                "firm_id": str(row["firm_id"]),
                "firm_name": fitted.names.get(str(row["firm_id"]), ""),
                "score": float(row["score"]),
                "components": {name: float(row[name]) for name in matcher.weights_},
                "reasons": reason_records(explanation.failed + explanation.reasons),
            })  # fmt: skip
    except CnhtError as exc:
        raise RankingError(f"Need {query.need_id} cannot be ranked: {exc}") from exc
    return out


FIRM_VISIBLE_NEEDS = 20
"""Most open needs a firm key reads by fit alone (those staff put it on come on top)."""


def needs_for_firm(session: Session, cache: MatcherCache, firm_id: str, *,
                   limit: int = FIRM_VISIBLE_NEEDS) -> set[str]:
    """The needs a firm key may read: "needs it could plausibly fit".

    Those staff put the firm on (a shortlist entry or an outcome of the pair), and the
    ``limit`` open needs it fits best among those whose hard constraints it passes. The
    firm's self-declared fields (processes, sectors, unverified certificates) can change
    *which* open needs those are, never *how many*: declaring every trade does not open the
    register.

    Parameters
    ----------
    session : Session
    cache : MatcherCache
    firm_id : str
    limit : int, default FIRM_VISIBLE_NEEDS (20)

    Returns
    -------
    set of str
        Need ids (empty when the firm does not exist).
    """
    from api.storage.models import Outcome, ShortlistEntry

    visible = set(session.scalars(select(ShortlistEntry.need_id).where(ShortlistEntry.firm_id == firm_id)))
    visible |= set(session.scalars(select(Outcome.need_id).where(Outcome.firm_id == firm_id)))
    if session.scalar(select(Firm.id).where(Firm.firm_id == firm_id)) is None:
        return visible
    queries = cache.open_needs(session)
    if queries:
        fitted = cache.get(session)
        with cache.slot():
            suggested = fitted.matcher.suggest_needs(firm_id, needs=queries, k=limit)
        visible |= set(suggested["need_id"].astype(str))
    return visible
