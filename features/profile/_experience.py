"""Export markets, languages and multinational customers from free-text profile cells.

Small lookup tables (country names in Vietnamese, English, Japanese and Korean; language
names; multinationals with plants in northern Vietnam) and the parsers that use them. All
keys go through :func:`features.text.fold`, so ``Nhật Bản``, ``nhat ban`` and ``NHẬT BẢN``
are the same market.
"""

from __future__ import annotations

import re

from features.text import fold, normalize

__all__ = ["parse_markets", "parse_languages", "count_multinational_customers", "COUNTRIES"]

# ISO 3166 alpha-2 -> names as firms write them (vi, en, ja, ko, zh, short forms).
COUNTRIES: dict[str, tuple[str, ...]] = {
    "JP": ("Nhật Bản", "Nhật", "Japan", "Japanese", "日本", "일본"),
    "KR": (
        "Hàn Quốc",
        "Hàn",
        "Korea",
        "South Korea",
        "Republic of Korea",
        "韓国",
        "한국",
        "대한민국",
    ),
    "CN": ("Trung Quốc", "China", "PRC", "中国", "중국"),
    "TW": ("Đài Loan", "Taiwan", "台湾", "台灣", "대만"),
    "HK": ("Hồng Kông", "Hong Kong", "香港"),
    "SG": ("Singapore", "Xin-ga-po", "シンガポール"),
    "TH": ("Thái Lan", "Thailand", "タイ", "태국"),
    "MY": ("Malaysia", "Ma-lai-xi-a", "マレーシア"),
    "ID": ("Indonesia", "In-đô-nê-xi-a", "インドネシア"),
    "PH": ("Philippines", "Phi-líp-pin", "フィリピン"),
    "IN": ("Ấn Độ", "India", "インド", "인도"),
    "LA": ("Lào", "Laos", "Lao PDR"),
    "KH": ("Campuchia", "Cambodia", "カンボジア"),
    "MM": ("Myanmar", "Miến Điện", "Burma"),
    "AU": ("Úc", "Australia", "Ôxtrâylia", "オーストラリア"),
    "NZ": ("New Zealand", "Niu Di-lân"),
    "US": (
        "Mỹ",
        "Hoa Kỳ",
        "USA",
        "United States",
        "United States of America",
        "America",
        "アメリカ",
        "米国",
        "미국",
    ),
    "CA": ("Canada", "Ca-na-đa", "カナダ"),
    "MX": ("Mexico", "Mê-hi-cô"),
    "BR": ("Brazil", "Bra-xin"),
    "DE": ("Đức", "Germany", "Deutschland", "ドイツ", "독일"),
    "FR": ("Pháp", "France", "フランス"),
    "IT": ("Ý", "Italia", "Italy", "イタリア"),
    "ES": ("Tây Ban Nha", "Spain", "スペイン"),
    "NL": ("Hà Lan", "Netherlands", "Holland", "オランダ"),
    "BE": ("Bỉ", "Belgium"),
    "GB": (
        "Anh",
        "Vương quốc Anh",
        "UK",
        "United Kingdom",
        "Great Britain",
        "England",
        "イギリス",
        "英国",
    ),
    "SE": ("Thụy Điển", "Sweden"),
    "DK": ("Đan Mạch", "Denmark"),
    "FI": ("Phần Lan", "Finland"),
    "NO": ("Na Uy", "Norway"),
    "CH": ("Thụy Sĩ", "Switzerland"),
    "AT": ("Áo", "Austria"),
    "PL": ("Ba Lan", "Poland"),
    "CZ": ("Séc", "Cộng hòa Séc", "Czech Republic", "Czechia"),
    "HU": ("Hungary", "Hung-ga-ri"),
    "RU": ("Nga", "Russia", "Russian Federation", "ロシア"),
    "TR": ("Thổ Nhĩ Kỳ", "Turkey", "Türkiye"),
    "IL": ("Israel", "I-xra-en"),
    "AE": ("UAE", "United Arab Emirates", "Các Tiểu vương quốc Ả Rập Thống nhất"),
    "SA": ("Ả Rập Xê Út", "Saudi Arabia"),
    "ZA": ("Nam Phi", "South Africa"),
    "EU": ("EU", "Châu Âu", "Liên minh châu Âu", "Europe", "European Union", "欧州"),
    "VN": ("Việt Nam", "Vietnam", "Viet Nam", "ベトナム", "베트남"),
}
# "EU" is not an ISO country but firms write it; it is kept as the reserved code EU.
_COUNTRY_KEYS: dict[str, str] = {}
for _code, _names in COUNTRIES.items():
    _COUNTRY_KEYS[_code.lower()] = _code
    for _name in _names:
        _COUNTRY_KEYS[fold(_name)] = _code
_COUNTRY_KEYS.pop("anh", None)  # "anh" also means "you"/"brother": only full UK names count
_COUNTRY_KEYS["anh quoc"] = "GB"

