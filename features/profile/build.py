"""Firm profiles: one row per firm with taxonomy codes, certifications, place, size and
experience, built from firms in the import format (:data:`features.columns.FIRM_COLUMNS`).

Registers repeat themselves (the same description under several branches, the same
certification string, the same industrial-park address), so every parser runs once per
distinct normalised string and the results are spread back over the rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from features import clock
from features.exceptions import CnhtError
from features.numbers import read_numbers
from features.profile._experience import (
    count_multinational_customers,
    parse_languages,
    parse_markets,
)
from features.text import expand_abbreviations, fold, normalize, words

__all__ = [
    "build_profiles",
    "PROFILE_COLUMNS",
    "REQUIRED_COLUMNS",
    "COMPLETENESS_FIELDS",
    "ProfileError",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("firm_id", "name", "description")
PROFILE_COLUMNS: tuple[str, ...] = (
    "name",
    "text",
    "text_folded",
    "sectors",
    "product_groups",
    "processes",
    "materials",
    "evidence",
    "certifications",
    "cert_unparsed",
    "lat",
    "lon",
    "district_legacy",
    "ward_2025",
    "geo_ok",
    "employees",
    "monthly_capacity",
    "founded",
    "export_markets",
    "languages",
    "multinational_customers",
    "completeness",
)
# Fields counted by ``completeness``: each is filled and usable, or not.
COMPLETENESS_FIELDS: tuple[str, ...] = (
    "description",
    "sectors",
    "capabilities",
    "materials",
    "certifications",
    "address",
    "employees",
    "monthly_capacity",
    "founded",
    "export_markets",
    "languages",
    "customers",
)
_TEXT_PARTS: tuple[str, ...] = ("name", "description", "products", "materials", "sectors")
_CAPABILITY_PARTS: tuple[str, ...] = ("description", "products", "materials", "sectors")
_KIND_COLUMN = {
    "sector": "sectors",
    "product_group": "product_groups",
    "process": "processes",
    "material": "materials",
}


class ProfileError(CnhtError, ValueError):
    """Firm records (or the ``as_of`` date) do not have the expected shape or values."""


def _as_of(value: date | str | None) -> date:
    if value is None:
        return clock.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ProfileError(
            f"Expected as_of as a date or 'yyyy-mm-dd', got {value!r}. Pass e.g. "
            f"as_of=date(2026, 1, 1)."
        ) from exc


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _factorize(values: object) -> tuple[np.ndarray, list]:
    """Codes and distinct values; missing cells (None/NaN) get the last code, value None."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    uniques = list(uniques) + [None]
    return np.where(codes < 0, len(uniques) - 1, codes), uniques


def _spread(codes: np.ndarray, results: list) -> np.ndarray:
    """``results[codes]`` as an object array (results may be tuples or dicts)."""
    array = np.empty(len(results), dtype=object)
    for i, result in enumerate(results):
        array[i] = result
    return array[codes]


def _per_distinct(values: object, parse: Callable[[object], object]) -> np.ndarray:
    """``[parse(v) for v in values]`` as an object array, calling ``parse`` once per
    distinct value (missing cells are passed as ``None``)."""
    codes, uniques = _factorize(values)
    return _spread(codes, [parse(u) for u in uniques])


def _marks(text: str) -> int:
    """How marked a spelling is (extra UTF-8 bytes of diacritics): more is less ambiguous."""
    return len(text.encode("utf-8")) - len(text)


def _column(firms: pd.DataFrame, name: str) -> pd.Series:
    if name in firms.columns:
        return firms[name]
    return pd.Series([np.nan] * len(firms), index=firms.index, dtype=object)


def _normalized(firms: pd.DataFrame, name: str) -> np.ndarray:
    """Normalised text of a column ("" when missing), once per distinct cell."""
    return _per_distinct(_column(firms, name), normalize)


def _join(columns: list[np.ndarray]) -> list[str]:
    return [" . ".join(p for p in row if p) for row in zip(*columns, strict=True)]


def _capabilities_of(
    text: str, extract: Callable, taxonomy
) -> tuple[dict[str, set], dict[str, str]]:
    codes: dict[str, set] = {column: set() for column in _KIND_COLUMN.values()}
    evidence: dict[str, str] = {}
    if not text:
        return codes, evidence
    for capability in extract(text, taxonomy=taxonomy):
        column = _KIND_COLUMN.get(capability.kind)
        if column is None:
            continue
        codes[column].add(capability.code)
        evidence.setdefault(capability.code, capability.text)
    return codes, evidence


