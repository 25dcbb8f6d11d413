"""Named score components (Splink-style comparison objects), each giving values in [0, 1].

A component is a small configuration object: ``TextSimilarity()``, ``ProcessFit()``,
``CertificationFit(verified_weight=1.0)``, ``Distance(half_km=30)``. It holds no learned
state itself: the matcher's fitted arrays (:class:`FirmArrays`) and one parsed need
(:class:`~matching.needs.NeedQuery`) go in, one value per candidate firm comes out
(vectorised), and :meth:`Component.reasons` turns one firm's value into words in
Vietnamese and English, through the same rule. The matcher multiplies each value by the
component's weight: the *contribution* carried on every result row.

The arrays hold what several parts read (the text and concept channels, the code matrices,
certificate periods, capacity, places: built once by the matcher) and, per component, the
columns that component builds for itself at fit (:meth:`Component.fit_columns`, read back
with :meth:`Component.own`). A new component is one class and its weight: its columns come
from its own fit step, not from the matcher.

Examples
--------
>>> Distance(half_km=30).name
'distance'
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from features.certifications import CertificateStatus, international_codes, status_from_periods
from features.geo import haversine_km
from features.numbers import format_number
from features.text import fold, stem
from matching.exceptions import HyperParameterError
from matching.needs import NeedQuery

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Reason",
    "FirmArrays",
    "ComponentColumns",
    "QueryContext",
    "Component",
    "TextSimilarity",
    "ConceptFit",
    "ProcessFit",
    "MaterialFit",
    "CertificationFit",
    "CapacityFit",
    "Distance",
    "Experience",
    "Completeness",
    "default_components",
    "haversine_km",
    "ALL",
]

@dataclass(frozen=True)
class Reason:
    """One reason for (or against) a match, in Vietnamese and English.

    Attributes
    ----------
    component : str
        Name of the component that produced it (``"process_fit"``, ``"constraint"``, ...).
    vi, en : str
        The reason in words.
    positive : bool
        True when it speaks for the firm, False for a shortfall.
    """

    component: str
    vi: str
    en: str
    positive: bool = True

    def __str__(self) -> str:
        return self.vi if self.vi == self.en else f"{self.vi} / {self.en}"


@dataclass
class FirmArrays:
    """The fitted, column-wise state of the firms (one row per firm, aligned arrays).

    Code matrices are dense booleans stored code-major (``codes x firms``: 48 processes x
    100,000 firms is 4.8 MB), so the firms holding one code are one contiguous row. Certificate validity is stored as
    day ordinals, ``codes x firms x slots``: slot p holds the p-th period in which the code is valid for the firm
    (:func:`features.certifications.validity_periods`, the one validity rule: renewals continue a period, a
    lapse starts another); ``cert_from``/``cert_to`` are NaN in unused slots, ``-inf``/``+inf`` where a period is
    not bounded.
    """

    firm_ids: np.ndarray
    names: np.ndarray
    text: sp.csc_matrix  # n_firms x vocabulary, rows L2-normalised tf-idf
    vocabulary: dict[str, int]
    idf: np.ndarray
    codes: dict[str, list[str]]  # kind -> codes (column order)
    columns: dict[str, dict[str, int]]  # kind -> code -> column
    has: dict[str, np.ndarray]  # kind -> n_codes x n bool ("process" includes ancestors)
    process_direct: np.ndarray  # n_process x n bool, codes the firm's text named itself
    cert_from: np.ndarray
    cert_to: np.ndarray
    cert_verified: np.ndarray
    capacity: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    n_exports: np.ndarray
    export_countries: dict[str, np.ndarray]  # ISO alpha-2 -> firm rows exporting there
    multinationals: np.ndarray
    completeness: np.ndarray
    evidence: np.ndarray  # object array of dicts code -> span
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (vi, en)
    ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    descendants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Not filled: Experience builds its need-independent part in its own fit step (``own``).
    # The field stays because matching.gaps names it when it copies one firm's row.
    experience_base: np.ndarray | None = None
    # Capacity with NaN (not stated) as 0, for the capacity component. It stays beside
    # ``capacity`` (shared with the constraints): a one-firm copy that raises the capacity
    # (matching.gaps) drops it, which an own column of CapacityFit would not know to do.
    capacity_or_zero: np.ndarray | None = None
    # Distance in km of every firm to each industrial park, by the park's (lat, lon): a need's
    # plant is usually a park, and a gather is many times cheaper than the haversine. Computed
    # by :func:`haversine_km` over all firms, so a gathered row equals the row's own haversine.
    place_km: dict[tuple[float, float], np.ndarray] = field(default_factory=dict)
    # Concept channel: firms x concepts (processes, materials, product concepts and their
    # ancestors), idf-weighted, rows L2-normalised; the column of each code; its idf.
    concept: sp.csc_matrix | None = None
    concept_columns: dict[str, int] = field(default_factory=dict)
    concept_idf: np.ndarray | None = None
    concept_sectors: frozenset[int] = frozenset()  # concept columns that are sectors
    labels_ja: dict[str, str] = field(default_factory=dict)
    # Column -> term and column -> concept code (the inverses of ``vocabulary`` and
    # ``concept_columns``), for reasons; built at fit, or on first use when not given.
    terms: np.ndarray | None = None
    concept_codes: np.ndarray | None = None
    # Each component's own columns, built by its fit step (:meth:`Component.fit_columns`).
    own: ComponentColumns | None = None
    # (certificate column, day ordinal) -> (valid, verified) of every firm: one need reads the
    # same certificate on the same day several times (constraint, bounds, scores, reasons).
    # Filled only on large sets (see CertificationFit._in_force); a copy starts it empty.
    validity_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.firm_ids)

    def __getstate__(self) -> dict:
        """Pickled without the validity cache (read again on demand)."""
        state = dict(self.__dict__)
        state["validity_cache"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        """Unpickle, arrays saved before components built their own columns included (a
        model version written by ``cnht train`` keeps its fitted matcher): the columns the
        matcher built for them then (``raw_text``, ``experience_base``) become those
        components' own columns, under their default names."""
        self.__dict__.update(state)
        if state.get("own") is None and "firm_ids" in state:
            own: dict[str, dict[str, np.ndarray]] = {}
            raw_text = self.__dict__.pop("raw_text", None)
            if raw_text is not None:
                own[TextSimilarity.name] = {"raw_text": raw_text}
            if self.experience_base is not None:
                own[Experience.name] = {"base": self.experience_base}
                self.experience_base = None
            self.own = ComponentColumns(self.firm_ids, own)

    def own_columns(self, name: str) -> Mapping[str, np.ndarray] | None:
        """The columns component ``name`` built at fit, row-aligned with these firms; None
        when it built none.

        On a copy of the arrays for other firms (the one-firm copies of :mod:`matching.gaps`)
        they are those firms' rows of the fitted columns, found by ``firm_id``: own columns
        come from the profiles, which such a copy does not change."""
        own = self.own
        if own is None:
            return None
        columns = own.by_component.get(name)
        if columns is None or own.firm_ids is self.firm_ids:
            return columns
        rows = own.rows_of(self.firm_ids)
        return {key: value[rows] for key, value in columns.items()}

    def enable_code_memo(self) -> FirmArrays:
        """Let components keep per-code values of every firm on these arrays (a process's
        relation levels, say), computed on first use. For the fitted arrays only: the memo is
        not a field, so a copy made with ``dataclasses.replace`` (a one-firm copy that
        :mod:`matching.gaps` changes) starts without one and computes everything afresh."""
        self.__dict__["_code_memo"] = {}
        return self

    def code_memo(self) -> dict | None:
        """The memo of :meth:`enable_code_memo` (None when not enabled)."""
        return self.__dict__.get("_code_memo")

    def term(self, column: int) -> str:
        """The term of a text column."""
        if self.terms is None:
            self.terms = _inverse(self.vocabulary)
        return str(self.terms[column])

    def concept_code(self, column: int) -> str:
        """The taxonomy code of a concept column."""
        if self.concept_codes is None:
            self.concept_codes = _inverse(self.concept_columns)
        return str(self.concept_codes[column])

    def label(self, code: str, lang: str) -> str:
        """Label of a taxonomy code in ``lang`` (``"vi"`` or ``"en"``), the code when unknown."""
        vi, en = self.labels.get(code, (code, code))
        return vi if lang == "vi" else en


