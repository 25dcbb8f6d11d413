"""``SupplierMatcher``: need -> ranked, explained shortlist of local firms (and back).

A scikit-learn estimator: ``__init__`` stores hyper-parameters, ``fit(firms)`` builds the
profile table (``features.profile.build_profiles``), the column-wise arrays several parts
share (the text and concept channels, code matrices, certificates, places), then calls each
component's fit step for the columns it alone reads; ``rank(needs, k)`` answers one need or a batch. Every query first applies the hard
constraints exactly (:mod:`matching.constraints`), then scores the candidates (firms with any
text, process or material signal, plus the ``fallback`` passing firms with the best profiles;
the other passing firms follow when a list is longer than that) with the named components of
:mod:`matching.components`; each result row carries each component's contribution
(weight x value). Nothing loops over firms in Python.

Examples
--------
>>> matcher = SupplierMatcher().fit(firms)                       # doctest: +SKIP
>>> matcher.rank("vỏ nhôm CNC cho camera, ISO 9001", k=5)       # doctest: +SKIP
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from features.certifications import validity_periods
from features.numbers import read_numbers
from features.text import tokens
from matching.components import (
    ALL,
    Component,
    ComponentColumns,
    FirmArrays,
    QueryContext,
    Reason,
    _any_of,
    _clip01,
    _inverse,
    default_components,
    haversine_km,
)
from matching.constraints import check, describe_failures, passes
from matching.exceptions import HyperParameterError, NeedError, UnknownFirmError
from matching.needs import NeedCache, NeedQuery, parse_needs

__all__ = ["SupplierMatcher", "Firms", "DEFAULT_WEIGHTS", "PROFILE_COLUMNS"]

DEFAULT_WEIGHTS: dict[str, float] = {  # sum 1: a score is in [0, 1]
    "text": 0.19,
    "concepts": 0.38,
    "process_fit": 0.08,
    "material_fit": 0.05,
    "certification_fit": 0.10,
    "capacity_fit": 0.06,
    "distance": 0.08,
    "experience": 0.04,
    "completeness": 0.02,
}
# A table with these columns is taken as already-built profiles (index or column firm_id).
PROFILE_COLUMNS: tuple[str, ...] = ("text_folded", "processes", "materials", "sectors", "certifications")
_ANCESTOR_WEIGHT = 0.5  # a more general concept implied by a named one (cnc_milling -> cnc_machining)
_SECTOR_WEIGHT = 0.25  # the sector a need or firm names: a weak hint, shared by many firms
# A firm's concept vector is divided by its norm to this power (1 would be the cosine): a firm
# with several trades is not scored as if each were a sideline.
_CONCEPT_LENGTH_NORM = 0.5
_CONTEXT_WEIGHT = 0.5  # a need's concept that names what the part is for ("for electric motors")
_EXPANSION_TERMS = 32  # names of a need's concepts added to its words, the rarest first
_COMMON_SHARE = 0.2  # a need's word in more firms than this share is left out of its word vector
_NEED_CACHE_SIZE = 1024  # parsed needs (and text terms) kept per fit: a few KB each
_CODE_KINDS = ("sector", "product_group", "process", "material")
_PROFILE_KIND_COLUMN = {"sector": "sectors", "product_group": "product_groups", "process": "processes",
                        "material": "materials"}


def _tuple(cell: object) -> tuple:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ()
    if isinstance(cell, str):
        return tuple(p.strip() for p in cell.split(";") if p.strip())
    return tuple(cell)


def _cert_periods(cell: tuple, memo: dict[tuple, dict]) -> dict:
    """:func:`features.certifications.validity_periods` of a firm's records, once per distinct cell."""
    try:
        if cell not in memo:
            memo[cell] = validity_periods(cell)
        return memo[cell]
    except TypeError:  # records given as mappings are not hashable
        return validity_periods(cell)


def _relative(values: np.ndarray) -> tuple[np.ndarray, float]:
    """``values`` divided by their maximum (unchanged when none is positive), and the divisor."""
    top = float(values.max()) if len(values) else 0.0
    if top > 0:
        values /= top  # in place: the channel arrays are the caller's own
        return values, top
    return values, 1.0


_NAME_TOKENS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # taxonomy -> code -> Counter


def _name_tokens(taxonomy) -> dict[str, Counter]:
    """Tokens of every name of every concept of ``taxonomy`` (labels, aliases), each counted once
    per name; read once per taxonomy and process (a few hundred concepts, some with a hundred
    aliases: a fifth of a second), not concept by concept as needs first name them."""
    found = _NAME_TOKENS.get(taxonomy)
    if found is None:
        found = {}
        for term in taxonomy.terms():
            counts: Counter = Counter()
            for name in (term.label_vi, term.label_en, term.label_ja, term.label_ko, *term.aliases):
                counts.update(set(tokens(name)))
            found[term.code] = counts
        _NAME_TOKENS[taxonomy] = found
    return found


try:  # the C++ kernel behind scipy.sparse's products: y += A @ x for a CSC block
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - a SciPy that moved its kernels: the numpy path below
    _csc_matvec = None


def _postings(csc: sp.csc_matrix, cols: np.ndarray, weights: np.ndarray, n: int,
              out: np.ndarray | None = None) -> np.ndarray:
    """``csc[:, cols] @ weights`` for every one of the ``n`` firms: only the postings of the
    need's columns are read, each added in place where it lies in the index.

    scipy's own ``csc[:, cols] @ weights`` copies the columns first (a gather of every posting)
    and checks the result's format, several times the cost of the product itself; numpy's
    gather-then-``bincount`` as well. Here the kernel scipy's product uses runs once, on the
    matrix's own arrays, with a column pointer that lists only the need's columns: they are
    taken from the last to the first, each followed by an empty "column" (its start lies
    after its end: the kernel reads nothing there), so one pass reads just their postings.
    Each firm's sum is added column by column in that order, whatever order ``cols`` has.

    ``out``: the sums are added into it, in place, instead of into zeros. For one column that
    is the same floats as adding the column's sum afterwards (each firm gets ``y + a*w`` either
    way: ``0 + a*w`` is ``a*w``); with more columns the grouping, so the rounding, differs.
    """
    given = out is not None
    if out is None:
        out = np.zeros(n)
    if not len(cols):
        return out
    indptr, indices, data = csc.indptr, csc.indices, csc.data
    if _csc_matvec is not None and data.dtype == np.float64 and indices.dtype == indptr.dtype:
        order = np.argsort(cols)[::-1]  # last column first: each next one starts before
        taken = cols[order]
        pointer = np.empty(2 * len(taken), dtype=indptr.dtype)
        pointer[0::2] = indptr[taken]
        pointer[1::2] = indptr[taken + 1]
        spread = np.zeros(2 * len(taken) - 1)
        spread[0::2] = weights[order]
        _csc_matvec(n, len(spread), pointer, indices, data, spread, out)
        return out
    starts = indptr[cols]
    lengths = indptr[cols + 1] - starts
    positions = np.arange(int(lengths.sum())) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    sums = np.bincount(indices[positions], weights=data[positions] * np.repeat(weights, lengths), minlength=n)
    if given:
        out += sums
        return out
    return sums


_HEAD_STRIDE = 16  # one value in 16 read to find the head's threshold


def _head(bound: np.ndarray, probe: int) -> np.ndarray:
    """Positions of about ``probe`` of the largest values of ``bound`` (at least ``probe``
    whenever ``bound`` holds that many), every value above the smallest kept among them.

    ``np.argpartition`` over every candidate orders them all around the cut, a cost of its
    own on 100,000 firms. A threshold read off one value in ``_HEAD_STRIDE`` (its top
    ``probe // _HEAD_STRIDE``) and one comparison pass select about ``probe`` values at a
    fraction of that; when ties or a skewed sample take too many or too few, the exact
    partition is run on the values taken (or on all). Any head gives an exact floor in
    :meth:`SupplierMatcher._prune_known`; a head holding the best bounds gives a tight one.
    """
    n = len(bound)
    if n <= probe:
        return np.arange(n)
    sample_top = probe // _HEAD_STRIDE
    if n >= 8 * probe and sample_top >= 2:
        sample = bound[::_HEAD_STRIDE]
        threshold = np.partition(sample, len(sample) - sample_top)[len(sample) - sample_top]
        taken = np.flatnonzero(bound >= threshold)
        if probe <= len(taken) <= 4 * probe:
            return taken
        if len(taken) > 4 * probe:  # ties at the threshold: the best probe of those taken
            return taken[np.argpartition(bound[taken], len(taken) - probe)[len(taken) - probe:]]
    return np.argpartition(bound, n - probe)[n - probe:]


