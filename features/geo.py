"""Geography: Hanoi's administrative units, address geocoding, industrial parks, distances.

Administrative units come from the installed ``vietnamadminunits`` package (its SQLite
dataset and its 2025 conversion table), read offline: nothing here touches the network.
The package's own ``convert_address`` is *not* used because, for wards that the July 2025
reform split, it asks an online geocoder.

Addresses are matched word by word: a unit's name counts only when it covers whole words
of the address (``"Phường Hoàn Kiếm"`` never matches *Hướng Hóa* hidden inside
``phuonghoankiem``), and a bare name without its unit type (``Phường``/``Quận``/``Xã``...)
counts only where it is the last thing of its comma-separated part (districts, provinces)
or the whole part (wards), so street names such as ``phố Hồng Hà`` are not taken for wards.
An address that cannot be placed is reported with the reason, never guessed.

Examples
--------
>>> r = geocode("Số 1 Đại Cồ Việt, Hai Bà Trưng, Hà Nội")
>>> (r.district_legacy, r.precision, r.ok)
('Hai Bà Trưng', 'district', True)
>>> resolve_park("KCN Thăng Long II")
'thang_long_ii'
>>> 5 < distance_km("thang_long", "noi_bai") < 15
True
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from features.exceptions import GeoError
from features.text import fold, normalize

__all__ = [
    "is_place_name",
    "GeoResult",
    "GEO_COLUMNS",
    "Park",
    "UnknownParkError",
    "hanoi_units",
    "geocode",
    "geocode_many",
    "plan_district",
    "parks",
    "park",
    "resolve_park",
    "haversine_km",
    "distance_to_parks",
    "distance_km",
    "EARTH_RADIUS_KM",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
_HANOI = "thanhphohanoi"
# Unit-type abbreviations written in addresses; expanded so that typed names are recognised.
_TYPE_ABBREVIATIONS = {
    "q": ["quan"],
    "p": ["phuong"],
    "h": ["huyen"],
    "x": ["xa"],
    "tx": ["thi", "xa"],
    "tt": ["thi", "tran"],
    "tp": ["thanh", "pho"],
}
_TYPE_PREFIXES = ("thanhpho", "tinh", "quan", "huyen", "thixa", "phuong", "xa", "thitran")
_WORD = re.compile(r"[^\W_]+")


class UnknownParkError(GeoError, KeyError):
    """A park id or name does not resolve to one of the parks of ``industrial_parks.csv``."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- admin units


def _keywords(cell: object) -> list[str]:
    return json.loads(cell) if isinstance(cell, str) else []


@lru_cache(maxsize=1)
def _legacy_table() -> pd.DataFrame:
    from vietnamadminunits.database import query

    table = pd.DataFrame(query("SELECT * FROM admin_units_legacy"))
    for column in ("provinceKeywords", "districtKeywords", "wardKeywords"):
        table[column] = table[column].map(_keywords)
    return table


@lru_cache(maxsize=1)
def _table_2025() -> pd.DataFrame:
    from vietnamadminunits.database import query

    table = pd.DataFrame(query("SELECT * FROM admin_units"))
    for column in ("provinceKeywords", "wardKeywords"):
        table[column] = table[column].map(_keywords)
    return table


@lru_cache(maxsize=1)
def _converter() -> dict:
    import vietnamadminunits

    path = resources.files(vietnamadminunits).joinpath("data/converter_2025.json")
    return json.loads(path.read_text(encoding="utf-8"))


