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

import gc
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.ranking.fitting import (
    FittedMatcher,
    RankingError,
    data_version,
    fit_matcher,
    needs_version,
    outcome_need_buyers,
    outcomes_frame,
    outcomes_version,
    parse_stored_need,
)
from api.ranking.reranking import ActiveModel, ActiveReranker, reranked_model_version, with_weights
from api.storage.errors import ServiceBusyError, retry_after_seconds
from api.storage.models import Firm, Need
from api.storage.session import READ_ONLY
from features.exceptions import CnhtError, message
from matching import NeedQuery, parse_need
from matching.rerank import BuyerHistory, FirmHistory, RerankError

__all__ = [
    "MatcherCache",
    "reason_records",
    "ranked_entries",
    "shortlist_model_version",
    "needs_for_firm",
    "FIRM_VISIBLE_NEEDS",
]

logger = logging.getLogger(__name__)


def _warm_need_parsing() -> None:
    """Parse needs naming a process, a material, a quantity, a park and a province, so what
    need parsing loads on first use (the administrative units' tables: about a second) is loaded
    before the first shortlist asks for it, and frozen with the matcher."""
    try:
        parse_need("dập kim loại SPCC, 20.000 cái/tháng, gần KCN Thăng Long, ISO 9001")
        parse_need("vỏ nhôm CNC, nhà máy ở Bắc Ninh")  # a place that is no park: the unit tables
    except CnhtError as exc:  # never a reason to fail a fit
        logger.warning("Need parsing warm-up failed: %s", exc)


