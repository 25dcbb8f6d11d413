"""Multi-hot encoders of taxonomy codes and of valid certifications."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from features.certifications import certificate_status
from features.profile._common import (
    _TAXONOMY_KIND,
    CAPABILITY_KINDS,
    ProfileError,
    _as_of,
    _as_sequence_column,
    _cell_items,
)

__all__ = ["CapabilityEncoder", "CertificationEncoder"]


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
        codes = (
            list(self.codes)
            if self.codes is not None
            else _taxonomy_codes(self.taxonomy, self.kind)
        )
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
    :func:`features.certifications.certificate_status` says it is held on ``as_of``; several
    certificates of one standard count as one, to the end of its unbroken validity (renewals).
    A valid certificate with no expiry date gets ``horizon_days``.

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
        # The one validity rule: a renewal continues a certificate, so days left run to its end.
        for code, answer in certificate_status(list(_cell_items(certifications)), on=self.as_of_).items():
            j = self.index_.get(code)
            if j is None or not answer.valid:
                continue
            row[j] = 1.0
            days = self.horizon_days if answer.valid_until is None else (answer.valid_until - self.as_of_).days
            row[k + j] = float(min(max(days, 0), self.horizon_days))
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