def hanoi_units(structure: Literal["legacy", "2025"] = "2025") -> pd.DataFrame:
    """Hanoi's wards and communes with their coordinates.

    Parameters
    ----------
    structure : {"legacy", "2025"}, default "2025"
        ``"legacy"``: the 30 districts and their wards before 1 July 2025;
        ``"2025"``: the 126 wards and communes of the two-level structure.

    Returns
    -------
    pandas.DataFrame
        One row per ward: ``province``, ``district`` (empty for 2025), ``ward`` (with its
        type, ``"Phường Dịch Vọng"``), ``ward_short``, ``ward_type``, ``lat``, ``lon``,
        ``province_code``, ``district_code`` (empty for 2025), ``ward_code``, ``ward_key``
        (the package's key) and, for 2025, ``area_km2``.

    Examples
    --------
    >>> hanoi_units("legacy")["district"].nunique()
    30
    >>> len(hanoi_units("2025"))
    126
    """
    if structure == "legacy":
        rows = _legacy_table().query("provinceKey == @_HANOI")
        out = pd.DataFrame(
            {
                "province": rows["provinceShort"],
                "district": rows["districtShort"],
                "district_type": rows["districtType"],
                "ward": rows["ward"],
                "ward_short": rows["wardShort"],
                "ward_type": rows["wardType"],
                "lat": rows["wardLat"].astype(float),
                "lon": rows["wardLon"].astype(float),
                "province_code": rows["provinceCode"],
                "district_code": rows["districtCode"],
                "ward_code": rows["wardCode"],
                "ward_key": rows["wardKey"],
            }
        )
    elif structure == "2025":
        rows = _table_2025().query("provinceKey == @_HANOI")
        out = pd.DataFrame(
            {
                "province": rows["provinceShort"],
                "district": "",
                "ward": rows["ward"],
                "ward_short": rows["wardShort"],
                "ward_type": rows["wardType"],
                "lat": rows["wardLat"].astype(float),
                "lon": rows["wardLon"].astype(float),
                "province_code": rows["provinceCode"],
                "district_code": "",
                "ward_code": rows["wardCode"],
                "ward_key": rows["wardKey"],
                "area_km2": rows["wardAreaKm2"].astype(float),
            }
        )
    else:
        raise GeoError(
            f"Expected structure 'legacy' or '2025', got {structure!r}. "
            "Use 'legacy' for the 30 districts before July 2025, '2025' for the 126 new wards."
        )
    return out.sort_values(["district", "ward"]).reset_index(drop=True)


@dataclass(frozen=True)
class _Unit:
    key: str
    keywords: tuple[str, ...]
    accented: str  # lower-case short name without spaces, to split folded look-alikes


@dataclass(frozen=True)
class _Gazetteer:
    """Keyword indexes of the package's data, grouped the way an address is read."""

    provinces: tuple[_Unit, ...]
    districts: dict[str, tuple[_Unit, ...]]  # legacy province key -> its districts
    wards: dict[tuple[str, str], tuple[_Unit, ...]]  # (province, district) -> legacy wards
    wards_2025: dict[str, tuple[_Unit, ...]]  # 2025 province key -> its wards
    legacy: dict[tuple[str, str, str], dict]  # (province, district, ward) -> row
    legacy_district: dict[tuple[str, str], dict]
    province_rows: dict[str, dict]
    rows_2025: dict[tuple[str, str], dict]
    province_to_2025: dict[str, str]
    old_to_new: dict[str, tuple[str, ...]]  # "prov_district_ward" -> 2025 ward keys
    new_to_old: dict[tuple[str, str], tuple[str, ...]]  # (2025 province, ward) -> old keys


_NOT_WORD_CHAR = re.compile(r"\W|_")


def _squash(text: str) -> str:
    return _NOT_WORD_CHAR.sub("", text.lower())