try:  # what pd.DataFrame(dict) does to each column, and its constructor from ready columns
    from pandas.core.construction import sanitize_array as _sanitize_array

    _from_arrays = pd.DataFrame._from_arrays
except (ImportError, AttributeError):  # pragma: no cover - a pandas that moved them: the dict path
    _sanitize_array = _from_arrays = None

_COLUMN_INDEX: dict[tuple[str, ...], pd.Index] = {}  # the few column lists of rank's tables


def _frame(columns: Mapping[str, np.ndarray], names: Sequence[str]) -> pd.DataFrame:
    """``pd.DataFrame({c: columns[c] for c in names}, copy=False)``, the same table built faster.

    The dict constructor spends most of its time on a ten-row table in generic checks: the
    column labels inferred anew, every column sanitised. Here the object columns (ids) go
    through the very function the dict path applies to them (``sanitize_array``: text
    becomes pandas' string dtype), numeric arrays are taken as they are (the dict path leaves
    them unchanged too), and the column index is built once per column list (a shallow copy
    per table, so renaming one table's columns touches no other).
    """
    if _from_arrays is None:  # pragma: no cover
        return pd.DataFrame({c: columns[c] for c in names}, copy=False)
    key = tuple(names)
    labels = _COLUMN_INDEX.get(key)
    if labels is None:
        labels = _COLUMN_INDEX.setdefault(key, pd.Index(list(key)))
    arrays = []
    for name in key:
        values = columns[name]
        if values.dtype == object:
            values = _sanitize_array(values, None)
        elif values.dtype.kind not in "iufb" or values.ndim != 1:  # pragma: no cover - never from rank
            return pd.DataFrame({c: columns[c] for c in names}, copy=False)
        arrays.append(values)
    n = len(arrays[0]) if arrays else 0
    return _from_arrays(arrays, columns=labels.copy(), index=pd.RangeIndex(n), verify_integrity=False)


def _number(values: Iterable, n: int) -> np.ndarray:
    return read_numbers(values) if n else np.zeros(0)


@dataclass(frozen=True, eq=False)
class Firms:
    """The firms (and buyers) of a fit whose ``X`` are needs: the ``GridSearchCV`` form.

    ``search.fit(needs, relevant, firms=Firms(profiles, buyers=buyers))``. scikit-learn cuts
    every array-like fit parameter with as many rows as ``X`` into the fold's rows; this holder
    is not array-like (no ``len``, ``shape`` or ``__array__``), so every fold is fitted on all
    the firms and buyers, whatever their number.

    Parameters
    ----------
    table : pandas.DataFrame
        The firms, as :meth:`SupplierMatcher.fit` reads them as ``X``.
    buyers : pandas.DataFrame, optional
        As ``fit(buyers=...)``.

    Examples
    --------
    >>> from sklearn.utils.validation import _is_arraylike
    >>> _is_arraylike(Firms(pd.DataFrame({"firm_id": ["F1"]})))
    False
    """

    table: pd.DataFrame
    buyers: pd.DataFrame | None = None


