"""Evaluation on a labelled set: real firm texts, needs written and judged by hand.

Unlike :mod:`matching.protocol` (recorded outcomes of the demo data, which the demo
generator draws from the matcher's own signals), a labelled set says for each need how
relevant each judged firm is, on a graded scale:

- 3 — what the need asks for is the firm's core business;
- 2 — the firm does it, as a side line or for a close product;
- 1 — related: worth a call;
- 0 — judged and not relevant (the same as not judged).

Two files make a set. The firms are any firm table with ``firm_id``, ``name``,
``description``. The needs are either JSON::

    {"queries": [{"id": "q1", "lang": "en", "text": "aluminium die casting",
                  "rel": {"F-12": 3, "F-40": 1}}]}

or CSV with one row per need and the judgements in one ``rel`` cell, ``firm:grade``
pairs separated by ``;``::

    need_id,lang,text,rel
    q1,en,aluminium die casting,"F-12:3; F-40:1"

:func:`read_labelled_needs` reads either into two long tables, :func:`evaluate_labelled`
ranks every need with every model and returns a long table model x slice x metric
(slices: ``all`` and each ``lang``). The graded relevance is the gain of NDCG; precision,
recall and MRR count a grade of 1 or more as relevant.

Examples
--------
>>> import pandas as pd
>>> from matching.baselines import BM25Ranker
>>> firms = pd.DataFrame({"firm_id": ["A", "B"], "name": ["Đúc Hà Nội", "Nhựa Sao Mai"],
...                       "description": ["Đúc áp lực nhôm", "Ép nhựa ABS"]})
>>> needs = pd.DataFrame({"need_id": ["q1"], "lang": ["vi"], "text": ["duc nhom"]})
>>> truth = pd.DataFrame({"need_id": ["q1"], "firm_id": ["A"], "relevance": [3]})
>>> table = evaluate_labelled({"bm25": BM25Ranker()}, firms, needs, truth, k=2)
>>> float(table.query("slice == 'all' and metric == 'ndcg@2'")["value"].iloc[0])
1.0
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from sklearn.base import clone

from features.exceptions import CnhtError
from matching.evaluation import mrr, ndcg_at_k, precision_at_k, recall_at_k

__all__ = [
    "LabelledSetError",
    "LabelledNeeds",
    "MAX_GRADE",
    "read_labelled_needs",
    "check_judged_firms",
    "evaluate_labelled",
    "labelled_models",
]

MAX_GRADE = 3
_CSV_COLUMNS = ("need_id", "lang", "text", "rel")


class LabelledSetError(CnhtError):
    """A labelled set of needs cannot be read or does not fit the firms it judges."""


class LabelledNeeds(NamedTuple):
    """A labelled set of needs as two long tables.

    ``needs``: one row per need, ``need_id, lang, text``.
    ``truth``: one row per judged (need, firm) pair, ``need_id, firm_id, relevance``
    (the grade, 0..3) and ``source`` (where the judgement was read, for messages).
    """

    needs: pd.DataFrame
    truth: pd.DataFrame


def _grade(value: object, where: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isdigit() else text
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GRADE:
        raise LabelledSetError(
            f"{where}: expected a relevance grade 0, 1, 2 or {MAX_GRADE} (3 = core business, "
            f"0 = not relevant), got {value!r}. Fix the grade."
        )
    return value


def _text_field(value: object, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LabelledSetError(f"{where}: expected '{key}' as a non-empty string, got {value!r}. Fill it in.")
    return value.strip()


def _from_json(path: Path, raw: str) -> tuple[list[dict], list[dict]]:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LabelledSetError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            'Expected {"queries": [{"id", "lang", "text", "rel": {firm_id: grade}}]}.'
        ) from None
    queries = document.get("queries") if isinstance(document, dict) else None
    if not isinstance(queries, list):
        got = f"keys {sorted(document)}" if isinstance(document, dict) else type(document).__name__
        raise LabelledSetError(
            f'{path}: expected an object with a "queries" list, got {got}. '
            'Write {"queries": [{"id", "lang", "text", "rel": {firm_id: grade}}]}.'
        )
    needs, truth = [], []
    for i, query in enumerate(queries):
        where = f"{path}: queries[{i}]"
        if not isinstance(query, dict):
            raise LabelledSetError(f"{where}: expected an object with id, lang, text, rel, got {query!r}.")
        missing = [key for key in ("id", "lang", "text", "rel") if key not in query]
        if missing:
            raise LabelledSetError(
                f"{where}: missing key(s) {missing}; it has {sorted(query)}. Each query needs id, lang, text, rel."
            )
        need_id = _text_field(query["id"] if not isinstance(query["id"], int) else str(query["id"]), where, "id")
        where = f"{where} (id {need_id!r})"
        needs.append({"need_id": need_id, "lang": _text_field(query["lang"], where, "lang"),
                      "text": _text_field(query["text"], where, "text"), "_where": where})
        if not isinstance(query["rel"], dict):
            raise LabelledSetError(f"{where}: expected 'rel' as an object {{firm_id: grade}}, got {query['rel']!r}.")
        for firm_id, grade in query["rel"].items():
            truth.append({"need_id": need_id, "firm_id": str(firm_id).strip(),
                          "relevance": _grade(grade, f"{where}, rel[{firm_id!r}]"), "source": where})
    return needs, truth


def _from_csv(path: Path) -> tuple[list[dict], list[dict]]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise LabelledSetError(f"{path}: cannot be read as UTF-8 CSV ({exc}). Save it as CSV UTF-8.") from None
    except pd.errors.EmptyDataError:
        raise LabelledSetError(f"{path}: is empty; expected the columns {', '.join(_CSV_COLUMNS)}.") from None
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in _CSV_COLUMNS if c not in table.columns]
    if missing:
        raise LabelledSetError(
            f"{path}: missing column(s) {missing}; it has {list(table.columns)}. Expected "
            f"{', '.join(_CSV_COLUMNS)}, with rel as 'firm_id:grade; firm_id:grade'."
        )
    needs, truth = [], []
    for row_number, row in enumerate(table.itertuples(index=False), start=2):  # row 1 is the header
        where = f"{path}: row {row_number}"
        need_id = _text_field(row.need_id, f"{where}, column need_id", "need_id")
        needs.append({"need_id": need_id, "lang": _text_field(row.lang, f"{where}, column lang", "lang"),
                      "text": _text_field(row.text, f"{where}, column text", "text"), "_where": where})
        for pair in (p.strip() for p in row.rel.split(";")):
            if not pair:
                continue
            firm_id, sep, grade = pair.rpartition(":")
            if not sep or not firm_id.strip():
                raise LabelledSetError(
                    f"{where}, column rel: expected 'firm_id:grade' pairs separated by ';', got {pair!r}."
                )
            truth.append({"need_id": need_id, "firm_id": firm_id.strip(),
                          "relevance": _grade(grade, f"{where}, column rel, firm {firm_id.strip()!r}"),
                          "source": f"{where}, column rel"})
    return needs, truth


def read_labelled_needs(path: str | Path) -> LabelledNeeds:
    """Read a labelled set of needs from JSON or CSV (see the module docstring).

    Parameters
    ----------
    path : str or Path
        ``.json`` (``{"queries": [...]}``) or ``.csv`` (``need_id, lang, text, rel``).

    Returns
    -------
    LabelledNeeds
        ``needs`` (``need_id, lang, text``) and ``truth`` (``need_id, firm_id, relevance,
        source``).

    Raises
    ------
    LabelledSetError
        The message names the file, the query or row, and the key or column: malformed
        JSON, a missing column, an empty text, a grade outside 0..3, a need id or a
        (need, firm) judgement given twice.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelledSetError(f"{path}: no such file; give the labelled needs as .json or .csv.")
    suffix = path.suffix.lower()
    if suffix == ".json":
        needs, truth = _from_json(path, path.read_text(encoding="utf-8-sig"))
    elif suffix == ".csv":
        needs, truth = _from_csv(path)
    else:
        raise LabelledSetError(f"{path}: expected a .json or .csv file of labelled needs, got '{suffix}'.")
    if not needs:
        raise LabelledSetError(f"{path}: holds no need; expected at least one query with its judgements.")
    seen: dict[str, str] = {}
    for need in needs:
        if need["need_id"] in seen:
            raise LabelledSetError(
                f"{need['_where']}: need id {need['need_id']!r} already used at {seen[need['need_id']]}. "
                "Give every need its own id."
            )
        seen[need["need_id"]] = need["_where"]
    truth_frame = pd.DataFrame(truth, columns=["need_id", "firm_id", "relevance", "source"])
    twice = truth_frame[truth_frame.duplicated(["need_id", "firm_id"])]
    if len(twice):
        first = twice.iloc[0]
        raise LabelledSetError(
            f"{first['source']}: firm {first['firm_id']!r} is judged twice for need {first['need_id']!r}. "
            "Keep one grade."
        )
    needs_frame = pd.DataFrame(needs).drop(columns="_where")
    return LabelledNeeds(needs_frame, truth_frame.astype({"relevance": int}))