def _units(frame: pd.DataFrame, key: str, keywords: str, short: str) -> tuple[_Unit, ...]:
    first = frame.dropna(subset=[key]).drop_duplicates(key)
    return tuple(
        _Unit(k, tuple(kw), _squash(s))
        for k, kw, s in zip(first[key], first[keywords], first[short], strict=True)
    )


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    legacy = _legacy_table()
    new = _table_2025()
    conv = _converter()
    old_to_new: dict[str, list[str]] = {}
    new_to_old: dict[tuple[str, str], list[str]] = {}
    for province, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            for old in old_keys:
                old_to_new.setdefault(old, []).append(new_ward)
                new_to_old.setdefault((province, new_ward), []).append(old)
    for province, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, candidates in olds.items():
            for candidate in candidates:
                old_to_new.setdefault(old, []).append(candidate["newWardKey"])
                new_to_old.setdefault((province, candidate["newWardKey"]), []).append(old)
    return _Gazetteer(
        provinces=_units(legacy, "provinceKey", "provinceKeywords", "provinceShort"),
        districts={
            p: _units(g, "districtKey", "districtKeywords", "districtShort")
            for p, g in legacy.groupby("provinceKey")
        },
        wards={
            pd_: _units(g, "wardKey", "wardKeywords", "wardShort")
            for pd_, g in legacy.dropna(subset=["wardKey"]).groupby(["provinceKey", "districtKey"])
        },
        wards_2025={
            p: _units(g, "wardKey", "wardKeywords", "wardShort")
            for p, g in new.groupby("provinceKey")
        },
        legacy={
            (r["provinceKey"], r["districtKey"], r["wardKey"]): r for r in legacy.to_dict("records")
        },
        legacy_district={
            (r["provinceKey"], r["districtKey"]): r
            for r in legacy.drop_duplicates(["provinceKey", "districtKey"]).to_dict("records")
        },
        province_rows={
            r["provinceKey"]: r for r in legacy.drop_duplicates("provinceKey").to_dict("records")
        },
        rows_2025={(r["provinceKey"], r["wardKey"]): r for r in new.to_dict("records")},
        province_to_2025={
            old: new_ for new_, olds in conv["DICT_PROVINCE"].items() for old in olds
        },
        old_to_new={k: tuple(dict.fromkeys(v)) for k, v in old_to_new.items()},
        new_to_old={k: tuple(dict.fromkeys(v)) for k, v in new_to_old.items()},
    )


@lru_cache(maxsize=1)
def _predominant_districts() -> dict[str, str]:
    """Each Hanoi 2025 ward's name -> the legacy district most of its former wards belonged to; on
    a tie, the district of the former ward whose name it kept (absent when that does not decide)."""
    gaz = _gazetteer()
    out: dict[str, str] = {}
    for (province, ward), olds in gaz.new_to_old.items():
        if province != _HANOI or (province, ward) not in gaz.rows_2025:
            continue
        counts: dict[tuple[str, str], int] = {}
        for old in olds:
            key = tuple(old.split("_")[:2])
            counts[key] = counts.get(key, 0) + 1
        # on a tie, the district of the former ward whose name the new ward kept
        namesake = {tuple(old.split("_")[:2]) for old in olds if old.split("_")[-1] == ward}
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] not in namesake))
        clear = len(ranked) == 1 or ranked[0][1] > ranked[1][1] or (ranked[0][0] in namesake) != (ranked[1][0] in namesake)
        if ranked and clear and ranked[0][0] in gaz.legacy_district:
            out[gaz.rows_2025[(province, ward)]["ward"]] = gaz.legacy_district[ranked[0][0]]["districtShort"]
    return out


def plan_district(district_legacy: str | None, ward_2025: str | None = None) -> str | None:
    """The district a firm is counted in by the plan's tables and a support round's district
    shares: its legacy district, else that of its 2025 ward — the one most of the ward's former
    wards belonged to (``geocode`` leaves ``district_legacy`` empty when the ward took wards of two
    districts; a Hanoi firm written after the July 2025 reform names only its new ward).

    Examples
    --------
    >>> plan_district("Thường Tín", "Xã Thường Tín")
    'Thường Tín'
    >>> plan_district(None, "Xã Thường Tín")  # 8 of its 9 former communes were in Thường Tín
    'Thường Tín'
    >>> plan_district(None, "Phường Định Công")
    'Hoàng Mai'
    >>> plan_district(None, "Phường Vĩnh Tuy")  # two and two: it kept the name of Hai Bà Trưng's ward
    'Hai Bà Trưng'
    >>> plan_district(None, None) is None
    True
    """
    if district_legacy:
        return district_legacy
    return _predominant_districts().get(ward_2025 or "")


# --------------------------------------------------------------------------- address matching


