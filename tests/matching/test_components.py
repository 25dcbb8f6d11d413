"""Score components: ranges, taxonomy ancestry, verification, distance, reasons, validation."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from matching import (
    CertificationFit,
    Distance,
    HyperParameterError,
    NeedQuery,
    ProcessFit,
    SupplierMatcher,
    default_components,
)
from tests.matching.conftest import AS_OF, make_firm, make_profiles

PROCESSES = ("cnc_milling", "cnc_turning", "cnc_machining", "injection_moulding", "welding", "stamping")
MATERIALS = ("aluminium", "stainless_steel", "abs", "pc")
CERTS = ("iso_9001", "iatf_16949", "iso_13485", "iso_14001")


def _random_profiles(seed: int = 7, n: int = 60):
    rng = np.random.default_rng(seed)
    firms = []
    for i in range(n):
        certs = tuple((str(c), date(2024 + int(rng.integers(0, 4)), int(rng.integers(1, 13)), 1),
                       bool(rng.integers(0, 2))) for c in rng.choice(CERTS, size=int(rng.integers(0, 3)), replace=False))
        firms.append(make_firm(
            f"F{i:04d}",
            text=" ".join(rng.choice(["phay", "tiện", "CNC", "nhôm", "ép nhựa", "hàn", "dập", "khuôn"], size=5)),
            processes=tuple(rng.choice(PROCESSES, size=int(rng.integers(0, 3)), replace=False)),
            materials=tuple(rng.choice(MATERIALS, size=int(rng.integers(0, 2)), replace=False)),
            certifications=certs,
            lat=21.0 + float(rng.random()) if rng.random() > 0.2 else math.nan,
            lon=105.5 + float(rng.random()),
            monthly_capacity=float(rng.integers(100, 20000)) if rng.random() > 0.3 else math.nan,
            export_markets=("JP",) if rng.random() > 0.5 else (),
            multinational_customers=int(rng.integers(0, 5)),
            completeness=float(rng.random()),
        ))
    return make_profiles(*firms)


def test_every_component_value_is_in_unit_interval():
    matcher = SupplierMatcher(geocode=False).fit(_random_profiles())
    need = NeedQuery("N-1", text="phay CNC nhôm ép nhựa", processes=("cnc_machining", "welding"),
                     materials=("aluminium",), mandatory_certifications=(), preferred_certifications=("iso_9001",),
                     target_capacity=5000.0, as_of=AS_OF, park_id="thang_long", buyer_country="JP")
    ctx = matcher._context(need)
    rows = np.arange(matcher.n_firms_fit_)
    for component in matcher.components_:
        values = component.values(matcher.firms_, ctx, rows)
        assert values.shape == (len(rows),)
        assert np.all((values >= 0) & (values <= 1)), component.name
        assert values.max() > 0, f"{component.name} never positive on random firms"


def _process_value(firm_processes, need_processes):
    firm = make_firm("F1", text="x", processes=firm_processes)
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(firm, make_firm("F2", text="y")))
    ctx = matcher._context(NeedQuery("N", processes=need_processes, as_of=AS_OF))
    return float(ProcessFit().values(matcher.firms_, ctx, np.array([0]))[0])


def test_process_fit_follows_taxonomy_ancestry():
    assert _process_value(("cnc_milling",), ("cnc_milling",)) == 1.0
    # A milling shop partially fits a generic machining need, and a generic shop a milling need.
    assert _process_value(("cnc_milling",), ("cnc_machining",)) == pytest.approx(0.8)
    assert _process_value(("cnc_machining",), ("cnc_milling",)) == pytest.approx(0.5)
    # The profile adds ancestors: a milling firm listing cnc_machining only by implication
    # is still a specialised, not an exact, fit for the generic need.
    assert _process_value(("cnc_milling", "cnc_machining"), ("cnc_machining",)) == pytest.approx(0.8)
    assert _process_value(("welding",), ("cnc_milling",)) == 0.0
    assert _process_value(("cnc_milling", "welding"), ("cnc_milling", "stamping")) == pytest.approx(0.5)


def test_verified_certificate_weighs_more_than_self_declared():
    firms = make_profiles(
        make_firm("V", text="x", certifications=(("iatf_16949", date(2027, 3, 31), True),)),
        make_firm("D", text="x", certifications=(("iatf_16949", date(2027, 3, 31), False),)),
        make_firm("E", text="x", certifications=(("iatf_16949", date(2024, 3, 31), True),)),
    )
    matcher = SupplierMatcher(geocode=False).fit(firms)
    ctx = matcher._context(NeedQuery("N", preferred_certifications=("iatf_16949",), as_of=AS_OF))
    values = CertificationFit(verified_weight=1.0, declared_weight=0.6).values(matcher.firms_, ctx, np.arange(3))
    assert values.tolist() == pytest.approx([1.0, 0.6, 0.0])
    reasons = matcher.explain(NeedQuery("N", preferred_certifications=("iatf_16949",), as_of=AS_OF), "V").reasons
    assert any(r.vi.startswith("IATF 16949 còn hiệu lực đến 03/2027") and "valid until 03/2027" in r.en
               for r in reasons)
    missing = matcher.explain(NeedQuery("N", preferred_certifications=("iso_13485",), as_of=AS_OF), "V").reasons
    assert any(r.vi == "không có ISO 13485 (ưu tiên)" and r.en == "no ISO 13485 (preferred)" for r in missing)


def test_distance_halves_at_half_km_and_names_the_park():
    from features.geo import park

    plant = park("thang_long")
    # 0.27 degrees of latitude is ~30 km.
    north = plant.lat + 30.0 / 111.195
    firms = make_profiles(make_firm("A", text="x", lat=plant.lat, lon=plant.lon),
                          make_firm("B", text="x", lat=north, lon=plant.lon),
                          make_firm("C", text="x"))
    matcher = SupplierMatcher(geocode=False).fit(firms)
    ctx = matcher._context(NeedQuery("N", park_id="thang_long", as_of=AS_OF))
    values = Distance(half_km=30).values(matcher.firms_, ctx, np.arange(3))
    assert values.tolist() == pytest.approx([1.0, 0.5, 0.0], abs=1e-3)
    reason = matcher.explain(NeedQuery("N", park_id="thang_long", as_of=AS_OF), "B").reasons
    assert any(r.vi == "30 km đến KCN Thăng Long" and r.en == "30 km from Thang Long IP" for r in reason)


def test_buyer_park_and_country_come_from_the_buyers_table():
    import pandas as pd

    from features.geo import park

    plant = park("yen_phong")
    firms = make_profiles(make_firm("A", text="x", lat=plant.lat, lon=plant.lon, export_markets=("KR",)),
                          make_firm("B", text="x", lat=plant.lat, lon=plant.lon, export_markets=("JP",)))
    buyers = pd.DataFrame({"buyer_id": ["B001"], "country": ["KR"], "park_id": ["yen_phong"]})
    matcher = SupplierMatcher(geocode=False).fit(firms, buyers=buyers)
    pair = matcher.score_pair({"need_id": "N", "buyer_id": "B001", "sector": "electronics"}, "A")
    other = matcher.score_pair({"need_id": "N", "buyer_id": "B001", "sector": "electronics"}, "B")
    assert pair["values"]["distance"] == pytest.approx(1.0)
    assert pair["values"]["experience"] > other["values"]["experience"]


@pytest.mark.parametrize(
    ("component", "argument"),
    [(Distance(half_km=0), "half_km"), (CertificationFit(verified_weight=2.0), "verified_weight"),
     (ProcessFit(generic=-0.1), "generic")],
)
def test_component_parameters_are_validated_in_fit_with_their_name(component, argument):
    components = [c for c in default_components() if c.name != component.name] + [component]
    matcher = SupplierMatcher(components=components, geocode=False)  # no error before fit
    with pytest.raises(HyperParameterError, match=argument):
        matcher.fit(make_profiles(make_firm("F1", text="x")))


def test_text_reasons_quote_the_firms_own_words():
    from matching.components import _as_written

    assert _as_written("Gia công vỏ nhôm CNC", ["nhom"]) == ["nhôm"]
    assert _as_written("Gia công vỏ nhôm CNC", ["vo nhom"]) == ["vỏ nhôm"]
    assert _as_written("gia cong vo nhom", ["nhom"]) == ["nhom"]
    assert _as_written("ép nhựa", ["khuon"]) == ["khuon"]  # not in the text: the term itself
    # Several terms of one text, each as written (or itself), in the order asked.
    assert _as_written("Stamped brackets; dập khuôn thép", ["stamp", "khuon", "nhom", "bracket"]) == [
        "Stamped", "khuôn", "nhom", "brackets"]


def test_verified_weight_below_declared_weight_is_refused():
    components = [c if c.name != "certification_fit" else CertificationFit(verified_weight=0.5, declared_weight=0.6)
                  for c in default_components()]
    with pytest.raises(HyperParameterError, match=r"verified_weight >= declared_weight.*0\.5.*0\.6"):
        SupplierMatcher(components=components, geocode=False).fit(make_profiles(make_firm("F1", text="ép nhựa")))
    CertificationFit(verified_weight=0.6, declared_weight=0.6).validate()  # equal is allowed


def test_a_certificate_without_dates_says_its_validity_is_not_stated():
    firm = make_firm("F1", text="ép nhựa", certifications=(("iso_9001", None, False),))
    dated = make_firm("F2", text="ép nhựa", certifications=(("iso_9001", date(2027, 3, 31), True),))
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(firm, dated))
    need = {"title": "ép nhựa", "preferred_certifications": "ISO 9001", "created": "2025-06-01"}
    lines = matcher.explain(need, "F1").lines()
    assert "có ISO 9001 (tự khai, không rõ hạn) / holds ISO 9001 (self-declared, no expiry stated)" in lines
    lines = matcher.explain(need, "F2").lines()
    assert "ISO 9001 còn hiệu lực đến 03/2027 (đã xác minh) / ISO 9001 valid until 03/2027 (verified)" in lines
