"""The fast paths give the answers of the plain definitions: need cache, process table, batches."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from matching import NeedQuery, ProcessFit, SupplierMatcher
from matching.components import ALL, _any_of, _count_of
from matching.needs import NeedCache, NeedError, parse_needs
from tests.matching.conftest import AS_OF, make_firm, make_need, make_profiles
from tests.matching.test_components import _random_profiles

NEEDS = [
    make_need(need_id="N-1", title="Phay CNC vỏ nhôm", description="vỏ nhôm cho camera, ISO 9001",
              park_id="thang_long"),
    make_need(need_id="N-2", title="Ép nhựa ABS", preferred_certifications="ISO 14001", min_monthly_capacity="2000"),
    make_need(need_id="N-3", title="Hàn và dập", processes="welding;stamping", materials="aluminium"),
    "khuôn ép nhựa, bắt buộc ISO 9001",
]


@pytest.fixture(scope="module")
def matcher():
    return SupplierMatcher(geocode=False).fit(_random_profiles(seed=11, n=400))


def _plain_process_values(component: ProcessFit, firms, ctx, rows) -> np.ndarray:
    """ProcessFit by its definition: per need process the best relation named, then the mean."""
    total = np.zeros(len(rows))
    for code in ctx.need.processes:
        total += component._code_values(firms, code, rows)
    return total / len(ctx.need.processes)


def test_a_cached_need_ranks_exactly_as_a_fresh_parse(matcher):
    first = matcher.rank(NEEDS, k=10, today=AS_OF)
    hits = matcher._need_cache.hits
    again = matcher.rank(NEEDS, k=10, today=AS_OF)
    assert matcher._need_cache.hits >= hits + len(NEEDS)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    fresh = SupplierMatcher(geocode=False).fit(matcher.profiles_)
    pd.testing.assert_frame_equal(fresh.rank(NEEDS, k=10, today=AS_OF), again, check_exact=True)


def test_a_cached_need_keeps_its_own_id_and_evidence(matcher):
    (one,) = matcher._queries(make_need(need_id="N-7", title="Phay CNC vỏ nhôm"), AS_OF)
    (other,) = matcher._queries(make_need(need_id="N-8", title="Phay CNC vỏ nhôm"), AS_OF)
    assert (one.need_id, other.need_id) == ("N-7", "N-8")
    assert other.processes == one.processes and other.processes
    one.evidence.clear()  # a caller changing its copy does not change the next hit
    (third,) = matcher._queries(make_need(need_id="N-9", title="Phay CNC vỏ nhôm"), AS_OF)
    assert third.evidence == other.evidence and third.evidence
    (adhoc,) = matcher._queries("Phay CNC vỏ nhôm", AS_OF)
    assert adhoc.need_id == "adhoc-1"


def test_missing_values_share_a_key_and_parse_alike():
    cache = NeedCache()
    with_nan = parse_needs([make_need(title="ép nhựa", materials=math.nan, sector=None)], today=AS_OF, cache=cache)
    without = parse_needs([make_need(title="ép nhựa", materials="")], today=AS_OF, cache=cache)
    assert cache.hits == 1
    assert with_nan == without == parse_needs([make_need(title="ép nhựa")], today=AS_OF)
    with pytest.raises(NeedError, match="unknown \\['materals'\\]"):  # a typo is not a cache hit
        parse_needs([make_need(title="ép nhựa", materals=math.nan)], today=AS_OF, cache=cache)


def test_refit_forgets_the_text_terms_of_the_old_vocabulary():
    old = make_profiles(make_firm("F1", text="phay CNC nhôm"), make_firm("F2", text="ép nhựa ABS"))
    new = make_profiles(make_firm("G1", text="hàn dập kim loại"), make_firm("G2", text="ép nhựa PC nhôm"),
                        make_firm("G3", text="may mặc"))
    matcher = SupplierMatcher(geocode=False).fit(old)
    matcher.rank(["ép nhựa nhôm", "hàn nhôm"], k=2, today=AS_OF)
    assert len(matcher._terms_cache) == 2
    matcher.fit(new)
    assert len(matcher._need_cache) == 0 and len(matcher._terms_cache) == 0
    expected = SupplierMatcher(geocode=False).fit(new).rank(["ép nhựa nhôm", "hàn nhôm"], k=2, today=AS_OF)
    pd.testing.assert_frame_equal(matcher.rank(["ép nhựa nhôm", "hàn nhôm"], k=2, today=AS_OF), expected)


def test_set_params_forgets_the_parsed_needs(matcher):
    matcher.rank(NEEDS, k=3, today=AS_OF)
    assert len(matcher._need_cache) > 0 and len(matcher._terms_cache) > 0
    matcher.set_params(fallback=matcher.fallback)
    assert len(matcher._need_cache) == 0 and len(matcher._terms_cache) == 0
    assert matcher._need_cache.hits == 0


def test_need_cache_is_bounded_and_least_recently_used_goes_first():
    cache = NeedCache(maxsize=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("b"), cache.get("a"), cache.get("c"), len(cache)) == (None, 1, 3, 2)
    with pytest.raises(NeedError, match="maxsize an integer >= 1, got maxsize=0"):
        NeedCache(maxsize=0)


def test_a_fitted_matcher_with_its_cache_pickles_and_ranks_alike(matcher):
    import copy
    import pickle

    first = matcher.rank(NEEDS, k=5, today=AS_OF)
    for twin in (pickle.loads(pickle.dumps(matcher)), copy.deepcopy(matcher)):
        assert len(twin._need_cache) == len(matcher._need_cache) > 0
        pd.testing.assert_frame_equal(twin.rank(NEEDS, k=5, today=AS_OF), first, check_exact=True)


def test_concurrent_queries_share_the_cache_safely(matcher):
    from concurrent.futures import ThreadPoolExecutor

    expected = [matcher.rank(need, k=5, today=AS_OF) for need in NEEDS]
    small = SupplierMatcher(geocode=False).fit(matcher.profiles_)
    small._need_cache = NeedCache(maxsize=2)  # constant eviction while threads read
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: small.rank(NEEDS[i % len(NEEDS)], k=5, today=AS_OF), range(80)))
    for i, result in enumerate(results):
        pd.testing.assert_frame_equal(result, expected[i % len(NEEDS)], check_exact=True)


@pytest.mark.parametrize(("specialised", "generic"), [(0.8, 0.5), (0.3, 0.9), (1.0, 1.0), (0.0, 0.0)])
@pytest.mark.parametrize("n_codes", [1, 3, 4, 6])
def test_process_fit_table_equals_the_code_by_code_definition(matcher, specialised, generic, n_codes):
    firms = matcher.firms_
    rng = np.random.default_rng(n_codes)
    codes = tuple(rng.choice(firms.codes["process"], size=n_codes, replace=False))
    codes = ("cnc_machining", *codes[1:]) if "cnc_machining" not in codes else codes  # one with relations
    ctx = matcher._context(NeedQuery("N", processes=codes, as_of=AS_OF))
    component = ProcessFit(specialised=specialised, generic=generic)
    rows = np.arange(len(firms))
    expected = _plain_process_values(component, firms, ctx, rows)
    assert expected.max() > 0
    np.testing.assert_array_equal(component.values(firms, ctx, ALL), expected)
    some = rng.permutation(len(firms))[:57]
    np.testing.assert_array_equal(component.values(firms, ctx, some), expected[some])


def test_any_and_count_of_code_rows_equal_the_block_reductions():
    rng = np.random.default_rng(5)
    matrix = rng.random((9, 300)) < 0.2
    rows = rng.permutation(300)[:41]
    for codes in ([4], [0, 3, 8], list(range(9))):
        np.testing.assert_array_equal(_any_of(matrix, ALL, codes), matrix[codes].any(axis=0))
        np.testing.assert_array_equal(_any_of(matrix, rows, codes), matrix[np.ix_(codes, rows)].any(axis=0))
        np.testing.assert_array_equal(_count_of(matrix, rows, codes), matrix[np.ix_(codes, rows)].sum(axis=0))
    assert not _any_of(matrix, rows, []).any() and _count_of(matrix, ALL, []).shape == (300,)


def test_a_batch_is_the_single_lists_one_after_another(matcher):
    batch = matcher.rank(NEEDS, k=5, include_filtered=True, today=AS_OF)
    singles = [matcher.rank(need, k=5, include_filtered=True, today=AS_OF) for need in NEEDS]
    singles = [frame.assign(need_id=f"adhoc-{i}") if frame["need_id"].iloc[0].startswith("adhoc") else frame
               for i, frame in enumerate(singles, start=1)]
    pd.testing.assert_frame_equal(batch, pd.concat(singles, ignore_index=True), check_exact=True)
    assert set(batch["need_id"]) == {"N-1", "N-2", "N-3", "adhoc-4"}


@pytest.mark.parametrize("kernel", [True, False], ids=["scipy-kernel", "numpy-fallback"])
def test_postings_equal_the_sparse_product_of_the_need_columns(kernel, monkeypatch):
    """The channel sum read from the postings is ``csc[:, cols] @ weights``, on either path
    (scipy's C++ kernel on views of the index, or numpy's gather when SciPy lacks it)."""
    import scipy.sparse as sp

    import matching.matcher as matcher_module

    if not kernel:
        monkeypatch.setattr(matcher_module, "_csc_matvec", None)
    elif matcher_module._csc_matvec is None:
        pytest.fail("scipy.sparse._sparsetools.csc_matvec is missing: the fast path is never taken")
    rng = np.random.default_rng(5)
    dense = rng.random((300, 40)) * (rng.random((300, 40)) < 0.2)
    dense[:, 7] = 0.0  # an empty column
    matrix = sp.csc_matrix(dense)
    for cols in ([3], [7], [0, 5, 39, 12], [39, 0, 7, 38, 1], [5, 5, 6], list(range(40)), []):
        cols = np.asarray(cols, dtype=np.int64)
        weights = rng.random(len(cols))
        expected = matrix[:, cols] @ weights if len(cols) else np.zeros(300)
        got = matcher_module._postings(matrix, cols, weights, 300)
        assert got.shape == (300,)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        start = rng.random(300)  # added in place into a given array
        added = matcher_module._postings(matrix, cols, weights, 300, out=start.copy())
        np.testing.assert_allclose(added, start + expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape", ["spread", "ties", "few distinct", "all equal", "short"])
def test_the_pruning_head_holds_at_least_probe_of_the_best_bounds(shape):
    """``_head`` (a sampled threshold, not a full partition) returns positions of the largest
    bounds: at least ``probe`` of them when there are that many, none below a value left out."""
    from matching.matcher import _head

    rng = np.random.default_rng(3)
    n = 50 if shape == "short" else 20_000
    bound = {"spread": rng.random(n), "ties": np.round(rng.random(n), 2),
             "few distinct": rng.integers(0, 3, n).astype(float), "all equal": np.ones(n),
             "short": rng.random(n)}[shape]
    bound[::997] += 5.0  # a few outstanding firms, far apart (the stride must not miss them)
    for probe in (64, 100, 256):
        head = _head(bound, probe)
        assert len(set(head.tolist())) == len(head)
        assert min(n, probe) <= len(head) <= max(4 * probe, min(n, probe))
        left_out = np.setdiff1d(np.arange(n), head)
        if len(left_out):
            assert bound[left_out].max() <= bound[head].min()


def test_row_entries_equal_the_matrix_row_at_the_columns_sorted_or_not():
    """Reasons read one firm's entries from the postings: the same numbers as the matrix."""
    import scipy.sparse as sp

    from matching.components import row_entries

    rng = np.random.default_rng(8)
    dense = rng.random((50, 12)) * (rng.random((50, 12)) < 0.3)
    matrix = sp.csc_matrix(dense)
    shuffled = matrix.copy()
    for column in range(12):  # the same matrix with each column's row indices out of order
        start, end = shuffled.indptr[column], shuffled.indptr[column + 1]
        order = rng.permutation(end - start)
        shuffled.indices[start:end] = shuffled.indices[start:end][order]
        shuffled.data[start:end] = shuffled.data[start:end][order]
    shuffled.has_sorted_indices = False
    columns = np.array([11, 0, 3, 3, 7])
    for row in (0, 17, 49):
        for m in (matrix, shuffled):
            np.testing.assert_array_equal(row_entries(m, columns, row), dense[row, columns])
    assert row_entries(matrix, np.zeros(0, dtype=np.int64), 3).shape == (0,)