@dataclass
class _Address:
    folded: list[str]
    accented: list[str]
    segment: list[int]
    joined: str
    starts: dict[int, int]  # char offset in joined -> word index starting there
    ends: dict[int, int]  # char offset in joined -> word index ending there


def _prepare(text: str) -> _Address:
    folded: list[str] = []
    accented: list[str] = []
    segment: list[int] = []
    for number, part in enumerate(text.split(",")):
        words = _WORD.findall(part.lower())
        for i, word in enumerate(words):
            f = fold(word)
            # A type abbreviation counts only before a name of the same part ("Q. Cầu Giấy").
            if f in _TYPE_ABBREVIATIONS and i + 1 < len(words):
                expansion = _TYPE_ABBREVIATIONS[f]
                folded.extend(expansion)
                accented.extend(expansion)
                segment.extend([number] * len(expansion))
                continue
            folded.append(f)
            accented.append(word)
            segment.append(number)
    starts, ends, offset = {}, {}, 0
    for i, word in enumerate(folded):
        starts[offset] = i
        offset += len(word)
        ends[offset] = i
    return _Address(folded, accented, segment, "".join(folded), starts, ends)


@dataclass(frozen=True)
class _Match:
    unit: str
    first: int  # word indices, inclusive
    last: int
    typed: bool


def _find(
    address: _Address,
    units: Sequence[_Unit],
    consumed: frozenset[int],
    whole_part: bool,
) -> tuple[_Match | None, str | None]:
    """Best whole-word match of ``units`` in ``address`` (rightmost, then longest).

    Returns the match, or ``None`` with a reason when the best place fits several units.
    """
    found: dict[tuple[int, int], dict[str, bool]] = {}
    for unit in units:
        for keyword in unit.keywords:
            start = address.joined.find(keyword)
            while start != -1:
                first = address.starts.get(start)
                last = address.ends.get(start + len(keyword))
                if (
                    first is not None
                    and last is not None
                    and address.segment[first] == address.segment[last]  # never across a comma
                    and not consumed.intersection(range(first, last + 1))
                ):
                    typed = keyword.startswith(_TYPE_PREFIXES) and keyword == unit.key
                    if typed or _stands_alone(address, first, last, consumed, whole_part):
                        seen = found.setdefault((first, last), {})
                        seen[unit.key] = seen.get(unit.key, False) or typed
                start = address.joined.find(keyword, start + 1)
    if not found:
        return None, None
    (first, last), candidates = max(
        found.items(), key=lambda item: (item[0][1], item[0][1] - item[0][0])
    )
    if len(candidates) > 1:
        # Folded look-alikes (Sa Pa / Sa Pả): the accents written in the address decide.
        written = "".join(address.accented[first : last + 1])
        exact = [u.key for u in units if u.key in candidates and written.endswith(u.accented)]
        if len(exact) != 1:
            names = ", ".join(sorted(candidates))
            return (
                None,
                f"'{' '.join(address.accented[first : last + 1])}' fits several units ({names})",
            )
        candidates = {exact[0]: candidates[exact[0]]}
    key, typed = next(iter(candidates.items()))
    return _Match(key, first, last, typed), None


def _stands_alone(
    address: _Address, first: int, last: int, consumed: frozenset[int], whole_part: bool
) -> bool:
    """An untyped name counts if nothing unconsumed follows it in its part (and, for
    wards, nothing precedes it either)."""
    part = address.segment[first]
    if address.segment[last] != part:
        return False
    others = [i for i, s in enumerate(address.segment) if s == part and i not in consumed]
    after = [i for i in others if i > last]
    before = [i for i in others if i < first]
    return not after and (not whole_part or not before)


