"""Firm profiles (features.profile): build_profiles and the feature transformers."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from features.profile import (
    PROFILE_COLUMNS,
    CapabilityEncoder,
    CertificationEncoder,
    FirmProfiler,
    GeoEncoder,
    ProfileError,
    SizeEncoder,
    TextVectorizer,
    build_profiles,
)
from features.profile._experience import (
    count_multinational_customers,
    parse_languages,
    parse_markets,
)

AS_OF = date(2026, 6, 1)
TWO_PARKS = {"thang_long": (21.12, 105.78), "yen_phong": (21.20, 106.00)}
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def make_firm(**overrides: object) -> dict:
    """A full, plausible firm in the import format; override any column."""
    firm = {
        "firm_id": "F0001",
        "name": "Công ty TNHH Cơ khí Chính xác An Phát",
        "tax_code": "0101234567",
        "address": "Số 12 đường Bắc Thăng Long, xã Kim Chung, huyện Đông Anh, Hà Nội",
        "district": "Đông Anh",
        "founded": 2008,
        "employees": 120,
        "ownership": "domestic_private",
        "sectors": "Cơ khí; điện tử",
        "description": "Gia công phay CNC, tiện CNC chi tiết chính xác; ép nhựa linh kiện",
        "products": "Chi tiết máy, vỏ nhựa",
        "materials": "thép không gỉ; nhôm; ABS",
        "certifications": "ISO 9001:2015 hiệu lực đến 12/2027",
        "export_markets": "Nhật Bản; Hàn Quốc",
        "customers": "Canon Vietnam; Công ty TNHH Cơ khí Hà Nội",
        "monthly_capacity": 50000,
        "languages": "vi; en; ja",
        "contact_email": "info@anphat.example",
        "phone": "024 3888 1234",
        "is_demo": "true",
    }
    firm.update(overrides)
    return firm


def make_firms(*firms: dict) -> pd.DataFrame:
    return pd.DataFrame(list(firms))


def minimal_firm(firm_id: str, description: str, name: str = "Công ty A") -> dict:
    return {"firm_id": firm_id, "name": name, "description": description}


# --------------------------------------------------------------------------- parsers


def test_markets_resolve_names_in_several_languages():
    assert parse_markets("Nhật Bản; korea, Hoa Kỳ; 台湾") == (("JP", "KR", "TW", "US"), ())
    assert parse_markets("nhat ban; Xyzland") == (("JP",), ("Xyzland",))
    assert parse_markets(float("nan")) == ((), ())


def test_languages_resolve_codes_and_names():
    assert parse_languages("tiếng Việt; English; 日本語; tieng Han") == ("en", "ja", "ko", "vi")


def test_multinational_customers_are_counted_and_local_firms_are_not():
    text = (
        "Canon Vietnam; Công ty TNHH Cơ khí Hà Nội; Meiko Electronics Vietnam Co., Ltd; "
        "Công ty CP Nhựa Việt Nam; Samsung; Tan Phat Precision Co., Ltd"
    )
    assert count_multinational_customers(text) == 4
    assert count_multinational_customers("Công ty TNHH Minh Long; HTX Cơ khí Đông Anh") == 0
    assert count_multinational_customers(None) == 0


# --------------------------------------------------------------------------- transformers


@parametrize_with_checks([SizeEncoder(), GeoEncoder(parks=TWO_PARKS)])
def test_numeric_transformers_pass_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator",
    [
        TextVectorizer(min_df=2),
        CapabilityEncoder(kind="materials"),
        CertificationEncoder(as_of=AS_OF, international_only=True),
        GeoEncoder(parks=TWO_PARKS, missing_km=50.0),
        SizeEncoder(as_of=AS_OF),
        FirmProfiler(as_of=AS_OF, text_min_df=2, geocode=False),
    ],
    ids=lambda e: type(e).__name__,
)
def test_clone_get_params_set_params(estimator):
    params = estimator.get_params()
    twin = clone(estimator)
    assert type(twin) is type(estimator)
    assert {k: repr(v) for k, v in twin.get_params().items()} == {
        k: repr(v) for k, v in params.items()
    }
    name = next(iter(sorted(params)))
    twin.set_params(**{name: params[name]})
    with pytest.raises(ValueError, match="Invalid parameter"):
        twin.set_params(no_such_parameter=1)


def test_text_vectorizer_same_row_with_or_without_diacritics_and_nfd():
    texts = ["Gia công ép nhựa", "Dập kim loại tấm", "Hàn TIG"]
    vec = TextVectorizer().fit(texts)
    rows = vec.transform(
        ["Gia công ép nhựa", "gia cong ep nhua", unicodedata.normalize("NFD", "Gia công ép nhựa")]
    ).toarray()
    assert sp.issparse(vec.transform(texts)) and vec.transform(texts).format == "csr"
    assert np.allclose(rows[0], rows[1]) and np.allclose(rows[0], rows[2])
    assert rows[0].sum() > 0
    assert len(vec.get_feature_names_out()) == vec.transform(texts).shape[1]


def test_text_vectorizer_min_df_counts_firms_not_distinct_texts():
    texts = ["ép nhựa", "ép nhựa", "dập"]
    vec = TextVectorizer(min_df=2).fit(texts)
    assert set(vec.get_feature_names_out()) == {"ep", "nhua", "ep_nhua"}
    with pytest.raises(ProfileError, match="min_df"):
        TextVectorizer(min_df=5).fit(texts)


def test_capability_encoder_columns_are_the_taxonomy_codes():
    encoder = CapabilityEncoder(kind="processes").fit()
    names = list(encoder.get_feature_names_out())
    assert "cnc_milling" in names and "injection_moulding" in names
    matrix = encoder.transform(pd.DataFrame({"processes": [("cnc_milling",), (), "stamping; edm"]}))
    assert matrix.format == "csr" and matrix.shape == (3, len(names))
    assert matrix[0, names.index("cnc_milling")] == 1 and matrix[1].nnz == 0
    assert matrix[2, names.index("edm")] == 1 and matrix[2].nnz == 2
    with pytest.raises(ProfileError, match="not_a_process"):
        CapabilityEncoder(handle_unknown="error").fit().transform([("not_a_process",)])
    with pytest.raises(ProfileError, match="kind"):
        CapabilityEncoder(kind="process").fit()


def test_geo_encoder_distances_and_missing_places():
    encoder = GeoEncoder(parks=TWO_PARKS).set_output(transform="pandas")
    X = pd.DataFrame({"lat": [21.12, 21.20, np.nan], "lon": [105.78, 106.00, np.nan]})
    out = encoder.fit_transform(X)
    assert list(out.columns) == ["km_to_thang_long", "km_to_yen_phong", "geo_missing"]
    assert out.iloc[0, 0] == pytest.approx(0.0) and out.iloc[1, 1] == pytest.approx(0.0)
    assert 20 < out.iloc[0, 1] < 30  # Thăng Long to Yên Phong is about 24 km
    assert out["geo_missing"].tolist() == [0.0, 0.0, 1.0]
    assert out.iloc[2, 0] == pytest.approx(np.median(out.iloc[:2, 0]))


def test_geo_encoder_reads_the_packaged_parks_by_default():
    encoder = GeoEncoder().fit(np.array([[21.0, 105.8]]))
    names = list(encoder.get_feature_names_out())
    assert "km_to_thang_long" in names and "km_to_vsip_hai_phong" in names
    assert names[-1] == "geo_missing"


def test_size_encoder_log_age_and_flags():
    X = pd.DataFrame({"employees": [99.0, np.nan], "founded": [2016.0, np.nan]})
    out = SizeEncoder(as_of=AS_OF).set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["log1p_employees", "log1p_age", "employees_missing", "age_missing"]
    assert out.iloc[0, 0] == pytest.approx(np.log1p(99)) and out.iloc[0, 1] == pytest.approx(np.log1p(10))
    assert out.iloc[1].tolist()[2:] == [1.0, 1.0]


def test_certification_encoder_rejects_bad_horizon():
    with pytest.raises(ProfileError, match="horizon_days"):
        CertificationEncoder(horizon_days=0).fit()