def _freeze_long_lived() -> None:
    """Collect once, then leave every object alive now out of later collections.

    The objects frozen after the previous fit go back to the collector first, so a replaced
    matcher's cycles are collected here rather than kept for good.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


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
    models_folder : path, optional
        Folder of the re-ranker's versions (setting ``models_dir``): its active version,
        when there is a usable one, re-orders shortlists (:meth:`reranker`). None: never.

    Attributes
    ----------
    fits : int
        How many times a matcher was fitted (refits included).
    freeze_after_fit : bool
        After each fit, collect once and move every object the process holds then out of the
        garbage collector's scans (:func:`gc.freeze`). A served process holds about half a
        million long-lived objects (the matcher's vocabularies, the app, the modules); without
        this, each full collection that request garbage triggers scans all of them, 200-250 ms
        during which no thread runs, not even the event loop answering ``/health``. Set by
        ``cnht serve`` for its process (and each worker), never by the library: a frozen
        object that became garbage in a cycle is never collected, and the collection before
        each freeze stalls the process once per fit.
    """

    def __init__(self, slots: int = 2, wait_seconds: float = 5.0, models_folder: Path | str | None = None) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self.models_folder = models_folder
        self._active_model = None if models_folder is None else ActiveModel(models_folder)
        self._history: tuple[tuple[str, bool], FirmHistory, BuyerHistory | None] | None = None
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._fitted: FittedMatcher | None = None
        self._needs: tuple[str, list[NeedQuery]] | None = None
        self._warming: threading.Thread | None = None
        self.warm_up_error: str | None = None
        self.fits = 0
        self.freeze_after_fit = False

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
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise ServiceBusyError(
                f"All {self.slots} ranking slots stayed busy for {self.wait_seconds:g} s "
                "(limits ranking_concurrency, queue_wait_seconds); retry shortly.",
                retry_after_seconds(self.wait_seconds),
                vi=f"Cả {self.slots} lượt xếp hạng đều bận suốt {f'{self.wait_seconds:g}'.replace('.', ',')} giây "
                   "(giới hạn ranking_concurrency, queue_wait_seconds); hãy thử lại sau ít phút.",
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
            if self.freeze_after_fit:
                _warm_need_parsing()
                _freeze_long_lived()
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

    def reranker(self, session: Session) -> ActiveReranker | None:
        """The active re-ranker version with the outcomes recorded so far, or None.

        None when no models folder is set, no version is active, or the active one cannot be
        used (missing, tampered or unloadable file: logged once as a warning, see
        :class:`api.ranking.reranking.ActiveModel`); shortlists then use the hand-weighted
        matcher. ``active.json`` is read on every call, so ``cnht models activate`` and
        ``rollback`` take effect on the next shortlist. The outcomes are read from the
        database again only when they changed (:func:`outcomes_version`).
        """
        if self._active_model is None:
            return None
        loaded = self._active_model.get()
        if loaded is None:
            return None
        if loaded.weights is not None:  # a weights version reads no outcomes
            return ActiveReranker(version=loaded.version, model=None, history=None, weights=loaded.weights)
        # The buyers' history too when the version reads it (trained with --buyer-history):
        # the same outcomes, each need's buyer from the database.
        key = (outcomes_version(session), loaded.model.uses_buyer_history)
        cached = self._history
        if cached is None or cached[0] != key:
            outcomes = outcomes_frame(session)
            buyer_history = BuyerHistory(outcomes, outcome_need_buyers(session)) if key[1] else None
            cached = (key, FirmHistory(outcomes), buyer_history)
            self._history = cached
        return ActiveReranker(version=loaded.version, model=loaded.model, history=cached[1],
                              buyer_history=cached[2])



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


def ranked_entries(fitted: FittedMatcher, query: NeedQuery, k: int, *, diversity: bool = False,
                   reranker: ActiveReranker | None = None) -> list[dict[str, Any]]:
    """Rank the firms for ``query``: rank, firm, score, contributions and reasons (vi/en).

    Parameters
    ----------
    fitted : FittedMatcher
    query : NeedQuery
    k : int
        Firms wanted (fewer when fewer pass the need's constraints).
    diversity : bool, default False
        Re-rank by maximal marginal relevance (the hand-weighted matcher's order: a
        re-ranker is not applied, it would undo the variety).
    reranker : ActiveReranker, optional
        The active re-ranker version: the matcher's top ``n_candidates`` are re-ordered by
        its predicted relevance, then cut to ``k``.

    Returns
    -------
    list of dict
        ``rank, firm_id, firm_name, score, components, reasons`` in rank order; ``score``
        and ``components`` stay the matcher's (the components sum to the score). Re-ranked
        entries add ``rerank_score`` (the model's predicted relevance, about 0..4, which
        orders the list) and ``matcher_rank`` (the firm's rank in the matcher's list).

    Raises
    ------
    RankingError
        The need names something the matcher cannot use (an unknown park).
    """
    matcher = fitted.with_diversity(diversity)
    if reranker is not None and reranker.weights is not None:
        try:
            matcher = with_weights(matcher, reranker.weights)
        except RerankError as exc:  # weights of other components: never a failed shortlist
            logger.warning("event=rerank_fallback version=%s need_id=%s error=%s Ranked with the "
                           "hand-weighted matcher.", reranker.version, query.need_id, exc)  # fmt: skip
            reranker = None
    model = None if diversity or reranker is None else reranker.model
    try:
        if model is None:
            rows = matcher.rank(query, k=k).to_dict("records")
        else:
            candidates = matcher.rank(query, k=max(int(model.n_candidates), k))
            try:
                rows = model.rerank(candidates, _need_table(query), matcher=matcher, buyers=fitted.buyers,
                                    history=reranker.history, buyer_history=reranker.buyer_history,
                                    k=k).to_dict("records")
            except RerankError as exc:  # a version that does not fit this matcher: never a failed shortlist
                logger.warning("event=rerank_fallback version=%s need_id=%s error=%s Ranked with the "
                               "hand-weighted matcher.", reranker.version, query.need_id, exc)  # fmt: skip
                model = None
                rows = candidates[candidates["rank"] <= k].to_dict("records")
        explanations = matcher.explain_many(query, [row["firm_id"] for row in rows])
        out = []
        for row, explanation in zip(rows, explanations, strict=True):
            entry = {
                "rank": int(row["rank"]),
                "firm_id": str(row["firm_id"]),
                "firm_name": fitted.names.get(str(row["firm_id"]), ""),
                "score": float(row["score" if model is None else "matcher_score"]),
                "components": {name: float(row[name]) for name in matcher.weights_},
                "reasons": reason_records(explanation.failed + explanation.reasons),
            }  # fmt: skip
            if model is not None:
                entry["rerank_score"] = float(row["score"])
                entry["matcher_rank"] = int(row["matcher_rank"])
            out.append(entry)
    except CnhtError as exc:
        raise RankingError(f"Need {query.need_id} cannot be ranked: {exc}",
                           vi=f"Không thể xếp hạng nhu cầu {query.need_id}: {message(exc, 'vi')}") from exc
    return out


def shortlist_model_version(fitted: FittedMatcher, reranker: ActiveReranker | None,
                            entries: list[dict[str, Any]]) -> str:
    """The ``model_version`` a shortlist run records: the matcher's, plus ``+rerank:VERSION``
    when :func:`ranked_entries` re-ranked its ``entries``, or ``+weights:VERSION`` when it
    scored with a weights version's weights (:func:`reranked_model_version`)."""
    if reranker is not None and reranker.weights is not None:
        if set(reranker.weights) <= set(fitted.matcher.weights_):  # as ranked_entries applied them
            return reranked_model_version(fitted.model_version, reranker.version, kind="weights")
        return fitted.model_version
    if reranker is None or not any("rerank_score" in entry for entry in entries):
        return fitted.model_version
    return reranked_model_version(fitted.model_version, reranker.version)


def _need_table(query: NeedQuery) -> pd.DataFrame:
    """What the re-ranker's pair features read of a need: buyer, sector code, date."""
    return pd.DataFrame([{"need_id": query.need_id, "buyer_id": query.buyer_id,
                          "sector": query.sectors[0] if query.sectors else None,
                          "created": pd.Timestamp(query.as_of)}])  # fmt: skip


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