@dataclass(frozen=True)
class GeoResult:
    """Where an address is, in the legacy and the 2025 administrative structure.

    Attributes
    ----------
    input : str
        The address as given.
    province_legacy, district_legacy, ward_legacy : str or None
        Before 1 July 2025 (63 provinces). Province and district are short names
        (``"Hà Nội"``, ``"Đông Anh"``); wards carry their type (``"Phường Dịch Vọng"``).
    province_2025, ward_2025 : str or None
        After the reform (34 provinces, no districts).
    lat, lon : float or None
        Centre of the most precise unit recognised.
    precision : {"ward", "district", "province"} or None
    ok : bool
        ``True`` when placed at ward or district level.
    problem : str or None
        Why the address could not be placed (or what is uncertain).
    """

    input: str
    province_legacy: str | None = None
    district_legacy: str | None = None
    ward_legacy: str | None = None
    province_2025: str | None = None
    ward_2025: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: Literal["ward", "district", "province"] | None = None
    ok: bool = False
    problem: str | None = None


GEO_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(GeoResult))


@lru_cache(maxsize=1)
def _place_name_keys() -> frozenset[str]:
    legacy = _legacy_table()
    keys: set[str] = set()
    for column in ("provinceShortKey", "districtShortKey", "provinceKey", "districtKey"):
        keys.update(str(k) for k in legacy[column].dropna())
    return frozenset(keys)


def is_place_name(text: str) -> bool:
    """Whether ``text`` is, whole, the name of a province or district (legacy structure),
    with or without diacritics, spaces or its type word ("Bắc Ninh", "huyen Dong Anh").

    A cheap test before :func:`geocode` for free text that may or may not name a place.

    >>> is_place_name("Bac Ninh"), is_place_name("ép nhựa")
    (True, False)
    """
    return _squash(fold(text)) in _place_name_keys()


def geocode(address: str, default_province: str | None = "Hà Nội") -> GeoResult:
    """Place an address in the legacy and the 2025 administrative units.

    Accepts NFC or NFD text, both tone placements, addresses with or without diacritics,
    legacy (``"P. Dịch Vọng, Q. Cầu Giấy, TP Hà Nội"``) or post-2025 (``"Xã Quang Minh,
    Hà Nội"``) names, and the abbreviations Q., P., H., X., TX, TT, TP and HN.

    Parameters
    ----------
    address : str
        The address as written.
    default_province : str or None, default "Hà Nội"
        Province searched when the address names none (the firms of the programme are in
        Hanoi, and their addresses often stop at the district). ``None`` to require it.

    Returns
    -------
    GeoResult
        ``precision="ward"`` with the ward's centre when a ward is recognised;
        ``"district"`` with the legacy district's centre when only a district is;
        otherwise ``ok=False`` and ``problem`` says why (with the province's centre
        and ``precision="province"`` when at least the province is known).

    Examples
    --------
    >>> geocode("Khu CN Thang Long, Dong Anh, HN").district_legacy
    'Đông Anh'
    >>> geocode("Số 5 ngõ 10").ok
    False
    """
    if not isinstance(address, str):
        address = (
            ""
            if address is None or (isinstance(address, float) and address != address)
            else str(address)
        )
    return replace(_geocode_normalized(normalize(address), default_province), input=address)


