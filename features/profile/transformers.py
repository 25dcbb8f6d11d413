"""scikit-learn transformers that turn firm profiles into a feature matrix.

Each transformer stores only its hyper-parameters in ``__init__``, learns its state in
``fit`` (names ending in ``_``) and names its output columns in ``get_feature_names_out``,
so ``clone``, ``set_params``, ``Pipeline`` and ``GridSearchCV`` work, and a notebook can
inspect every column. Sparse outputs are :class:`scipy.sparse.csr_matrix`; dense outputs
support ``set_output(transform="pandas")``.

:class:`FirmProfiler` composes them over the output of
:func:`features.profile.build_profiles` (or over raw firms in the import format, which it
profiles first).
"""

from __future__ import annotations

import math
from functools import lru_cache
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils.validation import check_is_fitted, validate_data

from features.exceptions import CnhtError
from features.text import tokens

__all__ = [
    "ProfileError",
    "TextVectorizer",
    "CapabilityEncoder",
    "CertificationEncoder",
    "GeoEncoder",
    "SizeEncoder",
    "FirmProfiler",
    "CAPABILITY_KINDS",
]

CAPABILITY_KINDS: tuple[str, ...] = ("sectors", "product_groups", "processes", "materials")
# Profile column (plural) -> taxonomy kind (singular).
_TAXONOMY_KIND = {
    "sectors": "sector",
    "product_groups": "product_group",
    "processes": "process",
    "materials": "material",
}


class ProfileError(CnhtError, ValueError):
    """Firm records or transformer inputs do not have the expected shape or values."""


# --------------------------------------------------------------------------- helpers


def _as_text_series(X: object, column: str) -> pd.Series:
    """The text column of ``X`` as a Series of str (DataFrame column, Series or 1-D array)."""
    if isinstance(X, pd.DataFrame):
        if column in X.columns:
            series = X[column]
        elif X.shape[1] == 1:
            series = X.iloc[:, 0]
        else:
            raise ProfileError(
                f"Expected a DataFrame with a {column!r} column or a single text column, "
                f"got columns {list(X.columns)[:10]}. Pass build_profiles(...) output or "
                f"set column=."
            )
    elif isinstance(X, pd.Series):
        series = X
    else:
        array = np.asarray(X, dtype=object)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise ProfileError(
                f"Expected a 1-D sequence of texts, got an array of shape {array.shape}. "
                f"Pass one text per firm."
            )
        series = pd.Series(array)
    return series.fillna("").astype(str)


def _as_sequence_column(X: object, column: str) -> list:
    """The cells of a list-valued column: tuples, lists, sets or ';'-separated strings."""
    if isinstance(X, pd.DataFrame):
        if column in X.columns:
            cells = X[column]
        elif X.shape[1] == 1:
            cells = X.iloc[:, 0]
        else:
            raise ProfileError(
                f"Expected a DataFrame with a {column!r} column, got columns "
                f"{list(X.columns)[:10]}. Pass build_profiles(...) output."
            )
        return cells.tolist()
    if isinstance(X, pd.Series):
        return X.tolist()
    array = np.empty(len(X), dtype=object)
    array[:] = list(X)
    return list(array)


def _cell_items(cell: object) -> Iterable:
    if cell is None:
        return ()
    if isinstance(cell, float) and math.isnan(cell):
        return ()
    if isinstance(cell, str):
        return [part.strip() for part in cell.split(";") if part.strip()]
    if isinstance(cell, Iterable):
        return cell
    raise ProfileError(
        f"Expected a tuple of codes or a ';'-separated string per firm, got "
        f"{type(cell).__name__} {cell!r}. Pass build_profiles(...) output."
    )


