"""SupplierMatcher: answers known by construction, Vietnamese invariance, sklearn contract."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold

from features.taxonomy import load_taxonomy
from matching import Firms, HyperParameterError, NeedError, SupplierMatcher, UnknownFirmError

# Import-format firms (features.columns.FIRM_COLUMNS); profiles are built by fit().
FIRMS = pd.DataFrame(
    [
        ("F0001", "Công ty TNHH Nhựa Y Tế An Phát", "Ép nhựa PC và ABS, vỏ thiết bị y tế, phòng sạch",
         "ISO 13485:2016 hiệu lực đến 12/2027; ISO 9001:2015", "5000"),
        ("F0002", "Công ty CP Nhựa Bình Minh", "Ép nhựa PC và ABS, vỏ thiết bị y tế, vỏ thiết bị điện tử",
         "ISO 9001:2015", "20000"),
        ("F0003", "Công ty TNHH Nhựa Hòa Bình", "Ép nhựa PC, ABS, linh kiện nhựa kỹ thuật cho điện tử",
         "ISO 9001:2015; ISO 14001:2015", "15000"),
        ("F0004", "Công ty TNHH Cơ khí Đông Anh", "Gia công phay CNC, tiện CNC vỏ nhôm, anod hóa",
         "ISO 9001:2015", "3000"),
        ("F0005", "Công ty TNHH May Thăng Long", "May áo sơ mi, quần âu xuất khẩu", "", "50000"),
        ("F0006", "Công ty TNHH Dập Kim Loại Sóc Sơn", "Dập kim loại tấm, hàn, sơn tĩnh điện", "ISO 9001", ""),
        ("F0007", "Công ty TNHH Khuôn Mẫu Quang Minh", "Thiết kế và chế tạo khuôn mẫu, gia công tia lửa điện EDM",
         "IATF 16949 hết hạn 12/2024", "200"),
        ("F0008", "Công ty TNHH Điện Tử Nội Bài", "Lắp ráp SMT, bo mạch PCB, bó dây điện", "IPC-A-610; ISO 9001", ""),
    ],
    columns=["firm_id", "name", "description", "certifications", "monthly_capacity"],
)


@pytest.fixture(scope="module")
def profiles():
    from features.profile import build_profiles

    return build_profiles(FIRMS, geocode=False)


@pytest.fixture(scope="module")
def matcher(profiles):
    return SupplierMatcher(geocode=False).fit(profiles)


def _ids(frame: pd.DataFrame) -> list[str]:
    return frame["firm_id"].tolist()


def test_fit_accepts_the_import_table_and_a_profile_table(profiles):
    from_firms = SupplierMatcher(geocode=False).fit(FIRMS)
    from_profiles = SupplierMatcher(geocode=False).fit(profiles)
    need = "ép nhựa vỏ thiết bị y tế"
    pd.testing.assert_frame_equal(from_firms.rank(need, k=5), from_profiles.rank(need, k=5))
    assert list(from_firms.firm_ids_) == FIRMS["firm_id"].tolist()
    assert "ep" in from_firms.vocabulary_


def test_the_only_iso_13485_firm_ranks_first_for_a_medical_need(matcher):
    need = {"need_id": "N-1", "title": "Medical device housing",
            "description": "Injection moulded PC housing for a medical device",
            "preferred_certifications": "ISO 13485"}
    ranked = matcher.rank(need, k=5)
    assert ranked["firm_id"].iloc[0] == "F0001"
    # F0002 has the same process and material and more capacity: the certificate decides.
    assert ranked.loc[ranked["firm_id"] == "F0002", "certification_fit"].iloc[0] == 0
    mandatory = matcher.rank({**need, "preferred_certifications": "", "mandatory_certifications": "ISO 13485"}, k=5)
    assert _ids(mandatory) == ["F0001"]


def test_a_need_in_english_finds_a_firm_described_only_in_vietnamese(matcher):
    ranked = matcher.rank("EDM machining and mould making for plastic parts", k=3)
    assert ranked["firm_id"].iloc[0] == "F0007"
    assert ranked["process_fit"].iloc[0] > 0
    reasons = [str(r) for r in matcher.explain("EDM machining and mould making", "F0007").reasons]
    # the firm's own Vietnamese words, quoted, and the shared concept named in English
    assert any("“" in r and "khuôn" in r and "Mould" in r for r in reasons), reasons


def test_explain_many_gives_each_firms_own_explanation_in_the_order_asked(matcher):
    need = "Injection moulded PC housing for a medical device, ISO 13485, near Thang Long IP"
    firm_ids = matcher.rank(need, k=5)["firm_id"].tolist()[::-1]
    many = matcher.explain_many(need, firm_ids)
    assert [e.firm_id for e in many] == firm_ids
    assert many == [matcher.explain(need, firm_id) for firm_id in firm_ids]
    assert matcher.explain_many(need, []) == []
    with pytest.raises(UnknownFirmError):
        matcher.explain_many(need, [firm_ids[0], "F9999"])


def test_same_need_without_diacritics_or_in_nfd_returns_the_same_top_10(matcher):
    accented = "Vỏ nhựa ABS ép phun cho thiết bị điện tử, ISO 9001, khuôn mẫu chính xác, hòa bình"
    bare = "Vo nhua ABS ep phun cho thiet bi dien tu, ISO 9001, khuon mau chinh xac, hoa binh"
    nfd_other_tone = unicodedata.normalize("NFD", accented.replace("hòa", "hoà"))
    reference = matcher.rank(accented, k=8)
    assert len(reference) == 8
    for variant in (bare, nfd_other_tone, accented.upper()):
        ranked = matcher.rank(variant, k=8)
        assert _ids(ranked) == _ids(reference)
        np.testing.assert_allclose(ranked["score"], reference["score"])


def test_reasons_name_the_evidence(matcher):
    explanation = matcher.explain({"title": "injection moulding", "materials": "PC",
                                   "preferred_certifications": "ISO 13485"}, "F0001")
    text = [str(r) for r in explanation.reasons]
    term = load_taxonomy().get("injection_moulding")
    assert any(f"↔ {term.label_vi} / " in r and f"↔ {term.label_en}" in r for r in text), text
    assert any("ISO 13485 còn hiệu lực đến 12/2027" in r and "valid until 12/2027" in r for r in text), text
    assert {r.component for r in explanation.reasons} >= {"process_fit", "material_fit", "certification_fit"}
    assert explanation.score == pytest.approx(sum(explanation.contributions.values()))


def test_rank_returns_a_long_table_with_contributions(matcher):
    needs = pd.DataFrame({"need_id": ["N-A", "N-B"], "title": ["ép nhựa", "may áo sơ mi"],
                          "created": ["2025-06-01", "2025-06-01"]})
    ranked = matcher.rank(needs, k=3)
    assert list(ranked.columns[:4]) == ["need_id", "rank", "firm_id", "score"]
    assert list(ranked.columns[4:]) == list(matcher.weights_)
    assert ranked.groupby("need_id")["rank"].apply(list).to_dict() == {"N-A": [1, 2, 3], "N-B": [1, 2, 3]}
    np.testing.assert_allclose(ranked[list(matcher.weights_)].sum(axis=1), ranked["score"])
    assert ranked.loc[ranked["need_id"] == "N-B", "firm_id"].iloc[0] == "F0005"
    assert (ranked.groupby("need_id")["score"].diff().dropna() <= 0).all()
    same = matcher.rank([{"need_id": "N-A", "title": "ép nhựa", "created": "2025-06-01"}], k=3)
    pd.testing.assert_frame_equal(same, ranked[ranked["need_id"] == "N-A"].reset_index(drop=True))


def test_fallback_fills_the_list_when_nothing_matches(matcher):
    ranked = matcher.rank("xyzzy", k=4)
    assert len(ranked) == 4 and ranked["text"].eq(0).all()


def test_diversity_mmr_and_max_exposure():
    firms = pd.DataFrame({
        "firm_id": ["D1", "D2", "E1"],
        "name": ["A", "B", "C"],
        "description": ["ép nhựa ABS vỏ điện thoại", "ép nhựa ABS vỏ điện thoại", "ép nhựa PP thùng chứa"],
    })
    plain = SupplierMatcher(geocode=False, weights={"text": 1.0}).fit(firms)
    assert _ids(plain.rank("ép nhựa ABS vỏ điện thoại", k=2)) == ["D1", "D2"]
    diverse = clone(plain).set_params(diversity="mmr", mmr_lambda=0.3).fit(firms)
    assert _ids(diverse.rank("ép nhựa ABS vỏ điện thoại", k=2)) == ["D1", "E1"]
    capped = clone(plain).set_params(max_exposure=1).fit(firms)
    batch = capped.rank(["ép nhựa ABS", "ép nhựa ABS", "ép nhựa ABS"], k=1)
    assert sorted(_ids(batch)) == ["D1", "D2", "E1"]


def test_suggest_needs_and_rank_agree_on_the_pair_score(matcher):
    needs = pd.DataFrame({
        "need_id": ["N-1", "N-2", "N-3"],
        "title": ["vỏ nhôm CNC", "injection moulded ABS cover", "khuôn ép nhựa"],
        "preferred_certifications": ["ISO 9001", "", ""],
        "created": ["2025-06-01"] * 3,
    })
    suggested = matcher.suggest_needs("F0004", needs, k=3)
    assert suggested["need_id"].iloc[0] == "N-1"
    ranked = matcher.rank(needs, k=8)
    for _, row in suggested.iterrows():
        in_rank = ranked[(ranked["need_id"] == row["need_id"]) & (ranked["firm_id"] == "F0004")]
        assert len(in_rank) == 1
        assert row["score"] == pytest.approx(in_rank["score"].iloc[0], rel=1e-12, abs=1e-12)
    fitted_with_needs = clone(matcher).fit(matcher.profiles_, needs=needs)
    pd.testing.assert_frame_equal(fitted_with_needs.suggest_needs("F0004", k=3), suggested)


def test_clone_set_params_and_grid_search(profiles):
    matcher = SupplierMatcher(geocode=False, weights={"text": 1.0, "process_fit": 0.0})
    twin = clone(matcher)
    assert twin.get_params() == matcher.get_params() and not hasattr(twin, "firms_")
    needs = pd.DataFrame({"description": ["ép nhựa thiết bị y tế ISO 13485", "khuôn mẫu EDM", "may áo sơ mi",
                                          "lắp ráp SMT bo mạch", "dập kim loại tấm sơn tĩnh điện"]})
    relevant = ["F0001", "F0007", "F0005", "F0008", "F0006"]
    grid = {"weights": [{"text": 1.0}, {"text": 0.0, "completeness": 1.0}]}
    search = GridSearchCV(matcher, grid, cv=KFold(n_splits=2))
    search.fit(needs, relevant, firms=Firms(profiles))
    assert search.best_params_ == {"weights": {"text": 1.0}}
    assert search.best_score_ > search.cv_results_["mean_test_score"].min()
    assert search.best_estimator_.score(needs, relevant) == pytest.approx(1.0)


class _FitRecorder(SupplierMatcher):
    """A SupplierMatcher that notes the firms of every fit (clone keeps the class)."""

    fitted_firms: list[tuple[str, ...]] = []

    def fit(self, X, y=None, **fit_params):
        super().fit(X, y, **fit_params)
        _FitRecorder.fitted_firms.append(tuple(self.firm_ids_))
        return self


def test_grid_search_fits_every_fold_on_all_the_firms(profiles):
    """X are the needs, cut into folds; the firms pass whole to every fold, even when there
    are as many firms as needs (scikit-learn cuts such array-like fit parameters)."""
    firms = profiles.iloc[:6]
    needs = pd.DataFrame({"description": ["ép nhựa vỏ thiết bị y tế phòng sạch", "vỏ thiết bị điện tử nhựa ABS",
                                          "linh kiện nhựa kỹ thuật cho điện tử", "phay CNC vỏ nhôm anod",
                                          "may áo sơ mi xuất khẩu", "dập kim loại tấm sơn tĩnh điện"]})
    relevant = ["F0001", "F0002", "F0003", "F0004", "F0005", "F0006"]
    assert len(needs) == len(firms)  # the case scikit-learn would slice
    _FitRecorder.fitted_firms = []
    search = GridSearchCV(_FitRecorder(), {"weights": [{"text": 1.0}, {"text": 1.0, "process_fit": 1.0}]}, cv=3)
    search.fit(needs, relevant, firms=Firms(firms))
    all_firms = tuple(firms["firm_id"] if "firm_id" in firms.columns else firms.index)
    assert len(_FitRecorder.fitted_firms) == 2 * 3 + 1  # 2 candidates x 3 folds, then the refit
    assert set(_FitRecorder.fitted_firms) == {all_firms}
    assert search.best_estimator_.n_firms_fit_ == 6 and search.best_score_ > 0
    # A DataFrame of firms beside needs is refused, not silently cut to a fold's rows.
    with pytest.raises(HyperParameterError, match=r"firms=Firms\(table\)"):
        SupplierMatcher(geocode=False).fit(needs, relevant, firms=firms)
    with pytest.raises(HyperParameterError, match=r"Firms\(table, buyers=...\)"):
        SupplierMatcher(geocode=False).fit(needs, relevant, firms=Firms(firms), buyers=pd.DataFrame({"buyer_id": ["B1"]}))


@pytest.mark.parametrize(
    ("params", "message"),
    [({"weights": {"txt": 1.0}}, "weights"), ({"weights": {"text": -1.0}}, r"weights\['text'\]"),
     ({"weights": {"text": 0.0}}, "positive weight"), ({"diversity": "random"}, "diversity='random'"),
     ({"mmr_lambda": 2}, "mmr_lambda"), ({"max_exposure": 0}, "max_exposure"),
     ({"require_sector": "yes"}, "require_sector"), ({"fallback": -1}, "fallback")],
)
def test_hyper_parameter_errors_name_the_argument(profiles, params, message):
    matcher = SupplierMatcher(geocode=False, **params)  # __init__ only stores
    with pytest.raises(HyperParameterError, match=message):
        matcher.fit(profiles)


def test_query_errors(matcher):
    with pytest.raises(NotFittedError):
        SupplierMatcher().rank("ép nhựa")
    with pytest.raises(HyperParameterError, match=r"k an integer >= 1 \(lists hold at most n_firms_fit_=8 firms\), got k=0"):
        matcher.rank("ép nhựa", k=0)
    with pytest.raises(UnknownFirmError, match="F9999"):
        matcher.explain("ép nhựa", "F9999")
    with pytest.raises(NeedError, match="tittle"):
        matcher.rank({"tittle": "ép nhựa"})
    with pytest.raises(NeedError, match="process code or alias"):
        matcher.rank({"processes": "teleportation"})
    with pytest.raises(NeedError, match="expected a title/description"):
        matcher.rank({"need_id": "N-9"})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pruned_ranking_equals_scoring_every_candidate(seed):
    from matching.constraints import passes
    from matching.needs import NeedQuery
    from tests.matching.conftest import AS_OF
    from tests.matching.test_components import _random_profiles

    matcher = SupplierMatcher(geocode=False).fit(_random_profiles(seed=seed, n=600))
    rng = np.random.default_rng(seed)
    for i in range(5):
        need = NeedQuery(f"N-{i}", text=" ".join(rng.choice(["phay", "CNC", "nhôm", "ép nhựa", "hàn", "khuôn"], 3)),
                         processes=tuple(rng.choice(["cnc_machining", "welding", "stamping"], 1)),
                         preferred_certifications=("iso_9001",), park_id="thang_long", target_capacity=3000.0,
                         mandatory_certifications=("iso_14001",) if i == 4 else (), as_of=AS_OF)
        ctx = matcher._context(need)
        signal = matcher._signal(ctx)
        assert np.count_nonzero(signal & passes(matcher.firms_, ctx)) > 128 or i == 4  # the pruning acts
        rows, _ = matcher._first_tier(signal, passes(matcher.firms_, ctx))
        scores, _ = matcher._score_rows(ctx, rows)
        order = np.lexsort((rows, -scores))[:10]
        ranked = matcher.rank([need], k=10)
        assert ranked["firm_id"].tolist() == matcher.firm_ids_[rows[order]].tolist()
        np.testing.assert_allclose(ranked["score"], scores[order])


DEMO_NEEDS = ["N-0248", "N-0209", "N-0210", "N-0229", "N-0001", "N-0150"]


def _demo_need(demo_needs, need_id):
    return demo_needs.set_index("need_id").loc[need_id].dropna().to_dict() | {"need_id": need_id}


@pytest.mark.parametrize("need_id", DEMO_NEEDS)
def test_top_k_is_the_start_of_every_longer_list(demo_matcher, demo_needs, need_id):
    """Issue #4: N-0248 (mandatory IATF 16949) gave 3 firms at k=10 but 4 at k=100."""
    need = _demo_need(demo_needs, need_id)
    longest = demo_matcher.rank(need, k=demo_matcher.n_firms_fit_)
    for k in (1, 3, 10, 25, 60, 200):
        ranked = demo_matcher.rank(need, k=k)
        pd.testing.assert_frame_equal(ranked, longest.head(k).reset_index(drop=True))
    # Every firm passing the constraints is on the longest list, once.
    ctx = demo_matcher._context(demo_matcher._queries(need)[0])
    from matching.constraints import passes

    passing = set(demo_matcher.firm_ids_[passes(demo_matcher.firms_, ctx)])
    assert set(longest["firm_id"]) == passing and longest["firm_id"].is_unique