class SupplierMatcher(BaseEstimator):
    """Rank local firms for buyers' component needs, with reasons.

    Parameters
    ----------
    components : list of Component, optional
        Score components (default :func:`matching.components.default_components`). A
        component of your own needs nothing else here: its class (with its fit step,
        ``fit_columns``, when it reads columns of its own) and its entry in ``weights``.
    weights : dict, optional
        Component name -> weight >= 0 (default :data:`DEFAULT_WEIGHTS`); names missing from
        the dict weigh 0. Validated in ``fit``.
    require_sector : bool, default False
        Make the need's sector a hard constraint when the need does not say.
    diversity : {None, "mmr"}, default None
        Re-rank each list by maximal marginal relevance (text similarity between firms).
    mmr_lambda : float, default 0.7
        Relevance share of the MMR objective (1 = no diversity).
    max_exposure : int, optional
        Most lists of one batch a firm may enter (None: no cap).
    expansion : float, default 0.3
        Weight, in the need's word vector, of the names (labels and aliases in Vietnamese,
        English, Japanese, Korean) of the concepts the need names, relative to its own words:
        an English need "power cables" also looks for "cáp điện" and 電線 in the firms' own
        words. 0 turns it off.
    fallback : int, default 50
        Constraint-passing firms without any text/process/material signal ranked with the
        firms that have one (those with the best profiles: completeness, exports). When a
        list asks for more firms than these candidates, the other passing firms follow, by
        score, so every passing firm can be listed and a top-k is the start of a longer list.
    taxonomy : optional
        A ``features.taxonomy.Taxonomy`` (default: the package's).
    geocode : bool, default True
        Geocode addresses when building profiles.

    Attributes
    ----------
    firm_ids_ : numpy.ndarray of str
    vocabulary_ : dict
        Text term -> column of the inverted index.
    profiles_ : pandas.DataFrame
        The profile table the matcher was fitted on.
    weights_ : dict
        Validated weights, one per component.
    n_firms_fit_ : int
    """

    def __init__(
        self,
        components: Sequence[Component] | None = None,
        weights: Mapping[str, float] | None = None,
        require_sector: bool = False,
        diversity: str | None = None,
        mmr_lambda: float = 0.7,
        max_exposure: int | None = None,
        fallback: int = 50,
        expansion: float = 0.3,
        taxonomy: object | None = None,
        geocode: bool = True,
    ) -> None:
        self.components = components
        self.weights = weights
        self.require_sector = require_sector
        self.diversity = diversity
        self.mmr_lambda = mmr_lambda
        self.max_exposure = max_exposure
        self.fallback = fallback
        self.expansion = expansion
        self.taxonomy = taxonomy
        self.geocode = geocode

    # ------------------------------------------------------------------ fit
    def _validate_params(self) -> None:
        components = default_components() if self.components is None else list(self.components)
        names = [c.name for c in components if isinstance(c, Component)]
        if len(names) != len(components) or not components:
            raise HyperParameterError(
                f"Expected components as a non-empty list of Component objects, got components={self.components!r}. "
                "Use e.g. [TextSimilarity(), ProcessFit()] or None for the defaults."
            )
        if len(set(names)) != len(names):
            dupes = sorted(n for n, c in Counter(names).items() if c > 1)
            raise HyperParameterError(f"Expected components with distinct names, got duplicates {dupes} in components.")
        for component in components:
            component.validate()
        weights = dict(DEFAULT_WEIGHTS) if self.weights is None else self.weights
        if not isinstance(weights, Mapping):
            raise HyperParameterError(f"Expected weights as a dict name -> number, got weights={weights!r}.")
        unknown = sorted(set(weights) - set(names))
        if unknown:
            raise HyperParameterError(
                f"Expected weights keys among the component names {names}, got unknown {unknown} in weights. "
                "Fix the spelling or add the component."
            )
        for name, value in weights.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise HyperParameterError(
                    f"Expected weights[{name!r}] to be a finite number >= 0, got weights[{name!r}]={value!r}."
                )
        if sum(weights.get(n, 0.0) for n in names) <= 0:
            raise HyperParameterError(f"Expected at least one positive weight, got weights={dict(weights)!r}.")
        if self.diversity not in (None, "mmr"):
            raise HyperParameterError(f"Expected diversity None or 'mmr', got diversity={self.diversity!r}.")
        if not isinstance(self.mmr_lambda, (int, float)) or not 0.0 <= self.mmr_lambda <= 1.0:
            raise HyperParameterError(f"Expected mmr_lambda between 0 and 1, got mmr_lambda={self.mmr_lambda!r}.")
        if self.max_exposure is not None and (not isinstance(self.max_exposure, int) or self.max_exposure < 1):
            raise HyperParameterError(
                f"Expected max_exposure None or an integer >= 1, got max_exposure={self.max_exposure!r}."
            )
        if (not isinstance(self.expansion, (int, float)) or isinstance(self.expansion, bool)
                or not math.isfinite(self.expansion) or self.expansion < 0):
            raise HyperParameterError(f"Expected expansion a number >= 0, got expansion={self.expansion!r}.")
        if not isinstance(self.fallback, int) or self.fallback < 0:
            raise HyperParameterError(f"Expected fallback an integer >= 0, got fallback={self.fallback!r}.")
        if not isinstance(self.require_sector, bool):
            raise HyperParameterError(
                f"Expected require_sector True or False, got require_sector={self.require_sector!r}."
            )
        self.components_ = components
        self.weights_ = {n: float(weights.get(n, 0.0)) for n in names}

    def fit(self, X: pd.DataFrame, y: object = None, *, firms: Firms | None = None,
            buyers: pd.DataFrame | None = None, needs: object = None) -> SupplierMatcher:
        """Build the firm arrays and the inverted index, then each component's own columns.

        Parameters
        ----------
        X : pandas.DataFrame
            The firms (import format of ``features.columns.FIRM_COLUMNS``, or a profile
            table from ``build_profiles``). When ``firms`` is given, ``X`` are training
            needs instead (the ``GridSearchCV`` form:
            ``search.fit(needs, relevant, firms=Firms(profiles, buyers=buyers))``); they become
            the open needs.
        y : ignored
        firms : Firms, optional
            The firms (and buyers), when ``X`` holds needs. A :class:`Firms` holder, not a
            DataFrame: scikit-learn would cut a DataFrame with as many rows as ``X`` to a
            fold's rows.
        buyers : pandas.DataFrame, optional
            ``buyer_id``, ``country``, ``park_id`` of buyers, to place the plant of a need
            (with ``X`` the firms; with ``firms=Firms(...)`` give them there).
        needs : optional
            Open needs for :meth:`suggest_needs` and :meth:`best_upgrades`.

        Returns
        -------
        self
        """
        self._validate_params()
        if firms is not None:
            if not isinstance(firms, Firms):
                raise HyperParameterError(
                    f"Expected firms=Firms(table) when X holds needs, got {type(firms).__name__}: "
                    "GridSearchCV cuts a fit parameter with as many rows as X to the fold's rows, "
                    "so a DataFrame of firms could be fitted on a slice. Write "
                    "fit(needs, y, firms=Firms(firms, buyers=buyers)), or fit(firms) without needs."
                )
            if buyers is not None:
                raise HyperParameterError(
                    "Expected the buyers inside firms=Firms(table, buyers=...) when X holds needs, "
                    "got buyers= as well: GridSearchCV could cut them to the fold's rows."
                )
            needs = X if needs is None else needs
            X, buyers = firms.table, firms.buyers
        if not isinstance(X, pd.DataFrame):
            raise HyperParameterError(
                f"Expected firms as a pandas DataFrame, got {type(X).__name__}. Read the file with "
                "features.ingest.read_firms or pandas.read_csv."
            )
        taxonomy = self._taxonomy()
        profiles = X if all(c in X.columns for c in PROFILE_COLUMNS) else self._build_profiles(X, taxonomy)
        if "firm_id" in profiles.columns:
            profiles = profiles.set_index("firm_id")
        profiles.index = profiles.index.astype(str)
        self.profiles_ = profiles
        arrays = self._arrays(profiles, taxonomy)
        # Each component's fit step: the columns it owns, after the shared arrays it may read.
        arrays.own = ComponentColumns(arrays.firm_ids, {
            component.name: self._own_columns(component, profiles, arrays) for component in self.components_})
        self.firms_ = arrays
        self.firm_ids_ = self.firms_.firm_ids
        self.vocabulary_ = self.firms_.vocabulary
        self.n_firms_fit_ = len(profiles)
        self._row_of = {fid: i for i, fid in enumerate(self.firm_ids_)}
        # The stated tie key of every ranked list: firm_id (as text), whatever the input order.
        self._tie_rank = np.empty(len(self.firm_ids_), dtype=np.int64)
        self._tie_rank[np.argsort(self.firm_ids_.astype(str), kind="stable")] = np.arange(len(self.firm_ids_))
        # Fallback order: best profiles first (completeness, then exporters), ties by firm order.
        prior = self.firms_.completeness + 0.5 * (self.firms_.n_exports > 0)
        self._prior_order = np.argsort(-prior, kind="stable")
        self._prior_rank = np.empty(len(prior), dtype=np.int64)
        self._prior_rank[self._prior_order] = np.arange(len(prior))
        # Parsed needs and their text terms, by need: a refit starts them afresh.
        self._need_cache = NeedCache(_NEED_CACHE_SIZE)
        self._terms_cache = NeedCache(_NEED_CACHE_SIZE)
        self._concepts_cache = NeedCache(_NEED_CACHE_SIZE)  # a need's concept columns, by its codes
        self._names_cache = {}  # concept -> tokens of its names (query expansion)
        self.buyers_ = self._buyers(buyers)
        self.needs_ = None
        if needs is not None:
            self.set_needs(needs)
        return self

    @staticmethod
    def _own_columns(component: Component, profiles: pd.DataFrame, firms: FirmArrays) -> dict[str, np.ndarray]:
        """``component.fit_columns``, checked: a mapping of arrays with one row per firm."""
        columns = component.fit_columns(profiles, firms)
        if not isinstance(columns, Mapping):
            raise HyperParameterError(
                f"{type(component).__name__}.fit_columns: expected a dict column name -> array, got "
                f"{type(columns).__name__}. Return {{}} when the component needs no columns of its own."
            )
        out = {}
        for key, value in columns.items():
            array = np.asarray(value)
            if array.ndim == 0 or len(array) != len(firms):
                raise HyperParameterError(
                    f"{type(component).__name__}.fit_columns: expected column {key!r} with one row per firm "
                    f"({len(firms)}), got shape {array.shape}. Build it from the profile table's rows, in order."
                )
            out[str(key)] = array
        return out

    def _taxonomy(self):
        if self.taxonomy is not None:
            return self.taxonomy
        from features.taxonomy import load_taxonomy

        return load_taxonomy()

    def _build_profiles(self, firms: pd.DataFrame, taxonomy) -> pd.DataFrame:
        from features.profile import build_profiles

        missing = [c for c in ("firm_id", "name", "description") if c not in firms.columns]
        if missing:
            raise HyperParameterError(
                f"Expected firms with columns firm_id, name, description; missing {missing} "
                f"(got {list(firms.columns)[:12]}). Rename the columns or use features.ingest.read_firms."
            )
        return build_profiles(firms, taxonomy=taxonomy, geocode=self.geocode)

    @staticmethod
    def _buyers(buyers: pd.DataFrame | None) -> dict[str, dict]:
        if buyers is None:
            return {}
        missing = [c for c in ("buyer_id",) if c not in buyers.columns]
        if missing:
            raise HyperParameterError(f"Expected buyers with a buyer_id column, got columns {list(buyers.columns)}.")
        out = {}
        for record in buyers.to_dict("records"):
            out[str(record["buyer_id"])] = {k: ("" if pd.isna(v) else v) for k, v in record.items()
                                             if not isinstance(v, (list, tuple))}
        return out

    def _arrays(self, profiles: pd.DataFrame, taxonomy) -> FirmArrays:
        """The arrays several parts read: the text and concept channels (built once for every
        component and for candidate selection), code matrices, certificate periods, numbers and
        places shared with the constraints and :mod:`matching.gaps`. What only one component
        reads it builds itself (:meth:`Component.fit_columns`, called by :meth:`fit`)."""
        n = len(profiles)
        # Text: tokens per distinct folded text (descriptions repeat), tf-idf, L2 rows.
        texts = profiles["text_folded"].fillna("").astype(str).to_numpy()
        codes_of_text, distinct = pd.factorize(texts)
        vocabulary: dict[str, int] = {}
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in distinct:
            counts = Counter(tokens(text, expand=False))
            for term, count in counts.items():
                indices.append(vocabulary.setdefault(term, len(vocabulary)))
                data.append(1.0 + math.log(count))
            indptr.append(len(indices))
        distinct_matrix = sp.csr_matrix((np.asarray(data), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                                        shape=(len(distinct), max(1, len(vocabulary))))
        matrix = distinct_matrix[codes_of_text] if n else distinct_matrix[:0]
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]) if n else np.zeros(matrix.shape[1])
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        matrix = matrix @ sp.diags(idf)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        matrix = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix
        self._text_csr = matrix.tocsr()
        # Codes: dense boolean matrices per kind.
        codes: dict[str, list[str]] = {}
        columns: dict[str, dict[str, int]] = {}
        has: dict[str, np.ndarray] = {}
        for kind in _CODE_KINDS:
            column = _PROFILE_KIND_COLUMN[kind]
            cells = [_tuple(v) for v in profiles[column]] if column in profiles.columns else [()] * n
            known = sorted({c for cell in cells for c in cell} | {t.code for t in taxonomy.terms(kind)})
            columns[kind] = {c: i for i, c in enumerate(known)}
            codes[kind] = known
            has[kind] = np.ascontiguousarray(self._multi_hot(cells, columns[kind], n).T)
        # Processes the firm named itself (ancestors added by the profile are implied, not named).
        process_cells = [_tuple(v) for v in profiles["processes"]]
        evidence = profiles["evidence"].to_numpy(object) if "evidence" in profiles.columns else np.full(n, None)
        direct_cells = []
        for cell, ev in zip(process_cells, evidence, strict=True):
            implied = {a for c in cell if c in taxonomy for a in taxonomy.ancestors(c)}
            named = {c for c in cell if isinstance(ev, Mapping) and c in ev} | (set(cell) - implied)
            direct_cells.append(tuple(named))
        process_direct = np.ascontiguousarray(self._multi_hot(direct_cells, columns["process"], n).T)
        # Certifications: the days each code is valid, as the periods of the one validity rule
        # (a renewal continues a certificate, a lapse leaves a gap). Slot p of the last axis holds
        # a firm's p-th period of a code; NaN where there is none.
        memo: dict[tuple, dict] = {}  # firms often share a certification cell
        cert_cells = [_cert_periods(_tuple(v), memo) for v in profiles["certifications"]]
        cert_codes = sorted({c for cell in cert_cells for c in cell} | {t.code for t in taxonomy.terms("certification")})
        columns["certification"] = {c: i for i, c in enumerate(cert_codes)}
        codes["certification"] = cert_codes
        slots = max((len(periods) for cell in cert_cells for periods in cell.values()), default=1)
        cert_from = np.full((len(cert_codes), n, slots), np.nan)
        cert_to = np.full((len(cert_codes), n, slots), np.nan)
        cert_verified = np.zeros((len(cert_codes), n, slots), dtype=bool)
        for row, cell in enumerate(cert_cells):
            for code, periods in cell.items():
                column = columns["certification"][code]
                for slot, (first, last, verified) in enumerate(periods):
                    cert_from[column, row, slot] = -math.inf if first is None else first.toordinal()
                    cert_to[column, row, slot] = math.inf if last is None else last.toordinal()
                    cert_verified[column, row, slot] = verified
        concept, concept_columns, concept_idf = self._concept_matrix(profiles, taxonomy)
        export_cells = [_tuple(v) for v in profiles["export_markets"]] if "export_markets" in profiles else [()] * n
        countries = sorted({c.upper() for cell in export_cells for c in cell})
        export_matrix = self._multi_hot([[c.upper() for c in cell] for cell in export_cells],
                                        {c: i for i, c in enumerate(countries)}, n)
        labels = {t.code: (t.label_vi, t.label_en) for t in taxonomy.terms()}
        ancestors = {t.code: tuple(taxonomy.ancestors(t.code)) for t in taxonomy.terms("process")}
        descendants = {t.code: tuple(taxonomy.descendants(t.code)) for t in taxonomy.terms("process")}

        def col(name: str) -> np.ndarray:
            return _number(profiles[name], n) if name in profiles.columns else np.full(n, np.nan)

        csc = matrix.tocsc()
        return FirmArrays(  # the fitted arrays keep per-code values for the components (memo)
            firm_ids=profiles.index.to_numpy(dtype=object),
            names=profiles["name"].fillna("").astype(str).to_numpy(object) if "name" in profiles else
            np.full(n, "", dtype=object),
            text=csc,
            vocabulary=vocabulary,
            terms=_inverse(vocabulary),
            idf=idf,
            codes=codes,
            columns=columns,
            has=has,
            process_direct=process_direct,
            cert_from=cert_from,
            cert_to=cert_to,
            cert_verified=cert_verified,
            capacity=col("monthly_capacity"),
            lat=col("lat"),
            lon=col("lon"),
            n_exports=export_matrix.sum(axis=1),
            export_countries={c: export_matrix[:, i].copy() for i, c in enumerate(countries)},
            multinationals=np.nan_to_num(col("multinational_customers")),
            completeness=np.clip(np.nan_to_num(col("completeness")), 0.0, 1.0),
            evidence=evidence,
            labels=labels,
            ancestors=ancestors,
            descendants=descendants,
            capacity_or_zero=np.nan_to_num(col("monthly_capacity"), nan=0.0),
            place_km=self._park_distances(col("lat"), col("lon")),
            concept=concept,
            concept_columns=concept_columns,
            concept_codes=_inverse(concept_columns),
            concept_idf=concept_idf,
            concept_sectors=frozenset(c for code, c in concept_columns.items()
                                      if code in taxonomy and taxonomy.get(code).kind == "sector"),
            labels_ja={t.code: t.label_ja for t in taxonomy.terms()},
        ).enable_code_memo()

    @staticmethod
    def _concept_weights(named: Iterable[str], taxonomy) -> dict[str, float]:
        """Concept -> weight for a set of named codes: 1 for a named code, ``_ANCESTOR_WEIGHT``
        for a related one: a more general code it implies (``cnc_milling`` -> ``cnc_machining``)
        or the process that makes a product and the material it is made of (``made_by`` and
        ``made_of`` in the taxonomy: leaf springs -> spring making, steel). A code with ``same_as`` stands for that code (the wire-harness product
        is the wire-harness trade). A named code weighs its ``salience`` (assembly, prototyping:
        0.5). A sector weighs ``_SECTOR_WEIGHT``: shared by too many firms
        to tell much, and never implied through ancestors."""
        def same(code: str) -> str:
            target = taxonomy.get(code).attrs.get("same_as")
            return str(target) if target and target in taxonomy else code

        named = {same(c) for c in named if c in taxonomy}
        sectors = {c for c in named if taxonomy.get(c).kind == "sector"}
        named = {c for c in named if taxonomy.get(c).kind != "sector"}
        out: dict[str, float] = dict.fromkeys(sectors, _SECTOR_WEIGHT)
        for code in named:
            attrs = taxonomy.get(code).attrs
            related = [*taxonomy.ancestors(code), *(attrs.get("made_by") or ()), *(attrs.get("made_of") or ())]
            for other in related:
                if other in taxonomy and other not in named and taxonomy.get(other).kind != "sector":
                    out[same(other)] = _ANCESTOR_WEIGHT
        out.update({c: float(taxonomy.get(c).attrs.get("salience", 1.0)) for c in named})
        # By code: the order of the sets above changes from process to process (string hashes),
        # and with it the order of the sums made of these weights, in their last bits.
        return dict(sorted(out.items()))

    def _concept_matrix(self, profiles: pd.DataFrame, taxonomy) -> tuple[sp.csc_matrix, dict[str, int], np.ndarray]:
        """Firms x concepts (processes, materials, product concepts; their ancestors at a
        lower weight), idf-weighted, rows L2-normalised: the concept channel."""
        n = len(profiles)
        columns: dict[str, int] = {}
        indptr, indices, data = [0], [], []
        cells = zip(*[[_tuple(v) for v in profiles[c]] if c in profiles.columns else [()] * n
                      for c in ("processes", "materials", "product_groups", "sectors")], strict=True)
        memo: dict[frozenset, dict[str, float]] = {}
        for cell in cells:
            codes = frozenset(c for part in cell for c in part)
            if codes not in memo:
                implied = {a for c in codes if c in taxonomy for a in taxonomy.ancestors(c)}
                memo[codes] = self._concept_weights(codes - implied, taxonomy)
            for code, weight in memo[codes].items():
                indices.append(columns.setdefault(code, len(columns)))
                data.append(weight)
            indptr.append(len(indices))
        matrix = sp.csr_matrix((np.asarray(data, dtype=float), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                               shape=(n, max(1, len(columns))))
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]) if n else np.zeros(matrix.shape[1])
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        matrix = matrix @ sp.diags(idf)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        matrix = sp.diags(1.0 / np.where(norms > 0, norms, 1.0) ** _CONCEPT_LENGTH_NORM) @ matrix
        return matrix.tocsc(), columns, idf

    @staticmethod
    def _park_distances(lat: np.ndarray, lon: np.ndarray) -> dict[tuple[float, float], np.ndarray]:
        """Distance in km of every firm to every industrial park, keyed by the park's (lat, lon)
        as :meth:`_park_place` gives it (22 parks x 100,000 firms: 18 MB)."""
        from features.geo import parks

        out: dict[tuple[float, float], np.ndarray] = {}
        for park_lat, park_lon in zip(parks()["lat"], parks()["lon"], strict=True):
            place = (float(park_lat), float(park_lon))
            if math.isfinite(place[0]) and math.isfinite(place[1]):
                km = haversine_km(lat, lon, place[0], place[1])
                km.flags.writeable = False  # shared by every query
                out[place] = km
        return out

    @staticmethod
    def _multi_hot(cells: Sequence[Iterable[str]], columns: Mapping[str, int], n: int) -> np.ndarray:
        out = np.zeros((n, max(1, len(columns))), dtype=bool)
        rows = [r for r, cell in enumerate(cells) for c in cell if c in columns]
        cols = [columns[c] for cell in cells for c in cell if c in columns]
        out[rows, cols] = True
        return out

    # --------------------------------------------------------------- needs
    def set_needs(self, needs: object) -> SupplierMatcher:
        """Set the open needs used by :meth:`suggest_needs` and :meth:`best_upgrades`.

        Closed needs (``status == "closed"``) are dropped.
        """
        check_is_fitted(self)
        if isinstance(needs, pd.DataFrame) and "status" in needs.columns:
            needs = needs[needs["status"].fillna("open").astype(str).str.lower() != "closed"]
        self.needs_ = parse_needs(needs, taxonomy=self.taxonomy)
        return self

    def _queries(self, needs: object, today: date | None = None) -> list[NeedQuery]:
        return parse_needs(needs, today=today, taxonomy=self.taxonomy, cache=self.__dict__.get("_need_cache"))

    def set_params(self, **params: object) -> SupplierMatcher:
        """Set hyper-parameters (scikit-learn); forgets the parsed needs cached since ``fit``.

        The fitted state stays until the next ``fit``; only the caches that depend on the
        hyper-parameters (parsing with ``taxonomy``) are dropped at once.
        """
        super().set_params(**params)
        self.__dict__.pop("_names_cache", None)
        for name in ("_need_cache", "_terms_cache", "_concepts_cache"):
            cache = self.__dict__.get(name)
            if cache is not None:
                cache.clear()
        return self

    def _concept_names(self, code: str) -> Counter:
        """Tokens of every name of a concept (labels, aliases), each counted once per name."""
        return _name_tokens(self._taxonomy()).get(code, Counter())

    def _expansion(self, concepts: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        """(term, 1 + log count) of the ``_EXPANSION_TERMS`` most telling names of a set of
        concepts: the rarest among the firms (each term read is a posting list gathered, and a
        concept can have a hundred aliases). Needs share concepts: cached by the set."""
        cache = self.__dict__.setdefault("_names_cache", {})
        key = ("expansion", concepts)
        if key not in cache:
            # Each concept's own most telling names (cached per concept), then the most telling
            # of their union: the same terms as ranking every name of every concept, far cheaper.
            names: Counter = Counter()
            for code in concepts:
                names.update(dict(self._telling_names(code)))
            idf, vocabulary = self.firms_.idf, self.firms_.vocabulary
            known = [(t, 1.0 + math.log(c)) for t, c in names.items()]
            rarity = {t: float(idf[vocabulary[t]]) for t, _ in known}
            known.sort(key=lambda tw: (-tw[1] * rarity[tw[0]], tw[0]))
            cache[key] = tuple(known[:_EXPANSION_TERMS])
        return cache[key]

    def _telling_names(self, code: str) -> tuple[tuple[str, int], ...]:
        """(term, count) of a concept's names known to the firms, the ``_EXPANSION_TERMS`` rarest."""
        cache = self.__dict__.setdefault("_names_cache", {})
        key = ("telling", code)
        if key not in cache:
            idf, vocabulary = self.firms_.idf, self.firms_.vocabulary
            known = [(t, c) for t, c in self._concept_names(code).items() if t in vocabulary]
            known.sort(key=lambda tc: (-(1.0 + math.log(tc[1])) * idf[vocabulary[tc[0]]], tc[0]))
            cache[key] = tuple(known[:_EXPANSION_TERMS])
        return cache[key]

    def _text_terms(self, text: str, concepts: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Index columns and L2-normalised tf-idf weights of a need's words, plus the names of
        the ``concepts`` it names at weight ``expansion`` (cached by text and concepts)."""
        cache = self.__dict__.get("_terms_cache")
        key = (text, concepts)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            return hit
        firms = self.firms_
        tf = {t: 1.0 + math.log(c) for t, c in Counter(tokens(text)).items()}
        if self.expansion:
            for term, weight in self._expansion(tuple(sorted(set(concepts)))):
                tf[term] = tf.get(term, 0.0) + self.expansion * weight
        # A word in more than a fifth of the firms (and in 50 or more) tells nothing, and costs
        # the most to read; small sets keep every word.
        n = len(firms)
        common = 1.0 + math.log((1.0 + n) / (1.0 + max(_COMMON_SHARE * n, 50.0)))
        terms = [(c, w) for t, w in tf.items()
                 if (c := firms.vocabulary.get(t)) is not None and firms.idf[c] > common]
        if terms:
            cols = np.fromiter((t for t, _ in terms), dtype=np.int64, count=len(terms))
            weights = np.fromiter((w for _, w in terms), dtype=float, count=len(terms)) * firms.idf[cols]
            weights /= np.linalg.norm(weights)
        else:
            cols = np.zeros(0, dtype=np.int64)
            weights = np.zeros(0)
        cols.flags.writeable = weights.flags.writeable = False  # shared by every hit
        if cache is not None:
            cache.put(key, (cols, weights))
        return cols, weights

    def _context(self, need: NeedQuery) -> QueryContext:
        firms = self.firms_
        unknown = [firm_id for firm_id in need.exclude_firms if firm_id not in self._row_of]
        if unknown:
            raise NeedError(
                f"Need {need.need_id}: expected exclude_firms among the firm_ids the matcher was fitted on "
                f"(e.g. {self.firm_ids_[0]!r}), got unknown {unknown}. Fix the ids or drop them."
            )
        words = need.text if need.words is None else need.words
        cols, weights = self._text_terms(words, (*need.processes, *need.materials, *need.product_groups))
        text_values = _postings(firms.text, cols, weights, len(firms))
        concept_cols, concept_weights = self._concept_terms(need)
        # Sectors apart: a firm that shares only the need's sector is no candidate on that alone.
        sector = np.fromiter((int(c) in firms.concept_sectors for c in concept_cols), dtype=bool,
                             count=len(concept_cols))
        concept_values = _postings(firms.concept, concept_cols[~sector], concept_weights[~sector], len(firms))
        concept_signal = concept_values > 0
        if sector.sum() == 1:  # the usual case: added in place (the same floats, see _postings)
            _postings(firms.concept, concept_cols[sector], concept_weights[sector], len(firms), out=concept_values)
        elif sector.any():
            concept_values += _postings(firms.concept, concept_cols[sector], concept_weights[sector], len(firms))
        # Channels are fused on one scale: each relative to the need's best firm on it (the
        # cosines of a long description and of a short one are not comparable across needs,
        # nor words with concepts).
        text_values, _ = _relative(text_values)
        concept_values, concept_scale = _relative(concept_values)
        buyer = self.buyers_.get(need.buyer_id, {})
        place = None
        if not (math.isnan(need.lat) or math.isnan(need.lon)):
            place = (need.lat, need.lon, "nhà máy bên mua", "the buyer's plant")
        else:
            park_id = need.park_id or str(buyer.get("park_id", "") or "")
            if park_id:
                place = self._park_place(park_id)
        country = need.buyer_country or str(buyer.get("country", "") or "").upper()
        return QueryContext(need=need, term_columns=cols, term_weights=weights, text_values=text_values,
                            concept_columns=concept_cols, concept_weights=concept_weights,
                            concept_values=concept_values, concept_scale=concept_scale,
                            concept_signal=concept_signal,
                            place=place, as_of_ordinal=float(need.as_of.toordinal()), buyer_country=country)

    def concept_value(self, firm: FirmArrays, ctx: QueryContext) -> tuple[np.ndarray, np.ndarray]:
        """Concept channel of a one-firm copy of the arrays (as :mod:`matching.gaps` changes a
        firm's processes or materials), on the scale of ``ctx`` (capped at 1), and whether the
        firm shares a concept other than a sector with the need (its signal)."""
        codes = {firm.codes[kind][c] for kind in ("process", "material", "product_group", "sector")
                 for c in np.flatnonzero(firm.has[kind][:, 0])}
        taxonomy = self._taxonomy()
        implied = {a for c in codes if c in taxonomy for a in taxonomy.ancestors(c)}
        weights = self._concept_weights(codes - implied, taxonomy)
        known = {firm.concept_columns[c]: w * firm.concept_idf[firm.concept_columns[c]]
                 for c, w in weights.items() if c in firm.concept_columns}
        norm = (math.sqrt(sum(v * v for v in known.values())) or 1.0) ** _CONCEPT_LENGTH_NORM
        shared = [(int(c), known.get(int(c), 0.0) / norm * w)
                  for c, w in zip(ctx.concept_columns, ctx.concept_weights, strict=True)]
        raw = sum(v for _, v in shared)
        signal = any(v > 0 and c not in firm.concept_sectors for c, v in shared)
        return np.array([min(1.0, raw / ctx.concept_scale)]), np.array([signal])

    def _concept_terms(self, need: NeedQuery) -> tuple[np.ndarray, np.ndarray]:
        """Columns and L2-normalised idf weights of the need's concepts (cached by the codes:
        needs often name the same processes and materials)."""
        firms = self.firms_
        named = (*need.processes, *need.materials, *need.product_groups, *need.sectors)
        cache = self.__dict__.get("_concepts_cache")
        key = (named, need.context)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            return hit
        weights = self._concept_weights(named, self._taxonomy())
        for code in need.context:  # what the part is for, not the part
            if code in weights:
                weights[code] *= _CONTEXT_WEIGHT
        known = [(firms.concept_columns[c], w) for c, w in weights.items() if c in firms.concept_columns]
        if not known:
            cols, values = np.zeros(0, dtype=np.int64), np.zeros(0)
        else:
            cols = np.fromiter((c for c, _ in known), dtype=np.int64, count=len(known))
            values = np.fromiter((w for _, w in known), dtype=float, count=len(known)) * firms.concept_idf[cols]
            values = values / np.linalg.norm(values)
        cols.flags.writeable = values.flags.writeable = False  # shared by every hit
        if cache is not None:
            cache.put(key, (cols, values))
        return cols, values

    def _park_place(self, park_id: str) -> tuple[float, float, str, str]:
        """(lat, lon, short vi name, short en name) of a park; the parks table is read once."""
        cache = self.__dict__.setdefault("_park_cache", {})
        if park_id not in cache:
            from features.geo import park as find_park

            found = find_park(park_id)  # raises UnknownParkError with the closest ids
            cache[park_id] = (float(found.lat), float(found.lon),
                              str(found.name_vi).replace("Khu công nghiệp", "KCN"),
                              str(found.name_en).replace("Industrial Park", "IP"))
        return cache[park_id]

    def _signal(self, ctx: QueryContext, firms: FirmArrays | None = None) -> np.ndarray:
        """Mask of firms with any text, process (or related process) or material signal.

        ``firms`` (default the fitted arrays) may be a one-firm copy, with ``ctx.text_values``
        of that firm only (as :func:`matching.gaps.best_upgrades` scores a changed firm).
        """
        firms = self.firms_ if firms is None else firms
        signal = (ctx.text_values > 0) | ctx.concept_signal
        for kind, codes in (("process", ctx.need.processes), ("material", ctx.need.materials)):
            related = set(codes)
            if kind == "process":
                for code in codes:
                    related |= set(firms.ancestors.get(code, ())) | set(firms.descendants.get(code, ()))
            known = sorted(firms.columns[kind][c] for c in related if c in firms.columns[kind])
            if known:
                matrix = firms.process_direct if kind == "process" else firms.has[kind]
                signal |= _any_of(matrix, ALL, known)
        return signal

    def _score_rows(self, ctx: QueryContext, rows: np.ndarray, firms: FirmArrays | None = None,
                    known: Mapping[str, np.ndarray] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Scores of the firms at ``rows`` and each component's contribution (weight x value).

        ``known``: component name -> its clipped values at ``rows``, computed already (by
        :meth:`_prune_known`); a component's value of a firm depends on that firm alone, so
        values read on a larger set of rows and gathered are the same floats.
        """
        firms = self.firms_ if firms is None else firms
        contributions = {}
        total = np.zeros(len(rows))
        for component in self.components_:
            weight = self.weights_[component.name]
            if not weight:
                value = np.zeros(len(rows))
            elif known is not None and component.name in known:
                value = known[component.name]  # clipped already, on these rows
            else:
                # The contract of every component, whatever the data (a capacity of -300, say).
                value = _clip01(component.values(firms, ctx, rows))
            contributions[component.name] = weight * value
            total += contributions[component.name]
        return total, contributions

    def _rank_columns(self, ctx: QueryContext, k: int, include_filtered: bool,
                      exposure: Counter | None) -> dict[str, np.ndarray]:
        """The ranked list of one need as columns (arrays), so a batch builds one table."""
        firms = self.firms_
        signal = self._signal(ctx)
        ok = passes(firms, ctx, require_sector=self.require_sector)
        eligible = ok.copy()
        if exposure and self.max_exposure is not None:
            full = [self._row_of[f] for f, count in exposure.items() if count >= self.max_exposure]
            eligible[full] = False
        first, fallback = self._first_tier(signal, eligible)
        rows, scores, contributions, order = self._best(ctx, first, k)
        if len(order) < k:
            # Every firm of the first tier is listed: the other passing firms follow, by score.
            rest = eligible & ~signal
            rest[fallback] = False
            more_rows, more_scores, more_contributions, more = self._best(ctx, np.flatnonzero(rest), k - len(order))
            rows, order = np.concatenate([rows, more_rows]), np.concatenate([order, more + len(rows)])
            scores = np.concatenate([scores, more_scores])
            contributions = {name: np.concatenate([values, more_contributions[name]])
                             for name, values in contributions.items()}
        chosen = rows[order]
        columns = {"need_id": np.full(len(chosen), ctx.need.need_id, dtype=object),
                   "rank": np.arange(1, len(chosen) + 1), "firm_id": firms.firm_ids[chosen],
                   "score": scores[order]}
        columns.update({name: values[order] for name, values in contributions.items()})
        if include_filtered:
            columns["failed"] = np.full(len(chosen), "", dtype=object)
            dropped = np.flatnonzero(signal & ~ok)
            if len(dropped):
                # Shown on request: the filtered firms most relevant by the cheap components.
                relevance = self._cheap_scores(ctx, dropped)
                dropped = dropped[np.argsort(-relevance, kind="stable")[: 4 * k + 8]]
                reasons = check(firms, ctx, dropped, require_sector=self.require_sector)
                d_scores, d_contrib = self._score_rows(ctx, dropped)
                d_order = np.lexsort((self._tie_rank[dropped], -d_scores))[:k]
                extra = {"need_id": np.full(len(d_order), ctx.need.need_id, dtype=object),
                         "rank": np.arange(len(chosen) + 1, len(chosen) + 1 + len(d_order)),
                         "firm_id": firms.firm_ids[dropped[d_order]], "score": d_scores[d_order]}
                extra.update({name: values[d_order] for name, values in d_contrib.items()})
                extra["failed"] = reasons[d_order]
                columns = {name: np.concatenate([values, extra[name]]) for name, values in columns.items()}
        if exposure is not None:
            exposure.update(firms.firm_ids[chosen])
        return columns

    def _cheap_scores(self, ctx: QueryContext, rows: np.ndarray | slice) -> np.ndarray:
        total = np.zeros(len(self.firms_) if isinstance(rows, slice) else len(rows))
        scratch = np.empty_like(total)  # weight x value written here, not in a new array each time
        for component in self.components_:
            weight = self.weights_[component.name]
            if weight and component.cheap:
                value = _clip01(component.values(self.firms_, ctx, rows))
                total += np.multiply(value, weight, out=scratch)
        return total

    def _prune(self, ctx: QueryContext, rows: np.ndarray, depth: int) -> np.ndarray:
        """Drop firms that cannot reach the top ``depth`` (exact: bounds, not approximations).

        First a coarse bound: the two channels (already read for every firm) exactly, every
        other component at a bound that reads nothing per firm (its ``coarse_upper``: 1, or 0
        for distance when the need has no place). The full score of the ``probe`` firms with
        the best coarse bound gives a floor (their depth-th best); a firm whose bound stays
        below it cannot enter the list. Of tens of thousands of candidates a few thousand stay;
        on them a tighter bound, the cheap components exact and the others at their ``upper``,
        meets the same floor.
        """
        return self._prune_known(ctx, rows, depth)[0]

    def _prune_known(self, ctx: QueryContext, rows: np.ndarray, depth: int
                     ) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
        """:meth:`_prune`, and the clipped values of the cheap components at the rows kept
        (read for the tighter bound; the final scores reuse them), or None when not read."""
        probe = max(4 * depth, 64)
        if len(rows) <= 2 * probe:
            return rows, None
        firms = self.firms_
        # Bounds that read nothing per firm are summed as numbers first: one pass over the
        # candidates for them all. (A bound only prunes: its last bits of rounding move no
        # firm across the floor's tolerance, and any head gives an exact floor.)
        bound, constant = None, 0.0
        for component in self.components_:
            weight = self.weights_[component.name]
            if weight:
                upper = component.coarse_upper(firms, ctx, rows)
                if np.ndim(upper) == 0:
                    constant += weight * float(upper)
                elif bound is None:
                    bound = weight * upper
                else:
                    bound += weight * upper
        if bound is None:
            bound = np.full(len(rows), constant)
        elif constant:
            bound += constant
        head_scores, _ = self._score_rows(ctx, rows[_head(bound, probe)])
        floor = float(np.partition(head_scores, len(head_scores) - depth)[len(head_scores) - depth]) - 1e-12
        # (The small tolerance keeps ties and rounding on the safe side.)
        rows = rows[bound >= floor]
        if len(rows) <= 2 * probe:
            return rows, None
        # Whole columns are faster than a gather when most firms are candidates.
        every = 3 * len(rows) > len(firms)
        known: dict[str, np.ndarray] = {}
        bound = np.zeros(len(rows))
        scratch = np.empty_like(bound)
        constant = 0.0
        for component in self.components_:
            weight = self.weights_[component.name]
            if not weight:
                continue
            if component.cheap:
                value = _clip01(component.values(firms, ctx, ALL))[rows] if every else \
                    _clip01(component.values(firms, ctx, rows))
                known[component.name] = value
                bound += np.multiply(value, weight, out=scratch)
            else:
                upper = component.upper(firms, ctx, rows)
                if np.ndim(upper) == 0:
                    constant += weight * float(upper)
                else:
                    bound += np.multiply(upper, weight, out=scratch)
        if constant:
            bound += constant
        keep = bound >= floor
        return rows[keep], {name: value[keep] for name, value in known.items()}

    def _fallback_rows(self, mask: np.ndarray, count: int) -> np.ndarray:
        """The first ``count`` firms of ``mask`` in fallback order (best profiles first), in that order."""
        order = self._prior_order
        found: list[np.ndarray] = []
        start, size, total = 0, max(4 * count, 256), 0
        while total < count and start < len(order):
            chunk = order[start : start + size]
            hit = chunk[mask[chunk]]
            found.append(hit)
            total += len(hit)
            start, size = start + size, 4 * size
        return np.concatenate(found)[:count] if found else np.zeros(0, dtype=np.int64)

    def _first_tier(self, signal: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The candidates ranked first, and the fallback firms among them.

        Candidates are the eligible firms with a text, process or material signal plus the
        ``fallback`` eligible firms without one that have the best profiles. The rule does not
        depend on ``k``, so a top-k list is the start of every longer list; when ``k`` exceeds
        the candidates, the other eligible firms follow (see :meth:`_rank_columns`).
        """
        fallback = self._fallback_rows(eligible & ~signal, self.fallback)
        # A mask, not np.union1d: the same sorted distinct rows without hashing every candidate.
        first = signal & eligible
        first[fallback] = True
        return np.flatnonzero(first), fallback

    def _best(self, ctx: QueryContext, rows: np.ndarray, k: int
              ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """(rows kept, their scores, contributions, positions of the top ``k`` in ranked order)."""
        depth = max(5 * k, k + 1) if self.diversity == "mmr" else k
        rows, known = self._prune_known(ctx, rows, depth)
        scores, contributions = self._score_rows(ctx, rows, known=known)
        return rows, scores, contributions, self._top(ctx, rows, scores, k)

    def _top(self, ctx: QueryContext, rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        """Positions of the best ``k`` of ``rows``: score descending, ties by firm_id.

        The firms tied at the cut are chosen by the same key as the sort, so a top-k list is
        the start of every longer list even when many firms share a score.
        """
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64)
        depth = min(len(rows), max(5 * k, k + 1) if self.diversity == "mmr" else k)
        tie = self._tie_rank[rows]
        if depth < len(rows):
            cut = -np.partition(-scores, depth - 1)[depth - 1]
            above = np.flatnonzero(scores > cut)
            tied = np.flatnonzero(scores == cut)
            tied = tied[np.argsort(tie[tied], kind="stable")[: depth - len(above)]]
            part = np.concatenate([above, tied])
        else:
            part = np.arange(len(rows))
        part = part[np.lexsort((tie[part], -scores[part]))]
        if self.diversity != "mmr" or len(part) <= 1:
            return part[:k]
        pool = part[: max(5 * k, k + 1)]
        vectors = self._text_csr[rows[pool]]
        similarity = (vectors @ vectors.T).toarray()
        chosen = [0]
        remaining = list(range(1, len(pool)))
        relevance = scores[pool]
        while remaining and len(chosen) < k:
            redundancy = similarity[np.ix_(remaining, chosen)].max(axis=1)
            mmr = self.mmr_lambda * relevance[remaining] - (1 - self.mmr_lambda) * redundancy
            best = remaining[int(np.argmax(mmr))]
            chosen.append(best)
            remaining.remove(best)
        return pool[chosen]

    def _check_k(self, k: int) -> int:
        """Validate ``k``; lists hold at most ``n_firms_fit_`` firms, so a larger k is capped."""
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise HyperParameterError(
                f"Expected k an integer >= 1 (lists hold at most n_firms_fit_={self.n_firms_fit_} firms), got k={k!r}."
            )
        return int(min(k, self.n_firms_fit_))

    # --------------------------------------------------------------- queries
    def rank(self, needs: object, k: int = 10, *, include_filtered: bool = False,
             today: date | None = None) -> pd.DataFrame:
        """Rank firms for one need or a batch.

        Parameters
        ----------
        needs : str, dict, NeedQuery, pandas.DataFrame or list of these
            Free text and/or the structured fields of ``NEED_COLUMNS``.
        k : int, default 10
            Firms per need.
        include_filtered : bool, default False
            Also return up to ``k`` firms that failed a hard constraint, after the ranked
            ones, with the constraint in column ``failed`` (``""`` for ranked firms).
        today : datetime.date, optional
            Validity date for needs without ``created`` (default: today).

        Returns
        -------
        pandas.DataFrame
            Long table ``need_id, rank, firm_id, score`` and one column per component with
            its contribution (weight x value); ``score`` is their sum. Equal scores are
            ordered by ``firm_id`` (as text), so ``rank(k=1)`` is the first row of any longer list.
        """
        check_is_fitted(self)
        k = self._check_k(k)
        exposure = Counter() if self.max_exposure is not None else None
        lists = [self._rank_columns(self._context(q), k, include_filtered, exposure)
                 for q in self._queries(needs, today)]
        columns = ["need_id", "rank", "firm_id", "score", *self.weights_]
        if include_filtered:
            columns.append("failed")
        lists = [one for one in lists if len(one["rank"])]
        if not lists:
            return pd.DataFrame(columns=columns)
        # One table for the batch: columns joined as arrays, not one DataFrame per need.
        joined = lists[0] if len(lists) == 1 else {c: np.concatenate([one[c] for one in lists]) for c in columns}
        # The arrays are this call's own (gathers, np.full): no need for pandas to copy them.
        return _frame(joined, columns)

    def _row(self, firm_id: str) -> int:
        check_is_fitted(self)
        row = self._row_of.get(str(firm_id))
        if row is None:
            raise UnknownFirmError(
                f"Expected a firm_id the matcher was fitted on (e.g. {self.firm_ids_[0]!r}), got {firm_id!r}. "
                "Refit with that firm or check the id."
            )
        return row

    def score_pair(self, need: object, firm_id: str, *, today: date | None = None) -> dict:
        """Score of one (need, firm) pair: ``{"score", "contributions", "values", "failed"}``.

        The same arithmetic as :meth:`rank`, on one row.
        """
        row = self._row(firm_id)
        (query,) = self._queries(need, today)[:1]
        ctx = self._context(query)
        return self._pair(ctx, row)

    def _pair(self, ctx: QueryContext, row: int, firms: FirmArrays | None = None) -> dict:
        return self._pairs(ctx, [row], firms)[0]

    def _pairs(self, ctx: QueryContext, rows: Sequence[int], firms: FirmArrays | None = None) -> list[dict]:
        """:meth:`_pair` of several rows, each component called once for all of them (its
        values are per row, so a row's value does not depend on the others asked with it)."""
        firms = self.firms_ if firms is None else firms
        at = np.asarray(rows, dtype=np.intp)
        # The arithmetic of _score_rows (weight x clipped value, summed in component order),
        # each component's value computed once.
        values, contributions, total = {}, {}, np.zeros(at.size)
        for component in self.components_:
            weight = self.weights_[component.name]
            value = np.clip(component.values(firms, ctx, at), 0.0, 1.0)
            values[component.name] = value
            contribution = weight * value if weight else np.zeros(at.size)
            contributions[component.name] = contribution
            total += contribution
        failed = check(firms, ctx, at, require_sector=self.require_sector)
        return [{"score": float(total[i]),
                 "contributions": {name: float(c[i]) for name, c in contributions.items()},
                 "values": {name: float(v[i]) for name, v in values.items()},
                 "failed": str(failed[i])} for i in range(at.size)]  # fmt: skip

    def explain(self, need: object, firm_id: str, *, today: date | None = None):
        """Why ``firm_id`` scores what it does for ``need``.

        Returns
        -------
        matching.explain.Explanation
            ``score``, ``contributions`` (component -> weight x value), ``values``, ``reasons``
            (list of Reason, vi/en, each naming its component) and ``failed`` (the hard
            constraints the firm fails, as Reasons).
        """
        return self.explain_many(need, [firm_id], today=today)[0]

    def explain_many(self, need: object, firm_ids: Iterable[str], *, today: date | None = None) -> list:
        """:meth:`explain` for several firms of one need, in the order given (a shortlist's
        reasons): the need's channels over every firm are computed once, not once per firm."""
        from matching.explain import explain_pair

        rows = [self._row(firm_id) for firm_id in firm_ids]
        (query,) = self._queries(need, today)[:1]
        ctx = self._context(query)
        pairs = self._pairs(ctx, rows) if rows else []
        return [explain_pair(self, ctx, row, pair) for row, pair in zip(rows, pairs, strict=True)]

    def reasons(self, ctx: QueryContext, row: int, pair: dict | None = None) -> list[Reason]:
        """Reasons of every component with a positive weight: what speaks for the firm first
        (strongest contribution first), then what it lacks. ``pair``: :meth:`_pair` of the
        row when the caller has it already."""
        pair = self._pair(ctx, row) if pair is None else pair
        order = sorted(self.components_, key=lambda c: -pair["contributions"][c.name])
        out: list[Reason] = []
        for component in order:
            if self.weights_[component.name] > 0:
                out.extend(component.reasons(self.firms_, ctx, row))
        return sorted(out, key=lambda reason: not reason.positive)  # stable: keeps the order above

    def failures(self, ctx: QueryContext, row: int) -> list[Reason]:
        """Hard constraints firm ``row`` fails for the need of ``ctx`` (as Reasons)."""
        return describe_failures(self.firms_, ctx, row, require_sector=self.require_sector)

    def suggest_needs(self, firm_id: str, needs: object = None, k: int = 10, *,
                      include_filtered: bool = False) -> pd.DataFrame:
        """The open needs ``firm_id`` fits best (the other direction of :meth:`rank`).

        Parameters
        ----------
        firm_id : str
        needs : optional
            Needs to consider (default: those of ``fit(..., needs=)`` / :meth:`set_needs`).
        k : int, default 10
        include_filtered : bool, default False
            Keep needs whose hard constraints the firm fails (column ``failed`` says which).

        Returns
        -------
        pandas.DataFrame
            ``firm_id, rank, need_id, score``, one column per component (contributions),
            ``failed`` and ``reasons`` (list of "vi / en" strings). Scores equal those of
            :meth:`rank` for the same pair.
        """
        row = self._row(firm_id)
        queries = self._open_needs(needs)
        records = []
        for query in queries:
            ctx = self._context(query)
            pair = self._pair(ctx, row)
            if pair["failed"] and not include_filtered:
                continue
            records.append({"firm_id": str(firm_id), "need_id": query.need_id, "score": pair["score"],
                            **pair["contributions"], "failed": pair["failed"],
                            "reasons": [str(r) for r in (self.failures(ctx, row) + self.reasons(ctx, row, pair))]})
        columns = ["firm_id", "rank", "need_id", "score", *self.weights_, "failed", "reasons"]
        if not records:
            return pd.DataFrame(columns=columns)
        frame = pd.DataFrame.from_records(records)
        frame = frame.sort_values(["score", "need_id"], ascending=[False, True], kind="stable").head(k)
        frame["rank"] = np.arange(1, len(frame) + 1)
        return frame[columns].reset_index(drop=True)

    def _open_needs(self, needs: object) -> list[NeedQuery]:
        if needs is not None:
            return self._queries(needs)
        if getattr(self, "needs_", None) is None:
            raise HyperParameterError(
                "Expected needs: pass needs=... or set them with set_needs(needs) / fit(..., needs=...); got none."
            )
        return self.needs_

    def gaps(self, firm_id: str, need: object):
        """What ``firm_id`` lacks for ``need`` (see :func:`matching.gaps.gaps`)."""
        from matching.gaps import gaps

        return gaps(self, firm_id, need)

    def best_upgrades(self, firm_id: str, needs: object = None, top: int = 5, k: int = 10) -> pd.DataFrame:
        """Single changes that put ``firm_id`` on the most shortlists (see :func:`matching.gaps.best_upgrades`)."""
        from matching.gaps import best_upgrades

        return best_upgrades(self, firm_id, needs=needs, top=top, k=k)

    def score(self, X: object, y: Sequence, k: int = 10) -> float:
        """Mean reciprocal rank (0..1) of the relevant firms in the top ``k``: for ``GridSearchCV``.

        Parameters
        ----------
        X : needs (DataFrame or list)
        y : sequence, one entry per need: a firm_id or a collection of relevant firm_ids

        Returns
        -------
        float
            Mean over needs of 1/rank of the first relevant firm (0 when none in the top ``k``).
        """
        check_is_fitted(self)
        queries = self._queries(X)
        truth = list(y)
        if len(truth) != len(queries):
            raise HyperParameterError(f"Expected one y entry per need ({len(queries)}), got {len(truth)} in y.")
        k = min(k, self.n_firms_fit_)
        ranking = self.rank(queries, k=k)
        total = 0.0
        for query, relevant in zip(queries, truth, strict=True):
            relevant = {relevant} if isinstance(relevant, str) else set(relevant)
            hits = ranking[(ranking["need_id"] == query.need_id) & ranking["firm_id"].isin(relevant)]
            total += 1.0 / float(hits["rank"].min()) if len(hits) else 0.0
        return total / max(1, len(queries))

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "firms_")