@lru_cache(maxsize=200_000)
def _geocode_normalized(text: str, default_province: str | None) -> GeoResult:
    gaz = _gazetteer()
    if not text:
        return GeoResult(
            input=text, problem="empty address: give at least a district or ward and the province"
        )
    address = _prepare(text)
    province, ambiguity = _find(address, gaz.provinces, frozenset(), whole_part=False)
    consumed: frozenset[int] = frozenset()
    if province is not None:
        province_key = province.unit
        consumed = frozenset(range(province.first, province.last + 1))
    elif default_province:
        province_key = _province_key(default_province)
    else:
        return GeoResult(
            input=text, problem=f"no province recognised in '{text}'{_detail(ambiguity)}"
        )
    province_row = gaz.province_rows[province_key]
    province_2025_key = gaz.province_to_2025.get(province_key)
    district, ambiguity_d = _find(
        address, gaz.districts.get(province_key, ()), consumed, whole_part=False
    )
    ward = ward_new = None
    ambiguity_w = ambiguity_n = None
    if district is not None:
        used = consumed | frozenset(range(district.first, district.last + 1))
        ward, ambiguity_w = _find(
            address, gaz.wards.get((province_key, district.unit), ()), used, whole_part=True
        )
    if province_2025_key is not None:
        ward_new, ambiguity_n = _find(
            address, gaz.wards_2025.get(province_2025_key, ()), consumed, whole_part=True
        )
        overlap = (
            district is not None
            and ward_new is not None
            and ward_new.first <= district.last
            and district.first <= ward_new.last
        )
        # A bare name that is both a legacy district and a new ward ("Đông Anh") is read as the
        # district, which is certain; the new ward of that name covers only part of it.
        if overlap and ward is None and (not ward_new.typed or district.typed):
            ward_new = None
        elif overlap and ward is None:
            district = None  # "Phường Cầu Giấy" names the 2025 ward, not the old district
    base = {
        "input": text,
        "province_legacy": province_row["provinceShort"],
        "province_2025": _province_2025_name(province_2025_key),
    }
    if ward is not None:
        row = gaz.legacy[(province_key, district.unit, ward.unit)]
        new_keys = gaz.old_to_new.get(f"{province_key}_{district.unit}_{ward.unit}", ())
        if ward_new is not None and ward_new.unit in new_keys:
            new_keys = (ward_new.unit,)
        ward_2025 = (
            gaz.rows_2025[(province_2025_key, new_keys[0])]["ward"] if len(new_keys) == 1 else None
        )
        problem = None
        if len(new_keys) > 1:
            names = ", ".join(gaz.rows_2025[(province_2025_key, k)]["ward"] for k in new_keys)
            problem = f"legacy ward {row['ward']} was split in 2025 between {names}; name the new ward to choose"
        return GeoResult(
            **base,
            district_legacy=row["districtShort"],
            ward_legacy=row["ward"],
            ward_2025=ward_2025,
            lat=float(row["wardLat"]),
            lon=float(row["wardLon"]),
            precision="ward",
            ok=True,
            problem=problem,
        )
    if ward_new is not None:
        row = gaz.rows_2025[(province_2025_key, ward_new.unit)]
        olds = gaz.new_to_old.get((province_2025_key, ward_new.unit), ())
        district_name = ward_name = None
        if district is not None:
            district_name = gaz.legacy_district[(province_key, district.unit)]["districtShort"]
        else:
            old_districts = {tuple(o.split("_")[:2]) for o in olds}
            if len(old_districts) == 1:
                district_name = gaz.legacy_district[next(iter(old_districts))]["districtShort"]
            if len(olds) == 1 and len(gaz.old_to_new.get(olds[0], ())) == 1:
                ward_name = gaz.legacy.get(tuple(olds[0].split("_")), {}).get("ward")
        old_provinces = {o.split("_")[0] for o in olds}
        if len(old_provinces) == 1:
            base["province_legacy"] = gaz.province_rows[next(iter(old_provinces))]["provinceShort"]
        elif province_key not in old_provinces:
            base["province_legacy"] = None
        return GeoResult(
            **base,
            district_legacy=district_name,
            ward_legacy=ward_name,
            ward_2025=row["ward"],
            lat=float(row["wardLat"]),
            lon=float(row["wardLon"]),
            precision="ward",
            ok=True,
        )
    if district is not None:
        row = gaz.legacy_district[(province_key, district.unit)]
        return GeoResult(
            **base,
            district_legacy=row["districtShort"],
            lat=float(row["districtLat"]),
            lon=float(row["districtLon"]),
            precision="district",
            ok=True,
            problem=_detail(ambiguity_w, lead="") or None,
        )
    reason = ambiguity_d or ambiguity_n
    if province is None:
        return GeoResult(
            input=text,
            problem=f"no province, and no district or ward of {province_row['provinceShort']}, "
            f"recognised in '{text}'{_detail(reason)}",
        )
    return GeoResult(
        **base,
        lat=float(province_row["provinceLat"]),
        lon=float(province_row["provinceLon"]),
        precision="province",
        ok=False,
        problem=f"no district or ward recognised in '{text}' (only the province "
        f"{province_row['provinceShort']}){_detail(reason)}; add the district or ward",
    )


