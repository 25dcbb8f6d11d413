"""Weights of the matcher tuned on labelled needs, by cross-validation over needs.

The matcher's score is a weighted sum of component values (``weights`` of
:class:`matching.SupplierMatcher`), so another set of weights needs no refit: fit once with
every weight 1, keep each firm's component values for each need, and re-rank with any
weights. Three plain functions:

- :func:`component_values` fits once and ranks every firm for every need: a long table
  ``need_id, firm_id, tier`` plus one column per component (its value, 0..1).
- :func:`score_weights` re-ranks that table with given weights, by the matcher's own rule
  (tier, then score descending, ties by ``firm_id``), and returns the mean NDCG@k.
- :func:`tune_weights` searches a grid of weights on the training needs of each fold of a
  K-fold split over needs and scores the choice on the held-out needs; the mean of those
  held-out scores estimates what the tuned weights give on needs not used to choose them.

Examples
--------
>>> import pandas as pd
>>> from matching import SupplierMatcher
>>> firms = pd.DataFrame({"firm_id": ["A", "B"], "name": ["Đúc Hà Nội", "Nhựa Sao Mai"],
...                       "description": ["Đúc áp lực nhôm", "Ép nhựa ABS"]})
>>> needs = pd.DataFrame({"need_id": ["q1"], "text": ["đúc nhôm"]})
>>> truth = pd.DataFrame({"need_id": ["q1"], "firm_id": ["A"], "relevance": [3]})
>>> values = component_values(SupplierMatcher(geocode=False), firms, needs)
>>> score_weights(values, truth, {"text": 1.0}, k=2)
1.0
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from matching.components import default_components
from matching.constraints import passes
from matching.exceptions import HyperParameterError
from matching.labelled import LabelledSetError
from matching.matcher import DEFAULT_WEIGHTS

__all__ = ["DEFAULT_GRID_FACTORS", "WEIGHTS_KIND", "WeightTuning", "component_values", "default_grid",
           "evaluate_weights", "save_weights_version", "score_weights", "tune_weights"]

WEIGHTS_KIND = "weights"  # the ``kind`` of a model version holding component weights

# The text channels and the code fits are tuned; the structured components keep their
# weights (issue 8: they stay as they are). Factors of the current weight, so the grid
# follows DEFAULT_WEIGHTS and always holds it (factor 1).
DEFAULT_GRID_FACTORS: dict[str, tuple[float, ...]] = {
    "text": (0.0, 0.5, 1.0, 1.5, 2.5),
    "concepts": (0.0, 0.5, 1.0, 1.5, 2.5),
    "process_fit": (0.0, 0.5, 1.0, 2.0),
    "material_fit": (0.0, 0.5, 1.0, 2.0),
    "certification_fit": (0.0, 0.5, 1.0, 2.0),
}
_MAX_EXHAUSTIVE = 20_000  # grid points searched exhaustively; a larger grid by coordinate search
_BATCH_CELLS = 4_000_000  # weight vectors x relevant pairs x firms compared at once (memory)
_KEYS = ("need_id", "firm_id", "tier")


class WeightTuning(NamedTuple):
    """What :func:`tune_weights` found.

    ``cv_ndcg``: mean held-out NDCG@k of the tuned weights, each scored need held out once.
    ``cv_ndcg_base``: the same for the base weights (default :data:`DEFAULT_WEIGHTS`) on
    the same needs. ``folds``: one row per fold ``fold, n_train, n_test, train_ndcg,
    test_ndcg, test_ndcg_base``. ``held_out``: one row per scored need ``need_id, fold,
    ndcg, ndcg_base``. ``fold_weights``: the weights chosen on each fold's training needs.
    ``weights``: the weights chosen on all scored needs. Every weight dict has one entry per
    component of ``values`` and sums to 1. ``n_grid``: grid points; ``search``:
    ``"exhaustive"`` or ``"coordinate"``.
    """

    cv_ndcg: float
    cv_ndcg_base: float
    folds: pd.DataFrame
    held_out: pd.DataFrame
    fold_weights: list[dict[str, float]]
    weights: dict[str, float]
    n_grid: int
    search: str


def default_grid(base: Mapping[str, float] | None = None) -> dict[str, list[float]]:
    """The default grid: :data:`DEFAULT_GRID_FACTORS` times the ``base`` weights.

    Parameters
    ----------
    base : dict, optional
        Component name -> weight (default :data:`DEFAULT_WEIGHTS`).

    Returns
    -------
    dict
        Name -> sorted distinct candidate weights (1,600 grid points with the defaults).
    """
    base = DEFAULT_WEIGHTS if base is None else base
    return {name: sorted({round(factor * float(base.get(name, 0.0)), 6) for factor in factors})
            for name, factors in DEFAULT_GRID_FACTORS.items()}


# ------------------------------------------------------------------ component values
def _component_names(matcher) -> list[str]:
    components = default_components() if matcher.components is None else list(matcher.components)
    return [component.name for component in components]


def _need_queries(needs: object) -> object:
    """A labelled needs table (``need_id, text[, lang]``) as the matcher reads needs."""
    if isinstance(needs, pd.DataFrame) and "text" in needs.columns and "description" not in needs.columns:
        if "need_id" not in needs.columns:
            raise LabelledSetError(f"needs is missing column(s) ['need_id']; it has {list(needs.columns)}.")
        return pd.DataFrame({"need_id": needs["need_id"].astype(str), "description": needs["text"]})
    return needs


def component_values(matcher, firms: pd.DataFrame, needs: object) -> pd.DataFrame:
    """Fit ``matcher`` once with every weight 1 and rank every firm for every need.

    Parameters
    ----------
    matcher : SupplierMatcher
        Not changed: a clone is fitted. Its ``weights`` are ignored (all set to 1); its
        other hyper-parameters (components, expansion, fallback, ...) hold. ``diversity``
        and ``max_exposure`` re-order lists in ways a weighted sum cannot reproduce, so
        they must be off.
    firms : DataFrame
        The firms, as ``fit`` takes them.
    needs : DataFrame or list
        A labelled needs table (``need_id, text``, as :func:`matching.read_labelled_needs`
        returns) or anything ``rank`` takes.

    Returns
    -------
    DataFrame
        Long table, one row per need and firm that passes the need's hard constraints:
        ``need_id, firm_id, tier`` and one column per component with its value (0..1; with
        weight 1 the contribution is the value). ``tier`` is 0 for the firms the matcher
        ranks first (a text, concept, process or material signal, or one of its
        ``fallback`` best profiles) and 1 for the others, which follow whatever their score.
        Firms that fail a hard constraint are absent: the matcher never lists them.

    Raises
    ------
    HyperParameterError
        ``diversity`` or ``max_exposure`` is set, or the matcher's hyper-parameters are
        invalid.
    """
    if matcher.diversity is not None or matcher.max_exposure is not None:
        raise HyperParameterError(
            f"Expected diversity=None and max_exposure=None to tune weights (re-ranking by a weighted sum "
            f"cannot reproduce them), got diversity={matcher.diversity!r}, max_exposure={matcher.max_exposure!r}. "
            "Tune with them off."
        )
    names = _component_names(matcher)
    fitted = clone(matcher).set_params(weights=dict.fromkeys(names, 1.0)).fit(firms)
    queries = _need_queries(needs)
    n_firms = fitted.n_firms_fit_
    ranking = fitted.rank(queries, k=n_firms)
    # The tier is not in the ranked list: a firm without signal follows every firm with one
    # (or among the fallback profiles), so it is read from the matcher's own candidate rule.
    tiers = []
    for query in fitted._queries(queries):
        ctx = fitted._context(query)
        eligible = passes(fitted.firms_, ctx, require_sector=fitted.require_sector)
        first, _ = fitted._first_tier(fitted._signal(ctx), eligible)
        tier = np.ones(n_firms, dtype=np.int8)
        tier[first] = 0
        tiers.append(pd.DataFrame({"need_id": query.need_id, "firm_id": fitted.firm_ids_, "tier": tier}))
    tier_table = pd.concat(tiers, ignore_index=True) if tiers else pd.DataFrame(columns=list(_KEYS))
    values = ranking[["need_id", "firm_id", *names]].astype({"need_id": str, "firm_id": str})
    values = values.merge(tier_table.astype({"need_id": str, "firm_id": str}), on=["need_id", "firm_id"],
                          how="left", validate="one_to_one")
    values = values[[*_KEYS, *names]]
    _check_order(values, ranking, names)
    return values.reset_index(drop=True)


def _check_order(values: pd.DataFrame, ranking: pd.DataFrame, names: list[str]) -> None:
    """Refuse a table whose re-ranking with weights 1 would not give the matcher's list.

    A guard against a change of the matcher's ordering rule that this module would not
    follow: then every tuned figure would be about another ranking.
    """
    score = np.zeros(len(values))
    for name in names:
        score += 1.0 * values[name].to_numpy(dtype=float)
    order = np.lexsort((values["firm_id"].to_numpy(dtype=str), -score, values["tier"].to_numpy(),
                        values["need_id"].to_numpy(dtype=str)))
    expected = ranking.assign(need_id=ranking["need_id"].astype(str)).sort_values(
        ["need_id", "rank"], kind="stable")["firm_id"].astype(str).to_numpy()
    if not np.array_equal(values["firm_id"].to_numpy(dtype=str)[order], expected):
        raise HyperParameterError(
            "Expected the matcher's lists to follow tier, score descending, then firm_id, got another order. "
            "Weights cannot be tuned by re-ranking until matching.tuning follows the matcher's rule."
        )


# ------------------------------------------------------------------ re-ranking
@dataclass(frozen=True)
class _Arrays:
    """The long tables as arrays: needs x firms x components, firms in firm_id order."""

    need_ids: np.ndarray  # scored needs (a firm of grade >= 1), sorted
    names: list[str]  # components, in the table's (the matcher's) order
    values: np.ndarray  # (needs, firms, components)
    present: np.ndarray  # (needs, firms): the firm passes the need's constraints
    tier: np.ndarray  # (needs, firms)
    pair_need: np.ndarray  # (pairs,): relevant (need, firm) pairs that are present
    pair_firm: np.ndarray
    pair_gain: np.ndarray
    idcg: np.ndarray  # (needs,)


def _arrays(values: pd.DataFrame, truth: pd.DataFrame, k: int) -> _Arrays:
    for frame, name, columns in ((values, "values", list(_KEYS)),
                                 (truth, "truth", ["need_id", "firm_id", "relevance"])):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise LabelledSetError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}. "
                                   "Build values with component_values and truth with read_labelled_needs.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise HyperParameterError(f"Expected k an integer >= 1, got k={k!r}.")
    names = [c for c in values.columns if c not in _KEYS]
    if not names:
        raise LabelledSetError("values has no component column; build it with component_values.")
    relevant = truth[truth["relevance"].astype(float) > 0]
    relevant = relevant.assign(need_id=relevant["need_id"].astype(str), firm_id=relevant["firm_id"].astype(str))
    relevant = relevant.drop_duplicates(["need_id", "firm_id"])
    need_ids = np.array(sorted(set(relevant["need_id"])), dtype=object)
    firm_ids = np.array(sorted(set(values["firm_id"].astype(str))), dtype=object)  # the matcher's tie key
    need_row = pd.Index(need_ids)
    firm_col = pd.Index(firm_ids)
    table = values[values["need_id"].astype(str).isin(need_row)]
    n_row = need_row.get_indexer(table["need_id"].astype(str))
    f_col = firm_col.get_indexer(table["firm_id"].astype(str))
    n, f = len(need_ids), len(firm_ids)
    grid = np.zeros((n, f, len(names)))
    grid[n_row, f_col] = table[names].to_numpy(dtype=float)
    if not np.isfinite(grid).all():
        raise LabelledSetError("values holds NaN or infinite component values; build it with component_values.")
    present = np.zeros((n, f), dtype=bool)
    present[n_row, f_col] = True
    tier = np.zeros((n, f), dtype=np.int8)
    tier[n_row, f_col] = table["tier"].to_numpy()
    gains = relevant["relevance"].astype(float).to_numpy()
    p_need = need_row.get_indexer(relevant["need_id"])
    p_firm = firm_col.get_indexer(relevant["firm_id"])
    listed = p_firm >= 0
    listed[listed] &= present[p_need[listed], p_firm[listed]]
    # The ideal list of a need holds all its graded firms, listed by the matcher or not.
    idcg = np.zeros(n)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    for row, grades in enumerate(relevant.groupby("need_id")["relevance"]
                                 .apply(lambda g: np.sort(g.astype(float).to_numpy())[::-1]).reindex(need_ids)):
        top = grades[:k]
        idcg[row] = float((top * discount[: len(top)]).sum())
    return _Arrays(need_ids, names, grid, present, tier, p_need[listed], p_firm[listed], gains[listed], idcg)


def _weight_matrix(arrays: _Arrays, weights: Sequence[Mapping[str, float]]) -> np.ndarray:
    unknown = sorted({name for w in weights for name in w} - set(arrays.names))
    if unknown:
        raise HyperParameterError(f"Expected weights keys among the components {arrays.names}, got unknown {unknown}.")
    matrix = np.array([[float(w.get(name, 0.0)) for name in arrays.names] for w in weights], dtype=float)
    for w, row in zip(weights, matrix, strict=True):
        if not np.isfinite(row).all() or (row < 0).any() or row.sum() <= 0:
            raise HyperParameterError(
                f"Expected finite weights >= 0 with at least one positive among {arrays.names}, got {dict(w)!r}.")
    return matrix.reshape(len(weights), len(arrays.names))


def _ndcg_per_need(arrays: _Arrays, weight_matrix: np.ndarray, k: int) -> np.ndarray:
    """NDCG@k of every need (columns) for every weight vector (rows), by the matcher's rule.

    A relevant firm's position is 1 + the firms listed before it: a lower tier, or the same
    tier and a higher score, or the same tier and score and a smaller firm_id. The score is
    accumulated component by component as the matcher does, so equal scores stay equal.
    """
    n_weights = len(weight_matrix)
    out = np.zeros((n_weights, len(arrays.need_ids)))
    pn, pf = arrays.pair_need, arrays.pair_firm
    if not len(pn) or not n_weights:
        return out
    n_firms = arrays.values.shape[1]
    present = arrays.present[pn]  # (pairs, firms)
    tier_rows, tier_pair = arrays.tier[pn], arrays.tier[pn, pf][:, None]
    before = present & (tier_rows < tier_pair)
    same = present & (tier_rows == tier_pair)
    smaller_id = same & (np.arange(n_firms)[None, :] < pf[:, None])
    rows = arrays.values[pn]  # (pairs, firms, components)
    own = arrays.values[pn, pf]  # (pairs, components)
    to_need = np.zeros((len(pn), len(arrays.need_ids)))
    to_need[np.arange(len(pn)), pn] = 1.0
    batch = max(1, _BATCH_CELLS // max(1, len(pn) * n_firms))
    for start in range(0, n_weights, batch):
        w = weight_matrix[start : start + batch]
        score = np.zeros((len(w), *rows.shape[:2]))
        own_score = np.zeros((len(w), len(pn)))
        for c in range(len(arrays.names)):  # the matcher's order of additions
            score += w[:, c, None, None] * rows[None, :, :, c]
            own_score += w[:, c, None] * own[None, :, c]
        own_score = own_score[:, :, None]
        ahead = before | (same & (score > own_score)) | (smaller_id & (score == own_score))
        position = 1 + ahead.sum(axis=2)  # (weights, pairs)
        gain = np.where(position <= k, arrays.pair_gain / np.log2(position + 1), 0.0)
        out[start : start + batch] = gain @ to_need
    return out / arrays.idcg[None, :]


def score_weights(values: pd.DataFrame, truth: pd.DataFrame, weights: Mapping[str, float], k: int = 10) -> float:
    """Mean NDCG@k (0..1) of the lists the matcher would give with ``weights``.

    Parameters
    ----------
    values : DataFrame
        :func:`component_values`.
    truth : DataFrame
        ``need_id, firm_id, relevance`` (grades 0..3; the gain of NDCG).
    weights : dict
        Component name -> weight >= 0; names not given weigh 0, as in the matcher.
    k : int, default 10

    Returns
    -------
    float
        Mean over the needs of ``truth`` with a firm of grade >= 1 (the others cannot be
        scored), as :func:`matching.evaluation.ndcg_at_k` of the matcher's ranked list; a
        need without rows in ``values`` (the matcher listed no firm) scores 0.
    """
    arrays = _arrays(values, truth, k)
    if not len(arrays.need_ids):
        raise LabelledSetError("truth has no firm of grade >= 1: no need can be scored.")
    return float(_ndcg_per_need(arrays, _weight_matrix(arrays, [weights]), k)[0].mean())


# ------------------------------------------------------------------ search
def _check_grid(grid: Mapping[str, Sequence[float]], names: list[str]) -> dict[str, list[float]]:
    if not isinstance(grid, Mapping) or not grid:
        raise HyperParameterError(f"Expected grid as a non-empty dict name -> list of weights, got grid={grid!r}.")
    unknown = sorted(set(grid) - set(names))
    if unknown:
        raise HyperParameterError(f"Expected grid keys among the components {names}, got unknown {unknown}.")
    out = {}
    for name, candidates in grid.items():
        candidates = [candidates] if isinstance(candidates, (int, float)) else list(candidates)
        if not candidates or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0
                                 for v in candidates):
            raise HyperParameterError(
                f"Expected grid[{name!r}] a non-empty list of finite weights >= 0, got {grid[name]!r}.")
        out[name] = sorted(set(float(v) for v in candidates))
    return out


def _normalised(weights: Mapping[str, float], names: list[str]) -> dict[str, float]:
    total = sum(float(weights.get(n, 0.0)) for n in names)
    return {n: round(float(weights.get(n, 0.0)) / total, 4) for n in names}


def _closest(scores: np.ndarray, matrix: np.ndarray, base: np.ndarray) -> int:
    """The best score; among ties (NDCG is flat between rank changes), the weights closest to the base."""
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    shares = matrix[best] / matrix[best].sum(axis=1, keepdims=True)
    distance = np.abs(shares - base / base.sum()).sum(axis=1)
    return int(best[np.argmin(distance)])


def _coordinate(arrays: _Arrays, train: np.ndarray, grid: dict[str, list[float]], base: np.ndarray,
                k: int) -> np.ndarray:
    """Coordinate ascent from ``base`` on the training needs: one component at a time."""
    current = base.copy()
    for _ in range(10):
        changed = False
        for name, candidates in grid.items():
            c = arrays.names.index(name)
            trials = np.repeat(current[None, :], len(candidates), axis=0)
            trials[:, c] = candidates
            keep = trials.sum(axis=1) > 0
            trials = trials[keep]
            scores = _ndcg_per_need(arrays, trials, k)[:, train].mean(axis=1)
            best = trials[_closest(scores, trials, base)]
            now = _ndcg_per_need(arrays, current[None, :], k)[0, train].mean()
            if scores.max() > now + 1e-12 and not np.array_equal(best, current):
                current, changed = best, True
        if not changed:
            break
    return current


def tune_weights(
    values: pd.DataFrame,
    truth: pd.DataFrame,
    grid: Mapping[str, Sequence[float]] | None = None,
    folds: int = 5,
    random_state: int = 0,
    *,
    k: int = 10,
    base: Mapping[str, float] | None = None,
) -> WeightTuning:
    """Choose weights on labelled needs and estimate their quality by K-fold CV over needs.

    For each fold of a K-fold split of the scored needs (shuffled with ``random_state``),
    the grid point with the best mean NDCG@k on the training needs is chosen and scored on
    the held-out needs; those needs never take part in choosing it. Finally the grid is
    searched on all needs: those are the weights to use, and the cross-validated score is
    the estimate of what they give on new needs. Ties in the training score (NDCG only
    changes when two firms swap) go to the weights closest to ``base``.

    Parameters
    ----------
    values : DataFrame
        :func:`component_values`.
    truth : DataFrame
        ``need_id, firm_id, relevance``.
    grid : dict, optional
        Component name -> candidate weights. Default :func:`default_grid` (text, concepts,
        process_fit, material_fit and certification_fit around ``base``). Components not in
        the grid keep their ``base`` weight. Up to 20,000 points are searched
        exhaustively, a larger grid by coordinate ascent from ``base``.
    folds : int, default 5
        Folds over needs (at most the number of scored needs).
    random_state : int, default 0
        Seed of the shuffle of needs into folds.
    k : int, default 10
        Cut-off of NDCG.
    base : dict, optional
        The weights compared against and held for components outside the grid (default
        :data:`DEFAULT_WEIGHTS`).

    Returns
    -------
    WeightTuning
        The CV estimate against ``base`` on the same folds, per fold and per need, the
        weights chosen per fold and on all needs (each summing to 1).

    Raises
    ------
    HyperParameterError
        A grid key or weight that does not fit, ``folds`` below 2 or above the scored needs.
    """
    arrays = _arrays(values, truth, k)
    base = dict(DEFAULT_WEIGHTS) if base is None else dict(base)
    base_vector = _weight_matrix(arrays, [{n: w for n, w in base.items() if n in arrays.names}])[0]
    grid = _check_grid(default_grid(base) if grid is None else grid, arrays.names)
    n_needs = len(arrays.need_ids)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or not 2 <= folds <= n_needs:
        raise HyperParameterError(
            f"Expected folds an integer between 2 and the {n_needs} needs with a firm of grade >= 1, "
            f"got folds={folds!r}. Label more needs or use fewer folds.")
    n_grid = int(np.prod([len(v) for v in grid.values()]))
    exhaustive = n_grid <= _MAX_EXHAUSTIVE
    base_scores = _ndcg_per_need(arrays, base_vector[None, :], k)[0]
    if exhaustive:
        matrix = np.repeat(base_vector[None, :], n_grid, axis=0)
        for j, point in enumerate(itertools.product(*grid.values())):
            for name, weight in zip(grid, point, strict=True):
                matrix[j, arrays.names.index(name)] = weight
        matrix = matrix[matrix.sum(axis=1) > 0]
        per_need = _ndcg_per_need(arrays, matrix, k)  # every point on every need, once

    def choose(train: np.ndarray) -> np.ndarray:
        if exhaustive:
            return matrix[_closest(per_need[:, train].mean(axis=1), matrix, base_vector)]
        return _coordinate(arrays, train, grid, base_vector, k)

    splitter = KFold(n_splits=int(folds), shuffle=True, random_state=random_state)
    fold_rows, need_rows, fold_weights = [], [], []
    for fold, (train, test) in enumerate(splitter.split(arrays.need_ids), start=1):
        chosen = choose(train)
        scores = _ndcg_per_need(arrays, chosen[None, :], k)[0]
        fold_weights.append(_normalised(dict(zip(arrays.names, chosen, strict=True)), arrays.names))
        fold_rows.append({"fold": fold, "n_train": len(train), "n_test": len(test),
                          "train_ndcg": float(scores[train].mean()), "test_ndcg": float(scores[test].mean()),
                          "test_ndcg_base": float(base_scores[test].mean())})
        need_rows += [{"need_id": arrays.need_ids[i], "fold": fold, "ndcg": float(scores[i]),
                       "ndcg_base": float(base_scores[i])} for i in test]
    held_out = pd.DataFrame(need_rows).sort_values("need_id", kind="stable").reset_index(drop=True)
    final = choose(np.arange(n_needs))
    return WeightTuning(
        cv_ndcg=float(held_out["ndcg"].mean()),
        cv_ndcg_base=float(held_out["ndcg_base"].mean()),
        folds=pd.DataFrame(fold_rows),
        held_out=held_out,
        fold_weights=fold_weights,
        weights=_normalised(dict(zip(arrays.names, final, strict=True)), arrays.names),
        n_grid=n_grid,
        search="exhaustive" if exhaustive else "coordinate",
    )


# ------------------------------------------------------------------ weights as a model version
def _checked_weights(weights: object, names: Sequence[str]) -> dict[str, float]:
    """``weights`` as ``{component: float}`` over ``names`` (missing ones 0), or a clear error."""
    if not isinstance(weights, Mapping):
        raise HyperParameterError(f"Expected weights as a dict component -> number, got weights={weights!r}.")
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise HyperParameterError(f"Expected weights keys among the component names {list(names)}, got unknown "
                                  f"{unknown}. Tune on the matcher's own components (component_values).")
    out = {}
    for name in names:
        value = weights.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise HyperParameterError(f"Expected weights[{name!r}] a finite number >= 0, got {value!r}.")
        out[name] = float(value)
    if sum(out.values()) <= 0:
        raise HyperParameterError(f"Expected at least one positive weight, got weights={out!r}.")
    return out


def evaluate_weights(firms: pd.DataFrame, needs: pd.DataFrame, outcomes: pd.DataFrame,
                     weights: Mapping[str, float], *, buyers: pd.DataFrame | None = None, split_date=None,
                     k: int = 10, base: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The matcher with ``weights`` against the matcher with ``base`` weights (default
    :data:`DEFAULT_WEIGHTS`) on the outcomes after ``split_date``, by the protocol of
    ``cnht eval`` (:func:`matching.protocol.evaluate_models`).

    Returns
    -------
    DataFrame
        One row per model (``weights``, ``matcher``) and slice (``all``, ``cold_start``),
        one column per metric (NDCG@k among them, 0..1).
    """
    from matching.matcher import SupplierMatcher
    from matching.protocol import evaluate_models

    names = _component_names(SupplierMatcher())
    models = {"weights": SupplierMatcher(weights=_checked_weights(weights, names)),
              "matcher": SupplierMatcher(weights=None if base is None else dict(base))}
    table, _ = evaluate_models(models, firms, needs, outcomes, buyers=buyers, split_date=split_date, k=k)
    return table


