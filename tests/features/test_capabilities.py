"""Tests of capability extraction (features.capabilities)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.capabilities import DEFAULT_KINDS, Capability, extract_capabilities
from features.exceptions import TaxonomyError
from features.taxonomy import load_taxonomy
from features.text import fold


def codes(text: str, **kwargs) -> list[str]:
    return [c.code for c in extract_capabilities(text, **kwargs)]


def by_code(text: str, **kwargs) -> dict[str, Capability]:
    return {c.code: c for c in extract_capabilities(text, **kwargs)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chuyên ép nhựa, làm khuôn", ["injection_moulding", "mould_making"]),
        ("chuyen ep nhua, lam khuon", ["injection_moulding", "mould_making"]),
        ("CHUYÊN ÉP NHỰA, LÀM KHUÔN", ["injection_moulding", "mould_making"]),
        ("金型製作", ["mould_making"]),
        ("射出成形と金型の製作", ["injection_moulding", "mould_making"]),
        ("SMT lắp ráp bo mạch", ["smt_assembly", "electronic_assembly"]),
        ("Dập kim loại, hàn MIG/TIG, nhiệt luyện", ["stamping", "welding", "heat_treatment"]),
        ("Anodizing and powder-coated aluminum enclosures", ["anodizing", "powder_coating"]),
        ("사출성형 및 금형", ["injection_moulding", "mould_making"]),
    ],
)
def test_required_examples(text, expected):
    found = codes(text)
    assert [c for c in found if c in expected] == expected, found


def test_cnc_machining_of_aluminium_housings():
    found = by_code("CNC machining of aluminium housings")
    assert {"cnc_machining", "aluminium"} <= set(found)
    assert found["cnc_machining"].span == (0, 13)
    assert found["aluminium"].text == "aluminium"


def test_turning_milling_powder_coating_plating():
    text = "Gia công tiện phay CNC, sơn tĩnh điện, mạ kẽm"
    found = by_code(text)
    assert {"cnc_turning", "powder_coating", "electroplating"} <= set(found)
    assert {"cnc_milling", "cnc_machining"} & set(found)
    assert "painting" not in found  # "sơn tĩnh điện" is taken whole, longest first
    assert found["powder_coating"].text == "sơn tĩnh điện"
    assert found["electroplating"].text == "mạ kẽm"


def test_spans_point_into_the_original_nfd_text():
    nfc = "Chuyên ép nhựa, làm khuôn"
    nfd = unicodedata.normalize("NFD", nfc)
    assert len(nfd) > len(nfc)
    found = extract_capabilities(nfd)
    assert [c.code for c in found] == codes(nfc)
    for cap in found:
        assert cap.text == nfd[cap.span[0] : cap.span[1]]
    assert unicodedata.normalize("NFC", found[0].text) == "ép nhựa"


def test_tone_placement_variants_give_the_same_codes():
    assert codes("lưu hoá cao su, thuỷ tinh") == codes("lưu hóa cao su, thủy tinh")
    assert codes("lưu hoá cao su, thuỷ tinh") == ["rubber_moulding", "glass"]
    assert codes("anod hoá nhôm") == codes("anod hóa nhôm") == ["anodizing", "aluminium"]


def test_alias_inside_another_word_does_not_match():
    assert codes("dậpxyz khuônabc") == []
    assert "electroplating" not in codes("manufacturing of machines")
    assert "welding" not in codes("Thanh toán")  # "han" is not a word of "thanh"


def test_diacritics_that_spell_another_word_do_not_match():
    assert codes("mà mã") == []
    assert codes("mạ") == ["electroplating"]
    assert "stamping" not in codes("đáp ứng tiêu chuẩn")
    assert "cnc_turning" not in codes("tiền mặt, tiến bộ")


def test_stop_phrases_and_proper_names():
    assert "welding" not in codes("khách hàng Hàn Quốc")
    assert "welding" not in codes("cong ty trach nhiem huu han")
    assert "welding" in codes("khách hàng Hàn Quốc, hàn MIG")
    assert "painting" not in codes("Công ty TNHH Hoàng Sơn, xưởng tại Sóc Sơn")
    assert "painting" in codes("Công ty TNHH Hoàng Sơn: sơn phủ, sơn ướt")
    assert "electroplating" not in codes("ma so thue 0101234567")
    assert "stamping" not in codes("dap ung yeu cau khach hang")


def test_title_case_headings_still_match():
    assert codes("Gia Công Tiện, Phay, Hàn") == ["cnc_turning", "cnc_milling", "welding"]


def test_abbreviations_are_expanded_with_original_offsets():
    text = "Cty TNHH SX linh kiện ĐT, CK chính xác"
    found = by_code(text)
    component = found["electronics.electronic_components"]
    assert component.text == "linh kiện ĐT"
    assert text[component.span[0] : component.span[1]] == "linh kiện ĐT"
    assert found["mechanical"].text == "CK chính xác"


def test_hyphens_and_extra_spaces_join_words_but_punctuation_does_not():
    assert codes("Ép-nhựa") == ["injection_moulding"]
    assert codes("ép    nhựa") == ["injection_moulding"]
    assert "injection_moulding" not in codes("ép, nhựa")


def test_confidence_rule():
    exact = by_code("làm khuôn")["mould_making"].confidence
    folded = by_code("lam khuon")["mould_making"].confidence
    short_exact = by_code("khuôn")["mould_making"].confidence
    short_folded = by_code("khuon")["mould_making"].confidence
    assert exact == 1.0
    assert exact > folded > short_folded
    assert exact > short_exact > short_folded
    assert by_code("CNC")["cnc_machining"].confidence < 1.0
    assert by_code("da thuộc")["leather"].confidence < 1.0  # ambiguous: precedence decided
    for cap in extract_capabilities("Gia công tiện phay CNC, sơn tĩnh điện, mạ kẽm, 金型"):
        assert 0.0 < cap.confidence <= 1.0


def test_one_capability_per_code_keeping_the_best_mention():
    text = "khuon, làm khuôn mẫu và khuôn"
    [cap] = extract_capabilities(text)
    assert cap.code == "mould_making"
    assert cap.text == "làm khuôn"
    assert cap.confidence == 1.0


def test_kinds_filter_and_certifications_excluded_by_default():
    text = "Ép nhựa ABS, dập inox cho ngành ô tô"
    assert codes(text, kinds=["material"]) == ["abs", "stainless_steel"]
    assert codes(text, kinds="sector") == ["automotive"]
    tax = load_taxonomy()
    for cap in extract_capabilities(text + ", ISO 9001, IATF 16949"):
        assert tax.get(cap.code).kind in DEFAULT_KINDS
    with pytest.raises(TaxonomyError, match="'machines'"):
        extract_capabilities(text, kinds=["machines"])


def test_empty_and_missing_text():
    assert extract_capabilities("") == []
    assert extract_capabilities(None) == []
    assert extract_capabilities(float("nan")) == []


def test_custom_taxonomy(tmp_path):
    (tmp_path / "processes.yaml").write_text(
        'kind: process\nversion: "1"\nterms:\n'
        "  - {code: welding, label_vi: Hàn, label_en: Welding, label_ja: 溶接, aliases: [han]}\n",
        encoding="utf-8",
    )
    tax = load_taxonomy(tmp_path)
    assert codes("hàn điểm, ép nhựa", taxonomy=tax) == ["welding"]


def test_every_alias_is_found_in_running_text():
    """Each alias of a process or material, alone in a sentence, gives its own code (or the
    code that wins the folded alias), whatever else the sentence holds."""
    tax = load_taxonomy()
    winners = {a.alias: a.winner for a in tax.ambiguities()}
    missed = []
    for term in tax.terms("process") + tax.terms("material"):
        for alias in term.aliases:
            text = f"Xưởng: {alias}."
            found = codes(text)
            wanted = {term.code, winners.get(fold(alias), term.code)}
            if not wanted & set(found):
                missed.append((term.code, alias, found))
    assert missed == []


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list("ép nhựa khuôn mạ dập CNC ,;-/.ÉĐđ金型製作\u0301\u0323\u200b")
            + ["hàn", "sơn", "Hàn Quốc", "SX", "TNHH", "machining", " ", "\n"]
        ),
        max_size=40,
    ).map("".join)
)
def test_spans_always_quote_the_input(text):
    seen = set()
    for cap in extract_capabilities(text):
        start, end = cap.span
        assert 0 <= start < end <= len(text)
        assert cap.text == text[start:end]
        assert cap.code not in seen
        seen.add(cap.code)
        assert 0.0 < cap.confidence <= 1.0


def test_a_phone_number_abbreviation_is_not_electronics():
    phone = codes("Cty TNHH Cơ khí Hà Nội, ĐT: 0243 851 2345, sx khuôn mẫu")
    assert not any(code.startswith("electronics") for code in phone)
    assert "electronics.electronic_components" in codes("linh kiện ĐT cho máy in")


@pytest.mark.parametrize(
    "text",
    ["đồng bộ", "hop dong", "hoat dong san xuat", "thanh toan tien mat", "nhom khach hang", "đồng phục"],
)
def test_ordinary_words_do_not_read_as_materials_or_processes(text):
    assert codes(text) == []


def test_the_real_words_still_match_next_to_them():
    assert codes("gia công đồng") == ["copper"]
    assert codes("Hợp đồng gia công nhôm") == ["aluminium"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rèn", ["forging"]),
        ("tiện ren", ["cnc_turning"]),
        ("đột lỗ", ["stamping"]),
        ("gia công chấn gấp", ["bending"]),
        ("hợp kim nhôm", ["aluminium"]),
        ("thép ko gỉ", ["stainless_steel"]),
        ("lap rap mach in", ["electronic_assembly"]),
        ("Truc truyen dong", []),
        ("Mo-dun cam bien", ["electronics.sensors"]),  # module cảm biến: a sensor module
        ("rèn luyện kỹ năng", []),
        ("đột phá công nghệ", []),
        # a fibre laser cuts metal and a fibre-optic cable carries light: neither is textile fibre
        ("cắt laser fiber", ["laser_cutting"]),
        ("cat laser fiber", ["laser_cutting"]),
        ("máy fiber laser 3kW", ["laser_cutting"]),
        ("fiber optic cable", ["cable_manufacturing"]),
        ("fibers and yarn", ["textile_garment.fibres_yarn_fabric", "textile_garment.yarn"]),
    ],
)
def test_common_vietnamese_forms_and_their_look_alikes(text, expected):
    assert codes(text) == expected


# --- four languages, grade codes: phrases a buyer or a firm writes -> the codes they name ----
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Japanese: short forms and katakana
        ("アルミダイカスト部品", ["aluminium", "die_casting"]),
        ("プレス加工、板金、溶接", ["stamping", "sheet_metal", "welding"]),
        ("射出成型とPBT樹脂", ["injection_moulding", "pbt"]),
        ("樹脂成形品", ["plastic", "injection_moulding"]),
        ("メッキ、塗装、熱処理", ["electroplating", "painting", "heat_treatment"]),
        ("焼入れ", ["heat_treatment"]),
        ("鋳物・鋳造", ["sand_casting", "casting"]),
        ("ゴム成形と組立、検査", ["rubber_moulding", "mechanical_assembly", "inspection_testing"]),
        ("切削加工 SUS304", ["cnc_machining", "stainless_steel"]),
        ("表面処理", ["surface_treatment"]),
        ("真空成形", ["thermoforming"]),
        ("試作", ["prototyping"]),
        # Korean
        ("사출성형 및 금형", ["injection_moulding", "mould_making"]),
        ("알루미늄 다이캐스팅, 도금, 도장", ["aluminium", "die_casting", "electroplating", "painting"]),
        ("스테인리스 프레스 가공", ["stainless_steel", "stamping"]),
        ("열처리, 용접, 절삭", ["heat_treatment", "welding", "cnc_machining"]),
        ("수지 사출", ["plastic", "injection_moulding"]),
        ("표면처리", ["surface_treatment"]),
        # Vietnamese with and without diacritics, both tone placements
        ("Đúc nhôm áp lực ADC12", ["die_casting", "aluminium"]),
        ("duc nhom ap luc adc12", ["die_casting", "aluminium"]),
        ("xử lý bề mặt, mạ kẽm", ["surface_treatment", "electroplating"]),
        ("xu ly be mat, ma kem", ["surface_treatment", "electroplating"]),
        ("tôn mạ kẽm SECC", ["galvanised_steel"]),
        ("luyện kim bột, thiêu kết", ["powder_metallurgy"]),
        ("ép vỉ nhựa PET", ["thermoforming", "pet"]),
        ("kiểm định, thử nghiệm", ["inspection_testing"]),
        ("thuỷ tinh, anod hoá nhôm", ["glass", "anodizing", "aluminium"]),
        ("thủy tinh, anod hóa nhôm", ["glass", "anodizing", "aluminium"]),
        ("dây đồng, xốp EPS", ["copper_wire", "foam"]),
        # English: UK/US, nouns and gerunds
        ("aluminum die-cast parts", ["aluminium", "die_casting"]),
        ("plastic injection molding", ["injection_moulding"]),
        ("stamped steel brackets", ["stamping", "carbon_steel"]),
        ("vacuum forming and sintering", ["thermoforming", "powder_metallurgy"]),
        ("galvanized steel sheet, tinplate", ["galvanised_steel", "tinplate"]),
        # grade codes alone
        ("SPCC, SUS430, SKD11", ["carbon_steel", "stainless_steel", "tool_steel"]),
        ("A6061, A7075, AC4C", ["aluminium"]),
        ("C1100, C3604", ["copper", "brass"]),
        ("PA66, POM, PPS, PEEK, LCP, TPE", ["pa", "pom", "pps", "peek", "lcp", "tpe"]),
        ("HDPE, PVC, PMMA, TPU", ["pe", "pvc", "pmma", "tpu"]),
        ("NBR, EPDM, FKM, silicone", ["rubber", "epdm", "silicone"]),
        ("FR-4, CEM-3", ["pcb_laminate"]),
        ("kraft, duplex", ["paperboard"]),
    ],
)
def test_four_languages_and_grade_codes(text, expected):
    assert codes(text, kinds=["process", "material"]) == expected


@pytest.mark.parametrize(
    "text",
    ["giáo dục đào tạo", "giao duc dao tao", "đúc kết kinh nghiệm", "nhựa đường", "in an ISO plant"],
)
def test_casting_plastics_and_printing_look_alikes_give_nothing(text):
    assert codes(text, kinds=["process", "material"]) == []


@pytest.mark.parametrize("kind", ["process", "material", "sector"])
def test_every_process_material_and_sector_has_a_korean_label(kind):
    hangul = re.compile(r"[\uac00-\ud7af]")
    for term in load_taxonomy().terms(kind):
        assert hangul.search(term.label_ko), (term.code, term.label_ko)
        assert term.label("ko") == term.label_ko
