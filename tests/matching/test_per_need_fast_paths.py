"""The per-need fast paths (issue 8) give exactly the answers of the plain computations.

Pruning reuses the cheap components' values for the final scores; the result table is built
without pandas' dict constructor; need parsing skips work that cannot change its answer.
Each is checked against the plain path, float for float.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from features.text import normalize
from matching import NeedQuery, SupplierMatcher
from matching.components import ALL
from matching.matcher import _clip01, _frame, _postings
from tests.matching.conftest import AS_OF
from tests.matching.test_components import _random_profiles

NEEDS = [
    NeedQuery("N-1", text="phay CNC nhôm ép nhựa", processes=("cnc_machining", "welding"),
              materials=("aluminium",), preferred_certifications=("iso_9001",), target_capacity=5000.0,
              as_of=AS_OF, park_id="thang_long", buyer_country="JP"),
    NeedQuery("N-2", text="dập khuôn", processes=("stamping",), as_of=AS_OF),
    NeedQuery("N-3", text="hàn tiện", mandatory_certifications=("iso_9001",), as_of=AS_OF, lat=21.2, lon=105.8),
    NeedQuery("N-4", text="ép nhựa", as_of=AS_OF),
]


@pytest.fixture(scope="module")
def matcher():
    # Enough firms for both pruning passes (more than 2 x 64 candidates after the first).
    return SupplierMatcher(geocode=False, fallback=600).fit(_random_profiles(seed=5, n=900))


def _plain_scores(matcher, ctx, rows):
    """The score of every row by the definition: weight x clipped value, summed in component order."""
    total = np.zeros(len(rows))
    contributions = {}
    for component in matcher.components_:
        weight = matcher.weights_[component.name]
        value = np.clip(component.values(matcher.firms_, ctx, rows), 0.0, 1.0) if weight else np.zeros(len(rows))
        contributions[component.name] = weight * value
        total += contributions[component.name]
    return total, contributions


@pytest.mark.parametrize("need", NEEDS, ids=lambda n: n.need_id)
@pytest.mark.parametrize("k", [1, 10, 40])
def test_pruned_rows_and_reused_values_give_the_plain_top_k(matcher, need, k):
    ctx = matcher._context(need)
    rows = np.arange(matcher.n_firms_fit_)
    kept, known = matcher._prune_known(ctx, rows, k)
    np.testing.assert_array_equal(kept, matcher._prune(ctx, rows, k))
    for name, values in (known or {}).items():
        component = next(c for c in matcher.components_ if c.name == name)
        np.testing.assert_array_equal(values, np.clip(component.values(matcher.firms_, ctx, kept), 0.0, 1.0))
    fast, fast_contributions = matcher._score_rows(ctx, kept, known=known)
    plain, plain_contributions = _plain_scores(matcher, ctx, kept)
    np.testing.assert_array_equal(fast, plain)
    for name in plain_contributions:
        np.testing.assert_array_equal(fast_contributions[name], plain_contributions[name])
    # The top k of the pruned rows is the top k of every firm (score, then firm_id).
    everyone, _ = _plain_scores(matcher, ctx, rows)
    best = rows[np.lexsort((matcher._tie_rank[rows], -everyone))[:k]]
    top = kept[matcher._top(ctx, kept, fast, k)]
    np.testing.assert_array_equal(top, best)


def test_the_needs_above_exercise_both_pruning_passes(matcher):
    passes = set()
    for need in NEEDS:
        ctx = matcher._context(need)
        kept, known = matcher._prune_known(ctx, np.arange(matcher.n_firms_fit_), 1)
        passes.add("coarse" if kept.size < matcher.n_firms_fit_ else "none")
        passes.add("tight" if known is not None else "none")
    assert {"coarse", "tight"} <= passes


def test_clip_equals_numpy_clip():
    values = np.array([-0.5, -0.0, 0.0, 0.3, 1.0, 1.5, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(_clip01(values), np.clip(values, 0.0, 1.0))
    assert np.signbit(_clip01(values)).tolist() == np.signbit(np.clip(values, 0.0, 1.0)).tolist()
    assert _clip01(0.7) == np.clip(0.7, 0.0, 1.0)
    np.testing.assert_array_equal(_clip01(np.array([0, 2, -1])), np.clip(np.array([0, 2, -1]), 0.0, 1.0))


def test_cheap_values_on_every_firm_gathered_equal_values_at_the_rows(matcher):
    rows = np.flatnonzero(np.arange(matcher.n_firms_fit_) % 3 != 1)
    for need in NEEDS:
        ctx = matcher._context(need)
        for component in matcher.components_:
            if component.cheap:
                np.testing.assert_array_equal(component.values(matcher.firms_, ctx, ALL)[rows],
                                              component.values(matcher.firms_, ctx, rows))


@pytest.mark.parametrize("include_filtered", [False, True])
def test_the_result_table_is_the_dict_constructors(matcher, include_filtered):
    k = 5
    lists = [matcher._rank_columns(matcher._context(need), k, include_filtered, None) for need in NEEDS]
    columns = ["need_id", "rank", "firm_id", "score", *matcher.weights_] + (["failed"] if include_filtered else [])
    for one in lists:
        plain = pd.DataFrame({c: one[c] for c in columns}, copy=False)
        fast = _frame(one, columns)
        pd.testing.assert_frame_equal(fast, plain, check_exact=True, check_index_type=True, check_column_type=True)
        assert fast.dtypes.tolist() == plain.dtypes.tolist()
    ranked = matcher.rank(list(NEEDS), k=k, include_filtered=include_filtered)
    joined = {c: np.concatenate([one[c] for one in lists]) for c in columns}
    pd.testing.assert_frame_equal(ranked, pd.DataFrame(joined), check_exact=True)


def test_renaming_one_tables_columns_leaves_the_next_alone(matcher):
    first = matcher.rank(NEEDS[0], k=3)
    first.columns.name = "changed"
    second = matcher.rank(NEEDS[1], k=3)
    assert second.columns.name is None


# Texts for the parsing shortcuts: park names in each language, stray marks, invisible characters.
_PIECES = ["KCN Thăng Long II", "khu cn Quang Minh", "ccn Phú Nghĩa", "Yen Phong IP", "ship", "equipment",
           "industrial zone", "タンロン工業団地", "박닌 산업단지", "공단", "hoà", "khoẻ", "thuý", "\u0301", "\u200b",
           "o\u0300a", " . ", ", ", "\n", "ISO 9001", "5.000 cái/tháng", "Đ", "ｆｕｌｌ", "Ⅱ", "  ", "q", "uy"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=6).map("".join), max_size=4))
def test_normal_parts_joined_are_the_normal_form_of_the_whole(raw):
    parts = [normalize(p) for p in raw]
    assume(all(parts))
    assert normalize(" . ".join(parts)) == " . ".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(alphabet="abcikpnz '\u3000\t", max_size=6), max_size=8).map("".join))
def test_park_patterns_are_skipped_only_where_they_cannot_match(clause):
    from matching import need_facts as nf

    scan = nf._scan_text(clause)
    if nf._PARK_BEFORE.search(scan):
        assert nf._could_be(scan, nf._PARK_BEFORE_WORDS)
    if nf._PARK_AFTER.search(scan):
        assert nf._PARK_AFTER_HINT.search(scan)
    if nf._PARK_CJK.search(clause):
        assert nf._could_be(clause, nf._PARK_CJK_WORDS)
    assert nf._clauses(scan) == tuple(nf._clauses.__wrapped__(scan))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["kcn", "thang", "long", "ii", "quang", "minh", "yen", "phong", "noi", "bai", "vsip",
                                 "bac", "ninh", "pho", "a", "industrial", "park", "ip", "khu", "cong", "nghiep", "x"]),
                max_size=9).map(" ".join))
def test_resolve_park_from_first_words_finds_what_every_run_finds(text):
    from features import geo

    names, longest = geo._park_names(), geo._park_name_words()
    words = geo._park_key(text).split()
    inside = [name for i in range(len(words)) for j in range(i + 1, min(len(words), i + longest) + 1)
              if (name := " ".join(words[i:j])) in names]
    key = geo._park_key(text)
    if key in names:
        expected = names[key]
    elif not inside:
        expected = None
    else:
        top = max(len(n) for n in inside)
        ids = {names[n] for n in inside if len(n) == top}
        expected = ids.pop() if len(ids) == 1 else None
    assert geo.resolve_park(text) == expected


def test_cached_concept_terms_equal_fresh_ones_and_go_with_set_params(matcher):
    fresh = SupplierMatcher(geocode=False, fallback=600).fit(matcher.profiles_)
    for need in NEEDS:
        first = matcher._concept_terms(need)
        again = matcher._concept_terms(need)
        assert again[0] is first[0]  # a hit
        for got, want in zip(again, fresh._concept_terms(need), strict=True):
            np.testing.assert_array_equal(got, want)
            assert not got.flags.writeable
    assert len(matcher._concepts_cache) > 0
    clone = copy.deepcopy(matcher).set_params(expansion=0.2)
    assert len(clone._concepts_cache) == 0


def test_distance_values_equal_nan_to_num_of_the_definition(matcher):
    from matching.components import Distance

    firms = matcher.firms_
    rows = np.arange(matcher.n_firms_fit_)
    assert np.isnan(firms.lat).any()  # firms without a place: NaN distances
    for need in NEEDS:
        ctx = matcher._context(need)
        component = Distance(half_km=30)
        km = component.km(firms, ctx, rows)
        np.testing.assert_array_equal(component.values(firms, ctx, rows), np.nan_to_num(np.exp2(-km / 30.0), nan=0.0))


def test_process_levels_kept_per_code_equal_levels_read_afresh(matcher):
    from dataclasses import replace

    from matching.components import ProcessFit

    firms = matcher.firms_
    plain = replace(firms)  # a copy made by replace carries no memo
    assert firms.code_memo() is not None and plain.code_memo() is None
    rows = np.flatnonzero(np.arange(matcher.n_firms_fit_) % 4 != 2)
    for processes in [("cnc_machining", "welding"), ("stamping",), ("cnc_milling", "cnc_machining", "welding",
                                                                   "stamping", "injection_moulding"), ("no_such",)]:
        ctx = matcher._context(NeedQuery("N", processes=processes, as_of=AS_OF))
        for component in (ProcessFit(), ProcessFit(specialised=0.6, generic=0.2)):
            np.testing.assert_array_equal(component.values(firms, ctx, rows), component.values(plain, ctx, rows))
            np.testing.assert_array_equal(component.values(firms, ctx, ALL), component.values(plain, ctx, ALL))
    assert any(key[0] == "process_levels" for key in firms.code_memo())


def test_normalize_skips_its_removals_only_where_they_remove_nothing():
    from features import text as t

    for code in [*range(0x30000), *range(0xE0000, 0xE0080)]:
        if 0xD800 <= code <= 0xDFFF:
            continue
        sample = f"ab{chr(code)}cd ế"
        if sample.isprintable() and "\u034f" not in sample and max(sample) < "\ufe00":
            assert t._INVISIBLE.sub("", sample) == sample and t._CONTROL.sub(" ", sample) == sample, hex(code)
    assert t._normalize_unicode("") == ""
    assert t.normalize("Hoà\u200b  bình\ufe0f") == "Hòa bình"


@pytest.mark.parametrize("kernel", [True, False], ids=["scipy-kernel", "numpy-fallback"])
def test_one_column_added_in_place_equals_its_sum_added_afterwards(kernel, monkeypatch):
    import matching.matcher as matcher_module

    if not kernel:
        monkeypatch.setattr(matcher_module, "_csc_matvec", None)
    rng = np.random.default_rng(8)
    dense = rng.random((2000, 30)) * (rng.random((2000, 30)) < 0.3) * 10.0 ** rng.integers(-8, 3, size=(2000, 30))
    matrix = sp.csc_matrix(dense)
    for first, second in (([0, 4, 9], [17]), ([2], [2]), ([5, 6, 7, 8], [29]), ([], [3])):
        first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
        w1, w2 = rng.random(len(first)) * 3, rng.random(len(second)) * 3
        afterwards = _postings(matrix, first, w1, 2000)
        afterwards += _postings(matrix, second, w2, 2000)
        in_place = _postings(matrix, first, w1, 2000)
        same = _postings(matrix, second, w2, 2000, out=in_place)
        assert same is in_place
        np.testing.assert_array_equal(in_place, afterwards)