def _complete_codes(
    raw: dict[str, set], evidence: dict[str, str], taxonomy
) -> dict[str, tuple[str, ...]]:
    """Add ancestors (cnc_milling -> cnc_machining) and the sectors of product groups.

    An implied code takes the evidence of the code that implies it, so every code of a
    profile can say which words it came from. ``evidence`` is completed in place.
    """
    out = {column: set(codes) for column, codes in raw.items()}
    for column in ("processes", "product_groups", "materials", "sectors"):
        for code in sorted(out[column]):
            for ancestor in taxonomy.ancestors(code):
                out[_KIND_COLUMN.get(taxonomy.get(ancestor).kind, column)].add(ancestor)
                if code in evidence:
                    evidence.setdefault(ancestor, evidence[code])
    for code in sorted(out["product_groups"]):
        for sector in taxonomy.get(code).sectors:
            if sector in taxonomy:
                out["sectors"].add(sector)
                if code in evidence:
                    evidence.setdefault(sector, evidence[code])
    return {column: tuple(sorted(codes)) for column, codes in out.items()}


def _certifications_of(text: object, parse: Callable) -> tuple[tuple, tuple[str, ...]]:
    if _is_missing(text) or not normalize(text):
        return (), ()
    parsed = parse(normalize(text))
    unparsed = tuple(getattr(parsed, "unparsed", ()) or ())
    # Only certificates the firm holds, as the database stores them: "Không có IATF 16949" or
    # "IATF 16949 đã bị thu hồi" must never count (the validity rule gives the same answer
    # with or without them).
    return tuple(c for c in parsed if getattr(c, "status", "held") == "held"), unparsed


def _numbers(firms: pd.DataFrame, name: str) -> np.ndarray:
    # The needs' reader: "5.000" is 5000 and "1,5" is 1.5 here too (pd.to_numeric read 5 and NaN).
    return read_numbers(_column(firms, name))