class ComponentColumns:
    """The columns each component built for itself at fit (:meth:`Component.fit_columns`).

    Parameters
    ----------
    firm_ids : numpy.ndarray
        The fitted firms, in row order: every column has one row per firm, in this order.
    by_component : dict
        Component name -> column name -> array.
    """

    def __init__(self, firm_ids: np.ndarray, by_component: dict[str, Mapping[str, np.ndarray]]) -> None:
        self.firm_ids = firm_ids
        self.by_component = by_component
        self._row_of: dict[str, int] | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_row_of": None}  # the lookup is rebuilt on use, not saved

    def rows_of(self, firm_ids: np.ndarray) -> np.ndarray:
        """Rows of ``firm_ids`` among the fitted firms (the lookup is built once, on first use)."""
        if self._row_of is None:
            self._row_of = {str(firm_id): row for row, firm_id in enumerate(self.firm_ids.tolist())}
        return np.fromiter((self._row_of[str(f)] for f in firm_ids.tolist()), dtype=np.intp, count=len(firm_ids))

    def __repr__(self) -> str:
        return f"ComponentColumns({ {name: sorted(columns) for name, columns in self.by_component.items()} })"


@dataclass
class QueryContext:
    """One need resolved against the fitted vocabulary and places.

    ``text_values`` holds the text similarity of every firm (dense, computed once from the
    inverted index); ``place`` is (lat, lon, vi name, en name) of the buyer's plant or None.
    """

    need: NeedQuery
    term_columns: np.ndarray
    term_weights: np.ndarray
    text_values: np.ndarray
    place: tuple[float, float, str, str] | None
    as_of_ordinal: float
    buyer_country: str
    # The need's concepts: columns of FirmArrays.concept, their weights, every firm's cosine.
    concept_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    concept_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    concept_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    concept_scale: float = 1.0  # the best firm's raw cosine, which concept_values are divided by
    # Firms sharing a concept other than a sector with the need (candidates, like a word match).
    concept_signal: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


ALL = slice(None)  # ``rows=ALL``: every firm, read without gathering rows
_VALIDITY_CACHE_MIN_FIRMS = 5_000  # below this a certificate's validity is read afresh each time
_VALIDITY_CACHE_SIZE = 32  # (certificate, day) pairs kept per fit, 2 bytes per firm each

try:  # the ufunc behind np.clip, without its Python wrappers (a few microseconds a call)
    from numpy._core.umath import clip as _clip_ufunc
except ImportError:  # pragma: no cover - a NumPy that moved it: np.clip itself
    _clip_ufunc = None


def _clip01(values: object) -> np.ndarray:
    """``np.clip(values, 0.0, 1.0)``: the same ufunc on the same operands (for float bounds
    ``np.clip`` calls exactly this), minus the dispatch layers."""
    if _clip_ufunc is not None and isinstance(values, np.ndarray):
        return _clip_ufunc(values, 0.0, 1.0)
    return np.clip(values, 0.0, 1.0)