def test_certificate_validity_read_once_per_day_ranks_as_read_afresh(monkeypatch):
    """On large sets a certificate's validity on a day is read once for every firm and kept
    (read-only) for the need's other reads: the same lists, scores and reasons as reading it
    afresh each time, on several days (periods that start, end or lapse between them)."""
    import matching.components as components

    profiles = _random_profiles(seed=12, n=600)
    needs = [make_need(need_id=f"C-{i}", title=title, mandatory_certifications=mandatory,
                       preferred_certifications=preferred, created=created)
             for i, (title, mandatory, preferred, created) in enumerate([
                 ("Phay CNC vỏ nhôm", "ISO 9001", "IATF 16949", "2024-01-15"),
                 ("Ép nhựa ABS", "", "ISO 14001;ISO 9001", "2026-06-01"),
                 ("Dập và hàn", "ISO 9001;ISO 14001", "", "2029-03-01")])]

    def ranked(cache_from: int):
        monkeypatch.setattr(components, "_VALIDITY_CACHE_MIN_FIRMS", cache_from)
        matcher = SupplierMatcher(geocode=False).fit(profiles)
        lists = matcher.rank(needs, k=15, include_filtered=True)
        reasons = [matcher.explain_many(need, lists.loc[lists["need_id"] == need["need_id"], "firm_id"].head(3))
                   for need in needs]
        return matcher, lists, reasons

    cached, lists, reasons = ranked(0)
    assert cached.firms_.validity_cache, "the validity of the need's certificates was not kept"
    for valid, verified in cached.firms_.validity_cache.values():
        assert not valid.flags.writeable and not verified.flags.writeable
    _, fresh_lists, fresh_reasons = ranked(10**9)
    pd.testing.assert_frame_equal(lists, fresh_lists, check_exact=True)
    assert [str(r) for r in reasons] == [str(r) for r in fresh_reasons]
