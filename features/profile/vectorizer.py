"""TF-IDF of the profile text (:class:`TextVectorizer`)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils.validation import check_is_fitted

from features.profile._common import (
    ProfileError,
    _as_text_series,
)
from features.text import tokens

__all__ = ["TextVectorizer"]


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