def save_weights_version(store, weights: Mapping[str, float], *, metrics: pd.DataFrame | Mapping | None = None,
                         k: int = 10, base: Mapping[str, float] | None = None,
                         extra: Mapping[str, object] | None = None, created=None) -> str:
    """Save tuned component weights as a model version of kind ``"weights"``; return its id.

    The version is activated like a re-ranker (``cnht models activate V``, ``rollback``);
    while it is active the service's matcher scores shortlists with these weights (the
    components' values are unchanged, so the reasons hold) and each run records
    ``+weights:V`` after the matcher's version.

    Parameters
    ----------
    store : matching.rerank.ModelStore
    weights : dict
        Component name -> weight >= 0 (a component left out weighs 0).
    metrics : DataFrame or dict, optional
        :func:`evaluate_weights`' table (or ``{model: {slice: {metric: value}}}``): the
        tuned weights (``weights``) next to the default ones (``matcher``).
    k : int, default 10
        Cut-off of the metrics.
    base : dict, optional
        The weights compared against (default :data:`DEFAULT_WEIGHTS`), kept in the metadata.
    extra : dict, optional
        More metadata (data range, split date, how the weights were chosen).

    Examples
    --------
    >>> store = ModelStore(tmp_path / "models")                        # doctest: +SKIP
    >>> version = save_weights_version(store, tuning.weights, metrics=table)  # doctest: +SKIP
    >>> store.activate(version)                                         # doctest: +SKIP
    """
    from matching.matcher import SupplierMatcher

    checked = _checked_weights(weights, _component_names(SupplierMatcher()))
    if isinstance(metrics, pd.DataFrame):
        table = metrics
        metrics = {}
        for row in table.to_dict("records"):
            model, slice_name = row.pop("model"), row.pop("slice")
            metrics.setdefault(str(model), {})[str(slice_name)] = {key: float(v) for key, v in row.items()}
    metric = f"ndcg@{k}"
    beats = None
    if metrics:
        try:
            beats = bool(metrics["weights"]["all"][metric] > metrics["matcher"]["all"][metric])
        except (KeyError, TypeError):
            beats = None
    metadata = {**dict(extra or {}), "kind": WEIGHTS_KIND, "weights": checked,
                "base_weights": dict(DEFAULT_WEIGHTS if base is None else base), "k": k,
                "metrics": dict(metrics or {}), "beats_matcher": beats}
    # The model file is the plain dict of floats: nothing but builtins to unpickle.
    return store.save(checked, metadata, created=created)
