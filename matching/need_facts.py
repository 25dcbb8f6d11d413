"""Facts of a need's free text beyond taxonomy codes: quantity, place, deadline, and warnings.

:func:`read_facts` reads what :func:`matching.needs.parse_need` cannot get from the taxonomy
scanner: quantities with their unit and period (``20,000 pcs/month``, ``240k/year``,
``5.000 cái/tháng``, ``月2万個``), the buyer's place (an industrial park by name, alias or
abbreviation, or a district/province), the deadline (``by 15/03/2027``, ``trước ngày
15/3/2027``, ``2027年3月末まで``), and a bilingual warning for every phrase that looks like
a requirement but was not understood (an unreadable quantity, an unknown park, an unknown
certificate, a material grade code the taxonomy does not know). Nothing is guessed: what
cannot be read is said, never dropped silently.

Examples
--------
>>> facts = read_facts("stamped brackets, 20,000 pcs/month, near Thang Long IP, by 15/03/2027")
>>> facts.quantities[0].per_month, facts.place.park_id, facts.deadline.isoformat()
(20000.0, 'thang_long', '2027-03-15')
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from features.text import fold

__all__ = ["Quantity", "Place", "NeedFacts", "read_facts", "capacity_of", "understood", "warning"]

# Months of a period: a volume per year is /12; a day is a working day (26 a month, the
# six-day week of Vietnamese plants); a week is 52/12 of a month.
_PER_MONTH = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 26.0}


def warning(vi: str, en: str) -> str:
    """One warning in Vietnamese and English, as NeedQuery.warnings holds them."""
    return f"{vi} / {en}"


@dataclass(frozen=True)
class Quantity:
    """A quantity written in a need: ``amount`` ``unit`` per ``period``.

    Attributes
    ----------
    text : str
        The phrase as written (``"20,000 pcs/month"``).
    amount : float
        The number read (``20000.0``).
    unit : str
        ``"pcs"`` for pieces (also sets, units, cái, chiếc, 個, 개, or no unit written);
        otherwise the unit (``"t"``, ``"kg"``, ``"m"``, ``"m2"``, ``"l"``, ``"roll"``).
    period : str or None
        ``"month"``, ``"year"``, ``"week"``, ``"day"``, or None (a total, e.g. an order).
    per_month : float or None
        ``amount`` per month (None without a period).
    minimum : bool
        The text asks for at least this much (``tối thiểu``, ``at least``, ``以上``).
    """

    text: str
    amount: float
    unit: str
    period: str | None
    per_month: float | None
    minimum: bool = False

    @property
    def pieces(self) -> bool:
        """True when the unit counts pieces (what firms' monthly capacity counts)."""
        return self.unit == "pcs"


@dataclass(frozen=True)
class Place:
    """Where the buyer's plant is, as read from the text.

    ``kind`` is ``"park"`` (then ``park_id`` is set) or ``"district"``/``"province"``.
    """

    kind: str
    name_vi: str
    name_en: str
    lat: float
    lon: float
    text: str
    park_id: str = ""


@dataclass(frozen=True)
class NeedFacts:
    """What :func:`read_facts` found: quantities in the order written, one place, one deadline."""

    quantities: tuple[Quantity, ...] = ()
    place: Place | None = None
    deadline: date | None = None
    deadline_text: str = ""
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- scanning text

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if ord(char) >= 0x2000:  # kana keep their voicing marks: ダ is not タ
        return char
    base = unicodedata.normalize("NFD", char.lower())[:1] or char
    base = {"đ": "d"}.get(base, base)
    return base if len(base) == 1 else char


def _scan_text(text: str) -> str:
    """Lower-case, accent-free ``text`` of the SAME length, so spans point into the original."""
    text = text.translate(_FULLWIDTH)
    return "".join(map(_fold_char, text))


_CLAUSE_CUT = re.compile(r"[;\n、。，；]|(?<!\d),|,(?!\d)|(?<!\d)\.|\.(?!\d)|\s[-–]\s")


@lru_cache(maxsize=64)
def _clauses(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of the clauses of ``text``: cut at , ; . (not between digits) 、。 and new lines.

    Quantities, parks and places read the clauses of the same text in turn: cut once."""
    spans = []
    start = 0
    for cut in _CLAUSE_CUT.finditer(text):
        spans.append((start, cut.start()))
        start = cut.end()
    spans.append((start, len(text)))
    return tuple(spans)


# --------------------------------------------------------------------------- quantities

_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_MULTIPLIERS = {
    "k": 1e3, "nghin": 1e3, "ngan": 1e3, "thousand": 1e3, "千": 1e3, "천": 1e3,
    "trieu": 1e6, "tr": 1e6, "million": 1e6, "millions": 1e6, "mn": 1e6, "mil": 1e6,
    "万": 1e4, "만": 1e4, "億": 1e8, "억": 1e8, "m": 1e6,
}
# "1.2M pcs": M is a million only before a piece unit ("2 m" stays two metres).
_MULT = r"k|nghin|ngan|thousand|trieu|tr|millions?|mn|mil|千|万|億|천|만|억|m(?=\s*(?:pcs|pc|pieces?|units?|sets?|parts?)\b)"
_PIECE_UNITS = (r"pcs|pc|pieces?|units?|parts?|sets?|ea|nos|cai|chiec|bo|san pham|sp"
                r"|個|台|枚|本|点|セット|pcs|개|세트|대|ea")
_OTHER_UNITS = {
    "t": r"tan|tons?|tonnes?|t|トン|톤", "kg": r"kgs?|kilograms?|kilos?|キロ|㎏",
    "m2": r"m2|m²|sqm|met vuong|㎡", "m": r"m|met|meters?|metres?|メートル|미터",
    "l": r"lit|liters?|litres?|l|リットル|리터", "roll": r"cuon|rolls?|巻",
}
_UNIT = "|".join([_PIECE_UNITS, *_OTHER_UNITS.values()])
_PERIOD_WORDS = {
    "month": r"month|mo|thang|月|월|ヶ月|か月", "year": r"year|yr|annum|nam|年|년|연",
    "week": r"week|wk|tuan|週|주", "day": r"day|ngay|日|일",
}
_PERIOD = "|".join(f"(?P<p_{k}>{v})" for k, v in _PERIOD_WORDS.items())
_ADVERB_PERIODS = {"month": r"monthly|hang thang|moi thang|毎月|매월|月間",
                   "year": r"annually|yearly|per annum|hang nam|moi nam|年間|연간|매년",
                   "week": r"weekly|hang tuan|moi tuan|毎週|매주", "day": r"daily|hang ngay|moi ngay|毎日|매일"}
_END = r"(?![a-z0-9])"  # a word ends (CJK units and periods need no space after them)
_SUFFIX = re.compile(
    rf"(?<![a-z0-9.,/-])(?P<num>{_NUMBER})(?!\s*[年月日년월일])(?:\s*(?P<mult>{_MULT})(?![a-z]))?\s*(?P<unit>{_UNIT})?{_END}"
    rf"(?:\s*(?:/|per|a|an|each|every|moi|mot|1|tren|hang|/\s*1)\s*(?:{_PERIOD}){_END}"
    rf"|\s*(?P<adverb>{'|'.join(_ADVERB_PERIODS.values())}){_END})?"
)
# Period first (Japanese/Korean, and "monthly volume 20,000 pcs"): 月2万個, 年間24万個, 월 2만 개.
_PREFIX_PERIOD = re.compile(
    r"(?<![0-9])(?P<word>月産|月間|月に|毎月|月|年産|年間|年に|年|週|日産|월간|월|연간|연|년간|매월)\s*(?:約|약)?\s*$"
)
_LOOKBACK_PERIOD = re.compile(
    rf"(?:{'|'.join(_ADVERB_PERIODS.values())}|annual|monthly|per month|per year|moi thang|hang thang"
    r"|hang nam|moi nam|1 thang|1 nam|/thang|/nam)"
)
_MINIMUM = re.compile(r"at least|minimum|\bmin\b|toi thieu|it nhat|khong duoi|tro len|capacity|cong suat"
                      r"|nang luc|以上|最低|能力|이상|최소|≥|>=")
_VAGUE = re.compile(
    r"\b(?:vai|may|hang|nhieu|several|a few|few|many|lots of|a lot of|thousands of|hundreds of|tens of"
    r"|large|high|huge|big|massive|some)\s+(?:tram|nghin|ngan|chuc|trieu|thousand|hundred|million)?\s*"
    r"(?:volumes?|quantit(?:y|ies)|pcs|pc|pieces?|units?|parts?|cai|chiec|san pham|sp)\b"
    r"|\b(?:vai|may|hang|nhieu)\s+(?:tram|nghin|ngan|chuc|trieu)\b"
    r"|\b(?:several|a few|few)\s+(?:thousand|hundred|million)\b|\bthousands of\b"
    r"|数(?:十|百|千|万)(?:個|台|枚|本|点)?|大量|多数|수(?:십|백|천|만)\s*(?:개|대)?|대량"
)
_VAGUE_PERIOD_TAIL = re.compile(rf"\s*(?:/|per|a|each|moi|mot|hang)?\s*(?:{_PERIOD})?{_END}")
_BARE_UNIT = re.compile(r"(?<![a-z0-9])pcs\b|(?<![a-z0-9])(?:cai|chiec)\s*(?:/|moi|mỗi)\s*(?:thang|nam)")


_OTHER_UNIT_PATTERNS = {unit: re.compile(pattern) for unit, pattern in _OTHER_UNITS.items()}
_ADVERB_PATTERNS = {period: re.compile(pattern) for period, pattern in _ADVERB_PERIODS.items()}


def _unit_of(written: str | None) -> str:
    if not written:
        return "pcs"
    for unit, pattern in _OTHER_UNIT_PATTERNS.items():
        if pattern.fullmatch(written):
            return unit
    return "pcs"


def _amount(number: str, mult: str | None) -> float | None:
    from features.numbers import read_number

    value = read_number(number.replace("\u00a0", " ").replace("\u202f", " "))
    if value is None:
        return None
    return value * _MULTIPLIERS.get(mult or "", 1.0)


def _period_of(match: re.Match) -> str | None:
    groups = match.groupdict()
    for period in _PER_MONTH:
        if groups.get(f"p_{period}"):
            return period
    adverb = groups.get("adverb")
    if adverb:
        return next(p for p, pattern in _ADVERB_PATTERNS.items() if pattern.fullmatch(adverb))
    return None


def _prefix_period(word: str) -> str:
    if word.startswith(("月", "毎月", "월", "매월")):
        return "month"
    if word.startswith(("週",)):
        return "week"
    if word.startswith(("日",)):
        return "day"
    return "year"


def _quantities(text: str, scan: str) -> tuple[list[Quantity], list[tuple[int, int]], list[str]]:
    """Quantities of ``text`` (``scan`` is its folded twin), their spans, and warnings."""
    found: list[Quantity] = []
    spans: list[tuple[int, int]] = []
    warnings: list[str] = []
    for start, end in _clauses(scan):
        clause = scan[start:end]
        for match in _SUFFIX.finditer(clause):
            unit_written, mult = match["unit"], match["mult"]
            period = _period_of(match)
            before = clause[: match.start()]
            prefix = _PREFIX_PERIOD.search(before)
            if period is None and prefix:
                period = _prefix_period(prefix["word"])
            if not (unit_written or period or (mult and mult in "万만")):
                continue  # a bare number: a grade, a tolerance, a standard, not a quantity
            if period is None and _LOOKBACK_PERIOD.search(before[-40:]):
                period = "year" if re.search(r"annual|nam|year|年|연", before[-40:]) else "month"
            unit = _unit_of(unit_written)
            if unit != "pcs" and period is None:
                continue  # "2 m", "0.5 kg": a size or a weight, not a volume
            amount = _amount(match["num"], mult)
            first = start + (prefix.start() if prefix else match.start())
            last = start + match.end()
            phrase = text[first:last].strip()
            if amount is None:
                warnings.append(warning(f"Không đọc được số lượng '{phrase}'",
                                        f"Could not read the quantity '{phrase}'"))
                continue
            per_month = amount * _PER_MONTH[period] if period else None
            minimum = bool(_MINIMUM.search(before[-40:] + scan[last:last + 8]))
            found.append(Quantity(phrase, amount, unit, period, per_month, minimum))
            spans.append((first, last))
            if unit != "pcs":
                warnings.append(warning(
                    f"Số lượng '{phrase}' tính theo {unit}, không phải số chiếc: đã ghi nhận, không dùng để so công suất",
                    f"Quantity '{phrase}' is in {unit}, not pieces: kept, not compared with capacity"))
            elif period is None:
                warnings.append(warning(
                    f"Số lượng '{phrase}' không có kỳ (tháng/năm): coi là tổng, không dùng để so công suất",
                    f"Quantity '{phrase}' has no period (per month/year): read as a total, not compared with capacity"))
    for pattern in (_VAGUE, _BARE_UNIT):
        for match in pattern.finditer(scan):
            if any(a <= match.start() < b or a < match.end() <= b for a, b in spans):
                continue
            end = match.end() + len(_VAGUE_PERIOD_TAIL.match(scan, match.end())[0])
            phrase = text[match.start():end].strip()
            spans.append((match.start(), end))
            warnings.append(warning(
                f"Không đọc được số lượng '{phrase}': ghi số và đơn vị, ví dụ 5.000 cái/tháng",
                f"Could not read the quantity '{phrase}': write a number and a unit, e.g. 5,000 pcs/month"))
    return found, spans, warnings


# --------------------------------------------------------------------------- place

# Names of provinces and districts as Japanese and Korean buyers write them.
_FOREIGN_PLACES = {
    "ハノイ": "Hà Nội", "하노이": "Hà Nội", "バクニン": "Bắc Ninh", "박닌": "Bắc Ninh",
    "ハイフォン": "Hải Phòng", "하이퐁": "Hải Phòng", "フンイエン": "Hưng Yên", "흥옌": "Hưng Yên",
    "ハイズオン": "Hải Dương", "하이즈엉": "Hải Dương", "タイグエン": "Thái Nguyên",
    "타이응우옌": "Thái Nguyên", "ヴィンフック": "Vĩnh Phúc", "ビンフック": "Vĩnh Phúc", "빈푹": "Vĩnh Phúc",
    "バクザン": "Bắc Giang", "박장": "Bắc Giang", "ハナム": "Hà Nam", "ドンアイン": "Đông Anh, Hà Nội",
    "ホーチミン": "Hồ Chí Minh", "호찌민": "Hồ Chí Minh", "호치민": "Hồ Chí Minh", "ダナン": "Đà Nẵng", "다낭": "Đà Nẵng",
}
_PLACE_CUE = re.compile(
    r"\b(?:near|nearby|close to|around|in|at|located in|within|from|to|gan|tai|o|quanh|khu vuc|lan can"
    r"|giao hang (?:den|toi|tai)|giao (?:den|toi|tai)|nha may (?:o|tai))\s+"
)
_PLACE_TYPE_WORDS = re.compile(r"\b(?:district|province|city|area|region|vicinity|suburbs?|outskirts|vn|vietnam"
                               r"|viet nam|va (?:lan can|vung lan can)|lan can)\b")
_PARK_BEFORE = re.compile(r"\b(?:khu cong nghiep|khu cn|kcn|cum cong nghiep|ccn)\s+(?P<name>[a-z0-9' ]{1,40})")
_PARK_AFTER = re.compile(r"(?P<name>(?:[a-z0-9']+\s+){1,5}?)(?:industrial\s+(?:park|zone|estate)|ip|iz)\b")
_PARK_CJK = re.compile(r"(?P<name>[\u30A0-\u30FF\u4E00-\u9FFFA-Za-z0-9]{1,12})工業団地"
                       r"|(?P<ko>[가-힣A-Za-z0-9]{1,12})\s*(?:산업단지|산업공단|공단|산단)")
# Words every match of the pattern above contains: without one, the pattern cannot match.
_PARK_BEFORE_WORDS = ("khu c", "kcn", "cum cong nghiep", "ccn")
_PARK_AFTER_HINT = re.compile(r"\s(?:industrial|ip|iz)")  # a name's last space, then the word
_PARK_CJK_WORDS = ("工業団地", "산업단지", "공단", "산단")


def _could_be(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


_PARK_STOP = {"near", "in", "at", "to", "from", "around", "close", "by", "the", "our", "plant", "factory",
              "located", "of", "within", "km", "a", "an", "delivery", "deliver", "site", "nearby", "with"}


@lru_cache(maxsize=1)
def _cjk_park_aliases() -> tuple[tuple[str, str], ...]:
    from features.geo import parks

    pairs = [(alias.strip(), park_id) for park_id, aliases in parks()["aliases"].items()
             for alias in aliases.split(";") if re.search(r"[\u3040-\u9FFF가-힣]", alias)]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def _park_place(park_id: str, phrase: str) -> Place:
    from features.geo import park

    found = park(park_id)
    return Place("park", found.name_vi, found.name_en, found.lat, found.lon, phrase, park_id)


def _known_parks() -> str:
    from features.geo import parks

    return ", ".join(name.replace("Khu công nghiệp ", "") for name in parks()["name_vi"])


def _parks(text: str, scan: str) -> tuple[Place | None, list[str]]:
    """The park named in ``text`` (longest name wins), and warnings for park-like phrases not known."""
    from features.geo import resolve_park

    unknown: list[str] = []
    found: Place | None = next((_park_place(park_id, alias) for alias, park_id in _cjk_park_aliases()
                                if alias in text), None)
    for start, end in _clauses(scan):
        clause = scan[start:end]
        # Each pattern only where the words it needs are written (a substring test is far
        # cheaper than trying the pattern at every position of every clause).
        cues = [(m, m["name"]) for m in _PARK_BEFORE.finditer(clause)] if _could_be(clause, _PARK_BEFORE_WORDS) else []
        for m in _PARK_AFTER.finditer(clause) if _PARK_AFTER_HINT.search(clause) else ():
            words = m["name"].split()
            while words and any(w in _PARK_STOP for w in words):
                words = words[next(i for i, w in enumerate(words) if w in _PARK_STOP) + 1:]
            cues.append((m, " ".join(words)))
        written = text[start:end]
        if _could_be(written, _PARK_CJK_WORDS):
            cues += [(m, m["name"] or m["ko"]) for m in _PARK_CJK.finditer(written)]
        park_id = resolve_park(clause)
        if park_id is not None:
            found = found or _park_place(park_id, text[start:end].strip())
            continue
        for m, name in cues:
            if name.strip() and resolve_park(name) is None and not (found and name in found.text):
                unknown.append(text[start + m.start():start + m.end()].strip())
    warnings = [warning(
        f"Không biết khu công nghiệp '{phrase}'; các KCN đã biết: {_known_parks()}",
        f"Unknown industrial park '{phrase}'; known parks: {_known_parks()}") for phrase in dict.fromkeys(unknown)]
    return found, warnings


_ASCII_WORDS = re.compile(r"[a-z0-9]+")
_UNIT_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp|huyen|quan|thi xa)\s+")


def _geocoded(phrase: str) -> Place | None:
    """A province or district that ``phrase`` names entirely (never a guess from part of it)."""
    from features.geo import geocode, is_place_name

    wanted = " ".join(_ASCII_WORDS.findall(fold(phrase)))
    wanted = _UNIT_PREFIX.sub("", wanted)
    if not wanted or not (is_place_name(wanted) or is_place_name(wanted.removesuffix(" city"))):
        return None  # not a province or district name: no geocoding of every clause
    for default in (None, "Hà Nội"):
        found = geocode(phrase, default_province=default)
        if found.lat is None:
            continue
        if found.precision == "district" and fold(found.district_legacy or "") == wanted:
            return Place("district", f"{found.district_legacy}, {found.province_legacy}",
                         f"{fold(found.district_legacy).title()}, {fold(found.province_legacy).title()}",
                         found.lat, found.lon, phrase)
        if found.precision == "province" and fold(found.province_legacy or "") in {wanted, wanted.removesuffix(" city")}:
            return Place("province", found.province_legacy, fold(found.province_legacy).title(),
                         found.lat, found.lon, phrase)
    return None


def _place(text: str, scan: str) -> tuple[Place | None, list[str]]:
    found, warnings = _parks(text, scan)
    if found is not None:
        return found, warnings
    for name, vietnamese in _FOREIGN_PLACES.items():
        if name in text:
            place = _geocoded(vietnamese.split(",")[0])
            if place is not None:
                return Place(place.kind, place.name_vi, place.name_en, place.lat, place.lon, name), warnings
    for start, end in _clauses(scan):
        clause = _PLACE_TYPE_WORDS.sub(" ", scan[start:end])
        candidates = [clause]
        candidates += [clause[m.end():] for m in _PLACE_CUE.finditer(clause)]
        for candidate in candidates:
            words = candidate.split()
            if not words or len(words) > 4 or any(map(str.isdigit, candidate)):
                continue
            place = _geocoded(" ".join(words))
            if place is not None:
                where = re.search(r"\s+".join(map(re.escape, words)), scan[start:end])
                written = text[start + where.start():start + where.end()] if where else text[start:end].strip()
                return Place(place.kind, place.name_vi, place.name_en, place.lat, place.lon, written), warnings
    return None, warnings


# --------------------------------------------------------------------------- deadline

_MONTHS = {name: number for number, names in enumerate(
    ["", "jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"]) for name in names.split()}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = [
    ("ymd", re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")),
    ("dmy", re.compile(r"(?<![\d/.-])(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?!\d)")),
    ("cjk", re.compile(r"(?P<y>\d{4})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?:(?P<d>\d{1,2})\s*[日일]|(?P<part>末|上旬|中旬|下旬|말|초|중순))?")),
    ("en_dmy", re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b")),
    ("en_mdy", re.compile(rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b")),
    ("en_my", re.compile(rf"\b(?:end of\s+)?(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b")),
    ("vi_my", re.compile(r"\bthang\s*(?P<m>\d{1,2})\s*(?:/|nam|-)\s*(?P<y>\d{4})\b")),
    ("my", re.compile(r"(?<![\d/.-])(?P<m>\d{1,2})/(?P<y>\d{4})(?!\d)")),
]
_DEADLINE_BEFORE = re.compile(
    r"(?:\bby|\bbefore|deadline|\bdue|no later than|not later than|\buntil|\btill|samples?|delivery|\bsop"
    r"|truoc|han chot|\bhan|cham nhat|giao hang|giao mau|\bgiao|\bkip|納期|期限|納入|마감|납기|까지)\W*(?:ngay|on|is|:)?\W*$"
)
_DEADLINE_AFTER = re.compile(r"^\s*(?:まで|までに|迄|까지|이전|전)")
_VALIDITY = re.compile(r"(?:valid|hieu luc|het han|expir|有効|유효)\W*(?:\w+\W+){0,2}$")


def _date_of(kind: str, m: re.Match) -> date:
    year = int(m["y"])
    month = _MONTHS[m["mon"]] if "mon" in m.groupdict() and m["mon"] else int(m["m"])
    last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
    day = m.groupdict().get("d")
    part = m.groupdict().get("part")
    if day:
        return date(year, month, int(day))
    if part in ("上旬", "초"):
        return date(year, month, 10)
    if part in ("中旬", "중순"):
        return date(year, month, 20)
    return date(year, month, last)


def _deadline(text: str, scan: str, taken: list[tuple[int, int]]) -> tuple[date | None, str, list[str]]:
    warnings: list[str] = []
    deadline, phrase = None, ""
    for kind, pattern in _DATES:
        for m in pattern.finditer(scan):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            written = text[m.start():m.end()]
            before, after = scan[max(0, m.start() - 30):m.start()], scan[m.end():m.end() + 6]
            if _VALIDITY.search(before):
                continue  # a certificate's validity, not the need's deadline
            try:
                day = _date_of(kind, m)
            except ValueError:
                warnings.append(warning(f"Ngày '{written}' không hợp lệ", f"Date '{written}' is not a valid date"))
                continue
            if _DEADLINE_BEFORE.search(before) or _DEADLINE_AFTER.search(after):
                if deadline is None:
                    deadline, phrase = day, written
                continue
            warnings.append(warning(
                f"Ngày '{written}' không rõ là hạn chót: viết 'trước ngày {day:%d/%m/%Y}' nếu là hạn",
                f"Date '{written}' not read as the deadline: write 'by {day:%d/%m/%Y}' if it is one"))
    return deadline, phrase, warnings


# --------------------------------------------------------------------------- certificates, grades

_CERT_LIKE = re.compile(
    r"(?<![\w/])(?:ISO(?:/TS|/IEC)?|[Ii]so|IATF|IECQ|IEC|JIS\s?Q|TCVN(?:\s?ISO)?|AS|EN|OHSAS|SA|VDA|QC|UL)"
    r"\s?[-:]?\s?\d{2,6}(?:[-:.]\d{1,4})*"
    r"(?:\s+(?:level|class|grade|part|cấp|loại|cap|loai|レベル|등급)\s*[\w.]+)?"
)
_QUALIFIER = re.compile(r"\s+(?:level|class|grade|cấp|loại|cap|loai|レベル|등급)\s*[\w.]+$")
_LETTER_GRADES = frozenset(
    "SPCC SPCD SPCE SPHC SPHD SPHE SECC SECD SGCC SGCD SAPH SPTE SPFC POM PBT PPS PEEK PMMA PVC ABS PP PE "
    "HDPE LDPE PET PETG TPU TPE EPDM NBR FKM PTFE LCP PPA PPO PPE ASA HIPS PC SAN EVA PA PU PEI PSU".split())
_GRADE = re.compile(r"(?<![\w/+-])(?:[A-Z]{1,4}-?\d{1,5}[A-Z]{0,2}(?:-[A-Z]{1,2}\d{1,2})?|[A-Z]{2,5}(?:[/+][A-Z]{2,5})+"
                    r"|[A-Z]{2,5})(?![\w+])")
_NOT_GRADES = re.compile(r"^(?:ISO|IATF|IEC|IECQ|IPC|JIS|TCVN|ASTM|UL|IP|EN|MIL|AS|QS|OHSAS|SA|VDA|CE|GMP|TS|BS"
                         r"|DIN|ANSI|SAE|HACCP|FSSC|BRC|QC|ROHS|REACH|USB|LED|CNC|SMT|PCB|PCBA|OEM|ODM|FDI|MOQ|EMS"
                         r"|KCN|IP|IZ|VSIP|TLIP|Q|M|R|T|X|V|W|CO|HS|VN|JP|KR|US|EU|N|SOP|PPAP|FAI|APQP)(?:\d|$|-)")


def _certificate_warnings(text: str) -> list[str]:
    from matching.needs import _parse_certifications

    warnings = []
    for m in _CERT_LIKE.finditer(text):
        mention = m.group(0)
        qualifier = _QUALIFIER.search(mention)
        core = mention[: qualifier.start()] if qualifier else mention
        codes, _ = _parse_certifications(core)
        if not codes:
            warnings.append(warning(
                f"Không biết chứng nhận '{mention}': kiểm tra lại số hiệu (ví dụ ISO 9001, IATF 16949)",
                f"Unknown certificate '{mention}': check the number (e.g. ISO 9001, IATF 16949)"))
        elif qualifier and not re.search(r"part", qualifier.group(0)):
            warnings.append(warning(
                f"Đã hiểu '{core}', nhưng không hiểu '{qualifier.group(0).strip()}'",
                f"Read '{core}', but not '{qualifier.group(0).strip()}'"))
    return warnings


def _grade_warnings(text: str, covered: Iterable[tuple[int, int]], taxonomy: object) -> list[str]:
    """Tokens shaped like a material grade (SPCC, SUS304, A5052, ADC12, PA66) the taxonomy does not know."""
    covered = list(covered)
    out: list[str] = []
    for m in _GRADE.finditer(text):
        token = m.group(0)
        letters = re.match(r"[A-Z]+", token).group(0)
        digits = sum(c.isdigit() for c in token)
        if "/" in token or "+" in token:
            shaped = all(part in _LETTER_GRADES for part in re.split(r"[/+]", token))
        elif digits == 0:
            shaped = token in _LETTER_GRADES
        else:
            shaped = (len(letters) == 1 and digits >= 4) or (len(letters) >= 2 and digits >= 2) \
                or token.replace("-", "") in {"FR4", "PA6"}
        if not shaped or _NOT_GRADES.match(token.upper()):
            continue
        if any(a <= m.start() and m.end() <= b for a, b in covered):
            continue
        if taxonomy is not None and taxonomy.resolve(token) is not None:
            continue
        out.append(warning(
            f"Mã vật liệu '{token}' không có trong danh mục: không dùng khi xếp hạng",
            f"Material grade '{token}' is not in the taxonomy: not used for ranking"))
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- entry point


def read_facts(text: str, *, covered: Iterable[tuple[int, int]] = (), taxonomy: object | None = None) -> NeedFacts:
    """Quantities, place, deadline and warnings of a need's free text.

    Parameters
    ----------
    text : str
        The need's normalised text (title and description).
    covered : iterable of (start, end), default ()
        Spans of ``text`` the taxonomy scanner already read (their grade codes are known).
    taxonomy : optional
        Used to tell known material grades from unknown ones (None: no grade warnings).

    Returns
    -------
    NeedFacts
    """
    if not text:
        return NeedFacts()
    scan = _scan_text(text)
    quantities, spans, warnings = _quantities(text, scan)
    place, place_warnings = _place(text, scan)
    deadline, phrase, date_warnings = _deadline(text, scan, list(spans))
    warnings += place_warnings + date_warnings + _certificate_warnings(text)
    if taxonomy is not None:
        warnings += _grade_warnings(text, covered, taxonomy)
    return NeedFacts(tuple(quantities), place, deadline, phrase, tuple(dict.fromkeys(warnings)))


def capacity_of(quantities: Iterable[Quantity]) -> tuple[float, float]:
    """(minimum monthly capacity, target monthly capacity) asked by ``quantities`` (NaN: none).

    The first quantity in pieces with a period sets the target (as an annual volume does);
    it is a minimum, a hard constraint, only when the text says so (``at least``, ``tối thiểu``).
    """
    for quantity in quantities:
        if quantity.pieces and quantity.per_month is not None:
            target = float(quantity.per_month)
            return (target if quantity.minimum else math.nan), target
    return math.nan, math.nan


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 3)


def understood(need_query, taxonomy: object | None = None) -> dict:
    """What was understood of a need, JSON-ready: the one place the CLI, the API and pages read it from.

    Parameters
    ----------
    need_query : matching.NeedQuery
    taxonomy : optional
        For the codes' labels (default: ``features.taxonomy``'s).

    Returns
    -------
    dict
        ``processes``, ``materials``, ``product_groups``, ``sectors``: lists of
        ``{"code", "vi", "en"}``; ``quantity``: ``{"per_month", "text", "amount", "unit",
        "period", "minimum"}`` or None, and every quantity under ``quantities``;
        ``min_monthly_capacity``, ``target_capacity`` (pieces per month or None);
        ``place``: ``{"kind", "park_id", "name_vi", "name_en", "lat", "lon", "text"}`` or None;
        ``certifications``: ``{"mandatory": [...], "preferred": [...]}`` (labelled codes);
        ``deadline``: ``"yyyy-mm-dd"`` or None; ``warnings``: list of "vi / en" strings.

    Examples
    --------
    >>> from matching.needs import parse_need
    >>> understood(parse_need("ép nhựa ABS, 5.000 cái/tháng"))["quantity"]["per_month"]
    5000.0
    """
    from matching.needs import _default_taxonomy

    tax = _default_taxonomy(taxonomy)

    def labelled(codes) -> list[dict]:
        out = []
        for code in codes:
            term = tax.get(code) if code in tax else None
            out.append({"code": code, "vi": term.label("vi") if term else code,
                        "en": term.label("en") if term else code})
        return out

    def quantity(q: Quantity) -> dict:
        return {"per_month": _number(q.per_month), "text": q.text, "amount": _number(q.amount),
                "unit": q.unit, "period": q.period, "minimum": q.minimum}

    quantities = [quantity(q) for q in need_query.quantities]
    chosen = next((q for q, raw in zip(quantities, need_query.quantities, strict=True)
                   if raw.pieces and raw.per_month is not None), None)
    place = None
    if need_query.park_id:
        from features.geo import park

        try:
            found = park(need_query.park_id)
            place = {"kind": "park", "park_id": found.park_id, "name_vi": found.name_vi,
                     "name_en": found.name_en, "lat": found.lat, "lon": found.lon,
                     "text": need_query.place.text if need_query.place else ""}
        except KeyError:
            place = {"kind": "park", "park_id": need_query.park_id, "name_vi": "", "name_en": "",
                     "lat": None, "lon": None, "text": ""}
    elif not (math.isnan(need_query.lat) or math.isnan(need_query.lon)):
        read = need_query.place
        place = {"kind": read.kind if read else "point", "park_id": None,
                 "name_vi": read.name_vi if read else "", "name_en": read.name_en if read else "",
                 "lat": need_query.lat, "lon": need_query.lon, "text": read.text if read else ""}
    return {
        "processes": labelled(need_query.processes),
        "materials": labelled(need_query.materials),
        "product_groups": labelled(need_query.product_groups),
        "sectors": labelled(need_query.sectors),
        "quantity": chosen,
        "quantities": quantities,
        "min_monthly_capacity": _number(need_query.min_monthly_capacity),
        "target_capacity": _number(need_query.target_capacity),
        "place": place,
        "certifications": {"mandatory": labelled(need_query.mandatory_certifications),
                           "preferred": labelled(need_query.preferred_certifications)},
        "deadline": need_query.deadline.isoformat() if need_query.deadline else None,
        "warnings": list(need_query.warnings),
    }