def test_n0248_lists_every_firm_with_iatf_16949(demo_matcher, demo_needs):
    ranked = demo_matcher.rank(_demo_need(demo_needs, "N-0248"), k=10)
    assert len(ranked) == 4 and "F0020" in set(ranked["firm_id"])


@pytest.mark.parametrize("firm_id", ["F0020", "F0100", "F0555"])
def test_every_need_suggested_to_a_firm_lists_that_firm(demo_matcher, firm_id):
    suggested = demo_matcher.suggest_needs(firm_id, k=100)
    assert len(suggested)
    by_id = {q.need_id: q for q in demo_matcher.needs_}
    for _, row in suggested.iterrows():
        ranked = demo_matcher.rank(by_id[row["need_id"]], k=demo_matcher.n_firms_fit_)
        hit = ranked[ranked["firm_id"] == firm_id]
        assert len(hit) == 1, row["need_id"]
        assert hit["score"].iloc[0] == pytest.approx(row["score"], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("needs", [None, 123, 4.5, [None], [{"title": "ép nhựa"}, 7]])
def test_rank_of_something_that_is_not_a_need_says_what_is_accepted(matcher, needs):
    with pytest.raises(NeedError, match="text, a dict, a NeedQuery, a pandas"):
        matcher.rank(needs)


def test_duplicate_need_ids_in_a_batch_are_refused(matcher):
    needs = [{"need_id": "N-1", "title": "ép nhựa"}, {"need_id": "N-2", "title": "phay CNC"},
             {"need_id": "N-1", "title": "khuôn mẫu"}]
    with pytest.raises(NeedError, match=r"N-1.*twice|duplicate.*N-1"):
        matcher.rank(needs)
    with pytest.raises(NeedError, match="N-1"):
        matcher.set_needs(pd.DataFrame(needs))


def test_unknown_excluded_firms_are_named(matcher):
    with pytest.raises(NeedError, match=r"F0999.*F0998|F0998.*F0999"):
        matcher.rank({"title": "ép nhựa", "exclude_firms": "F0001, F0999; F0998"})
    ranked = matcher.rank({"title": "ép nhựa", "exclude_firms": "F0001, F0002;F0003 F0004"}, k=8)
    assert not {"F0001", "F0002", "F0003", "F0004"} & set(ranked["firm_id"]) and len(ranked) == 4


@pytest.mark.parametrize("diversity", [None, "mmr"])
def test_ties_are_broken_by_firm_id_so_top_k_starts_every_longer_list(diversity):
    """Issue 9: with identical profiles ``_top`` kept 4k+8 arbitrary tied rows before sorting,
    so rank(k=1) was not the first of rank(k=all). Ties go by firm_id, whatever the input order."""
    from tests.matching.conftest import AS_OF, make_firm, make_profiles

    ids = [f"F{i:03d}" for i in range(60)]
    order = np.random.default_rng(0).permutation(len(ids))
    firms = make_profiles(*(make_firm(ids[i], text="Ép nhựa PC vỏ thiết bị", processes=("injection_moulding",))
                            for i in order))
    matcher = SupplierMatcher(geocode=False, diversity=diversity).fit(firms)
    need = {"need_id": "N-1", "title": "ép nhựa PC", "created": AS_OF.isoformat()}
    longest = matcher.rank(need, k=len(ids))
    assert longest["score"].nunique() == 1  # every firm ties
    if diversity is None:
        assert longest["firm_id"].tolist() == sorted(ids)
    for k in (1, 2, 5, 13, 30):
        assert matcher.rank(need, k=k)["firm_id"].tolist() == longest["firm_id"].head(k).tolist()
