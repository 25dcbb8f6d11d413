"""Baselines that every matcher must beat, run through the same protocol.

- :class:`RandomRanker`: a seeded random order of all firms.
- :class:`PopularityRanker`: firms by how many recorded outcomes reached a meeting or
  beyond in training (the "usual suspects" staff call first).
- :class:`BM25Ranker`: text-only BM25 (``bm25s``) over the firms' own words.
- :class:`TfidfRanker`: text-only TF-IDF cosine similarity (scikit-learn) over words.
- :class:`CharNgramRanker`: text-only TF-IDF cosine similarity over character 3–5-grams
  of the folded text (robust to typos, compounds, missing diacritics and unsegmented
  Japanese).

The text baselines read the firm's name, description, products, materials and sectors,
and the need's title and description *plus the labels of its structured codes* (sector,
processes, materials, in Vietnamese and English), so they see every word the matcher
sees; tokens are :func:`features.text.tokens` (folded syllables and bigrams, abbreviations
expanded), except for :class:`CharNgramRanker`, which reads :func:`features.text.fold`.
All share the interface of :class:`matching.SupplierMatcher`:
``fit(firms, outcomes=None)`` then ``rank(needs, k)`` -> long DataFrame
``need_id, rank, firm_id, score``.
"""

from __future__ import annotations

from collections.abc import Iterable

import bm25s
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from features.text import fold, normalize, tokens
from matching.evaluation import STAGE_GAIN, EvaluationError

__all__ = [
    "firm_text",
    "need_text",
    "as_needs_frame",
    "RandomRanker",
    "PopularityRanker",
    "BM25Ranker",
    "TfidfRanker",
    "CharNgramRanker",
]

_FIRM_TEXT_COLUMNS = ("name", "description", "products", "materials", "sectors")
_NEED_CODE_COLUMNS = ("sector", "processes", "materials")