def _inverse(columns: dict[str, int]) -> np.ndarray:
    """Column -> name of a name -> column mapping, as an object array."""
    out = np.empty(max(columns.values(), default=-1) + 1, dtype=object)
    for name, column in columns.items():
        out[column] = name
    return out


def row_entries(matrix: sp.csc_matrix, columns: np.ndarray, row: int) -> np.ndarray:
    """``matrix[row, columns]`` as a dense vector, read from each column's postings (a binary
    search in its sorted row indices), not by slicing the columns of every firm: a shortlist's
    reasons read ten firms of 100,000."""
    out = np.zeros(len(columns))
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    ordered = matrix.has_sorted_indices
    for i, column in enumerate(np.asarray(columns).tolist()):
        start, end = int(indptr[column]), int(indptr[column + 1])
        if ordered:
            at = start + int(indices[start:end].searchsorted(row))  # the method: no dispatch layers
            if at < end and indices[at] == row:
                out[i] = data[at]
        else:
            found = np.flatnonzero(indices[start:end] == row)
            out[i] = data[start + found].sum() if len(found) else 0.0
    return out


def _n(firms: FirmArrays, rows: np.ndarray | slice) -> int:
    """Number of firms addressed by ``rows`` (an int array or :data:`ALL`)."""
    return len(firms) if isinstance(rows, slice) else len(rows)


def _code_row(matrix: np.ndarray, rows: np.ndarray | slice, code: int) -> np.ndarray:
    """Row ``code`` of a code-major matrix at ``rows`` (a view when ``rows`` is :data:`ALL`).

    The row's view, then the gather: numpy's one-axis fast path (``matrix[code, rows]``
    takes the general two-index one, several times slower on a shortlist's rows)."""
    return matrix[code] if isinstance(rows, slice) else matrix[code][rows]


def _any_of(matrix: np.ndarray, rows: np.ndarray | slice, codes: list[int]) -> np.ndarray:
    """Whether each firm at ``rows`` has any of ``codes`` (boolean, one per firm).

    Equal to ``matrix[np.ix_(codes, rows)].any(axis=0)``, but one ``|=`` per code: that
    reduction over the short axis of a boolean block is many times slower than these passes.
    """
    if not codes:
        return np.zeros(_n_rows(matrix, rows), dtype=bool)
    out = _code_row(matrix, rows, codes[0]).copy()
    for code in codes[1:]:
        out |= _code_row(matrix, rows, code)
    return out


def _count_of(matrix: np.ndarray, rows: np.ndarray | slice, codes: list[int]) -> np.ndarray:
    """How many of ``codes`` each firm at ``rows`` has, as floats (same values as the block's ``sum(axis=0)``)."""
    if not codes:
        return np.zeros(_n_rows(matrix, rows))
    out = _code_row(matrix, rows, codes[0]).astype(float)
    for code in codes[1:]:
        out += _code_row(matrix, rows, code)
    return out


def _n_rows(matrix: np.ndarray, rows: np.ndarray | slice) -> int:
    return matrix.shape[1] if isinstance(rows, slice) else len(rows)


class Component(abc.ABC):
    """Base class: a named score in [0, 1] with reasons.

    Subclasses implement :meth:`values` (vectorised over candidate rows) and
    :meth:`reasons` (one firm), and :meth:`fit_columns` when they need firm columns of their
    own. ``name`` is the key of the ``weights`` hyper-parameter and the column of the result
    table. Adding a component to a matcher is the class and its weight, nothing else:

    >>> class Employees(Component):
    ...     name = "employees"
    ...     def fit_columns(self, profiles, firms):
    ...         return {"staff": np.nan_to_num(profiles["employees"].to_numpy(float))}
    ...     def values(self, firms, query, rows):
    ...         return np.minimum(1.0, self.own(firms)["staff"][rows] / 200)
    >>> # SupplierMatcher(components=[*default_components(), Employees()],
    >>> #                 weights={**DEFAULT_WEIGHTS, "employees": 0.05})
    """

    name: str = "component"
    # Cheap components are computed exactly for every candidate in the first pass of a query;
    # the others are bounded by 1 there and computed only for firms that can still reach the top k.
    cheap: bool = False

    def validate(self) -> None:  # noqa: B027 - optional hook: most components have no parameters
        """Check the component's own parameters (called by the matcher's ``fit``)."""

    def fit_columns(self, profiles: pd.DataFrame, firms: FirmArrays) -> Mapping[str, np.ndarray]:
        """The firm columns this component owns, built once when the matcher is fitted.

        Parameters
        ----------
        profiles : pandas.DataFrame
            The profile table, one row per firm in the order of ``firms.firm_ids``.
        firms : FirmArrays
            The shared arrays, built before any component's columns.

        Returns
        -------
        dict
            Column name -> array with one row per firm (first axis). Stored on the arrays
            under the component's name, read back with :meth:`own`. Default: none. The
            component's parameters must not change them: they are built once per fit.
        """
        return {}

    def own(self, firms: FirmArrays) -> Mapping[str, np.ndarray]:
        """The columns :meth:`fit_columns` built on ``firms``, aligned with its rows."""
        columns = firms.own_columns(self.name)
        if columns is None:
            raise HyperParameterError(
                f"{type(self).__name__}: expected the firm columns its fit_columns builds under the name "
                f"{self.name!r}, got arrays without them. Fit the matcher with this component among its components."
            )
        return columns

    @abc.abstractmethod
    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        """Values in [0, 1] for the firms at ``rows`` (int array, or :data:`ALL`)."""

    def upper(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray | float:
        """An upper bound of :meth:`values` that is cheap to compute (default 1)."""
        return 1.0

    def coarse_upper(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray | float:
        """A looser bound that reads nothing per firm beyond the query's own arrays (default 1):
        the matcher's first pruning pass bounds every candidate with it before any gather."""
        return 1.0

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        """Reasons (vi/en) for one firm; empty when the component has nothing to say."""
        return []

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(vars(self).items()))))