def check_judged_firms(truth: pd.DataFrame, firm_ids) -> None:
    """Raise :class:`LabelledSetError` when a judgement names a firm that is not in ``firm_ids``.

    A relevant firm the models cannot see would lower every model's score alike and hide
    a mismatch between the two files (another ID format, a row the firm reader refused),
    so it is an error, not a silent zero. The message lists the unknown IDs and where
    they were read.
    """
    known = set(pd.Index(firm_ids).astype(str))
    unknown = truth[~truth["firm_id"].astype(str).isin(known)]
    if unknown.empty:
        return
    where = unknown["source"] if "source" in unknown.columns else unknown["need_id"].map("need {}".format)
    examples = "; ".join(f"{w}: {f!r}" for w, f in zip(where.head(5), unknown["firm_id"].head(5), strict=True))
    raise LabelledSetError(
        f"{len(unknown)} judgement(s) name a firm_id that is not among the {len(known)} firms "
        f"({unknown['firm_id'].nunique()} unknown id(s)), e.g. {examples}. Check the ids in both files, "
        "or whether the firm reader refused those rows."
    )


def _slices(needs: pd.DataFrame) -> list[tuple[str, pd.Index]]:
    out = [("all", pd.Index(needs["need_id"]))]
    if "lang" in needs.columns:
        for lang in needs["lang"].drop_duplicates():
            out.append((str(lang), pd.Index(needs.loc[needs["lang"] == lang, "need_id"])))
    return out


