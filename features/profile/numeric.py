"""Numeric encoders: distances to industrial parks and firm size."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from features.profile._common import (
    ProfileError,
    _as_of,
)

__all__ = ["GeoEncoder", "SizeEncoder"]


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
            fill = (
                np.nanmedian(np.where(np.isnan(values), np.nan, values), axis=0)
                if len(values)
                else np.zeros(values.shape[1])
            )
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