@lru_cache(maxsize=65536)
def _word_forms(word: str) -> tuple[str, str]:
    """A word's folded form and its stem (firms' descriptions repeat their words across
    shortlists)."""
    folded = fold(word)
    return folded, stem(folded)


def _as_written(text: str, folded_terms: Sequence[str]) -> list[str]:
    """For each folded (and stemmed) term, the words of ``text`` whose folded form it is
    (``nhom`` -> ``nhôm``, ``stamp`` -> ``stamped``), or the term itself when the text does not
    hold it word for word (a Japanese word of a longer run is quoted as the whole word the
    analyser cut). The text's words are folded and stemmed once for all the terms."""
    words = re.findall(r"[^\W_]+", text)
    forms = [_word_forms(w) for w in words]
    folded = [f for f, _ in forms]
    stemmed = [s for _, s in forms]
    out = []
    for term in folded_terms:
        wanted = term.split()
        width = len(wanted)
        for i in range(len(words) - width + 1):
            if stemmed[i : i + width] == wanted or folded[i : i + width] == wanted:
                out.append(" ".join(words[i : i + width]))
                break
        else:
            out.append(term)
    return out


class TextSimilarity(Component):
    """Cosine similarity of tf-idf vectors of the folded texts (need vs firm).

    Both sides are accent-folded with abbreviations expanded, so ``khuon mau`` finds
    ``khuôn mẫu``. Read from the inverted index: only the postings of the need's terms.
    """

    name = "text"
    cheap = True

    def fit_columns(self, profiles: pd.DataFrame, firms: FirmArrays) -> Mapping[str, np.ndarray]:
        """The firms' normalised text (with diacritics), to quote their own words in reasons.
        The tf-idf matrix itself is the text channel, shared: the matcher builds it."""
        if "text" not in profiles.columns:
            return {}
        return {"raw_text": profiles["text"].fillna("").astype(str).to_numpy(object)}

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        return _clip01(query.text_values[rows])

    coarse_upper = values  # the channel is computed for every firm already

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        if query.term_columns.size == 0:
            return []
        hit = row_entries(firms.text, query.term_columns, row) * query.term_weights
        if not np.any(hit > 0):
            return []
        # Quote only telling words: a term in a tenth of all firms ("san xuat", "viet nam")
        # scores little and explains nothing.
        n = max(firms.text.shape[0], 1)
        indptr = firms.text.indptr
        telling = [
            firms.term(int(query.term_columns[i]))
            for i in np.argsort(-hit)
            if hit[i] > 0
            and (indptr[int(query.term_columns[i]) + 1] - indptr[int(query.term_columns[i])]) / n < 0.1
        ]
        # Whole words: a pair of syllables ("chinh_xac") before a syllable of it ("xac").
        pairs = [t for t in telling if "_" in t]
        inside = {part for t in pairs[:3] for part in t.split("_")}
        terms = [t.replace("_", " ") for t in [*pairs, *(t for t in telling if "_" not in t and t not in inside)]][:3]
        if not terms:
            return []
        own = firms.own_columns(self.name)
        if own is not None and "raw_text" in own:
            terms = _as_written(str(own["raw_text"][row]), terms)
        joined = ", ".join(f"“{t}”" for t in terms)
        return [Reason(self.name, f"mô tả có {joined}", f"description mentions {joined}")]


_JAPANESE = re.compile("[\u3040-\u30ff]|[\u4e00-\u9fff]")


class ConceptFit(Component):
    """Cosine similarity of the concepts of need and firm: the cross-lingual channel.

    Concepts are taxonomy codes (processes, materials, product concepts) found in either
    text in any language, with their more general ancestors at a lower weight and rarer
    concepts weighing more (idf). An English or Japanese need reaches a firm whose text is
    only Vietnamese through them, and the reason names the shared concept in the firm's own
    words and in each language (``“dập” ↔ Dập kim loại`` / ``“dập” ↔ Metal stamping``, with
    ``プレス加工`` when the need is written in Japanese).
    """

    name = "concepts"
    cheap = True

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        return _clip01(query.concept_values[rows])

    coarse_upper = values  # the channel is computed for every firm already

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        if firms.concept is None or query.concept_columns.size == 0:
            return []
        hit = row_entries(firms.concept, query.concept_columns, row) * query.concept_weights
        named = set(query.need.processes) | set(query.need.materials) | set(query.need.product_groups)
        # Processes and materials the need names are explained by ProcessFit and MaterialFit.
        explained = set(query.need.processes) | set(query.need.materials)
        evidence = firms.evidence[row] or {}
        out: list[Reason] = []
        for i in np.argsort(-hit):
            if hit[i] <= 0 or len(out) == 3:
                break
            code = firms.concept_code(int(query.concept_columns[i]))
            if code in explained:
                continue
            vi, en = firms.label(code, "vi"), firms.label(code, "en")
            # The Japanese name joins only when the need is written in Japanese: the bridge it used.
            ja = firms.labels_ja.get(code, "") if _JAPANESE.search(query.need.text) else ""
            span = evidence.get(code) if isinstance(evidence, dict) else None
            words = [f"“{span}”"] if span and fold(span) not in {fold(vi), fold(en), fold(ja)} else []
            chain_vi = " ↔ ".join(dict.fromkeys(w for w in [*words, vi, ja] if w))
            chain_en = " ↔ ".join(dict.fromkeys(w for w in [*words, en, ja] if w))
            related = code not in named
            out.append(Reason(self.name, f"cùng khái niệm{' (liên quan)' if related else ''}: {chain_vi}",
                              f"shared concept{' (related)' if related else ''}: {chain_en}"))
        return out