def _detail(reason: str | None, lead: str = "; ") -> str:
    return f"{lead}{reason}" if reason else ""


def _province_key(name: str) -> str:
    address = _prepare(normalize(name))
    match, _ = _find(address, _gazetteer().provinces, frozenset(), whole_part=False)
    if match is None:
        raise GeoError(
            f"Expected default_province to name a Vietnamese province (e.g. 'Hà Nội'), got {name!r}. "
            "Fix the name or pass default_province=None."
        )
    return match.unit


def _province_2025_name(key: str | None) -> str | None:
    if key is None:
        return None
    rows = _table_2025()
    short = rows.loc[rows["provinceKey"] == key, "provinceShort"]
    return str(short.iloc[0]) if len(short) else None


def geocode_many(addresses: Sequence[str], default_province: str | None = "Hà Nội") -> pd.DataFrame:
    """Geocode many addresses; each distinct normalised address is parsed once.

    Parameters
    ----------
    addresses : sequence of str
        Addresses (a list, a pandas Series...). ``None``/NaN give ``ok=False`` rows.
    default_province : str or None, default "Hà Nội"
        See :func:`geocode`.

    Returns
    -------
    pandas.DataFrame
        One row per address, in order (index of a Series is kept), with the
        :class:`GeoResult` fields as columns.
    """
    series = (
        addresses if isinstance(addresses, pd.Series) else pd.Series(list(addresses), dtype=object)
    )
    codes, distinct = pd.factorize(series.astype(object), use_na_sentinel=True)
    results = [asdict(geocode(a, default_province)) for a in distinct]
    results.append(asdict(geocode("", default_province)))  # where the address is missing
    table = pd.DataFrame(results, columns=list(GEO_COLUMNS))
    out = table.iloc[np.where(codes < 0, len(distinct), codes)].reset_index(drop=True)
    out["input"] = series.to_numpy(dtype=object)
    out.index = series.index
    return out


# --------------------------------------------------------------------------- industrial parks


@dataclass(frozen=True)
class Park:
    """An industrial park (khu công nghiệp) where buyers' plants are."""

    park_id: str
    name_vi: str
    name_en: str
    province_legacy: str
    province_2025: str
    district_legacy: str
    lat: float
    lon: float
    aliases: tuple[str, ...]
    notes: str


_PARK_WORDS = re.compile(
    r"\b(khu cong nghiep|khu cn|kcn|cum cong nghiep|industrial (park|zone|estate)|ip|iz|park)\b"
)


@lru_cache(maxsize=1)
def _parks_table() -> pd.DataFrame:
    with (
        resources.files("features")
        .joinpath("data/industrial_parks.csv")
        .open(encoding="utf-8") as f
    ):
        rows = list(csv.DictReader(f))
    table = pd.DataFrame(rows)
    for column in ("lat", "lon"):
        table[column] = table[column].astype(float)
    return table.set_index("park_id", drop=False)


def parks() -> pd.DataFrame:
    """The industrial parks table (``features/data/industrial_parks.csv``), indexed by park_id.

    Columns: park_id, name_vi, name_en, province_legacy, province_2025, district_legacy,
    lat, lon, aliases (``;``-separated), notes. A copy: changing it changes nothing here.

    >>> len(parks())
    22
    """
    return _parks_table().copy()


def park(park_id: str) -> Park:
    """One park by its id.

    Raises
    ------
    UnknownParkError
        With the closest ids and names when ``park_id`` is not a park id.
    """
    table = _parks_table()
    if park_id not in table.index:
        resolved = resolve_park(park_id) if isinstance(park_id, str) else None
        close = difflib.get_close_matches(str(park_id), list(table.index), n=3, cutoff=0.5)
        hint = [resolved] if resolved else close
        suggestion = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise UnknownParkError(
            f"Expected a park id of features/data/industrial_parks.csv (e.g. 'thang_long'), "
            f"got {park_id!r}.{suggestion} Use resolve_park() for names."
        )
    row = table.loc[park_id]
    return Park(
        park_id=row["park_id"],
        name_vi=row["name_vi"],
        name_en=row["name_en"],
        province_legacy=row["province_legacy"],
        province_2025=row["province_2025"],
        district_legacy=row["district_legacy"],
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        aliases=tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
        notes=row["notes"],
    )