def _metrics(truth: pd.DataFrame, pred: pd.DataFrame, k: int, precision_k: int) -> dict[str, float]:
    relevant = truth[truth["relevance"] >= 1]
    return {
        f"ndcg@{k}": ndcg_at_k(relevant, pred, k=k, col_relevance="relevance"),
        f"precision@{precision_k}": precision_at_k(relevant, pred, k=precision_k),
        f"recall@{k}": recall_at_k(relevant, pred, k=k),
        "mrr": mrr(relevant, pred, k=k),
    }


def evaluate_labelled(
    models: Mapping[str, object],
    firms: pd.DataFrame,
    needs: pd.DataFrame,
    truth: pd.DataFrame,
    k: int = 10,
    *,
    precision_k: int = 5,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Fit each model on ``firms``, rank every need and score it against ``truth``.

    Parameters
    ----------
    models : mapping of name to estimator
        Each has ``fit(firms)`` and ``rank(needs, k)`` returning ``need_id, rank, firm_id,
        score`` (:class:`matching.SupplierMatcher` and :mod:`matching.baselines`). Each is
        cloned before fitting, so the mapping is not changed.
    firms : DataFrame
        The firms, with ``firm_id`` and the text columns the models read.
    needs : DataFrame
        ``need_id, text`` and optionally ``lang`` (each value is a slice).
    truth : DataFrame
        ``need_id, firm_id, relevance`` with grades 0..3 (:func:`read_labelled_needs`).
    k : int, default 10
        Cut-off of NDCG, recall and MRR.
    precision_k : int, default 5
        Cut-off of precision.
    progress : callable(str), optional
        Called with a short message before each model is fitted and before it ranks.

    Returns
    -------
    DataFrame
        Long table ``model, slice, metric, value, needs``: one row per model, slice
        (``all`` then each ``lang`` in order of first appearance) and metric
        (``ndcg@k``, ``precision@precision_k``, ``recall@k``, ``mrr``), every value in
        0..1. ``needs`` counts the needs of the slice that have a firm of grade >= 1 (the
        only ones that can be scored; the others are left out of every mean); a slice
        with none has NaN values.

    Raises
    ------
    LabelledSetError
        A missing column, ``k`` below 1, or a judgement naming a firm not in ``firms``.
    """
    for frame, name, columns in ((firms, "firms", ["firm_id"]), (needs, "needs", ["need_id", "text"]),
                                 (truth, "truth", ["need_id", "firm_id", "relevance"])):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise LabelledSetError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}.")
    for value, name in ((k, "k"), (precision_k, "precision_k")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise LabelledSetError(f"Expected {name} >= 1 (an integer), got {name}={value!r}.")
    check_judged_firms(truth, firms["firm_id"])
    unknown_needs = sorted(set(truth["need_id"]) - set(needs["need_id"]))
    if unknown_needs:
        raise LabelledSetError(f"truth judges need(s) {unknown_needs[:5]} that are not in needs.")
    # The models read a need's words from ``description``; ``lang`` is a label of the set,
    # not a field of a need, and the matcher refuses keys it does not know.
    queries = pd.DataFrame({"need_id": needs["need_id"].astype(str), "description": needs["text"]})
    depth = max(k, precision_k)
    rows = []
    for name, model in models.items():
        if progress:
            progress(f"fitting {name} on {len(firms)} firms")
        fitted = clone(model).fit(firms)
        if progress:
            progress(f"ranking {len(queries)} needs with {name}")
        pred = fitted.rank(queries, k=min(depth, len(firms)))[["need_id", "firm_id", "score"]]
        pred = pred.astype({"need_id": str, "firm_id": str})
        for slice_name, need_ids in _slices(needs):
            part = truth[truth["need_id"].isin(need_ids)]
            scored = part.loc[part["relevance"] >= 1, "need_id"].nunique()
            for metric, value in _metrics(part, pred[pred["need_id"].isin(need_ids)], k, precision_k).items():
                value = value if scored else float("nan")  # a slice with nothing to find has no score, not 0
                rows.append({"model": name, "slice": slice_name, "metric": metric, "value": value, "needs": scored})
    return pd.DataFrame(rows, columns=["model", "slice", "metric", "value", "needs"])


def labelled_models(random_state: int = 0) -> dict[str, object]:
    """The models of a labelled-set report: the matcher (no geocoding: a labelled set has
    no plants) and the text baselines, with a random order as the floor."""
    from matching.baselines import BM25Ranker, CharNgramRanker, RandomRanker, TfidfRanker
    from matching.matcher import SupplierMatcher

    return {
        "matcher": SupplierMatcher(geocode=False),
        "bm25": BM25Ranker(),
        "tfidf_words": TfidfRanker(),
        "tfidf_char": CharNgramRanker(),
        "random": RandomRanker(random_state=random_state),
    }
