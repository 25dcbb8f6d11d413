"""The composed firm feature matrix (:class:`FirmProfiler`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.utils.validation import check_is_fitted

from features.profile._common import (
    CAPABILITY_KINDS,
    ProfileError,
    _as_of,
)
from features.profile.encoders import CapabilityEncoder, CertificationEncoder
from features.profile.numeric import GeoEncoder, SizeEncoder
from features.profile.vectorizer import TextVectorizer

__all__ = ["FirmProfiler"]


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