def _as_of(value: date | str | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ProfileError(
            f"Expected as_of as a date or 'yyyy-mm-dd', got {value!r}. Pass e.g. "
            f"as_of=date(2026, 1, 1)."
        ) from exc


# --------------------------------------------------------------------------- text


_SEGMENT = " . "


@lru_cache(maxsize=1 << 18)
def _segment_tokens(segment: str) -> tuple[str, ...]:
    return tuple(tokens(segment))


def _analyze(text: str) -> list[str]:
    """Tokens of each ``" . "``-separated segment (profile fields), cached per segment.

    Segments are the fields of a profile (name, description, products...): they repeat
    across firms where whole texts do not, and no bigram should span two fields.
    """
    out: list[str] = []
    for segment in text.split(_SEGMENT):
        out.extend(_segment_tokens(segment))
    return out


class TextVectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF over :func:`features.text.tokens` of the profile text.

    Folded syllables, syllable bigrams and CJK character bigrams, so a description with or
    without diacritics, NFC or NFD, gives the same row. The text is cut at ``" . "`` (how
    :func:`features.profile.build_profiles` joins the fields); each segment is tokenised
    once and cached, and no bigram spans two fields.

    Parameters
    ----------
    column : str, default="text_folded"
        Column read when ``X`` is a DataFrame with several columns.
    min_df : int or float, default=1
        Ignore tokens in fewer firms than this (count, or share when a float).
    max_df : float or int, default=1.0
        Ignore tokens in more firms than this share (or count).
    max_features : int or None, default=None
        Keep only the most frequent tokens.
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)``.

    Attributes
    ----------
    vocabulary_ : dict[str, int]
        Token -> column.
    idf_ : ndarray of shape (n_features,)

    Examples
    --------
    >>> vec = TextVectorizer().fit(["ép nhựa", "dập kim loại"])
    >>> vec.transform(["Ep nhua"]).nnz
    3
    """

    def __init__(
        self,
        column: str = "text_folded",
        min_df: int | float = 1,
        max_df: float | int = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
    ) -> None:
        self.column = column
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _counts(self, texts: pd.Series, fit: bool) -> sp.csr_matrix:
        codes, uniques = pd.factorize(texts, sort=False)
        if fit:
            counts = self.count_vectorizer_.fit_transform(uniques)
        else:
            counts = self.count_vectorizer_.transform(uniques)
        return counts[codes].tocsr()

    def fit(self, X: object, y: object = None) -> TextVectorizer:
        """Learn the vocabulary and inverse document frequencies."""
        self._fit_transform(X)
        return self

    def _fit_transform(self, X: object) -> sp.csr_matrix:
        texts = _as_text_series(X, self.column)
        if len(texts) == 0:
            raise ProfileError("Expected at least one firm text to fit on, got 0. Pass firms.")
        # min_df/max_df refer to firms, so they are applied after expanding the distinct
        # texts back to one row per firm, not inside CountVectorizer.
        self.count_vectorizer_ = CountVectorizer(analyzer=_analyze, lowercase=False)
        counts = self._counts(texts, fit=True)
        n_firms = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        low = self.min_df if isinstance(self.min_df, int) else math.ceil(self.min_df * n_firms)
        high = self.max_df if isinstance(self.max_df, int) else self.max_df * n_firms
        keep = np.flatnonzero((df >= low) & (df <= high))
        if self.max_features is not None and len(keep) > self.max_features:
            order = np.argsort(-df[keep], kind="stable")[: self.max_features]
            keep = np.sort(keep[order])
        if len(keep) == 0:
            raise ProfileError(
                f"Expected some tokens to survive min_df={self.min_df}, max_df={self.max_df}, "
                f"got none. Lower min_df or raise max_df."
            )
        names = self.count_vectorizer_.get_feature_names_out()
        self.vocabulary_ = {str(names[i]): j for j, i in enumerate(keep)}
        self.count_vectorizer_ = CountVectorizer(
            analyzer=_analyze, lowercase=False, vocabulary=self.vocabulary_
        )
        self.count_vectorizer_.fit([])  # fixed vocabulary: nothing to learn
        counts = counts[:, keep]
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf)
        matrix = self.tfidf_.fit_transform(counts)
        self.idf_ = self.tfidf_.idf_
        return matrix.tocsr()

    def fit_transform(self, X: object, y: object = None, **fit_params: object) -> sp.csr_matrix:
        """Fit and return the TF-IDF matrix (one row per firm, CSR)."""
        if fit_params:
            raise ProfileError(f"Expected no fit parameters, got {sorted(fit_params)}.")
        return self._fit_transform(X)

    def transform(self, X: object) -> sp.csr_matrix:
        """TF-IDF rows of ``X``, shape (n_firms, len(vocabulary_)), CSR."""
        check_is_fitted(self, "vocabulary_")
        counts = self._counts(_as_text_series(X, self.column), fit=False)
        return self.tfidf_.transform(counts).tocsr()

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Tokens, in column order."""
        check_is_fitted(self, "vocabulary_")
        return np.asarray(list(self.vocabulary_), dtype=object)