def _park_key(text: str) -> str:
    folded = " ".join(_WORD.findall(fold(text)))
    return " ".join(_PARK_WORDS.sub(" ", folded).split())


@lru_cache(maxsize=1)
def _park_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for row in _parks_table().to_dict("records"):
        variants = [
            row["park_id"].replace("_", " "),
            row["name_vi"],
            row["name_en"],
            *row["aliases"].split(";"),
        ]
        for variant in variants:
            key = _park_key(variant)
            if key:
                names.setdefault(key, row["park_id"])
    return names


@lru_cache(maxsize=1)
def _park_name_words() -> int:
    """Words in the longest park name or alias."""
    return max((len(name.split()) for name in _park_names()), default=0)


@lru_cache(maxsize=1)
def _park_first_words() -> frozenset[str]:
    """The first word of every park name or alias (a run of words that is a name starts with one)."""
    return frozenset(name.split(" ")[0] for name in _park_names())


def resolve_park(text: str) -> str | None:
    """The park id a name refers to, or ``None``.

    Accepts ids, Vietnamese names with or without diacritics, English names and the
    usual prefixes (``KCN``, ``Khu CN``, ``Khu công nghiệp``, ``IP``, ``Industrial Park``).
    A name inside a longer text resolves to the longest park name it contains, so
    ``"KCN Thăng Long II, Hưng Yên"`` is *thang_long_ii*, not *thang_long*.

    >>> resolve_park("Thang Long Industrial Park")
    'thang_long'
    >>> resolve_park("KCN Thăng Long II") == "thang_long_ii"
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    key = _park_key(text)
    names = _park_names()
    if key in names:
        return names[key]
    # The names inside: runs of whole words of the key (a dict lookup per run, not a scan of
    # every name for every text), from the words that begin a name.
    words = key.split()
    longest_name = _park_name_words()
    first = _park_first_words()
    inside = [name for i in range(len(words)) if words[i] in first
              for j in range(i + 1, min(len(words), i + longest_name) + 1)
              if (name := " ".join(words[i:j])) in names]
    if not inside:
        return None
    longest = max(len(n) for n in inside)
    ids = {names[n] for n in inside if len(n) == longest}
    return ids.pop() if len(ids) == 1 else None


# --------------------------------------------------------------------------- distances


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between points given in degrees.

    Vectorised: arguments are scalars or arrays that broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        A float when every argument is a scalar.

    >>> round(haversine_km(0, 0, 0, 1), 1)
    111.2
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(distance) if np.ndim(distance) == 0 else distance


def distance_to_parks(lat: float, lon: float) -> pd.Series:
    """Distance in km from a point to every industrial park, indexed by park_id."""
    table = _parks_table()
    km = haversine_km(lat, lon, table["lat"].to_numpy(), table["lon"].to_numpy())
    return pd.Series(km, index=table.index.copy(), name="distance_km")


def _point(place) -> tuple[float, float]:
    if isinstance(place, str):
        p = park(place)
        return p.lat, p.lon
    try:
        lat, lon = (float(v) for v in place)
    except (TypeError, ValueError):
        raise GeoError(
            f"Expected a park id or a (lat, lon) pair, got {place!r}. Pass e.g. 'thang_long' or (21.03, 105.85)."
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeoError(
            f"Expected latitude in [-90, 90] and longitude in [-180, 180], got ({lat}, {lon})."
        )
    return lat, lon


def distance_km(a, b) -> float:
    """Great-circle distance in km between two places, each a park id or a (lat, lon) pair.

    >>> distance_km((21.0, 105.8), (21.0, 105.8))
    0.0
    """
    return haversine_km(*_point(a), *_point(b))