def _matched(span: str | None, firms: FirmArrays, code: str) -> tuple[str, str]:
    """(vi, en) of a code the firm has: its own words, then the label in each language
    (“ép phun” ↔ Ép nhựa / “ép phun” ↔ Injection moulding); no English inside the Vietnamese."""
    vi, en = firms.label(code, "vi"), firms.label(code, "en")
    if not span or fold(span) in (fold(vi), fold(en)):
        return vi, en
    return f"“{span}” ↔ {vi}", f"“{span}” ↔ {en}"


class _CodeFit(Component):
    """Share of the need's codes of one kind that the firm has.

    The value is the mean over the need's codes of :meth:`code_credit` (1 where the firm has
    the code), counted in one pass; the reasons word each code's credit.
    """

    kind = ""
    cheap = True
    word_vi = ""
    word_en = ""

    def _need_codes(self, query: QueryContext) -> tuple[str, ...]:
        return query.need.materials

    def code_credit(self, firms: FirmArrays, code: str, rows: np.ndarray | slice) -> np.ndarray:
        """Credit of one of the need's codes for the firms at ``rows``: 1 where the firm has it."""
        column = firms.columns[self.kind].get(code)
        if column is None:
            return np.zeros(_n(firms, rows))
        return _code_row(firms.has[self.kind], rows, column).astype(float)

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        codes = [c for c in self._need_codes(query)]
        if not codes:
            return np.zeros(_n(firms, rows))
        columns = firms.columns[self.kind]
        known = [columns[c] for c in codes if c in columns]
        if not known:
            return np.zeros(_n(firms, rows))
        # The sum of the codes' credits (code_credit), as one count over their rows.
        return _count_of(firms.has[self.kind], rows, known) / len(codes)

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        out: list[Reason] = []
        evidence = firms.evidence[row] or {}
        one = np.array([row])
        for code in self._need_codes(query):
            if self.code_credit(firms, code, one)[0] >= 1.0:
                vi, en = _matched(evidence.get(code), firms, code)
                out.append(Reason(self.name, vi, en))
            else:
                out.append(Reason(self.name, f"không có {self.word_vi} {firms.label(code, 'vi')}",
                                  f"no {self.word_en} {firms.label(code, 'en')}", positive=False))
        return out


class MaterialFit(_CodeFit):
    """Share of the need's materials the firm works (exact codes)."""

    name = "material_fit"
    kind = "material"
    word_vi = "vật liệu"
    word_en = "material"