# --------------------------------------------------------------------------- capabilities


def _taxonomy_codes(taxonomy: object, kind: str) -> list[str]:
    """Codes of ``kind`` in the taxonomy's own order."""
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy() if taxonomy is None else taxonomy
    return [term.code for term in taxonomy.terms(_TAXONOMY_KIND[kind])]


class CapabilityEncoder(TransformerMixin, BaseEstimator):
    """Multi-hot over the taxonomy codes of one kind, with a vocabulary fixed by the taxonomy.

    The columns do not depend on the firms seen in ``fit``, so matrices built on different
    days or subsets line up.

    Parameters
    ----------
    kind : {"sectors", "product_groups", "processes", "materials"}, default="processes"
    column : str or None, default=None
        Column to read from a DataFrame; defaults to ``kind``.
    codes : sequence of str or None, default=None
        Explicit vocabulary; ``None`` takes every code of ``kind`` from ``taxonomy``.
    taxonomy : Taxonomy or None, default=None
        ``None`` loads the packaged taxonomy.
    handle_unknown : {"ignore", "error"}, default="ignore"

    Attributes
    ----------
    codes_ : ndarray of str
        The vocabulary, one column per code.

    Examples
    --------
    >>> enc = CapabilityEncoder(codes=["cnc_milling", "stamping"]).fit([("stamping",)])
    >>> enc.transform([("stamping",), ()]).toarray().tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """

    def __init__(
        self,
        kind: str = "processes",
        column: str | None = None,
        codes: Sequence[str] | None = None,
        taxonomy: object = None,
        handle_unknown: str = "ignore",
    ) -> None:
        self.kind = kind
        self.column = column
        self.codes = codes
        self.taxonomy = taxonomy
        self.handle_unknown = handle_unknown

    def fit(self, X: object = None, y: object = None) -> CapabilityEncoder:
        """Fix the vocabulary (from ``codes`` or the taxonomy); ``X`` is not needed."""
        if self.kind not in CAPABILITY_KINDS:
            raise ProfileError(
                f"Expected kind in {CAPABILITY_KINDS}, got kind={self.kind!r}. Pick one of them."
            )
        if self.handle_unknown not in ("ignore", "error"):
            raise ProfileError(
                f"Expected handle_unknown 'ignore' or 'error', got {self.handle_unknown!r}."
            )
        codes = list(self.codes) if self.codes is not None else _taxonomy_codes(self.taxonomy, self.kind)
        if len(set(codes)) != len(codes):
            raise ProfileError(f"Expected unique codes, got duplicates in {codes}.")
        self.codes_ = np.asarray(codes, dtype=object)
        self.index_ = {code: i for i, code in enumerate(codes)}
        return self

    def transform(self, X: object) -> sp.csr_matrix:
        """Multi-hot CSR matrix of shape (n_firms, len(codes_))."""
        check_is_fitted(self, "codes_")
        cells = _as_sequence_column(X, self.column or self.kind)
        index = self.index_
        indptr = [0]
        indices: list[int] = []
        cache: dict[object, list[int]] = {}
        for cell in cells:
            key = cell if isinstance(cell, (tuple, str)) else None
            hit = cache.get(key) if key is not None else None
            if hit is None:
                hit = []
                for code in _cell_items(cell):
                    j = index.get(code)
                    if j is None:
                        if self.handle_unknown == "error":
                            raise ProfileError(
                                f"Expected {self.kind} codes of the taxonomy, got {code!r}. "
                                f"Resolve aliases with taxonomy.resolve_many or set "
                                f"handle_unknown='ignore'."
                            )
                        continue
                    hit.append(j)
                hit = sorted(set(hit))
                if key is not None:
                    cache[key] = hit
            indices.extend(hit)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        return sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(len(cells), len(self.codes_)),
        )

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The codes, in column order."""
        check_is_fitted(self, "codes_")
        return self.codes_.copy()


# --------------------------------------------------------------------------- numeric


def _park_table(parks: object) -> tuple[np.ndarray, np.ndarray]:
    """(park ids, (n_parks, 2) lat/lon) from a parks DataFrame, a dict, or None (all parks)."""
    if parks is None:
        from features.geo import parks as load_parks

        parks = load_parks()
    if isinstance(parks, pd.DataFrame):
        frame = parks.reset_index() if "park_id" not in parks.columns else parks
        missing = {"park_id", "lat", "lon"} - set(frame.columns)
        if missing:
            raise ProfileError(
                f"Expected a parks table with park_id, lat, lon columns, got "
                f"{list(frame.columns)}. Pass features.geo.parks() or a dict "
                f"{{park_id: (lat, lon)}}."
            )
        ids = frame["park_id"].astype(str).to_numpy(dtype=object)
        coords = frame[["lat", "lon"]].to_numpy(dtype=np.float64)
    elif isinstance(parks, dict):
        ids = np.asarray([str(k) for k in parks], dtype=object)
        coords = np.asarray([tuple(v)[:2] for v in parks.values()], dtype=np.float64)
    else:
        raise ProfileError(
            f"Expected parks as None, a DataFrame or a dict {{park_id: (lat, lon)}}, got "
            f"{type(parks).__name__}."
        )
    if len(ids) == 0 or coords.shape != (len(ids), 2) or not np.isfinite(coords).all():
        raise ProfileError(
            f"Expected at least one park with finite lat/lon, got {len(ids)} parks with "
            f"coordinates of shape {coords.shape}. Fix the parks table."
        )
    return ids, coords


def _haversine_matrix(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Great-circle km between each point (n, 2) and each centre (m, 2), in degrees."""
    lat1 = np.radians(points[:, :1])
    lon1 = np.radians(points[:, 1:2])
    lat2 = np.radians(centres[:, 0])[None, :]
    lon2 = np.radians(centres[:, 1])[None, :]
    a = (
        np.sin((lat2 - lat1) / 2.0) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class GeoEncoder(TransformerMixin, BaseEstimator):
    """Distance in km from each firm to each industrial park, plus a missing-place flag.

    Input is numeric columns of which ``lat_column`` and ``lon_column`` hold latitude and
    longitude in degrees (the ``lat``, ``lon`` columns of
    :func:`features.profile.build_profiles`); other columns are not used, as with
    ``ColumnTransformer(remainder="drop")``. Firms that could not be placed
    (NaN) get ``missing_km`` (default: the median distance to that park seen in ``fit``)
    and ``geo_missing = 1``.

    Parameters
    ----------
    parks : DataFrame, dict or None, default=None
        ``park_id``/``lat``/``lon`` table or ``{park_id: (lat, lon)}``; ``None`` takes every
        park of :func:`features.geo.parks`.
    missing_km : float or None, default=None
        Distance given to unplaced firms; ``None`` learns the per-park median.
    lat_column, lon_column : int or str, default=0 and 1
        Position (or name, for DataFrames) of the latitude and longitude columns.

    Attributes
    ----------
    park_ids_ : ndarray of str
    park_coords_ : ndarray of shape (n_parks, 2)
    fill_km_ : ndarray of shape (n_parks,)

    Examples
    --------
    >>> enc = GeoEncoder(parks={"thang_long": (21.0990, 105.7780)})
    >>> enc.fit_transform([[21.0990, 105.7780], [float("nan"), float("nan")]]).round(1).tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """

    def __init__(
        self,
        parks: object = None,
        missing_km: float | None = None,
        lat_column: int | str = 0,
        lon_column: int | str = 1,
    ) -> None:
        self.parks = parks
        self.missing_km = missing_km
        self.lat_column = lat_column
        self.lon_column = lon_column

    def _position(self, column: int | str, name: str) -> int:
        names = getattr(self, "feature_names_in_", None)
        if isinstance(column, str):
            if names is None or column not in list(names):
                raise ProfileError(
                    f"Expected a column named {column!r} for {name}, got "
                    f"{None if names is None else list(names)}. Pass a DataFrame with it or "
                    f"set {name} to a column position."
                )
            return list(names).index(column)
        if not (isinstance(column, (int, np.integer)) and 0 <= column < self.n_features_in_):
            raise ProfileError(
                f"Expected {name} a column position below n_features_in_="
                f"{self.n_features_in_}, got {name}={column!r}."
            )
        return int(column)

    def _points(self, X: object, reset: bool) -> np.ndarray:
        values = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan"
        )
        if values.shape[1] < 2:
            raise ProfileError(
                f"GeoEncoder expected 2 features (latitude, longitude), got "
                f"{values.shape[1]} feature(s). Pass the lat and lon columns."
            )
        lat = self._position(self.lat_column, "lat_column")
        lon = self._position(self.lon_column, "lon_column")
        return values[:, [lat, lon]]

    def fit(self, X: object, y: object = None) -> GeoEncoder:
        """Read the parks and learn the distance used for unplaced firms."""
        points = self._points(X, reset=True)
        self.park_ids_, self.park_coords_ = _park_table(self.parks)
        if self.missing_km is not None:
            if not (isinstance(self.missing_km, (int, float)) and self.missing_km >= 0):
                raise ProfileError(
                    f"Expected missing_km >= 0 or None, got missing_km={self.missing_km!r}."
                )
            self.fill_km_ = np.full(len(self.park_ids_), float(self.missing_km))
            return self
        distances = _haversine_matrix(points, self.park_coords_)
        placed = ~np.isnan(points).any(axis=1)
        if placed.any():
            self.fill_km_ = np.median(distances[placed], axis=0)
        else:
            self.fill_km_ = np.zeros(len(self.park_ids_))
        return self

    def transform(self, X: object) -> np.ndarray:
        """Array of shape (n_firms, n_parks + 1): km to each park, then ``geo_missing``."""
        check_is_fitted(self, "fill_km_")
        points = self._points(X, reset=False)
        distances = _haversine_matrix(points, self.park_coords_)
        missing = np.isnan(points).any(axis=1)
        distances[missing] = self.fill_km_
        return np.column_stack([distances, missing.astype(np.float64)])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``km_to_<park_id>`` per park, then ``geo_missing``."""
        check_is_fitted(self, "fill_km_")
        names = [f"km_to_{park}" for park in self.park_ids_] + ["geo_missing"]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class SizeEncoder(TransformerMixin, BaseEstimator):
    """``log1p`` of firm size columns with median imputation and one missing flag per column.

    Numeric arrays in, numeric out. Negative values count as 0. When ``X`` is a DataFrame,
    columns named in ``year_columns`` (``founded``) are first turned into an age in years on
    ``as_of``.

    Parameters
    ----------
    year_columns : tuple of str, default=("founded",)
        Columns holding a year, converted to ``as_of.year - year``.
    as_of : date, str or None, default=None
        Reference date for ages; ``None`` means today.

    Attributes
    ----------
    fill_ : ndarray of shape (n_features_in_,)
        Median of each ``log1p`` column in ``fit`` (used for missing values).

    Examples
    --------
    >>> SizeEncoder().fit_transform([[9.0], [float("nan")]]).round(3).tolist()
    [[2.303, 0.0], [2.303, 1.0]]
    """

    def __init__(self, year_columns: tuple[str, ...] = ("founded",), as_of: object = None) -> None:
        self.year_columns = year_columns
        self.as_of = as_of

    def _values(self, X: object, reset: bool) -> np.ndarray:
        values = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan"
        ).copy()
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            year = _as_of(self.as_of).year
            for j, name in enumerate(names):
                if name in self.year_columns:
                    values[:, j] = year - values[:, j]
        values[np.isinf(values)] = np.nan
        return np.log1p(np.clip(values, 0.0, None))

    def fit(self, X: object, y: object = None) -> SizeEncoder:
        """Learn the median of each column for imputation."""
        _as_of(self.as_of)
        values = self._values(X, reset=True)
        with np.errstate(all="ignore"):
            fill = np.nanmedian(np.where(np.isnan(values), np.nan, values), axis=0) if len(
                values
            ) else np.zeros(values.shape[1])
        self.fill_ = np.where(np.isnan(fill), 0.0, fill)
        return self

    def transform(self, X: object) -> np.ndarray:
        """Array (n_firms, 2 * n_features_in_): the log columns, then the missing flags."""
        check_is_fitted(self, "fill_")
        values = self._values(X, reset=False)
        missing = np.isnan(values)
        values = np.where(missing, self.fill_[None, :], values)
        return np.hstack([values, missing.astype(np.float64)])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``log1p_<column>`` then ``<column>_missing`` (``age`` for year columns)."""
        check_is_fitted(self, "fill_")
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(self.n_features_in_)]
        names = ["age" if n in self.year_columns else str(n) for n in names]
        out = [f"log1p_{n}" for n in names] + [f"{n}_missing" for n in names]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


