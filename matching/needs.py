"""A buyer's need, parsed from free text and/or the structured fields of ``NEED_COLUMNS``.

A need arrives as a row of ``needs.csv``, a dict typed in a notebook, or a sentence typed
on the command line (``"vỏ nhôm CNC cho camera, ISO 9001"``). :func:`parse_need` turns each
into one :class:`NeedQuery`: taxonomy codes for processes, materials and sectors (from the
structured fields and from the text), mandatory and preferred certification codes, the
capacity asked for, the date the certificates must be valid on, and where the buyer's plant is.

Examples
--------
>>> q = parse_need({"need_id": "N-1", "processes": "cnc_milling", "min_monthly_capacity": 500})
>>> q.processes, q.min_monthly_capacity
(('cnc_milling',), 500.0)
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache

import pandas as pd

from features import clock
from features.columns import LIST_SEPARATOR, NEED_COLUMNS
from features.dates import DATE_FORMATS, read_date
from features.numbers import read_number
from features.text import normalize
from matching.exceptions import NeedError
from matching.need_facts import NeedFacts, Place, Quantity, capacity_of, read_facts, warning

__all__ = ["NeedQuery", "NeedCache", "parse_need", "parse_needs"]

# Extra keys a need may carry beyond the import columns (ad-hoc and API use).
_EXTRA_KEYS = {
    "text",
    "require_sector",
    "exclude_firms",
    "park_id",
    "lat",
    "lon",
    "buyer_country",
}
_KNOWN_KEYS = frozenset(NEED_COLUMNS) | _EXTRA_KEYS | {"buyer_name", "park_name"}


@dataclass(frozen=True)
class NeedQuery:
    """One need, ready to be scored against firms.

    Attributes
    ----------
    need_id : str
        The need's id (``"adhoc-1"`` ... for free-text needs without one).
    text : str
        Normalised title + description (what the text component compares).
    sectors, processes, materials : tuple of str
        Taxonomy codes asked for (structured fields and codes found in the text).
    product_groups : tuple of str
        Product concepts named in the text (taxonomy kind ``product_group``): what the buyer
        wants made (wire harness, corrugated cartons), compared by the concept channel.
    context : tuple of str
        Codes of the text that name what the part is for ("castings for electric motors":
        motors), weighed less by the concept channel.
    mandatory_certifications, preferred_certifications : tuple of str
        Certification codes. Mandatory ones are hard constraints; free-text mentions are
        preferred unless the structured field lists them.
    min_monthly_capacity : float
        Pieces per month a supplier must reach (NaN when not given); ``annual_volume / 12``
        is used as a soft target when only the volume is known (see ``target_capacity``).
    target_capacity : float
        Capacity the capacity component compares with (NaN when none).
    as_of : datetime.date
        Date mandatory certificates must be valid on (``created``, else today).
    require_sector : bool or None
        Whether the sector is a hard constraint (None: the matcher's hyper-parameter decides).
    exclude_firms : tuple of str
        Firms never to rank for this need.
    park_id : str
        Industrial park of the buyer's plant (``""`` when unknown); ``lat``/``lon`` win.
    lat, lon : float
        Location of the buyer's plant (NaN when unknown).
    buyer_id, buyer_country : str
        The buyer and its country (ISO alpha-2), ``""`` when unknown.
    evidence : dict
        Code -> the span of the need's text that mentioned it.
    deadline : datetime.date or None
        Date the buyer wants samples by (the ``deadline`` field, else read from the text).
    words : str or None
        The text the word channel compares: ``text`` without the phrases that became facts
        of their own (the place, the quantities), whose words would otherwise favour firms
        that merely mention "Thăng Long" or "tháng" (None: the whole ``text``).
    quantities : tuple of matching.need_facts.Quantity
        Quantities written in the text, with unit and period (the first in pieces per
        month or year sets ``target_capacity`` when no structured field does).
    place : matching.need_facts.Place or None
        The park, district or province read from the text (it sets ``park_id`` or
        ``lat``/``lon`` unless structured fields give them).
    warnings : tuple of str
        What looked like a requirement but was not understood, in Vietnamese / English.
    """

    need_id: str
    text: str = ""
    sectors: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    product_groups: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    mandatory_certifications: tuple[str, ...] = ()
    preferred_certifications: tuple[str, ...] = ()
    min_monthly_capacity: float = math.nan
    target_capacity: float = math.nan
    as_of: date = field(default_factory=clock.today)
    require_sector: bool | None = None
    exclude_firms: tuple[str, ...] = ()
    park_id: str = ""
    lat: float = math.nan
    lon: float = math.nan
    buyer_id: str = ""
    buyer_country: str = ""
    evidence: Mapping[str, str] = field(default_factory=dict)
    deadline: date | None = None
    quantities: tuple[Quantity, ...] = ()
    words: str | None = None
    place: Place | None = None
    warnings: tuple[str, ...] = ()


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):  # what pd.isna says of a float, without the call
        return math.isnan(value)
    if isinstance(value, str):  # text is missing when blank (pd.isna is False for any str)
        return not value.strip()
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, set)) else not value
    except (TypeError, ValueError):
        return False


def _as_list(value: object) -> list[str]:
    if _missing(value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip() for part in value if not _missing(part)]
    return [str(value).strip()]


def _firm_ids(value: object) -> tuple[str, ...]:
    """Firm ids of ``exclude_firms``: a list, or text split on commas, semicolons and spaces
    (``"F0888, F0169"`` is two firms), each once, in the order written."""
    pieces = [value] if isinstance(value, str) else ([] if _missing(value) else _as_list(value))
    ids = (part for piece in pieces for part in re.split(r"[,;\s]+", str(piece)) if part)
    return tuple(dict.fromkeys(ids))


def _as_float(value: object, column: str, need_id: str) -> float:
    if _missing(value):
        return math.nan
    if isinstance(value, str):
        number = read_number(value)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
    if number is None or math.isnan(number):
        raise NeedError(
            f"Need {need_id}: expected a number in '{column}', got {value!r}. Write digits, with '.' between "
            "thousands and ',' before decimals as in Vietnamese (5.000 = five thousand, 1,5 = one and a half), "
            "or leave the cell empty."
        )
    if number < 0:
        raise NeedError(f"Need {need_id}: expected '{column}' >= 0, got {number}. Fix the value.")
    return number


def _as_date(value: object, need_id: str, today: date | None, column: str = "created") -> date | None:
    """A date as written in Vietnam: ISO ``yyyy-mm-dd`` or day first (``03/05/2026`` is 3 May)."""
    if _missing(value):
        return today
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    day = read_date(str(value))  # features.dates: the one day-first reader
    if day is not None:
        return day
    raise NeedError(
        f"Need {need_id}: expected '{column}' as a date in one of the formats {', '.join(DATE_FORMATS)} "
        f"(day before month, as written in Vietnam), got {value!r}. Fix the date or leave it empty."
    )


def _as_bool(value: object) -> bool | None:
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y", "có", "co", "x"}
    return bool(value)


def _default_taxonomy(taxonomy: object | None):
    if taxonomy is not None:
        return taxonomy
    from features.taxonomy import load_taxonomy

    return load_taxonomy()


def _extract(text: str, taxonomy: object | None = None) -> dict:
    """Taxonomy codes named in ``text`` (features.capabilities), by kind, with evidence spans.

    Product groups bring their sectors; processes are kept as named (no ancestors), so a
    need for cnc_milling is not diluted by the generic cnc_machining.
    """
    found: dict = {"sectors": set(), "processes": set(), "materials": set(), "product_groups": set(),
                   "sectors_implied": set(), "evidence": {}, "spans": [], "context": set(),
                   "ruled_out": [], "ruled_out_text": []}
    if not text:
        return found
    from features.capabilities import extract_capabilities

    tax = _default_taxonomy(taxonomy)
    key_of = {"sector": "sectors", "process": "processes", "material": "materials"}
    capabilities = extract_capabilities(text, taxonomy=tax)
    ruled_out = _ruled_out(text)
    if ruled_out:
        def out(c) -> bool:
            return any(a <= c.span[0] < b for a, b in ruled_out)

        wanted = {c.code for c in capabilities if not out(c)}
        found["ruled_out"] = sorted({c.code for c in capabilities if out(c) and c.code not in wanted})
        found["ruled_out_text"] = [text[a:b] for a, b in ruled_out]
        capabilities = [c for c in capabilities if not out(c)]
    found["context"] = _application_context(text, capabilities)
    for capability in capabilities:
        kind, code = capability.kind, capability.code
        if kind in key_of:
            found[key_of[kind]].add(code)
        elif kind == "product_group" and code in tax:
            found["product_groups"].add(code)
            found["sectors_implied"].update(s for s in tax.get(code).sectors if s in tax)
        else:
            continue
        found["evidence"].setdefault(code, capability.text)
        found["spans"].append(tuple(capability.span))
    return found


# What a part is FOR: "castings for electric motors", "linh kiện nhựa cho xe máy" (the marker
# comes before the application), "OA機器向け樹脂部品", "자동차용 부품" (after it).
_FOR_AFTER = re.compile(r"(?i)\b(?:for|used in|used for|applied to|cho|dùng cho|dung cho|phục vụ|phuc vu)\b")
_FOR_BEFORE = re.compile(r"向け|向き|用(?![いう])|용(?=\s|$|[^\uac00-\ud7af])|위한")
_ROLE_BEFORE = re.compile(
    r"(?i)\b(?:partners?|suppliers?|vendors?|sources?|subcontractors?|contractors?|makers?|manufacturers?|"
    r"nhà cung cấp|nha cung cap|đối tác|doi tac|nhà thầu|nha thau)\s*$"
)
_CLAUSE = re.compile(r"[,;.:!?()\[\]\n、。・（）]+")

# What a buyer rules out, inside one clause: "no die casting", "không cần đúc áp lực" (the cue
# comes before what it rules out, up to the clause's end), "ダイカスト不可", "다이캐스팅 불가"
# (after it, back to the clause's start). Bare "không" is no cue: "thép không gỉ" (stainless
# steel) and "vải không dệt" (non-woven) name materials.
_NOT_BEFORE = re.compile(
    r"(?i)(?<![\w-])(?:no|not|without|except|excluding|exclude|"
    r"không cần|khong can|không dùng|khong dung|không nhận|khong nhan|không làm|khong lam|"
    r"không yêu cầu|khong yeu cau|không bao gồm|khong bao gom|ngoại trừ|ngoai tru|loại trừ|loai tru|trừ)"
    r"(?![\w-])(?=\s+[^\W\d_])"
)
_NOT_AFTER = re.compile(r"不可|不要|なし|無し|除く|以外|対象外|しない|ではない|불가|불필요|제외|없이")


def _ruled_out(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that a negation rules out (:data:`_NOT_BEFORE`,
    :data:`_NOT_AFTER`), each within one clause."""
    ranges = []
    bounds = [0, *(m.end() for m in _CLAUSE.finditer(text)), len(text) + 1]
    for start, end in zip(bounds, bounds[1:], strict=False):
        clause = text[start:end]
        before = _NOT_BEFORE.search(clause)
        if before is not None:
            ranges.append((start + before.end(), end))
        after = [m.start() for m in _NOT_AFTER.finditer(clause)]
        if after:  # the last cue of the clause: what comes before it
            ranges.append((start, start + after[-1]))
    return ranges


def _application_context(text: str, capabilities: Sequence) -> set[str]:
    """Codes that name what the wanted part is for rather than the part itself.

    Inside one clause, the codes after "for"/"cho"/"dùng cho" when a code comes before it,
    and the codes before 向け/用/용/위한 when a code comes after it ("Iron castings for
    electric motors": motors; "OA機器向け樹脂成形部品": OA equipment). They weigh less in the
    concept channel; the part itself keeps its full weight.
    """
    context: set[str] = set()
    bounds = [0, *(m.end() for m in _CLAUSE.finditer(text)), len(text) + 1]
    for start, end in zip(bounds, bounds[1:], strict=False):
        inside = [c for c in capabilities if start <= c.span[0] < end]
        if len(inside) < 2:
            continue
        clause = text[start:end]
        marker = _FOR_AFTER.search(clause)
        if marker is not None and _ROLE_BEFORE.search(clause[: marker.start()]):
            continue  # "EMS partner for SMT assembly": what follows is the need itself
        if marker is not None:
            at = start + marker.start()
            if any(c.span[1] <= at for c in inside):
                context.update(c.code for c in inside if c.span[0] >= at)
            continue
        marker = _FOR_BEFORE.search(clause)
        if marker is not None:
            at = start + marker.start()
            if any(c.span[0] >= at for c in inside):
                context.update(c.code for c in inside if c.span[1] <= at)
    return context


def _resolve(pieces: list[str], kind: str, need_id: str, taxonomy: object | None) -> list[str]:
    """Codes of structured-field pieces (codes or aliases); unknown pieces raise NeedError."""
    if not pieces:
        return []
    tax = _default_taxonomy(taxonomy)
    codes: list[str] = []
    for piece in pieces:
        code = tax.resolve(piece, kind)
        if code is None:
            examples = ", ".join(t.code for t in tax.terms(kind)[:4])
            raise NeedError(
                f"Need {need_id}: expected a {kind} code or alias (e.g. {examples}), got {piece!r}. "
                "Fix the spelling or remove it."
            )
        codes.append(code)
    return codes


@lru_cache(maxsize=4096)
def _parse_certifications(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from features.certifications import parse_certifications

    parsed = parse_certifications(text)
    return tuple(c.code for c in parsed), tuple(parsed.unparsed)


def _certification_codes(pieces: list[str], need_id: str, strict: bool = True) -> list[str]:
    """Certification codes written in ``pieces`` (``"ISO 9001:2015"``, ``"IATF16949"``)."""
    if not pieces:
        return []
    codes, unparsed = _parse_certifications("; ".join(pieces))
    if strict and unparsed:
        raise NeedError(
            f"Need {need_id}: expected certification names such as 'ISO 9001' or 'IATF 16949', "
            f"got unrecognised {list(unparsed)}. Fix the spelling or remove them."
        )
    return list(codes)


# Certificates named in free text: each mention is read with the words of its own clause.
# Hints are matched on folded text (no diacritics, lower case), so "bắt buộc", "bat buoc" and
# "BẮT BUỘC" read alike.
_SENTENCES = re.compile(r"[;\n]+|(?<!\d)\.|\.(?!\d)|。")
_CLAUSES = re.compile(r",|、|\b(?:va|and)\b")
_MANDATORY_HINT = re.compile(r"\b(?:bat buoc|required?|mandatory|must|phai co)\b|必須")
_PREFERRED_HINT = re.compile(r"\b(?:uu tien|preferred|prefer|nice to have|optional|khuyen khich)\b|優先|歓迎")
_NEGATION = re.compile(r"\b(?:khong|not|no|non|chua can)\b|不要")
_NEGATION_REACH = 4  # words a negation may stand before the hint ("no ISO 14001 required")


def _clause_kind(clause: str) -> str | None:
    """``"mandatory"``, ``"preferred"`` or None (no hint) for one folded clause."""
    hint = _MANDATORY_HINT.search(clause)
    if hint is not None:
        before = clause[: hint.start()].split()[-_NEGATION_REACH:]
        after = clause[hint.end():].split()[:1]  # "must not"
        if _NEGATION.search(" ".join(before)) or (after and _NEGATION.fullmatch(after[0])):
            return "preferred"  # "không bắt buộc", "not required": asked for, not demanded
        return "mandatory"
    if _PREFERRED_HINT.search(clause):
        return "preferred"
    return None


def _text_certifications(text: str, need_id: str) -> tuple[set[str], set[str]]:
    """(mandatory, preferred) certification codes named in free text, decided mention by mention.

    The text is cut into sentences (``.``, ``;``, new lines) and clauses (``,``, ``và``,
    ``and``). A certificate is mandatory when its own clause says so (``bắt buộc``,
    ``required``, ``must``, ``phải có``) without a negation before it (``không``, ``not``,
    ``no``); a clause without a hint takes the hint of an earlier clause of the same sentence
    whose hint a colon follows (``bắt buộc: ISO 9001, ISO 14001``); otherwise it is preferred.
    """
    from features.text import fold

    mandatory: set[str] = set()
    preferred: set[str] = set()
    for sentence in _SENTENCES.split(text):
        carried: str | None = None
        for clause in _CLAUSES.split(fold(sentence)):
            kind = _clause_kind(clause)
            if kind is not None and ":" in clause:
                carried = kind
            codes = set(_certification_codes([clause], need_id, strict=False)) if clause.strip() else set()
            (mandatory if (kind or carried) == "mandatory" else preferred).update(codes)
    return mandatory, preferred - mandatory


_ACCEPTED = "text, a dict, a NeedQuery, a pandas row (Series) or DataFrame, or a list of these"


def parse_need(
    need: str | Mapping[str, object] | pd.Series,
    *,
    need_id: str | None = None,
    today: date | None = None,
    taxonomy: object | None = None,
) -> NeedQuery:
    """Parse one need into a :class:`NeedQuery`.

    Parameters
    ----------
    need : str, dict or pandas.Series
        Free text, or the fields of ``features.columns.NEED_COLUMNS`` (plus the optional
        keys ``text``, ``require_sector``, ``exclude_firms``, ``park_id``, ``lat``, ``lon``,
        ``buyer_country``). Unknown keys raise :class:`NeedError` (typos are not swallowed).
    need_id : str, optional
        Id to use when the need has none (default ``"adhoc"``).
    today : datetime.date, optional
        Date used when the need has no ``created`` date (default: today).
    taxonomy : optional
        The taxonomy to resolve aliases with (default: ``features.taxonomy``'s).

    Returns
    -------
    NeedQuery

    Raises
    ------
    NeedError
        When the need has neither text nor any structured field, a number or date is
        malformed (numbers are read the Vietnamese way: ``5.000`` is five thousand, ``1,5``
        one and a half; dates day first: ``03/05/2026`` is 3 May), or a key is unknown.
    """
    today = today or clock.today()
    if isinstance(need, str):
        fields: dict[str, object] = {"description": need}
    elif isinstance(need, pd.Series):
        fields = need.to_dict()
    elif isinstance(need, Mapping):
        fields = dict(need)
    else:
        raise NeedError(
            f"Expected a need as {_ACCEPTED}, got {type(need).__name__}. "
            "Pass e.g. 'vỏ nhôm CNC, ISO 9001' or {'description': ...}."
        )
    unknown = sorted(set(fields) - _KNOWN_KEYS)
    if unknown:
        raise NeedError(
            f"Expected need fields among {sorted(set(NEED_COLUMNS) | _EXTRA_KEYS)}, got unknown {unknown}. "
            "Fix the spelling or drop these keys."
        )
    nid = fields.get("need_id")
    nid = need_id if _missing(nid) else str(nid).strip()
    nid = nid or "adhoc"
    parts = [normalize(fields.get(key)) for key in ("title", "description", "text") if not _missing(fields.get(key))]
    # Normal forms joined by " . " are the normal form of the whole (no space to collapse, no
    # character that composes or moves across the separator): normalised again only when a
    # part came out empty.
    text = " . ".join(parts) if all(parts) else normalize(" . ".join(parts))
    structured = [k for k in ("sector", "processes", "materials", "mandatory_certifications",
                              "preferred_certifications") if not _missing(fields.get(k))]
    if not text and not structured:
        raise NeedError(
            f"Need {nid}: expected a title/description text or at least one of sector, processes, "
            "materials, certifications; got none. Describe the component or fill a structured field."
        )
    found = _extract(text, taxonomy=taxonomy)
    sectors = set(found["sectors"]) | set(found.get("sectors_implied", ()))
    processes = set(found["processes"])
    materials = set(found["materials"])
    sectors |= set(_resolve(_as_list(fields.get("sector")), "sector", nid, taxonomy))
    processes |= set(_resolve(_as_list(fields.get("processes")), "process", nid, taxonomy))
    materials |= set(_resolve(_as_list(fields.get("materials")), "material", nid, taxonomy))
    mandatory = set(_certification_codes(_as_list(fields.get("mandatory_certifications")), nid))
    preferred = set(_certification_codes(_as_list(fields.get("preferred_certifications")), nid))
    text_mandatory, text_preferred = _text_certifications(text, nid) if text else (set(), set())
    mandatory |= text_mandatory
    preferred = (preferred | text_preferred) - mandatory
    facts = read_facts(text, covered=found["spans"], taxonomy=_default_taxonomy(taxonomy)) if text else NeedFacts()
    text_min, text_target = capacity_of(facts.quantities)
    min_cap = _as_float(fields.get("min_monthly_capacity"), "min_monthly_capacity", nid)
    volume = _as_float(fields.get("annual_volume"), "annual_volume", nid)
    if math.isnan(min_cap) and math.isnan(volume):  # structured fields win over the text
        min_cap = text_min
        volume = text_target * 12.0
    target = min_cap if not math.isnan(min_cap) else (volume / 12.0 if not math.isnan(volume) else math.nan)
    park_id = "" if _missing(fields.get("park_id")) else str(fields["park_id"]).strip()
    lat = _as_float(fields.get("lat"), "lat", nid) if not _missing(fields.get("lat")) else math.nan
    lon = _as_float(fields.get("lon"), "lon", nid) if not _missing(fields.get("lon")) else math.nan
    place = facts.place
    if place is not None and not park_id and math.isnan(lat) and math.isnan(lon):
        if place.park_id:
            park_id = place.park_id
        else:
            lat, lon = place.lat, place.lon
    deadline = _as_date(fields.get("deadline"), nid, None, "deadline") or facts.deadline
    warnings = list(facts.warnings)
    if found["ruled_out"]:
        tax = _default_taxonomy(taxonomy)
        names = [(tax.get(c).label("vi"), tax.get(c).label("en")) if c in tax else (c, c) for c in found["ruled_out"]]
        warnings.append(warning(
            f"Không tìm doanh nghiệp theo {', '.join(vi for vi, _ in names)}: nhu cầu ghi là không cần",
            f"Not searched for {', '.join(en for _, en in names)}: the need rules it out"))
    if not processes and not found["product_groups"]:
        warnings.append(warning(
            "Không nhận ra công đoạn hay loại sản phẩm nào: ghi rõ, ví dụ 'dập kim loại', 'ép nhựa', 'bó dây điện'",
            "No process and no product type recognised: name one, e.g. 'metal stamping', "
            "'injection moulding', 'wire harness'"))
    return NeedQuery(
        need_id=nid,
        text=text,
        sectors=tuple(sorted(sectors)),
        processes=tuple(sorted(processes)),
        materials=tuple(sorted(materials)),
        product_groups=tuple(sorted(found["product_groups"])),
        context=tuple(sorted(found["context"])),
        mandatory_certifications=tuple(sorted(mandatory)),
        preferred_certifications=tuple(sorted(preferred)),
        min_monthly_capacity=min_cap,
        target_capacity=target,
        as_of=_as_date(fields.get("created"), nid, today),
        require_sector=_as_bool(fields.get("require_sector")),
        exclude_firms=_firm_ids(fields.get("exclude_firms")),
        park_id=park_id,
        lat=lat,
        lon=lon,
        buyer_id="" if _missing(fields.get("buyer_id")) else str(fields["buyer_id"]).strip(),
        buyer_country="" if _missing(fields.get("buyer_country")) else str(fields["buyer_country"]).strip().upper(),
        evidence=dict(found["evidence"]),
        deadline=deadline,
        quantities=facts.quantities,
        place=place,
        warnings=tuple(warnings),
        words=_without(text, [q.text for q in facts.quantities] + ([facts.place.text] if facts.place else [])
                       + found["ruled_out_text"]),
    )


def _without(text: str, phrases: Iterable[str]) -> str | None:
    """``text`` with each of ``phrases`` cut out (None when nothing was cut)."""
    out = text
    for phrase in phrases:
        if phrase:
            out = out.replace(phrase, " ")
    return None if out == text else normalize(out)


class NeedCache:
    """A least-recently-used store of parsed needs (or anything keyed by a need), bounded in size.

    Parsing a need's text (capabilities, certifications, taxonomy aliases) costs about as much
    as scoring it against 100,000 firms, and the same need is often ranked again. A matcher
    keeps one per fit (see ``SupplierMatcher``); :func:`parse_needs` uses it when given.

    Parameters
    ----------
    maxsize : int, default 1024
        Entries kept; the least recently used goes first.

    Attributes
    ----------
    hits, misses : int
        Look-ups answered from the store, and not.

    Examples
    --------
    >>> cache = NeedCache(maxsize=2)
    >>> a = parse_needs("ép nhựa ABS", cache=cache)
    >>> b = parse_needs("ép nhựa ABS", cache=cache)
    >>> a == b, cache.hits, cache.misses
    (True, 1, 1)
    """

    def __init__(self, maxsize: int = 1024) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 1:
            raise NeedError(f"Expected NeedCache maxsize an integer >= 1, got maxsize={maxsize!r}.")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._store: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()  # a fitted matcher serves concurrent requests

    def get(self, key: Hashable) -> object | None:
        """The value stored under ``key`` (None when absent); marks it recently used."""
        with self._lock:
            value = self._store.get(key)
            if value is None:
                self.misses += 1
                return None
            self._store.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: object) -> None:
        """Store ``value`` under ``key``, dropping the least recently used entry when full."""
        with self._lock:
            self._store[key] = value
            self._store.move_to_end(key)
            if len(self._store) > self.maxsize:
                self._store.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (the counters too)."""
        with self._lock:
            self._store.clear()
            self.hits = self.misses = 0

    def __getstate__(self) -> dict:
        # A pickled or deep-copied matcher takes its cache along, without the lock.
        with self._lock:
            return {**self.__dict__, "_lock": None, "_store": OrderedDict(self._store)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._store)


def _key_value(value: object) -> Hashable:
    """A field's value as part of a cache key: missing values (None, NaN, "", []) are one key,
    as :func:`parse_need` treats them alike; lists become tuples."""
    if _missing(value):
        return None
    if isinstance(value, (list, tuple)):
        return tuple(_key_value(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(str(v) for v in value))
    return value


def _cache_key(need: object, today: date) -> tuple[Hashable, str | None] | None:
    """(key without the need's id, the need's own id) of a need, or None when not hashable.

    The id is left out of the key so a need ranked again under another id still hits; it
    is put back on the parsed copy.
    """
    if isinstance(need, str):
        return ("text", need, today), None
    if isinstance(need, pd.Series):
        fields = need.to_dict()
    elif isinstance(need, Mapping):
        fields = need
    else:
        return None
    own_id = fields.get("need_id")
    own_id = None if _missing(own_id) else (str(own_id).strip() or None)
    # A known field left empty parses as an absent one; unknown keys stay (parse_need rejects them).
    items = tuple(sorted((str(k), _key_value(v)) for k, v in fields.items()
                         if k != "need_id" and not (k in _KNOWN_KEYS and _missing(v))))
    key = ("fields", items, today)
    try:
        hash(key)
    except TypeError:
        return None
    return key, own_id


def parse_needs(
    needs: str | Mapping[str, object] | pd.DataFrame | Iterable,
    *,
    today: date | None = None,
    taxonomy: object | None = None,
    cache: NeedCache | None = None,
) -> list[NeedQuery]:
    """Parse one need or a batch (DataFrame, list of dicts/strings, NeedQuery) into NeedQuery objects.

    Needs without an id get ``adhoc-1``, ``adhoc-2``, ... in order.

    Parameters
    ----------
    needs : str, dict, NeedQuery, pandas.DataFrame or iterable of these
    today : datetime.date, optional
    taxonomy : optional
    cache : NeedCache, optional
        Parsed needs by their fields (the id aside) and ``today``; the caller owns it and
        must clear it when ``taxonomy`` changes (``SupplierMatcher`` does, on ``fit`` and
        ``set_params``). Default: no cache.

    Returns
    -------
    list of NeedQuery
        The same objects with or without a cache (a hit is a copy with the need's id).

    Raises
    ------
    NeedError
        ``needs`` is none of the accepted forms, one need cannot be read, or two needs of
        the batch share a ``need_id``.
    """
    if isinstance(needs, (str, Mapping, NeedQuery, pd.Series)):
        needs = [needs]
    elif isinstance(needs, pd.DataFrame):
        frame = needs.reset_index() if needs.index.name == "need_id" else needs
        needs = [row for _, row in frame.iterrows()]
    elif not isinstance(needs, Iterable) or isinstance(needs, (bytes, bytearray)):
        raise NeedError(
            f"Expected needs as {_ACCEPTED}; got {type(needs).__name__} ({needs!r:.60}). "
            "Pass e.g. 'vỏ nhôm CNC, ISO 9001', {'title': ..., 'processes': ...} or a needs table."
        )
    day = today or clock.today()
    out: list[NeedQuery] = []
    for position, need in enumerate(needs, start=1):
        if isinstance(need, NeedQuery):
            out.append(need)
            continue
        default_id = f"adhoc-{position}"
        keyed = _cache_key(need, day) if cache is not None else None
        if keyed is not None:
            key, own_id = keyed
            hit = cache.get(key)
            if hit is not None:
                out.append(replace(hit, need_id=own_id or default_id, evidence=dict(hit.evidence)))
                continue
        query = parse_need(need, need_id=default_id, today=day, taxonomy=taxonomy)
        if keyed is not None:
            cache.put(key, replace(query, evidence=dict(query.evidence)))
        out.append(query)
    _check_distinct_ids(out)
    return out


def _check_distinct_ids(queries: list[NeedQuery]) -> None:
    """Refuse a batch where two needs share an id: their lists would be joined under one id."""
    counts: dict[str, int] = {}
    for query in queries:
        counts[query.need_id] = counts.get(query.need_id, 0) + 1
    repeated = sorted(need_id for need_id, count in counts.items() if count > 1)
    if repeated:
        raise NeedError(
            f"Expected each need_id once in a batch of needs, got {repeated} twice or more. "
            "Give each need its own need_id or drop the repeated rows."
        )