LANGUAGES: dict[str, tuple[str, ...]] = {
    "vi": ("vi", "vie", "tiếng Việt", "Vietnamese", "Việt"),
    "en": ("en", "eng", "tiếng Anh", "English", "Anh", "英語"),
    "ja": ("ja", "jp", "jpn", "tiếng Nhật", "Japanese", "Nhật", "日本語"),
    "ko": ("ko", "kr", "kor", "tiếng Hàn", "Korean", "Hàn", "韓国語", "한국어"),
    "zh": (
        "zh",
        "cn",
        "chi",
        "zho",
        "tiếng Trung",
        "tiếng Hoa",
        "Chinese",
        "Mandarin",
        "Trung",
        "中文",
        "中国語",
    ),
}
_LANGUAGE_KEYS = {fold(name): code for code, names in LANGUAGES.items() for name in names}

_SPLIT = re.compile(r"\s*[;,/|]\s*|\s+(?:và|and|va)\s+")

# Multinationals with plants or buying offices in Vietnam (folded, matched as whole words).
# fmt: off
MULTINATIONALS: tuple[str, ...] = (
    "canon", "samsung", "honda", "toyota", "lg", "panasonic", "foxconn", "hon hai", "yamaha",
    "brother", "kyocera", "denso", "nidec", "sumitomo", "mitsubishi", "hitachi", "toshiba",
    "sharp", "sony", "fujitsu", "fuji xerox", "fujifilm", "ricoh", "epson", "seiko", "olympus",
    "nikon", "omron", "murata", "tdk", "yazaki", "furukawa", "mabuchi", "makita", "suzuki",
    "mazda", "nissan", "isuzu", "hino", "mitsuba", "piaggio", "ford", "hyundai", "kia",
    "thaco", "vinfast", "bosch", "siemens", "abb", "schneider", "intel", "apple", "microsoft",
    "goertek", "luxshare", "pegatron", "compal", "wistron", "inventec", "hosiden", "molex",
    "foster", "meiko", "yokowo", "renesas", "rohm", "alps", "daikin", "terumo", "nitto",
    "kurabe", "asahi", "ykk", "nike", "adidas", "puma", "uniqlo", "fast retailing", "zara",
    "inditex", "h&m", "decathlon", "pou chen", "pouchen", "changshin", "tae kwang", "hansae",
    "youngone", "esquel", "wonderful", "haesung", "seojin", "partron", "bujeon", "samsung sdi",
    "samsung display", "lg display", "lg innotek", "lg electronics", "hanwha", "doosan",
    "posco", "amkor", "jabil", "flex", "sanyo", "ikea",
)
# fmt: on
_MNC = re.compile(
    r"\b(?:"
    + "|".join(re.escape(n) for n in sorted(MULTINATIONALS, key=len, reverse=True))
    + r")\b"
)
# Foreign-plant patterns: "... Vietnam/VN" with a company form, Japanese "K.K./Co., Ltd",
# Korean "Vina" names, Taiwanese "Precision Industry" ... folded.
_FOREIGN_FORM = re.compile(
    r"\b(?:co\.?,? ?ltd|co\., ltd|corporation|corp\.?|inc\.?|k\.?k\.?|kabushiki|gmbh|"
    r"plc|pte|s\.?a\.?s|ag|jsc vina|vina|kaisha|seisakusho|kogyo|denki|denshi|"
    r"precision industry|electronics co|chusik|hoesa)\b"
)
_VIETNAM = re.compile(r"\b(?:viet ?nam|vn|vietnam)\b")
_DOMESTIC_FORM = re.compile(r"\b(?:cong ty|cty|tnhh|co phan|ctcp|hop tac xa|tap doan)\b")


def parse_markets(text: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """ISO alpha-2 codes of a ``;``-separated market cell, and the pieces not understood.

    >>> parse_markets("Nhật Bản; korea, US")
    (('JP', 'KR', 'US'), ())
    """
    codes: list[str] = []
    unknown: list[str] = []
    for piece in _SPLIT.split(normalize(text)):
        key = fold(piece).strip(" .")
        if not key:
            continue
        code = _COUNTRY_KEYS.get(key)
        if code is None:
            unknown.append(piece)
        elif code not in codes:
            codes.append(code)
    return tuple(sorted(codes)), tuple(unknown)


def parse_languages(text: object) -> tuple[str, ...]:
    """ISO 639-1 codes (vi, en, ja, ko, zh) of a language cell.

    >>> parse_languages("tiếng Việt; English; 日本語")
    ('en', 'ja', 'vi')
    """
    codes = {_LANGUAGE_KEYS.get(fold(piece).strip(" .")) for piece in _SPLIT.split(normalize(text))}
    codes.discard(None)
    return tuple(sorted(codes))


def _is_multinational(name: str) -> bool:
    key = fold(name)
    if not key:
        return False
    if _MNC.search(key):
        return True
    foreign_form = bool(_FOREIGN_FORM.search(key))
    if _VIETNAM.search(key) and (foreign_form or not _DOMESTIC_FORM.search(key)):
        # "Nidec Vietnam", "ABC Vietnam Co., Ltd": a foreign group's Vietnamese plant.
        return True
    return foreign_form and not _DOMESTIC_FORM.search(key)


def count_multinational_customers(text: object) -> int:
    """How many ``;``-separated customers are recognisably foreign plants.

    >>> count_multinational_customers("Canon Vietnam; Công ty TNHH Cơ khí Hà Nội; Nidec")
    2
    """
    return sum(_is_multinational(piece) for piece in re.split(r"\s*;\s*", normalize(text)) if piece)