# --------------------------------------------------------------------------- certifications


def _certification_codes(taxonomy: object, international_only: bool) -> list[str]:
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy() if taxonomy is None else taxonomy
    return [
        term.code
        for term in taxonomy.terms("certification")
        if not international_only or bool(term.attrs.get("international", False))
    ]


class CertificationEncoder(TransformerMixin, BaseEstimator):
    """Certifications valid on ``as_of`` (multi-hot) and years left before they expire.

    Reads the ``certifications`` column of :func:`features.profile.build_profiles`
    (tuples of :class:`features.certifications.Certification`). A certificate counts when
    ``Certification.is_valid(as_of)``; several certificates of one standard keep the latest
    expiry. A valid certificate with no expiry date gets ``horizon_days``.

    Parameters
    ----------
    as_of : date, str or None, default=None
        Date of validity (a need's date); ``None`` means today.
    international_only : bool, default=False
        Keep only the standards that count as international (ISO 9001, IATF 16949, ...).
    codes : sequence of str or None, default=None
        Explicit certification codes; ``None`` takes them from the taxonomy.
    taxonomy : Taxonomy or None, default=None
    horizon_days : int, default=1095
        Cap of the days-to-expiry features (3 years).

    Attributes
    ----------
    codes_ : ndarray of str
    as_of_ : date

    Examples
    --------
    >>> enc = CertificationEncoder(codes=["iso_9001"], as_of="2026-01-01").fit(None)
    >>> enc.get_feature_names_out().tolist()
    ['valid_iso_9001', 'days_left_iso_9001', 'n_valid']
    """

    def __init__(
        self,
        as_of: object = None,
        international_only: bool = False,
        codes: Sequence[str] | None = None,
        taxonomy: object = None,
        horizon_days: int = 1095,
        column: str = "certifications",
    ) -> None:
        self.as_of = as_of
        self.international_only = international_only
        self.codes = codes
        self.taxonomy = taxonomy
        self.horizon_days = horizon_days
        self.column = column

    def fit(self, X: object = None, y: object = None) -> CertificationEncoder:
        """Fix the certification codes and the date; ``X`` is not needed."""
        if not (isinstance(self.horizon_days, (int, np.integer)) and self.horizon_days > 0):
            raise ProfileError(
                f"Expected horizon_days a positive int, got horizon_days={self.horizon_days!r}."
            )
        self.as_of_ = _as_of(self.as_of)
        codes = (
            list(self.codes)
            if self.codes is not None
            else _certification_codes(self.taxonomy, self.international_only)
        )
        self.codes_ = np.asarray(codes, dtype=object)
        self.index_ = {code: i for i, code in enumerate(codes)}
        return self

    def _row(self, certifications: object) -> np.ndarray:
        k = len(self.codes_)
        row = np.zeros(2 * k + 1)
        for certification in _cell_items(certifications):
            j = self.index_.get(certification.code)
            if j is None or not certification.is_valid(self.as_of_):
                continue
            row[j] = 1.0
            expires = certification.expires()
            days = self.horizon_days if expires is None else (expires - self.as_of_).days
            row[k + j] = max(row[k + j], float(min(max(days, 0), self.horizon_days)))
        row[2 * k] = row[:k].sum()
        return row

    def transform(self, X: object) -> np.ndarray:
        """Array (n_firms, 2 * n_codes + 1): valid flags, days left, count of valid ones."""
        check_is_fitted(self, "codes_")
        cells = _as_sequence_column(X, self.column)
        out = np.zeros((len(cells), 2 * len(self.codes_) + 1))
        cache: dict[int, np.ndarray] = {}
        keep_alive = []  # ids are only unique while the objects live
        for i, cell in enumerate(cells):
            row = cache.get(id(cell))
            if row is None:
                row = cache[id(cell)] = self._row(cell)
                keep_alive.append(cell)
            out[i] = row
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``valid_<code>`` per code, ``days_left_<code>`` per code, then ``n_valid``."""
        check_is_fitted(self, "codes_")
        names = [f"valid_{c}" for c in self.codes_] + [f"days_left_{c}" for c in self.codes_]
        return np.asarray(names + ["n_valid"], dtype=object)


# --------------------------------------------------------------------------- composition


class FirmProfiler(TransformerMixin, BaseEstimator):
    """The whole firm feature matrix: text, capabilities, certifications, place and size.

    Takes firms in the import format (profiled first with
    :func:`features.profile.build_profiles`) or an existing profiles frame, and stacks the
    outputs of :class:`TextVectorizer`, one :class:`CapabilityEncoder` per kind,
    :class:`CertificationEncoder`, :class:`GeoEncoder` and :class:`SizeEncoder` through a
    :class:`~sklearn.compose.ColumnTransformer` (CSR output, columns prefixed
    ``text__``, ``processes__``, ``certifications__``, ``geo__``, ``size__``...).

    Parameters
    ----------
    as_of : date, str or None, default=None
        Date for certification validity and firm age.
    international_only : bool, default=False
        Passed to :class:`CertificationEncoder`.
    parks : DataFrame, dict or None, default=None
        Passed to :class:`GeoEncoder`.
    text_min_df : int or float, default=1
        Passed to :class:`TextVectorizer` as ``min_df``.
    text_max_features : int or None, default=None
        Passed to :class:`TextVectorizer` as ``max_features``.
    taxonomy : Taxonomy or None, default=None
    geocode : bool, default=True
        Passed to :func:`build_profiles` when ``X`` is raw firms.

    Attributes
    ----------
    column_transformer_ : ColumnTransformer
    firm_ids_ : ndarray of str
        Firms seen in ``fit``, in row order.

    Examples
    --------
    >>> profiler = FirmProfiler()  # doctest: +SKIP
    >>> X = profiler.fit_transform(firms)  # doctest: +SKIP
    >>> profiler.get_feature_names_out()[:3]  # doctest: +SKIP
    """

    def __init__(
        self,
        as_of: object = None,
        international_only: bool = False,
        parks: object = None,
        text_min_df: int | float = 1,
        text_max_features: int | None = None,
        taxonomy: object = None,
        geocode: bool = True,
    ) -> None:
        self.as_of = as_of
        self.international_only = international_only
        self.parks = parks
        self.text_min_df = text_min_df
        self.text_max_features = text_max_features
        self.taxonomy = taxonomy
        self.geocode = geocode

    def _profiles(self, X: object) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ProfileError(
                f"Expected a DataFrame of firms or of profiles, got {type(X).__name__}. "
                f"Read the firms with pandas or features.ingest."
            )
        if "text_folded" in X.columns:
            return X
        from features.profile.build import build_profiles

        as_of = _as_of(self.as_of)
        return build_profiles(X, as_of, taxonomy=self.taxonomy, geocode=self.geocode)

    def _column_transformer(self) -> ColumnTransformer:
        as_of = _as_of(self.as_of)
        steps = [
            (
                "text",
                TextVectorizer(min_df=self.text_min_df, max_features=self.text_max_features),
                "text_folded",
            )
        ]
        steps += [
            (kind, CapabilityEncoder(kind=kind, taxonomy=self.taxonomy), [kind])
            for kind in CAPABILITY_KINDS
        ]
        steps += [
            (
                "certifications",
                CertificationEncoder(
                    as_of=as_of, international_only=self.international_only, taxonomy=self.taxonomy
                ),
                ["certifications"],
            ),
            ("geo", GeoEncoder(parks=self.parks), ["lat", "lon"]),
            ("size", SizeEncoder(as_of=as_of), ["employees", "monthly_capacity", "founded"]),
        ]
        return ColumnTransformer(steps, sparse_threshold=1.0, remainder="drop")

    def fit(self, X: object, y: object = None) -> FirmProfiler:
        """Profile the firms if needed and fit every encoder."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: object, y: object = None, **fit_params: object) -> sp.csr_matrix:
        """Fit and return the feature matrix (one row per firm, CSR)."""
        if fit_params:
            raise ProfileError(f"Expected no fit parameters, got {sorted(fit_params)}.")
        profiles = self._profiles(X)
        self.column_transformer_ = self._column_transformer()
        matrix = self.column_transformer_.fit_transform(profiles)
        self.firm_ids_ = profiles.index.to_numpy(dtype=object)
        return sp.csr_matrix(matrix)

    def transform(self, X: object) -> sp.csr_matrix:
        """Feature matrix of ``X`` (firms or profiles), CSR, columns as in fit."""
        check_is_fitted(self, "column_transformer_")
        return sp.csr_matrix(self.column_transformer_.transform(self._profiles(X)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``<step>__<feature>`` for every column of the matrix."""
        check_is_fitted(self, "column_transformer_")
        return self.column_transformer_.get_feature_names_out()