def _cell(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def firm_text(firms: pd.DataFrame) -> list[str]:
    """The words of each firm (name, description, products, materials, sectors)."""
    cols = [c for c in _FIRM_TEXT_COLUMNS if c in firms.columns]
    return [" . ".join(_cell(v) for v in row) for row in firms[cols].itertuples(index=False)]


def _code_labels(codes: str) -> str:
    if not codes.strip():
        return ""
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    words = []
    for code in (c.strip() for c in codes.split(";")):
        if code and code in taxonomy:
            term = taxonomy.get(code)
            words += [term.label_vi, term.label_en]
        elif code:
            words.append(code)
    return " . ".join(words)


def need_text(needs: pd.DataFrame) -> list[str]:
    """The words of each need: title, description and the labels of its codes."""
    out = []
    for _, need in needs.iterrows():
        parts = [_cell(need.get("title")), _cell(need.get("description"))]
        parts += [_code_labels(_cell(need.get(c))) for c in _NEED_CODE_COLUMNS]
        out.append(normalize(" . ".join(p for p in parts if p)))
    return out


def as_needs_frame(needs) -> pd.DataFrame:
    """A batch of needs as a DataFrame with a ``need_id`` column (a str is one ad-hoc need)."""
    if isinstance(needs, str):
        needs = [{"need_id": "adhoc", "description": needs}]
    if isinstance(needs, dict):
        needs = [needs]
    if isinstance(needs, (list, tuple)) and all(isinstance(n, str) for n in needs):
        needs = [{"need_id": f"adhoc-{i + 1}", "description": n} for i, n in enumerate(needs)]
    frame = pd.DataFrame(needs) if not isinstance(needs, pd.DataFrame) else needs
    if "need_id" not in frame.columns:
        frame = frame.assign(need_id=[f"adhoc-{i + 1}" for i in range(len(frame))])
    return frame.reset_index(drop=True)


def _check_k(k: int, n_firms: int) -> int:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise EvaluationError(f"Expected k >= 1, got k={k!r}.")
    return min(int(k), n_firms)


def _long(need_ids: Iterable[str], firm_ids: np.ndarray, scores: np.ndarray, k: int) -> pd.DataFrame:
    """Top ``k`` of each row of ``scores`` (needs x firms) as a long table."""
    frames = []
    for need_id, row in zip(need_ids, scores, strict=True):
        top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
        top = top[np.lexsort((firm_ids[top], -row[top]))]
        frames.append(
            pd.DataFrame(
                {"need_id": need_id, "rank": np.arange(1, len(top) + 1), "firm_id": firm_ids[top], "score": row[top]}
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["need_id", "rank", "firm_id", "score"])


class _Ranker(BaseEstimator):
    def _fit_firms(self, firms: pd.DataFrame) -> None:
        if "firm_id" not in firms.columns:
            raise EvaluationError(f"firms needs a 'firm_id' column; it has {list(firms.columns)}.")
        self.firm_ids_ = firms["firm_id"].astype(str).to_numpy()

    def rank(self, needs, k: int = 10) -> pd.DataFrame:
        """Rank the fitted firms for each need; long DataFrame ``need_id, rank, firm_id, score``."""
        check_is_fitted(self, "firm_ids_")
        frame = as_needs_frame(needs)
        k = _check_k(k, len(self.firm_ids_))
        return _long(frame["need_id"].astype(str), self.firm_ids_, self._scores(frame), k)


class RandomRanker(_Ranker):
    """Every firm in a random order, different for each need, fixed by ``random_state``."""

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, firms: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> RandomRanker:
        self._fit_firms(firms)
        return self

    def _scores(self, needs: pd.DataFrame) -> np.ndarray:
        rng = np.random.default_rng(self.random_state)
        return rng.random((len(needs), len(self.firm_ids_)))


class PopularityRanker(_Ranker):
    """Firms by the graded relevance they earned in training outcomes (same list for all needs)."""

    def fit(self, firms: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> PopularityRanker:
        self._fit_firms(firms)
        popularity = pd.Series(0.0, index=self.firm_ids_)
        if outcomes is not None and len(outcomes):
            gain = outcomes["status"].map(STAGE_GAIN).fillna(0.0)
            earned = gain.groupby(outcomes["firm_id"].astype(str)).sum()
            popularity = popularity.add(earned, fill_value=0.0).reindex(self.firm_ids_)
        self.popularity_ = popularity.to_numpy(dtype=float)
        return self

    def _scores(self, needs: pd.DataFrame) -> np.ndarray:
        return np.tile(self.popularity_, (len(needs), 1))


class BM25Ranker(_Ranker):
    """Text-only BM25 with ``bm25s`` on :func:`features.text.tokens` (one thread)."""

    def __init__(self, k1: float = 1.5, b: float = 0.75):
        self.k1 = k1
        self.b = b

    def fit(self, firms: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> BM25Ranker:
        self._fit_firms(firms)
        self.index_ = bm25s.BM25(k1=self.k1, b=self.b)
        self.index_.index([tokens(t) for t in firm_text(firms)], show_progress=False)
        return self

    def _scores(self, needs: pd.DataFrame) -> np.ndarray:
        empty = np.zeros(len(self.firm_ids_), dtype=float)
        return np.vstack(
            [self.index_.get_scores(q) if (q := tokens(t)) else empty for t in need_text(needs)]
        )


class TfidfRanker(_Ranker):
    """Text-only TF-IDF cosine similarity on :func:`features.text.tokens`."""

    def __init__(self, sublinear_tf: bool = True, min_df: int = 1):
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df

    def fit(self, firms: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> TfidfRanker:
        self._fit_firms(firms)
        self.vectorizer_ = TfidfVectorizer(
            analyzer=tokens, sublinear_tf=self.sublinear_tf, min_df=self.min_df
        )
        self.matrix_ = self.vectorizer_.fit_transform(firm_text(firms))
        return self

    def _scores(self, needs: pd.DataFrame) -> np.ndarray:
        queries = self.vectorizer_.transform(need_text(needs))
        return (queries @ self.matrix_.T).toarray()


class CharNgramRanker(_Ranker):
    """Text-only TF-IDF cosine similarity over character n-grams of the folded text.

    scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` with
    :func:`features.text.fold` as preprocessor: n-grams inside word boundaries, padded
    with a space, so "khuon mau" and "khuôn mẫu" give the same n-grams and "stamping"
    shares most of its n-grams with "stamped".

    Parameters
    ----------
    ngram_range : tuple (min_n, max_n), default (3, 5)
    sublinear_tf : bool, default True
        ``1 + log(tf)`` instead of the raw count (long descriptions do not win by length).
    min_df : int, default 1

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"firm_id": ["A", "B"], "name": ["Đúc Hà Nội", "Nhựa Sao Mai"],
    ...                       "description": ["Đúc áp lực nhôm", "Ép nhựa ABS"]})
    >>> CharNgramRanker().fit(firms).rank(["duc nhom"], k=1)["firm_id"].tolist()
    ['A']
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), sublinear_tf: bool = True, min_df: int = 1):
        self.ngram_range = ngram_range
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df

    def fit(self, firms: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> CharNgramRanker:
        self._fit_firms(firms)
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            preprocessor=fold,
            sublinear_tf=self.sublinear_tf,
            min_df=self.min_df,
        )
        self.matrix_ = self.vectorizer_.fit_transform(firm_text(firms))
        return self

    def _scores(self, needs: pd.DataFrame) -> np.ndarray:
        queries = self.vectorizer_.transform(need_text(needs))
        return (queries @ self.matrix_.T).toarray()