def build_profiles(
    firms: pd.DataFrame,
    as_of: date | None = None,
    *,
    taxonomy=None,
    geocode: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """One profile row per firm: taxonomy codes with evidence, certifications, place,
    size, experience and completeness.

    Parameters
    ----------
    firms : DataFrame
        Firms in the import format of :data:`features.columns.FIRM_COLUMNS`. Only
        ``firm_id``, ``name`` and ``description`` are required; every other column may be
        absent, empty or NaN.
    as_of : date, str (yyyy-mm-dd) or None, default=None
        Date on which certifications count as valid for ``completeness`` (today if None).
    taxonomy : Taxonomy or None, default=None
        ``None`` loads the packaged taxonomy (:func:`features.taxonomy.load_taxonomy`).
    geocode : bool, default=True
        Place addresses with :func:`features.geo.geocode_many`; ``False`` leaves lat/lon NaN.
    progress : bool, default=False
        Print one line per stage (to follow 100,000-firm runs).

    Returns
    -------
    DataFrame
        Index ``firm_id`` (str), columns :data:`PROFILE_COLUMNS`: ``sectors``,
        ``product_groups``, ``processes``, ``materials`` are sorted tuples of codes
        (processes with their ancestors, product groups with their sectors); ``evidence``
        maps code -> the text that matched; ``certifications`` a tuple of the
        :class:`features.certifications.Certification` records the firm holds (status
        ``"held"``; several per code when renewed); ``lat``/``lon`` NaN when the
        address could not be placed; ``completeness`` in [0, 1].

    Raises
    ------
    ProfileError
        When a required column is missing or ``firm_id`` repeats or is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> firms = pd.DataFrame({"firm_id": ["F0001"], "name": ["Cơ khí An Phát"],
    ...                       "description": ["Phay CNC, ép nhựa"]})
    >>> build_profiles(firms, geocode=False).loc["F0001", "processes"]  # doctest: +SKIP
    ('cnc_machining', 'cnc_milling', 'injection_moulding')
    """
    from features.capabilities import extract_capabilities
    from features.certifications import parse_certifications
    from features.taxonomy import load_taxonomy

    if not isinstance(firms, pd.DataFrame):
        raise ProfileError(
            f"Expected a pandas DataFrame of firms, got {type(firms).__name__}. Read the file "
            f"with features.ingest or pandas first."
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in firms.columns]
    if missing:
        raise ProfileError(
            f"Expected firm columns {list(REQUIRED_COLUMNS)}, missing {missing} (got "
            f"{list(firms.columns)[:12]}). Rename the columns or use the import template."
        )
    ids = firms["firm_id"].map(lambda v: "" if _is_missing(v) else str(v).strip())
    empty = np.flatnonzero(ids.to_numpy() == "")
    if len(empty):
        raise ProfileError(
            f"Expected a firm_id on every row, got {len(empty)} empty (first at row "
            f"{int(empty[0])}). Fill firm_id (your own ID, e.g. VN-0001) or drop those rows."
        )
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        raise ProfileError(
            f"Expected unique firm_id values, got repeats {duplicated[:5]}. Keep one row per "
            f"firm (deduplicate with features.ingest)."
        )
    taxonomy = load_taxonomy() if taxonomy is None else taxonomy
    as_of = _as_of(as_of)

    started = time.perf_counter()

    def say(message: str) -> None:
        if progress:
            print(f"build_profiles: {time.perf_counter() - started:7.2f} s  {message}", flush=True)

    n = len(firms)
    parts = {name: _normalized(firms, name) for name in _TEXT_PARTS}
    # Second pass on the normalised cells: NFD, zero-width and tone-placement variants of
    # one cell collapse here, so each parser below sees every distinct cell once.
    distinct = {name: _factorize(parts[name]) for name in _TEXT_PARTS}
    say(f"{n} firms, text normalised")

    text = _join([parts[name] for name in _TEXT_PARTS])
    # Folding is per word, so folding each cell once and joining equals folding the join,
    # and cells repeat across firms where whole texts do not.
    text_folded = _join(
        [
            _spread(codes, [fold(expand_abbreviations(u)) for u in uniques])
            for codes, uniques in (distinct[name] for name in _TEXT_PARTS)
        ]
    )
    say("text folded")

    found = {
        name: [_capabilities_of(u or "", extract_capabilities, taxonomy) for u in distinct[name][1]]
        for name in _CAPABILITY_PARTS
    }
    resolved = [
        frozenset(taxonomy.resolve_many(u, kind="sector")[0]) if u else frozenset()
        for u in distinct["sectors"][1]
    ]
    say("capabilities extracted")

    # Merge per distinct combination of cells, not per firm.
    combos, inverse = np.unique(
        np.column_stack([distinct[name][0] for name in _CAPABILITY_PARTS]),
        axis=0,
        return_inverse=True,
    )
    sectors_at = _CAPABILITY_PARTS.index("sectors")
    merged_codes: list[dict[str, tuple[str, ...]]] = []
    merged_evidence: list[dict[str, str]] = []
    for combo in combos:
        codes: dict[str, set] = {column: set() for column in _KIND_COLUMN.values()}
        evidence: dict[str, str] = {}
        for name, index in zip(_CAPABILITY_PARTS, combo, strict=True):
            part_codes, part_evidence = found[name][index]
            for column, values in part_codes.items():
                codes[column] |= values
            for code, span in part_evidence.items():
                evidence.setdefault(code, span)
        for sector in resolved[combo[sectors_at]]:
            codes["sectors"].add(sector)
            evidence.setdefault(sector, distinct["sectors"][1][combo[sectors_at]])
        merged_codes.append(_complete_codes(codes, evidence, taxonomy))
        merged_evidence.append(evidence)
    inverse = inverse.reshape(-1)
    completed = _spread(inverse, merged_codes)
    evidence_column = _spread(inverse, merged_evidence)
    say(f"codes completed with ancestors ({len(combos)} distinct combinations)")

    certs = _per_distinct(
        _column(firms, "certifications"),
        lambda t: _certifications_of(t, lambda text: parse_certifications(text, as_of)),
    )
    say("certifications parsed")

    address_codes, addresses = _factorize(_normalized(firms, "address"))
    district_codes, districts = _factorize(_normalized(firms, "district"))
    pairs, pair_of_firm = np.unique(
        np.column_stack([address_codes, district_codes]), axis=0, return_inverse=True
    )
    pair_of_firm = pair_of_firm.reshape(-1)
    queries = []
    for a_index, d_index in pairs:
        a, d = addresses[a_index] or "", districts[d_index] or ""
        queries.append(a if (not d or fold(d) in fold(a)) else (f"{a}, {d}" if a else d))
    if geocode:
        from features.geo import geocode_many

        # Spellings of one address (no diacritics, abbreviations, case) share a folded key;
        # the geocoder reads the most marked spelling of each key once.
        keys = [" ".join(words(q)) for q in queries]
        best: dict[str, str] = {}
        for key, q in zip(keys, queries, strict=True):
            held = best.get(key)
            if held is None or _marks(q) > _marks(held):
                best[key] = q
        key_index = {key: i for i, key in enumerate(best)}
        places = geocode_many(list(best.values()))
        rows = np.asarray([key_index[k] for k in keys], dtype=np.int64)[pair_of_firm]
        geo_ok = places["ok"].fillna(False).to_numpy(dtype=bool)[rows]
        lat = pd.to_numeric(places["lat"], errors="coerce").to_numpy(dtype=np.float64)[rows]
        lon = pd.to_numeric(places["lon"], errors="coerce").to_numpy(dtype=np.float64)[rows]
        lat[~geo_ok] = np.nan
        lon[~geo_ok] = np.nan
        district_legacy = (
            places["district_legacy"].fillna("").astype(str).to_numpy(dtype=object)[rows]
        )
        ward_2025 = places["ward_2025"].fillna("").astype(str).to_numpy(dtype=object)[rows]
        say(f"addresses geocoded ({len(best)} distinct)")
    else:
        geo_ok = np.zeros(n, dtype=bool)
        lat = np.full(n, np.nan)
        lon = np.full(n, np.nan)
        district_legacy = np.full(n, "", dtype=object)
        ward_2025 = np.full(n, "", dtype=object)
        say("geocoding skipped")

    markets = _per_distinct(_column(firms, "export_markets"), lambda t: parse_markets(t)[0])
    languages = _per_distinct(_column(firms, "languages"), parse_languages)
    customers_text = _normalized(firms, "customers")
    multinationals = np.asarray(
        _per_distinct(customers_text, count_multinational_customers), dtype=np.int64
    )
    employees = _numbers(firms, "employees")
    capacity = _numbers(firms, "monthly_capacity")
    founded = _numbers(firms, "founded")
    say("size and experience read")

    profiles = pd.DataFrame(
        {
            "name": parts["name"],
            "text": text,
            "text_folded": text_folded,
            "sectors": _spread(np.arange(n), [c["sectors"] for c in completed]),
            "product_groups": _spread(np.arange(n), [c["product_groups"] for c in completed]),
            "processes": _spread(np.arange(n), [c["processes"] for c in completed]),
            "materials": _spread(np.arange(n), [c["materials"] for c in completed]),
            "evidence": evidence_column,
            "certifications": _spread(np.arange(len(certs)), [c for c, _ in certs]),
            "cert_unparsed": _spread(np.arange(len(certs)), [u for _, u in certs]),
            "lat": lat,
            "lon": lon,
            "district_legacy": district_legacy,
            "ward_2025": ward_2025,
            "geo_ok": geo_ok,
            "employees": employees,
            "monthly_capacity": capacity,
            "founded": founded,
            "export_markets": markets,
            "languages": languages,
            "multinational_customers": multinationals,
        },
        index=pd.Index(ids.to_numpy(dtype=object), name="firm_id", dtype=object),
    )
    profiles["completeness"] = _completeness(profiles, parts["description"], customers_text, as_of)
    say("done")
    return profiles


def _completeness(
    profiles: pd.DataFrame, description: list[str], customers: list[str], as_of: date
) -> np.ndarray:
    """Share of :data:`COMPLETENESS_FIELDS` that are filled and usable."""

    def valid_any(certs: tuple) -> bool:
        return any(_cert_valid(c, as_of) for c in certs or ())

    filled = np.column_stack(
        [
            np.fromiter((len(d.split()) >= 3 for d in description), bool, len(description)),
            profiles["sectors"].map(bool).to_numpy(dtype=bool),
            (profiles["processes"].map(bool) | profiles["product_groups"].map(bool)).to_numpy(
                dtype=bool
            ),
            profiles["materials"].map(bool).to_numpy(dtype=bool),
            np.asarray(_per_distinct(profiles["certifications"].tolist(), valid_any), dtype=bool),
            profiles["geo_ok"].to_numpy(dtype=bool),
            profiles["employees"].gt(0).to_numpy(dtype=bool),
            profiles["monthly_capacity"].gt(0).to_numpy(dtype=bool),
            profiles["founded"].between(1900, as_of.year).to_numpy(dtype=bool),
            profiles["export_markets"].map(bool).to_numpy(dtype=bool),
            profiles["languages"].map(bool).to_numpy(dtype=bool),
            np.fromiter((bool(c) for c in customers), bool, len(customers)),
        ]
    )
    assert filled.shape[1] == len(COMPLETENESS_FIELDS)
    return filled.mean(axis=1)


def _cert_valid(certification: object, as_of: date) -> bool:
    is_valid = getattr(certification, "is_valid", None)
    return bool(is_valid(as_of)) if callable(is_valid) else False
