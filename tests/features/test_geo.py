"""Geography: real Hanoi addresses, the parks table, distances."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
import pytest

from features.exceptions import CnhtError, GeoError
from features.geo import (
    EARTH_RADIUS_KM,
    GEO_COLUMNS,
    UnknownParkError,
    distance_km,
    distance_to_parks,
    geocode,
    geocode_many,
    hanoi_units,
    haversine_km,
    park,
    parks,
    resolve_park,
)

PARK_IDS = [
    "thang_long", "noi_bai", "quang_minh", "nam_thang_long", "sai_dong_b", "phu_nghia",
    "thach_that_quoc_oai", "hanoi_dai_tu", "thang_long_ii", "pho_noi_a", "yen_phong",
    "vsip_bac_ninh", "que_vo", "tien_son", "ba_thien", "khai_quang", "yen_binh",
    "quang_chau", "dinh_tram", "trang_due", "dinh_vu", "vsip_hai_phong",
]  # fmt: skip


# ----------------------------------------------------------------------------- admin units


def test_hanoi_units_legacy_has_30_districts_with_coordinates():
    units = hanoi_units("legacy")
    assert units["district"].nunique() == 30
    assert {"Đông Anh", "Cầu Giấy", "Hai Bà Trưng", "Sơn Tây"} <= set(units["district"])
    assert units["lat"].between(20.5, 21.5).all() and units["lon"].between(105.2, 106.1).all()
    assert (units["province"] == "Hà Nội").all()


def test_hanoi_units_2025_has_126_wards_and_no_districts():
    units = hanoi_units("2025")
    assert len(units) == 126
    assert (units["district"] == "").all()
    assert {"Phường Cầu Giấy", "Xã Quang Minh", "Xã Hòa Lạc"} <= set(units["ward"])
    assert units["ward_key"].is_unique


def test_hanoi_units_rejects_unknown_structure():
    with pytest.raises(GeoError, match="Expected structure 'legacy' or '2025', got '2024'"):
        hanoi_units("2024")


# ----------------------------------------------------------------------------- geocode


def test_legacy_district_address():
    r = geocode("Số 1 Đại Cồ Việt, Hai Bà Trưng, Hà Nội")
    assert (r.province_legacy, r.district_legacy, r.province_2025) == (
        "Hà Nội",
        "Hai Bà Trưng",
        "Hà Nội",
    )
    assert r.ok and r.precision == "district"
    assert r.lat == pytest.approx(21.0, abs=0.03) and r.lon == pytest.approx(105.85, abs=0.03)


@pytest.mark.parametrize(
    "address",
    [
        "Khu CN Thăng Long, Đông Anh, HN",
        "Khu CN Thang Long, Dong Anh, HN",
        "KHU CN THĂNG LONG, ĐÔNG ANH, HÀ NỘI",
        unicodedata.normalize("NFD", "Khu CN Thăng Long, Đông Anh, Hà Nội"),
        "Khu CN Thăng Long, H. Đông Anh, TP Hà Nội",
    ],
)
def test_dong_anh_in_every_spelling(address):
    r = geocode(address)
    assert r.district_legacy == "Đông Anh" and r.ok and r.precision == "district"
    # A bare district name is not read as the 2025 commune of the same name.
    assert r.ward_2025 is None
    assert r.input == address


def test_legacy_ward_with_abbreviations_is_converted_or_flagged_as_split():
    r = geocode("P. Dịch Vọng, Q. Cầu Giấy, TP Hà Nội")
    assert (r.district_legacy, r.ward_legacy, r.precision) == (
        "Cầu Giấy",
        "Phường Dịch Vọng",
        "ward",
    )
    # Dịch Vọng was divided in 2025: the split is reported, not guessed.
    assert r.ward_2025 is None and "split" in r.problem and "Phường Cầu Giấy" in r.problem


def test_legacy_ward_names_the_new_ward_when_both_are_written():
    r = geocode("Phường Dịch Vọng, Phường Cầu Giấy, Hà Nội")
    assert r.ward_legacy == "Phường Dịch Vọng" and r.ward_2025 == "Phường Cầu Giấy"
    assert r.problem is None


def test_unsplit_legacy_ward_gets_its_2025_ward():
    r = geocode("Phường Bách Khoa, Quận Hai Bà Trưng, Hà Nội")
    assert (
        r.ward_legacy == "Phường Bách Khoa"
        and r.ward_2025 == "Phường Bạch Mai"
        and r.problem is None
    )


@pytest.mark.parametrize(
    ("address", "ward_2025", "district_legacy"),
    [
        ("Xã Quang Minh, Hà Nội", "Xã Quang Minh", "Mê Linh"),
        # Formed from wards of Cầu Giấy and of Nam Từ Liêm (Mỹ Đình): no single legacy district.
        ("Phường Cầu Giấy, Hà Nội", "Phường Cầu Giấy", None),
        ("Xa Hoa Lac, Ha Noi", "Xã Hòa Lạc", None),
        ("Xã Hoà Lạc, Hà Nội", "Xã Hòa Lạc", None),
    ],
)
def test_new_ward_only_addresses(address, ward_2025, district_legacy):
    r = geocode(address)
    assert r.ok and r.precision == "ward" and r.ward_2025 == ward_2025
    assert (
        r.district_legacy == district_legacy
    )  # filled only when all its legacy wards were in one district
    units = hanoi_units("2025").set_index("ward")
    assert (r.lat, r.lon) == (units.loc[ward_2025, "lat"], units.loc[ward_2025, "lon"])


def test_district_without_province_is_read_in_hanoi_by_default_only():
    assert geocode("123 Nguyễn Trãi, Thanh Trì").district_legacy == "Thanh Trì"
    r = geocode("123 Nguyễn Trãi, Thanh Trì", default_province=None)
    assert not r.ok and "no province recognised" in r.problem


def test_other_province_district():
    r = geocode("Yên Phong, Bắc Ninh")
    assert (r.province_legacy, r.district_legacy, r.province_2025) == (
        "Bắc Ninh",
        "Yên Phong",
        "Bắc Ninh",
    )
    r = geocode("Việt Yên, Bắc Giang")
    assert (r.province_legacy, r.province_2025) == ("Bắc Giang", "Bắc Ninh")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (
            "Số 5 ngõ 10",
            "no province, and no district or ward of Hà Nội, recognised in 'Số 5 ngõ 10'",
        ),
        ("Số 5 phố Hồng Hà, Hà Nội", "no district or ward recognised"),  # a street, not a ward
        ("Cty TNHH Minh Nam", "no province"),  # "minhnam" hides "hn", which must not count
        ("", "empty address"),
    ],
)
def test_unplaceable_addresses_are_reported_not_guessed(address, reason):
    r = geocode(address)
    assert not r.ok and reason in r.problem
    assert r.district_legacy is None and r.ward_legacy is None and r.ward_2025 is None


def test_province_only_keeps_the_province_but_is_not_ok():
    r = geocode("Hà Nội")
    assert r.precision == "province" and not r.ok and r.province_legacy == "Hà Nội"
    assert "add the district or ward" in r.problem


def test_every_legacy_hanoi_ward_is_recognised_in_a_full_address():
    units = hanoi_units("legacy")
    addresses = [
        f"Số {i}, {w}, {d}, Hà Nội"
        for i, (w, d) in enumerate(zip(units["ward"], units["district"], strict=True))
    ]
    out = geocode_many(addresses)
    assert (out["ward_legacy"].to_numpy() == units["ward"].to_numpy()).all()
    assert (out["district_legacy"].to_numpy() == units["district"].to_numpy()).all()


def test_names_never_span_a_comma():
    # "Thổ Quan, Đống Đa" must not read as "Quận Đống Đa" plus a stray "Thổ".
    r = geocode("Số 501, Phường Thổ Quan, Đống Đa, Hà Nội")
    assert (r.district_legacy, r.ward_legacy) == ("Đống Đa", "Phường Thổ Quan")


def test_names_must_cover_whole_words():
    # "phuonghoankiem" contains "huonghoa" (Hướng Hóa, Quảng Trị): that must not match.
    r = geocode("Phường Hoàn Kiếm")
    assert r.province_legacy == "Hà Nội" and r.ward_2025 == "Phường Hoàn Kiếm"


def test_geocode_many_keeps_order_index_and_missing_values():
    addresses = pd.Series(
        ["Đông Anh, Hà Nội", None, "Số 5 ngõ 10", "Dong Anh, Ha Noi", "Đông Anh, Hà Nội"],
        index=[10, 11, 12, 13, 14],
    )
    out = geocode_many(addresses)
    assert list(out.columns) == list(GEO_COLUMNS)
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert list(out["ok"]) == [True, False, False, True, True]
    assert (
        out.loc[13, "district_legacy"] == "Đông Anh" and out.loc[13, "input"] == "Dong Anh, Ha Noi"
    )


def test_geocode_many_on_resampled_addresses_matches_geocode():
    rng = np.random.default_rng(7)
    pool = [
        "Số 1 Đại Cồ Việt, Hai Bà Trưng, Hà Nội",
        "Xã Quang Minh, Hà Nội",
        "Số 5 ngõ 10",
        "Q. Cầu Giấy",
    ]
    addresses = list(rng.choice(pool, size=5000))
    out = geocode_many(addresses)
    assert len(out) == 5000
    for i in rng.integers(0, 5000, size=20):
        single = geocode(addresses[i])
        for column in ("district_legacy", "ward_2025", "precision", "ok", "lat"):
            got, expected = out.iloc[i][column], getattr(single, column)
            assert got == expected or (expected is None and pd.isna(got)), (column, got, expected)


# ----------------------------------------------------------------------------- parks


def test_all_22_parks_with_provinces_before_and_after_2025():
    from vietnamadminunits.database import query

    table = parks()
    assert list(table.index) == PARK_IDS
    expected_2025 = {
        "Hà Nội": "Hà Nội",
        "Hưng Yên": "Hưng Yên",
        "Bắc Ninh": "Bắc Ninh",
        "Bắc Giang": "Bắc Ninh",
        "Vĩnh Phúc": "Phú Thọ",
        "Thái Nguyên": "Thái Nguyên",
        "Hải Phòng": "Hải Phòng",
    }
    assert dict(zip(table["province_legacy"], table["province_2025"], strict=True)) == expected_2025
    provinces_2025 = {
        r["provinceShort"] for r in query("SELECT DISTINCT provinceShort FROM admin_units")
    }
    assert set(table["province_2025"]) <= provinces_2025
    legacy = {(r["provinceShort"], r["districtShort"]) for r in query(
        "SELECT DISTINCT provinceShort, districtShort FROM admin_units_legacy")}  # fmt: skip
    assert set(zip(table["province_legacy"], table["district_legacy"], strict=True)) <= legacy
    assert table["lat"].between(20.7, 21.6).all() and table["lon"].between(105.4, 106.9).all()


def test_each_park_lies_in_its_legacy_district():
    # The park's own coordinates must sit near the centre of the district the table names.
    for row in parks().itertuples():
        r = geocode(f"{row.district_legacy}, {row.province_legacy}")
        assert r.district_legacy == row.district_legacy
        assert distance_km((row.lat, row.lon), (r.lat, r.lon)) < 20, row.park_id


def test_park_lookup_and_error():
    p = park("thang_long_ii")
    assert (p.province_legacy, p.province_2025, p.name_en) == (
        "Hưng Yên",
        "Hưng Yên",
        "Thang Long II Industrial Park",
    )
    with pytest.raises(
        UnknownParkError, match="got 'thanglong'.*Did you mean 'thang_long'"
    ) as info:
        park("thanglong")
    assert isinstance(info.value, GeoError) and isinstance(info.value, CnhtError)


@pytest.mark.parametrize(
    ("text", "park_id"),
    [
        ("KCN Thăng Long", "thang_long"),
        ("Thang Long IP", "thang_long"),
        ("Thang Long Industrial Park", "thang_long"),
        ("khu công nghiệp thăng long", "thang_long"),
        ("Thăng Long II", "thang_long_ii"),
        ("KCN Thang Long II, Hưng Yên", "thang_long_ii"),
        ("Thang Long 2 IP", "thang_long_ii"),
        ("Nam Thăng Long", "nam_thang_long"),
        ("KCN Hà Nội - Đài Tư", "hanoi_dai_tu"),
        ("VSIP Hải Phòng", "vsip_hai_phong"),
        (unicodedata.normalize("NFD", "Khu công nghiệp Đình Vũ"), "dinh_vu"),
        ("thach_that_quoc_oai", "thach_that_quoc_oai"),
        ("Khu công nghiệp Long Hậu", None),
        ("", None),
    ],
)
def test_resolve_park(text, park_id):
    assert resolve_park(text) == park_id


# ----------------------------------------------------------------------------- distances


def test_haversine_known_distances():
    assert haversine_km(0, 0, 0, 1) == pytest.approx(EARTH_RADIUS_KM * math.pi / 180)
    assert haversine_km(0, 0, 90, 0) == pytest.approx(EARTH_RADIUS_KM * math.pi / 2)
    assert haversine_km(21.03, 105.85, 21.03, 105.85) == 0.0
    # Hà Nội – Hải Phòng city centres: ~91 km as the crow flies (about 100 km by road).
    assert haversine_km(21.0285, 105.8542, 20.8449, 106.6881) == pytest.approx(88, abs=4)
    assert 80 < haversine_km(21.0285, 105.8542, 20.8449, 106.6881) < 110


def test_haversine_broadcasts_and_is_symmetric():
    lats = np.array([21.0, 21.1, 20.9])
    out = haversine_km(lats[:, None], 105.8, lats[None, :], 105.9)
    assert out.shape == (3, 3)
    back = haversine_km(lats[None, :], 105.9, lats[:, None], 105.8)
    np.testing.assert_allclose(out, back)
    assert isinstance(haversine_km(21, 105, 21, 106), float)


def test_distance_between_parks_and_points():
    d = distance_km("thang_long", "noi_bai")
    assert 3 < d < 15
    assert distance_km("thang_long", (21.12, 105.78)) == pytest.approx(0.0, abs=0.01)
    assert distance_km("dinh_vu", "thang_long") > 80
    with pytest.raises(GeoError, match="Expected a park id or a \\(lat, lon\\) pair, got 42"):
        distance_km(42, "noi_bai")
    with pytest.raises(UnknownParkError):
        distance_km("atlantis", "noi_bai")


def test_distance_to_parks_from_hoan_kiem():
    d = distance_to_parks(21.0285, 105.8542)
    assert list(d.index) == PARK_IDS
    assert d.idxmin() in {"hanoi_dai_tu", "sai_dong_b"}
    assert d.idxmax() in {"dinh_vu", "vsip_hai_phong", "trang_due"}
    assert d["thang_long"] == pytest.approx(distance_km((21.0285, 105.8542), "thang_long"))


def test_every_2025_ward_of_hanoi_counts_in_one_legacy_district():
    """The plan's district tables and a round's district shares put a firm written with only its
    2025 ward in a legacy district (features.geo.plan_district), so "Xã Thường Tín" is not a
    district of its own beside "Thường Tín"."""
    import doctest

    import features.geo as geo

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(geo.plan_district, "plan_district", globs={"plan_district": geo.plan_district}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 5
    legacy = set(geo.hanoi_units("legacy")["district"])
    wards = geo.hanoi_units("2025")["ward"]
    placed = {ward: geo.plan_district(None, ward) for ward in wards}
    assert len(placed) == 126 and set(placed.values()) <= legacy
    # a ward taken whole from one district is in that district
    assert geo.plan_district(None, geo.geocode("Phường Hoàn Kiếm, Hà Nội").ward_2025) == "Hoàn Kiếm"
