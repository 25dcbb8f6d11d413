"""The fitted park distances and the mask-built candidate sets (fast paths of issue #4 §5)
give exactly the answers of their plain definitions (haversine per query, np.union1d)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from features.geo import parks
from matching import Distance, SupplierMatcher
from matching.components import haversine_km
from matching.gaps import _one_row, _union, apply_upgrade
from tests.matching.conftest import AS_OF, make_need
from tests.matching.test_components import _random_profiles

PARK_NEEDS = [
    make_need(need_id="P-1", title="Phay CNC vỏ nhôm", park_id="thang_long"),
    make_need(need_id="P-2", title="Ép nhựa khuôn", park_id="noi_bai", preferred_certifications="ISO 9001"),
    make_need(need_id="P-3", title="Hàn và dập", processes="welding;stamping", park_id="quang_minh"),
    make_need(need_id="P-4", title="tiện CNC", park_id="vsip_bac_ninh", min_monthly_capacity="2000"),
]


@pytest.fixture(scope="module")
def matcher():
    return SupplierMatcher(geocode=False).fit(_random_profiles(seed=21, n=500))


def test_every_park_has_the_haversine_of_every_firm(matcher):
    firms = matcher.firms_
    table = parks()
    assert len(firms.place_km) == len(table) > 0
    for park_lat, park_lon in zip(table["lat"], table["lon"], strict=True):
        km = firms.place_km[(float(park_lat), float(park_lon))]
        expected = haversine_km(firms.lat, firms.lon, float(park_lat), float(park_lon))
        np.testing.assert_array_equal(km, expected)  # NaN where the firm is not placed, on both sides
        assert np.isnan(km).any() and np.isfinite(km).any()


def test_distance_from_the_table_equals_the_haversine_per_query(matcher):
    firms = matcher.firms_
    without = copy.copy(firms)
    without.place_km = {}
    rows = np.random.default_rng(3).permutation(len(firms))[:77]
    component = Distance(half_km=25)
    for need in PARK_NEEDS:
        (query,) = matcher._queries(need, AS_OF)
        ctx = matcher._context(query)
        assert ctx.place[:2] in firms.place_km  # the table is what this test exercises
        for some in (rows, np.arange(len(firms))):
            np.testing.assert_array_equal(component.km(firms, ctx, some), component.km(without, ctx, some))
            np.testing.assert_array_equal(component.values(firms, ctx, some), component.values(without, ctx, some))


def test_ranking_with_and_without_the_park_table_is_identical(matcher):
    plain = copy.deepcopy(matcher)
    plain.firms_.place_km = {}
    for kwargs in ({}, {"include_filtered": True}):
        fast = matcher.rank(PARK_NEEDS, k=15, today=AS_OF, **kwargs)
        slow = plain.rank(PARK_NEEDS, k=15, today=AS_OF, **kwargs)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert (fast["distance"] > 0).any()


def test_a_one_firm_copy_measures_from_its_own_place(matcher):
    row = int(np.flatnonzero(np.isfinite(matcher.firms_.lat))[5])
    one = _one_row(matcher.firms_, row)
    assert one.place_km == {}
    one.lat[0], one.lon[0] = 21.07, 105.78  # moved: the fitted table of the row no longer holds
    (query,) = matcher._queries(PARK_NEEDS[0], AS_OF)
    ctx = matcher._context(query)
    expected = haversine_km(np.array([21.07]), np.array([105.78]), ctx.place[0], ctx.place[1])
    np.testing.assert_array_equal(Distance().km(one, ctx, np.array([0])), expected)
    assert apply_upgrade(one, "capacity", 5000).place_km == {}


@pytest.mark.parametrize("seed", range(5))
def test_mask_union_equals_union1d(seed):
    rng = np.random.default_rng(seed)
    n = 1000
    first = np.sort(rng.choice(n, size=int(rng.integers(0, 300)), replace=False))
    second = rng.choice(n, size=int(rng.integers(0, 60)), replace=False)  # unsorted, as fallback rows are
    np.testing.assert_array_equal(_union(first, second, n), np.union1d(first, second))
    assert _union(first, second, n).dtype.kind == "i"


def test_first_tier_equals_its_union1d_definition(matcher):
    for need in PARK_NEEDS:
        (query,) = matcher._queries(need, AS_OF)
        ctx = matcher._context(query)
        signal = matcher._signal(ctx)
        eligible = np.random.default_rng(1).random(len(signal)) < 0.7
        first, fallback = matcher._first_tier(signal, eligible)
        expected = np.union1d(np.flatnonzero(signal & eligible),
                              matcher._fallback_rows(eligible & ~signal, matcher.fallback))
        np.testing.assert_array_equal(first, expected)
        assert len(fallback) == min(matcher.fallback, int((eligible & ~signal).sum()))
