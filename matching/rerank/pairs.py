"""Features of a (need, firm) pair for the re-ranker, and the firm's history as of a date.

Three groups of columns, all numeric (``NaN`` where unknown; the gradient-boosted trees
handle it):

- the matcher's **component values** (``value_<component>``: each contribution divided by
  its weight, in [0, 1]), its ``matcher_score`` and the firm's ``matcher_rank`` in the list;
- **pair facts** the data holds: the buyer exports to the buyer's country
  (``exports_to_buyer_country``), the firm speaks the buyer's language
  (``speaks_buyer_language``), ``speaks_english``, ``n_export_markets``,
  ``multinational_customers``, ``distance_km`` and its band, the firm's size
  (``log_employees``, ``log_monthly_capacity``), ``sector_match``, and the buyer's country
  as a category (``buyer_country_code``) so the trees can learn per-country tastes;
- the firm's **outcome history strictly before the pair's date** (``hist_*``): how often it
  was suggested, contacted, met, sampled or audited, ordered from, rejected, rejected for
  not replying, and the shares of suggestions that reached a meeting or were rejected.
  An event at or after the date is never counted (:class:`FirmHistory`), so a feature
  computed for a training pair cannot see its own outcome or any later one. The shares it
  replied to and was rejected for not replying to, and the share of its contacts that became
  meetings, stand for its responsiveness; each is pulled toward the market's rate in the
  training outcomes (:attr:`FirmHistory.priors`, kept by the re-ranker for the service);
- optionally, the **buyer's own pairs strictly before the date** (``buyer_*``,
  :class:`BuyerHistory`): how far the firms it met were (its revealed reach) and the
  candidate's distance relative to it, and how much it favoured firms of its language or
  market.

A pair's date is the day its need was created (midnight in Hanoi): the day the shortlist
was first asked for. A need without ``created`` uses its first recorded event when training
and every known event when ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from features.clock import TIME_ZONE
from features.geo import UnknownParkError, haversine_km, park

__all__ = [
    "COUNTRY_LANGUAGE",
    "DISTANCE_BANDS_KM",
    "HISTORY_COLUMNS",
    "DEFAULT_PRIORS",
    "BUYER_HISTORY_COLUMNS",
    "BuyerHistory",
    "FirmHistory",
    "pair_features",
    "need_dates",
]

# The language a buyer's staff most likely share with a supplier, by the buyer's country
# (ISO alpha-2 -> ISO 639-1); countries not listed deal in English.
COUNTRY_LANGUAGE: Mapping[str, str] = {"JP": "ja", "KR": "ko", "CN": "zh", "TW": "zh", "HK": "zh", "VN": "vi"}
# Upper bounds of the distance bands (km): same district, same city, the region, further.
DISTANCE_BANDS_KM: tuple[float, ...] = (10.0, 25.0, 60.0)

_STATUS_COUNTS = {  # history column -> statuses counted
    "hist_suggested": ("suggested",),
    "hist_contacted": ("contacted",),
    "hist_meetings": ("meeting",),
    "hist_samples_audits": ("sample", "audit"),
    "hist_orders": ("order",),
    "hist_rejections": ("rejected",),
}
_NO_REPLY_WORDS = ("no response", "không phản hồi", "no reply")
HISTORY_COLUMNS: tuple[str, ...] = (*_STATUS_COUNTS, "hist_no_reply", "hist_meeting_share", "hist_rejection_share",
                                    "hist_reply_share", "hist_no_reply_share", "hist_kept_share")
# Market rates the shares are pulled toward when no outcomes say otherwise, and the ones of
# versions trained before the rates were estimated from their training outcomes.
DEFAULT_PRIORS: Mapping[str, float] = {"reply": 0.8, "no_reply": 0.15, "kept": 0.5}
# How many pseudo-suggestions at the market's rate a firm's own shares start from.
PRIOR_STRENGTH = 1.0
# A pair "progressed" when the buyer met the firm or went further: the buyer's own revealed choice.
_PROGRESSED = ("meeting", "sample", "audit", "order")
BUYER_HISTORY_COLUMNS: tuple[str, ...] = (
    "buyer_hist_pairs", "buyer_hist_progressed", "buyer_reach_km", "buyer_distance_ratio",
    "buyer_home_share", "buyer_home_lift", "buyer_home_fit",
)


def _utc_ns(values: pd.Series) -> np.ndarray:
    """Times as int64 nanoseconds UTC; a time without zone is taken as Hanoi time."""
    times = pd.to_datetime(values, errors="coerce")
    if getattr(times.dt, "tz", None) is None:
        times = times.dt.tz_localize(TIME_ZONE)
    return times.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").astype(np.int64)


class FirmHistory:
    """Counts of each firm's recorded outcomes strictly before a given time.

    Parameters
    ----------
    outcomes : DataFrame
        Event log ``need_id, firm_id, status, at`` (optional ``reason``): only what is
        known at fitting time (the training outcomes).

    Attributes
    ----------
    priors : dict
        The market's rates in ``outcomes`` (``reply``: contacted per suggestion,
        ``no_reply``: rejections for no reply per suggestion, ``kept``: meetings per
        contact), which a firm's own shares are pulled toward (:data:`DEFAULT_PRIORS`
        without outcomes). A re-ranker passes the rates of its training outcomes to
        :meth:`counts`, so the service computes the shares of training.

    Examples
    --------
    >>> log = pd.DataFrame({"need_id": ["N1", "N2"], "firm_id": ["F1", "F1"],
    ...                     "status": ["meeting", "meeting"],
    ...                     "at": ["2025-01-10T09:00:00+07:00", "2025-03-01T09:00:00+07:00"]})
    >>> history = FirmHistory(log)
    >>> int(history.counts(["F1"], [pd.Timestamp("2025-02-01", tz="UTC").value])["hist_meetings"][0])
    1
    """

    def __init__(self, outcomes: pd.DataFrame | None) -> None:
        self._times: dict[str, dict[str, np.ndarray]] = {}
        self.priors: dict[str, float] = dict(DEFAULT_PRIORS)
        if outcomes is None or outcomes.empty:
            return
        events = pd.DataFrame({
            "firm_id": outcomes["firm_id"].astype(str).to_numpy(),
            "status": outcomes["status"].astype(str).to_numpy(),
            "at": _utc_ns(outcomes["at"]),
        })
        reason = outcomes["reason"] if "reason" in outcomes.columns else pd.Series("", index=outcomes.index)
        folded = reason.fillna("").astype(str).str.lower().to_numpy()
        no_reply = np.array([any(w in r for w in _NO_REPLY_WORDS) for r in folded], dtype=bool)
        for column, statuses in _STATUS_COUNTS.items():
            self._index(column, events[events["status"].isin(statuses).to_numpy()])
        self._index("hist_no_reply", events[(events["status"] == "rejected").to_numpy() & no_reply])
        totals = {column: sum(len(times) for times in self._times[column].values()) for column in self._times}
        if totals["hist_suggested"] > 0:
            self.priors["reply"] = totals["hist_contacted"] / totals["hist_suggested"]
            self.priors["no_reply"] = totals["hist_no_reply"] / totals["hist_suggested"]
        if totals["hist_contacted"] > 0:
            self.priors["kept"] = totals["hist_meetings"] / totals["hist_contacted"]

    def _index(self, column: str, events: pd.DataFrame) -> None:
        self._times[column] = {firm: np.sort(group["at"].to_numpy())
                               for firm, group in events.groupby("firm_id", sort=False)}

    def counts(self, firm_ids: Sequence[str], before_ns: Sequence[int],
               priors: Mapping[str, float] | None = None) -> dict[str, np.ndarray]:
        """Per pair, the firm's counts of events strictly before ``before_ns`` (ns UTC).

        ``priors`` (default :attr:`priors`): the market rates the shares are pulled toward.
        Returns a dict of :data:`HISTORY_COLUMNS` -> array of len(firm_ids).
        """
        # getattr: a FirmHistory pickled before the rates were estimated has none.
        rates = {**DEFAULT_PRIORS, **(getattr(self, "priors", DEFAULT_PRIORS) if priors is None else priors)}
        before = np.asarray(before_ns, dtype=np.int64)
        out: dict[str, np.ndarray] = {}
        for column in (*_STATUS_COUNTS, "hist_no_reply"):
            by_firm = self._times.get(column, {})
            empty = np.zeros(0, dtype=np.int64)
            # side="left": an event at exactly the pair's time is not "before" it.
            out[column] = np.array([np.searchsorted(by_firm.get(str(f), empty), t, side="left")
                                    for f, t in zip(firm_ids, before, strict=True)], dtype=float)
        shown = np.maximum(out["hist_suggested"], 1.0)
        out["hist_meeting_share"] = out["hist_meetings"] / shown
        out["hist_rejection_share"] = out["hist_rejections"] / shown
        # Responsiveness as an analyst would estimate it: of the firm's suggestions so far, the
        # share it replied to (contacted) and the share rejected for no reply, and of its
        # contacts the share that became a meeting (meetings kept), each pulled toward the
        # market's rate by PRIOR_STRENGTH pseudo-events so one event is not 0 or 1. Unknown
        # (NaN) for a firm never suggested: the cold-start firm is not "average".
        known = np.where(out["hist_suggested"] > 0, 1.0, np.nan)
        pseudo = PRIOR_STRENGTH
        out["hist_reply_share"] = known * (out["hist_contacted"] + pseudo * rates["reply"]) / (out["hist_suggested"] + pseudo)
        out["hist_no_reply_share"] = known * (out["hist_no_reply"] + pseudo * rates["no_reply"]) / (
            out["hist_suggested"] + pseudo)
        out["hist_kept_share"] = known * (out["hist_meetings"] + pseudo * rates["kept"]) / (out["hist_contacted"] + pseudo)
        return out


class BuyerHistory:
    """Each buyer's recorded pairs and the ones it progressed with, strictly before a time.

    What a buyer did with earlier suggestions reveals what the hand-set weights cannot
    know: how far it is willing to look (the distances of the firms it went on to meet) and
    how much it values a firm that speaks its language or already serves its country. Only
    the pair's identity and times are stored here; the pair's facts (distance, language,
    export market) are read from the firm profiles and buyer places when queried, exactly
    as for the candidate pair itself.

    Parameters
    ----------
    outcomes : DataFrame
        Event log ``need_id, firm_id, status, at`` known at fitting time.
    need_buyers : Mapping or Series
        ``need_id -> buyer_id`` for the needs of the outcomes (needs without a buyer are
        left out).

    Examples
    --------
    >>> log = pd.DataFrame({"need_id": ["N1", "N1"], "firm_id": ["F1", "F1"],
    ...                     "status": ["suggested", "meeting"],
    ...                     "at": ["2025-01-10T09:00:00+07:00", "2025-01-20T09:00:00+07:00"]})
    >>> history = BuyerHistory(log, {"N1": "B1"})
    >>> history.pairs("B1", pd.Timestamp("2025-01-15", tz="UTC").value)
    (['F1'], [])
    """

    def __init__(self, outcomes: pd.DataFrame | None, need_buyers: Mapping[str, str] | pd.Series | None) -> None:
        # buyer -> (times first suggested, firm ids) and (times first progressed, firm ids), sorted by time
        self._shown: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._progressed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if outcomes is None or outcomes.empty or need_buyers is None:
            return
        buyer_of = pd.Series(need_buyers, dtype=object) if not isinstance(need_buyers, pd.Series) else need_buyers
        buyer_of = buyer_of.dropna().astype(str)
        buyer_of.index = buyer_of.index.astype(str)
        events = pd.DataFrame({
            "buyer_id": outcomes["need_id"].astype(str).map(buyer_of).to_numpy(),
            "need_id": outcomes["need_id"].astype(str).to_numpy(),
            "firm_id": outcomes["firm_id"].astype(str).to_numpy(),
            "status": outcomes["status"].astype(str).to_numpy(),
            "at": _utc_ns(outcomes["at"]),
        }).dropna(subset=["buyer_id"])
        for target, chosen in ((self._shown, events),
                               (self._progressed, events[events["status"].isin(_PROGRESSED).to_numpy()])):
            # A pair counts once, from its first event of the kind (first suggested, first met).
            first = chosen.groupby(["buyer_id", "need_id", "firm_id"], sort=False)["at"].min().reset_index()
            for buyer, group in first.groupby("buyer_id", sort=False):
                group = group.sort_values("at", kind="mergesort")
                target[str(buyer)] = (group["at"].to_numpy(dtype=np.int64), group["firm_id"].to_numpy(dtype=object))

    def pairs(self, buyer_id: str, before_ns: int) -> tuple[list[str], list[str]]:
        """Firm ids of the buyer's pairs first recorded, and first progressed (met or further),
        strictly before ``before_ns`` (ns UTC)."""
        out = []
        for table in (self._shown, self._progressed):
            times, firms = table.get(str(buyer_id), (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)))
            out.append(list(firms[: np.searchsorted(times, int(before_ns), side="left")]))
        return out[0], out[1]


def _buyer_history_features(
    history: BuyerHistory,
    buyer_ids: Sequence[str],
    before: np.ndarray,
    km: np.ndarray,
    home: np.ndarray,
    firm_facts,
) -> dict[str, np.ndarray]:
    """:data:`BUYER_HISTORY_COLUMNS` per pair; ``firm_facts(buyer_id, firm_ids)`` gives the
    (km, home) arrays of the buyer's earlier pairs, the same facts as the candidate's."""
    n = len(buyer_ids)
    out = {name: np.full(n, np.nan) for name in BUYER_HISTORY_COLUMNS}
    cache: dict[tuple[str, int], tuple[float, ...]] = {}
    for i, (buyer, t) in enumerate(zip(buyer_ids, before, strict=True)):
        key = (buyer, int(t))
        if key not in cache:
            shown, progressed = history.pairs(buyer, int(t))
            shown_km, shown_home = firm_facts(buyer, shown)
            met_km, met_home = firm_facts(buyer, progressed)
            reach = float(np.nanmedian(met_km)) if np.isfinite(met_km).any() else np.nan
            home_share = float(met_home.mean()) if len(met_home) else np.nan
            base = float(shown_home.mean()) if len(shown_home) else np.nan
            cache[key] = (float(len(shown)), float(len(progressed)), reach, home_share, home_share - base)
        n_shown, n_progressed, reach, home_share, lift = cache[key]
        out["buyer_hist_pairs"][i] = n_shown
        out["buyer_hist_progressed"][i] = n_progressed
        out["buyer_reach_km"][i] = reach
        out["buyer_distance_ratio"][i] = km[i] / reach if reach and reach > 0 else np.nan
        out["buyer_home_share"][i] = home_share
        out["buyer_home_lift"][i] = lift
        # The candidate's side of the buyer's revealed taste: + when it is the kind of firm
        # (home language or market) the buyer favoured, - when it is the other kind.
        out["buyer_home_fit"][i] = lift if home[i] > 0 else -lift
    return out


def need_dates(needs: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> pd.Series:
    """Each need's date (ns UTC, int64) indexed by ``need_id``: midnight in Hanoi of its
    ``created`` day; else its first event in ``outcomes``; else the largest int64 (all
    known history counts)."""
    ids = needs["need_id"].astype(str)
    dates = pd.Series(np.iinfo(np.int64).max, index=pd.Index(ids, name="need_id"), dtype=np.int64)
    if outcomes is not None and not outcomes.empty:
        first = pd.Series(_utc_ns(outcomes["at"]), index=outcomes["need_id"].astype(str)).groupby(level=0).min()
        known = dates.index.isin(first.index)
        dates[known] = first.reindex(dates.index[known]).to_numpy()
    if "created" in needs.columns:
        created = pd.to_datetime(needs["created"], errors="coerce", format="mixed").dt.normalize()
        ok = created.notna().to_numpy()
        if ok.any():
            stamps = created[ok]
            if stamps.dt.tz is None:
                stamps = stamps.dt.tz_localize(TIME_ZONE)
            dates[ok] = stamps.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return dates[~dates.index.duplicated()]


def _band(km: np.ndarray) -> np.ndarray:
    band = np.searchsorted(np.asarray(DISTANCE_BANDS_KM), km, side="left").astype(float)
    band[np.isnan(km)] = np.nan
    return band


def _buyer_places(buyers: pd.DataFrame | None) -> dict[str, tuple[str, float, float]]:
    """buyer_id -> (country, plant lat, plant lon)."""
    if buyers is None or buyers.empty:
        return {}
    out = {}
    for row in buyers.itertuples(index=False):
        country = str(getattr(row, "country", "") or "").upper()
        lat = lon = np.nan
        park_id = getattr(row, "park_id", None)
        if isinstance(park_id, str) and park_id:
            try:
                place = park(park_id)
                lat, lon = place.lat, place.lon
            except UnknownParkError:
                pass
        out[str(row.buyer_id)] = (country, lat, lon)
    return out


def pair_features(
    ranked: pd.DataFrame,
    needs: pd.DataFrame,
    profiles: pd.DataFrame,
    weights: Mapping[str, float],
    buyers: pd.DataFrame | None,
    history: FirmHistory,
    dates: pd.Series,
    countries: Sequence[str],
    buyer_history: BuyerHistory | None = None,
    history_priors: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The feature table of ranked pairs, one row per row of ``ranked``.

    Parameters
    ----------
    ranked : DataFrame
        :meth:`SupplierMatcher.rank` output (``need_id, rank, firm_id, score`` and one
        contribution column per component).
    needs : DataFrame
        The needs (``need_id``, ``buyer_id``, ``sector``).
    profiles : DataFrame
        The matcher's ``profiles_`` (indexed by firm_id).
    weights : dict
        The matcher's ``weights_``, to turn contributions back into values.
    buyers : DataFrame or None
        ``buyer_id, country, park_id``.
    history : FirmHistory
    dates : Series
        :func:`need_dates`: the time before which history counts, per need.
    countries : sequence of str
        Buyer countries with their own category code (others share one code).
    buyer_history : BuyerHistory, optional
        The buyers' earlier pairs: adds :data:`BUYER_HISTORY_COLUMNS` (the buyer's reach,
        this candidate's distance relative to it, its taste for home-language or
        home-market firms), each as of the need's date. None: those columns are left out
        (a version trained without them ranks as before).
    history_priors : dict, optional
        The market rates the firm's shares are pulled toward (default: ``history.priors``);
        a re-ranker passes those of its training outcomes.

    Returns
    -------
    DataFrame
        Columns ``value_<component>`` ..., ``matcher_score``, ``matcher_rank``, the pair
        facts, :data:`HISTORY_COLUMNS` and, with ``buyer_history``,
        :data:`BUYER_HISTORY_COLUMNS`, in a fixed order.
    """
    n = len(ranked)
    out: dict[str, np.ndarray] = {}
    for name, weight in weights.items():
        values = ranked[name].to_numpy(dtype=float) if name in ranked.columns else np.full(n, np.nan)
        out[f"value_{name}"] = values / weight if weight > 0 else np.full(n, np.nan)
    out["matcher_score"] = ranked["score"].to_numpy(dtype=float)
    out["matcher_rank"] = ranked["rank"].to_numpy(dtype=float)

    need_ids = ranked["need_id"].astype(str).to_numpy()
    firm_ids = ranked["firm_id"].astype(str).to_numpy()
    need_table = needs.assign(need_id=needs["need_id"].astype(str)).drop_duplicates("need_id").set_index("need_id")
    buyer_of = need_table["buyer_id"].astype(str) if "buyer_id" in need_table.columns else pd.Series(dtype=str)
    sector_of = need_table["sector"] if "sector" in need_table.columns else pd.Series(dtype=object)
    places = _buyer_places(buyers)
    place = [places.get(str(buyer_of.get(nid, "")), ("", np.nan, np.nan)) for nid in need_ids]
    country = np.array([p[0] for p in place], dtype=object)
    plant_lat = np.array([p[1] for p in place], dtype=float)
    plant_lon = np.array([p[2] for p in place], dtype=float)

    firm = profiles.reindex(firm_ids)
    markets = firm["export_markets"].to_numpy() if "export_markets" in firm.columns else np.full(n, (), dtype=object)
    languages = firm["languages"].to_numpy() if "languages" in firm.columns else np.full(n, (), dtype=object)
    sectors = firm["sectors"].to_numpy() if "sectors" in firm.columns else np.full(n, (), dtype=object)

    def has(cells: np.ndarray, wanted: Sequence[str]) -> np.ndarray:
        return np.array([float(bool(w) and isinstance(c, tuple) and w in c)
                         for c, w in zip(cells, wanted, strict=True)])

    out["exports_to_buyer_country"] = has(markets, list(country))
    out["speaks_buyer_language"] = has(languages, [COUNTRY_LANGUAGE.get(c, "en") if c else "" for c in country])
    out["speaks_english"] = has(languages, ["en"] * n)
    out["n_export_markets"] = np.array([len(c) if isinstance(c, tuple) else 0 for c in markets], dtype=float)
    out["multinational_customers"] = _column(firm, "multinational_customers", n)
    km = haversine_km(_column(firm, "lat", n), _column(firm, "lon", n), plant_lat, plant_lon)
    out["distance_km"] = np.asarray(km, dtype=float)
    out["distance_band"] = _band(out["distance_km"])
    out["log_employees"] = np.log1p(_column(firm, "employees", n))
    out["log_monthly_capacity"] = np.log1p(_column(firm, "monthly_capacity", n))
    need_sector = [str(sector_of.get(nid)) if isinstance(sector_of.get(nid), str) else "" for nid in need_ids]
    out["sector_match"] = has(sectors, need_sector)
    codes = {c: i for i, c in enumerate(countries)}
    out["buyer_country_code"] = np.array([codes.get(c, len(codes)) for c in country], dtype=float)

    before = dates.reindex(need_ids, fill_value=np.iinfo(np.int64).max).to_numpy(dtype=np.int64)
    out.update(history.counts(firm_ids, before, history_priors))
    if buyer_history is not None:
        home = np.maximum(out["exports_to_buyer_country"], out["speaks_buyer_language"])

        def firm_facts(buyer: str, earlier: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
            country, lat, lon = places.get(buyer, ("", np.nan, np.nan))
            if not earlier:
                return np.zeros(0), np.zeros(0)
            rows = profiles.reindex(list(earlier))
            m = len(rows)
            earlier_km = np.asarray(haversine_km(_column(rows, "lat", m), _column(rows, "lon", m),
                                                 np.full(m, lat), np.full(m, lon)), dtype=float)
            cells_m = rows["export_markets"].to_numpy() if "export_markets" in rows.columns else np.full(m, (), dtype=object)
            cells_l = rows["languages"].to_numpy() if "languages" in rows.columns else np.full(m, (), dtype=object)
            language = COUNTRY_LANGUAGE.get(country, "en") if country else ""
            earlier_home = np.maximum(has(cells_m, [country] * m), has(cells_l, [language] * m))
            return earlier_km, earlier_home

        buyer_ids = [str(buyer_of.get(nid, "")) for nid in need_ids]
        out.update(_buyer_history_features(buyer_history, buyer_ids, before, out["distance_km"], home, firm_facts))
    return pd.DataFrame(out, index=ranked.index)


def _column(table: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in table.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