@lru_cache(maxsize=64)
def _level_table(generic: float, specialised: float, n_codes: int) -> np.ndarray:
    """Credit of each combination of ``n_codes`` 3-bit process levels (see ``ProcessFit._levels``).

    A level's credit is the best relation the firm names (``generic``, ``specialised``, 1 for
    the process itself; 0 for none); a combination's entry adds its codes' credits in order.
    Read-only: shared by every query.
    """
    credit = np.zeros(8)
    for level in range(8):
        for bit, value in enumerate((generic, specialised, 1.0)):
            if level >> bit & 1:
                credit[level] = max(credit[level], value)
    index = np.arange(8**n_codes)
    table = np.zeros(len(index))
    for i in range(n_codes):
        table += credit[index // 8**i % 8]
    table.flags.writeable = False
    return table


class ProcessFit(_CodeFit):
    """Process fit with taxonomy ancestry.

    For each process the need asks for: 1 when the firm names it; ``specialised`` when the
    firm names a more specific process (cnc_milling for a cnc_machining need); ``generic``
    when it names only a more general one (cnc_machining for a cnc_milling need). Mean over
    the need's processes.

    Parameters
    ----------
    specialised : float, default 0.8
    generic : float, default 0.5
    """

    name = "process_fit"
    kind = "process"
    word_vi = "công nghệ"
    word_en = "process"

    def __init__(self, specialised: float = 0.8, generic: float = 0.5) -> None:
        self.specialised = specialised
        self.generic = generic

    def validate(self) -> None:
        for arg in ("specialised", "generic"):
            value = getattr(self, arg)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise HyperParameterError(
                    f"ProcessFit: expected {arg} between 0 and 1, got {arg}={value!r}. Pass a number in [0, 1]."
                )

    def _need_codes(self, query: QueryContext) -> tuple[str, ...]:
        return query.need.processes

    def _code_values(self, firms: FirmArrays, code: str, rows: np.ndarray) -> np.ndarray:
        """The definition of one code's credit, relation by relation (the tests' reference for
        :meth:`code_credit`, which values and reasons both use)."""
        columns = firms.columns["process"]
        out = np.zeros(_n(firms, rows))
        for credit, related in (
            (self.generic, firms.ancestors.get(code, ())),
            (self.specialised, firms.descendants.get(code, ())),
            (1.0, (code,)),
        ):
            known = [columns[c] for c in related if c in columns]
            if known:
                hit = _any_of(firms.process_direct, rows, known)
                out = np.maximum(out, credit * hit)
        return out

    def _levels(self, firms: FirmArrays, code: str, rows: np.ndarray | slice) -> np.ndarray | None:
        """Per firm, which of ``code``'s relations it names: 1 a more general process, 2 a more
        specific one, 4 the process itself, summed (uint8, 0..7; None when none is known).

        On fitted arrays the levels of every firm are kept per code (one uint8 per firm) and
        a query's rows gather them: the same values, one read instead of a pass per relation."""
        memo = firms.code_memo()
        if memo is not None and not isinstance(rows, slice):
            key = ("process_levels", code)
            if key not in memo:
                every = self._levels_of(firms, code, ALL)
                if every is not None:
                    every.flags.writeable = False
                memo[key] = every
            every = memo[key]
            return None if every is None else every[rows]
        return self._levels_of(firms, code, rows)

    @staticmethod
    def _levels_of(firms: FirmArrays, code: str, rows: np.ndarray | slice) -> np.ndarray | None:
        columns = firms.columns["process"]
        level = None
        for bit, related in enumerate((firms.ancestors.get(code, ()), firms.descendants.get(code, ()), (code,))):
            known = [columns[c] for c in related if c in columns]
            if known:
                # A multiply, not a shift: numpy vectorises the former, not the latter.
                hit = np.multiply(_any_of(firms.process_direct, rows, known).view(np.uint8), np.uint8(1 << bit))
                level = hit if level is None else np.bitwise_or(level, hit, out=level)
        return level

    def code_credit(self, firms: FirmArrays, code: str, rows: np.ndarray | slice) -> np.ndarray:
        """Credit of one of the need's processes for the firms at ``rows``: the best relation
        each firm names (:meth:`_levels`) read in the credit table. :meth:`values` is the mean
        of these credits over the need's processes (summed through the same table), and
        :meth:`reasons` words each of them, so a reason cannot say other than the value."""
        level = self._levels(firms, code, rows)
        if level is None:
            return np.zeros(_n(firms, rows))
        return _level_table(self.generic, self.specialised, 1)[level]

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        codes = query.need.processes
        n = _n(firms, rows)
        if not codes:
            return np.zeros(n)
        # Codes with no known relation add exactly 0.0 and are skipped.
        levels = [level for level in (self._levels(firms, code, rows) for code in codes) if level is not None]
        if not levels:
            return np.zeros(n)
        # The first codes (up to 4, 3 bits each) index one table whose entries are their credits
        # summed in need order: one gather instead of float passes per code and relation, and
        # the same floating-point sums as adding code by code.
        head, rest = levels[:4], levels[4:]
        combined = head[0].astype(np.uint16)
        for i, level in enumerate(head[1:], start=1):
            combined |= np.multiply(level.astype(np.uint16), np.uint16(8**i))
        total = np.take(_level_table(self.generic, self.specialised, len(head)), combined.astype(np.intp))
        credit = _level_table(self.generic, self.specialised, 1)
        for level in rest:
            total += credit[level]
        return total / len(codes)

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        out: list[Reason] = []
        columns = firms.columns["process"]
        evidence = firms.evidence[row] or {}
        one = np.array([row])
        for code in query.need.processes:
            value = float(self.code_credit(firms, code, one)[0])
            en = firms.label(code, "en")
            if value >= 1.0:
                out.append(Reason(self.name, *_matched(evidence.get(code), firms, code)))
                continue
            related = [c for c in (*firms.descendants.get(code, ()), *firms.ancestors.get(code, ()))
                       if c in columns and firms.process_direct[columns[c], row]]
            if value > 0 and related:
                have = related[0]
                vi_have, en_have = _matched(evidence.get(have), firms, have)
                out.append(Reason(self.name, f"{vi_have} ≈ {firms.label(code, 'vi')} (gần đúng)",
                                  f"{en_have} ≈ {en} (partial)"))
            else:
                out.append(Reason(self.name, f"không có công nghệ {firms.label(code, 'vi')}",
                                  f"no {en} process", positive=False))
        return out


class CertificationFit(Component):
    """Certificates the need asks for (mandatory and preferred), valid on the need's date.

    Each requested code the firm holds validly counts ``verified_weight`` when staff verified
    the certificate, ``declared_weight`` when it is only self-declared; mandatory codes count
    ``mandatory_weight`` times. When the need asks for none, the firm's valid international
    standards (``international: true`` in the taxonomy) count instead, saturating at two. Validity
    is the one rule of :mod:`features.certifications` (renewals, lapses, validity years,
    superseded versions), and the reasons are that rule's answer on the same periods.

    Parameters
    ----------
    verified_weight : float, default 1.0
        Credit of a staff-verified certificate, in [0, 1] and at least ``declared_weight``.
    declared_weight : float, default 0.6
        Credit of a self-declared certificate, in [0, 1].
    mandatory_weight : float, default 2.0
    """

    name = "certification_fit"

    def __init__(self, verified_weight: float = 1.0, declared_weight: float = 0.6,
                 mandatory_weight: float = 2.0) -> None:
        self.verified_weight = verified_weight
        self.declared_weight = declared_weight
        self.mandatory_weight = mandatory_weight

    def validate(self) -> None:
        for arg in ("verified_weight", "declared_weight"):
            value = getattr(self, arg)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise HyperParameterError(
                    f"CertificationFit: expected {arg} between 0 and 1, got {arg}={value!r}. Pass a number in [0, 1]."
                )
        if self.verified_weight < self.declared_weight:
            raise HyperParameterError(
                "CertificationFit: expected verified_weight >= declared_weight (a certificate checked by staff "
                f"weighs at least as much as a self-declared one), got verified_weight={self.verified_weight!r} "
                f"and declared_weight={self.declared_weight!r}. Raise verified_weight or lower declared_weight."
            )
        if not isinstance(self.mandatory_weight, (int, float)) or self.mandatory_weight < 0:
            raise HyperParameterError(
                f"CertificationFit: expected mandatory_weight >= 0, got mandatory_weight={self.mandatory_weight!r}."
            )

    @staticmethod
    def _in_force(firms: FirmArrays, code: str, rows: np.ndarray, as_of: float) -> tuple[np.ndarray, np.ndarray]:
        """(valid, verified) of the firms at ``rows`` for ``code`` on day ordinal ``as_of``:
        one of the firm's validity periods of the code covers the day (and was checked by staff)."""
        column = firms.columns["certification"].get(code)
        if column is None:
            none = np.zeros(_n(firms, rows), dtype=bool)
            return none, none
        if len(firms) >= _VALIDITY_CACHE_MIN_FIRMS:
            cache = firms.__dict__.setdefault("validity_cache", {})  # (a state pickled before it existed)
            key = (column, as_of)
            found = cache.get(key)
            if found is None:
                found = CertificationFit._in_force_rows(firms, column, ALL, as_of)
                for flags in found:
                    flags.flags.writeable = False  # shared by every caller
                if len(cache) >= _VALIDITY_CACHE_SIZE:
                    cache.clear()
                cache[key] = found
            if isinstance(rows, slice) and rows == ALL:
                return found
            return found[0][rows], found[1][rows]
        return CertificationFit._in_force_rows(firms, column, rows, as_of)

    @staticmethod
    def _in_force_rows(firms: FirmArrays, column: int, rows: np.ndarray | slice, as_of: float
                       ) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore"):
            inside = (firms.cert_from[column, rows] <= as_of) & (firms.cert_to[column, rows] >= as_of)
        checked = inside & firms.cert_verified[column, rows]
        if inside.shape[-1] == 0:
            return inside.any(axis=-1), checked.any(axis=-1)
        # One |= per slot: numpy's any() over the short last axis is many times slower.
        valid, verified = inside[..., 0].copy(), checked[..., 0].copy()
        for slot in range(1, inside.shape[-1]):
            valid |= inside[..., slot]
            verified |= checked[..., slot]
        return valid, verified

    @staticmethod
    def valid(firms: FirmArrays, code: str, rows: np.ndarray, as_of: float) -> np.ndarray:
        """Whether the firms at ``rows`` hold ``code`` valid on day ordinal ``as_of``."""
        return CertificationFit._in_force(firms, code, rows, as_of)[0]

    @staticmethod
    def status(firms: FirmArrays, code: str, row: int, as_of: float) -> CertificateStatus:
        """The validity rule's answer for firm ``row`` and ``code`` on day ordinal ``as_of``
        (held, pending, expired or lacking), from the same periods that :meth:`valid` reads."""
        column = firms.columns["certification"].get(code)
        periods = []
        if column is not None:
            for first, last, verified in zip(firms.cert_from[column, row], firms.cert_to[column, row],
                                             firms.cert_verified[column, row], strict=True):
                if not math.isnan(first):
                    periods.append((None if math.isinf(first) else date.fromordinal(int(first)),
                                    None if math.isinf(last) else date.fromordinal(int(last)), bool(verified)))
        return status_from_periods(code, periods, date.fromordinal(int(as_of)))

    def _credit(self, firms: FirmArrays, code: str, rows: np.ndarray, as_of: float) -> np.ndarray:
        ok, verified = self._in_force(firms, code, rows, as_of)
        return ok * np.where(verified, self.verified_weight, self.declared_weight)

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        need = query.need
        as_of = query.as_of_ordinal
        requested = [(c, self.mandatory_weight) for c in need.mandatory_certifications]
        requested += [(c, 1.0) for c in need.preferred_certifications]
        total_weight = sum(w for _, w in requested)
        if total_weight > 0:
            total = np.zeros(_n(firms, rows))
            for code, weight in requested:
                total += weight * self._credit(firms, code, rows, as_of)
            return total / total_weight
        best = np.zeros(_n(firms, rows))
        second = np.zeros(_n(firms, rows))
        for code in international_codes() & set(firms.columns["certification"]):
            credit = self._credit(firms, code, rows, as_of)
            second = np.maximum(second, np.minimum(best, credit))
            best = np.maximum(best, credit)
        return (best + second) / 2

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        need = query.need
        out: list[Reason] = []
        one = np.array([row])
        asked: list[tuple[str, str | None]] = [(c, "mandatory") for c in need.mandatory_certifications]
        asked += [(c, "preferred") for c in need.preferred_certifications]
        if not asked:
            asked = [(c, None) for c in sorted(international_codes() & set(firms.columns["certification"]))
                     if self.valid(firms, c, one, query.as_of_ordinal)[0]]
        for code, kind in asked:
            # The words come from the rule's answer on the periods that score it: they cannot drift.
            answer = self.status(firms, code, row, query.as_of_ordinal)
            if answer.valid:
                out.append(Reason(self.name, answer.describe("vi"), answer.describe("en")))
            elif kind != "mandatory":  # a missing mandatory certificate is a failed constraint, said there
                out.append(Reason(self.name, answer.describe("vi", kind), answer.describe("en", kind), positive=False))
        return out


class CapacityFit(Component):
    """Monthly capacity against the need's (minimum capacity, or annual volume / 12).

    ``min(1, capacity / target)``; 0 when the firm's capacity is unknown or the need states none.
    """

    name = "capacity_fit"
    cheap = True

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        target = query.need.target_capacity
        if not target or math.isnan(target):
            return np.zeros(_n(firms, rows))
        if firms.capacity_or_zero is not None:
            return np.minimum(1.0, firms.capacity_or_zero[rows] / target)
        return np.nan_to_num(np.minimum(1.0, firms.capacity[rows] / target), nan=0.0)

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        target = query.need.target_capacity
        capacity = firms.capacity[row]
        if not target or math.isnan(target):
            return []
        if math.isnan(capacity):
            return [Reason(self.name, "chưa khai công suất", "capacity not stated", positive=False)]
        if self.values(firms, query, np.array([row]))[0] >= 1.0:  # full credit, by the value's own rule
            return [Reason(self.name, f"công suất {format_number(capacity, 'vi')}/tháng ≥ {format_number(target, 'vi')}",
                           f"capacity {format_number(capacity, 'en')}/month ≥ {format_number(target, 'en')}")]
        return [Reason(self.name, f"công suất {format_number(capacity, 'vi')}/tháng < {format_number(target, 'vi')}",
                       f"capacity {format_number(capacity, 'en')}/month < {format_number(target, 'en')}",
                       positive=False)]


class Distance(Component):
    """Closeness to the buyer's plant: ``2 ** (-km / half_km)`` (0.5 at ``half_km``).

    0 when either place is unknown.

    Parameters
    ----------
    half_km : float, default 30
    """

    name = "distance"

    def __init__(self, half_km: float = 30.0) -> None:
        self.half_km = half_km

    def validate(self) -> None:
        if not isinstance(self.half_km, (int, float)) or not self.half_km > 0:
            raise HyperParameterError(
                f"Distance: expected half_km > 0, got half_km={self.half_km!r}. Pass a distance in km such as 30."
            )

    def km(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        """Distance in km of the firms at ``rows`` to the buyer's plant (NaN when unknown)."""
        if query.place is None:
            return np.full(_n(firms, rows), np.nan)
        table = firms.place_km.get((query.place[0], query.place[1]))
        if table is not None and len(table) == len(firms):  # a one-firm copy has its own lat/lon
            return table[rows]
        return haversine_km(firms.lat[rows], firms.lon[rows], query.place[0], query.place[1])

    def upper(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray | float:
        if query.place is None:
            return 0.0
        return np.isfinite(firms.lat[rows]).astype(float)  # 1 at best, 0 where the firm is not placed

    def coarse_upper(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray | float:
        return 0.0 if query.place is None else 1.0

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        km = self.km(firms, query, rows)
        value = np.exp2(-km / float(self.half_km))
        # np.nan_to_num(value, nan=0.0) without its generic checks: a distance is >= 0 or NaN,
        # so the value is in (0, 1] or NaN (an infinite one would take nan_to_num's own path).
        if not isinstance(value, np.ndarray) or np.isinf(value).any():
            return np.nan_to_num(value, nan=0.0)
        np.copyto(value, 0.0, where=np.isnan(value))
        return value

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        if query.place is None:
            return []
        km = float(self.km(firms, query, np.array([row]))[0])
        if math.isnan(km):
            return [Reason(self.name, "chưa định vị được địa chỉ", "address not located", positive=False)]
        _, _, vi, en = query.place
        return [Reason(self.name, f"{km:.0f} km đến {vi}", f"{km:.0f} km from {en}",
                       positive=km <= 2 * float(self.half_km))]


class Experience(Component):
    """Export experience, multinational customers, and exports to the buyer's country.

    ``0.4 * exports + 0.3 * same-country + 0.3 * min(multinational customers, 3) / 3``.
    """

    name = "experience"
    cheap = True

    @staticmethod
    def _base(n_exports: np.ndarray, multinationals: np.ndarray) -> np.ndarray:
        """The need-independent part: ``0.4 * exports + 0.3 * min(multinational customers, 3) / 3``."""
        return 0.4 * (n_exports > 0) + 0.3 * np.minimum(multinationals, 3) / 3.0

    def fit_columns(self, profiles: pd.DataFrame, firms: FirmArrays) -> Mapping[str, np.ndarray]:
        """The need-independent part of every firm, computed once instead of per need."""
        return {"base": self._base(firms.n_exports, firms.multinationals)}

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        own = firms.own_columns(self.name)
        if own is not None:
            base = own["base"][rows]
        else:  # arrays built without this component's fit step: the same rule, on the rows
            base = self._base(firms.n_exports[rows], firms.multinationals[rows])
        country_rows = firms.export_countries.get(query.buyer_country)
        if country_rows is None:
            return base
        return base + 0.3 * country_rows[rows]

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        out: list[Reason] = []
        country_rows = firms.export_countries.get(query.buyer_country)
        if country_rows is not None and country_rows[row]:
            out.append(Reason(self.name, f"đã xuất khẩu sang {query.buyer_country}",
                              f"already exports to {query.buyer_country}"))
        elif firms.n_exports[row] > 0:
            markets = int(firms.n_exports[row])
            out.append(Reason(self.name, f"xuất khẩu {markets} thị trường",
                              f"exports to {markets} market{'s' if markets != 1 else ''}"))
        if firms.multinationals[row] > 0:
            n = int(firms.multinationals[row])
            out.append(Reason(self.name, f"{n} khách hàng FDI", f"{n} multinational customer{'s' if n != 1 else ''}"))
        return out


class Completeness(Component):
    """Share of the firm's profile that is filled and usable (data quality)."""

    name = "completeness"
    cheap = True

    def values(self, firms: FirmArrays, query: QueryContext, rows: np.ndarray) -> np.ndarray:
        return firms.completeness[rows]  # cleaned to [0, 1] at fit

    def reasons(self, firms: FirmArrays, query: QueryContext, row: int) -> list[Reason]:
        share = float(firms.completeness[row])  # cleaned to [0, 1] at fit
        share = 0.0 if math.isnan(share) else share
        if share < 0.5:
            return [Reason(self.name, f"hồ sơ mới đủ {share:.0%}", f"profile only {share:.0%} complete",
                           positive=False)]
        return []


def default_components() -> list[Component]:
    """The default component set, in result-column order."""
    return [TextSimilarity(), ConceptFit(), ProcessFit(), MaterialFit(), CertificationFit(), CapacityFit(),
            Distance(half_km=30), Experience(), Completeness()]
