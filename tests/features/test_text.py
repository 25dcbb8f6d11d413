import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.text import expand_abbreviations, fold, normalize, tokens, words


@pytest.mark.parametrize(
    ("a", "b"),
    [("hoà", "hòa"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("HOÀ BÌNH", "HÒA BÌNH"), ("Thuỷ", "Thủy")],
)
def test_both_tone_placements_give_one_string(a, b):
    assert normalize(a) == normalize(b)
    assert normalize(unicodedata.normalize("NFD", a)) == normalize(b)


@pytest.mark.parametrize("word", ["quý", "hoàng", "khuỷu", "thuyết", "hoặc"])
def test_fixed_placements_are_left_alone(word):
    assert normalize(word) == unicodedata.normalize("NFC", word)


def test_nfd_input_becomes_nfc():
    nfd = unicodedata.normalize("NFD", "Khuôn mẫu chính xác")
    assert nfd != "Khuôn mẫu chính xác"
    assert normalize(nfd) == "Khuôn mẫu chính xác"


def test_invisible_and_control_characters_and_spaces():
    assert normalize("Công\u200b ty\t\tTNHH \u00adSX\x07 ") == "Công ty TNHH SX"


@pytest.mark.parametrize("text", ["Hoà Bình\u200b  ", "Đúc áp lực", unicodedata.normalize("NFD", "thuý")])
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


def test_normalize_of_missing_values():
    assert normalize(None) == ""
    assert normalize(float("nan")) == ""


def test_fold():
    assert fold("Đúc áp lực") == "duc ap luc"
    assert fold("ĐIỆN TỬ") == fold("dien tu") == "dien tu"
    assert fold("ＩＳＯ　９００１") == "iso 9001"
    assert fold("金型製作") == "金型製作"


def test_abbreviations_expand_case_and_accent_insensitively():
    assert expand_abbreviations("Cty TNHH SX linh kiện") == (
        "công ty trách nhiệm hữu hạn sản xuất linh kiện"
    )
    assert expand_abbreviations("cty sx tai KCN Thăng Long") == (
        "công ty sản xuất tai khu công nghiệp Thăng Long"
    )
    # a word that merely contains an abbreviation is not touched
    assert expand_abbreviations("SXTN") == "SXTN"


def test_tokens_with_and_without_diacritics_are_equal():
    assert tokens("Gia công khuôn mẫu, ép nhựa") == tokens("gia cong khuon mau, ep nhua")
    assert "ep_nhua" in tokens("ép nhựa")
    assert words("Cty SX") == ["cong", "ty", "san", "xuat"]


def test_tokens_cut_japanese_into_words_not_fragments():
    assert tokens("金型製作") == ["金型", "製作", "金型_製作"]
    # 成形/成型 and ワイヤー/ワイヤ are one word each (Sudachi's normalised forms)
    assert tokens("射出成形 ABS") == tokens("射出成型 abs") == ["abs", "射出", "成型", "射出_成型"]
    assert "ダイカスト" in tokens("アルミダイカスト部品")
    assert not {"イカ", "ルミ", "ダイ"} & set(tokens("アルミダイカスト部品"))  # no fragments
    assert tokens("ワイヤーハーネス") == tokens("ワイヤハーネス")
    # particles are not words of the need
    assert "の" not in tokens("車載ワイヤーハーネスの組立")


def test_tokens_stem_english_and_leave_vietnamese_and_acronyms_alone():
    assert tokens("stamped", bigrams=False) == tokens("stamping", bigrams=False) == ["stamp"]
    assert tokens("moulded housings", bigrams=False) == ["mould", "hous"]
    assert tokens("ABS PCB parts", bigrams=False) == ["abs", "pcb", "part"]
    assert tokens("khuôn mẫu thường", bigrams=False) == ["khuon", "mau", "thuong"]


def test_plain_tokens_for_the_baselines_keep_words_and_cjk_bigrams():
    assert tokens("stamped 金型製作", morphology=False) == ["stamped", "金型", "型製", "製作"]


def test_abbreviations_keep_their_diacritics_and_context():
    # LĐ (lao động, workers) is not LD (liên doanh, joint venture)
    assert expand_abbreviations("Quy mô 150 LĐ, LD với Nhật") == "Quy mô 150 lao động, liên doanh với Nhật"
    # ĐT before a number is a phone number, not điện tử
    assert expand_abbreviations("ĐT: 0243 851 2345") == "ĐT: 0243 851 2345"
    assert expand_abbreviations("linh kiện ĐT") == "linh kiện điện tử"


@pytest.mark.parametrize("char", ["\u200e", "\u200f", "\u202a", "\u202e", "\u2061", "\u180e", "\u034f", "\ufe0f"])
def test_every_invisible_formatting_character_is_removed(char):
    assert normalize(f"ép{char} nhựa") == "ép nhựa"
    assert tokens(f"ép nh{char}ựa") == tokens("ép nhựa")


def test_fold_is_idempotent_with_stray_marks():
    assert fold("a\t\u0300") == "a"
    assert fold(fold("a\t\u0300")) == fold("a\t\u0300")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_text_takes_a_short_path_with_the_same_result(text):
    from features.text import _normalize, _normalize_unicode

    assert _normalize(text) == _normalize_unicode(text)
