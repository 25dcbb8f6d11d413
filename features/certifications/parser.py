"""Certifications as firms write them: one free-text cell into :class:`Certification` records.

Firms list their certificates in one cell: ``"ISO 9001:2015; IATF16949 hết hạn 12/2024,
TCVN ISO 14001 do QUACERT cấp"``. :func:`parse_certifications` turns that into records (code,
version, issue and expiry dates, issuer, status) and keeps every piece it could not
understand in ``.unparsed``: nothing is dropped silently.

The patterns are built from the certification catalogue (the taxonomy's aliases, versions,
national equivalents and issuers): a new alias there is understood here without code
changes. Matching ignores case, diacritics (``het han`` = ``hết hạn``), NFC/NFD and the
separators firms put inside a standard's name (``ISO9001`` = ``ISO-9001`` = ``iso 9001``).

Dates
    Expiry (``hết hạn``, ``hiệu lực đến``, ``valid until``, ``exp.``) and issue (``cấp
    ngày``, ``issued``, ``từ``) dates in ``dd/mm/yyyy``, ``d-m-yyyy``, ``mm/yyyy``,
    ``yyyy``, ``yyyy-mm-dd``, ``yyyy-mm``, ``tháng 3 năm 2024``, ``tháng 3/2024`` and
    ``ngày 5 tháng 3 năm 2023``. An expiry given as a month means the end of that month,
    as a year the end of that year; an issue month means its first day.

Status
    What the text says about holding it: ``không có ISO 9001``, ``chưa đạt`` (absent);
    ``đang xây dựng``, ``dự kiến``, ``sắp có``, ``in progress`` (planned); ``đã hết hạn``,
    ``expired`` with no date (expired); ``bị thu hồi``, ``revoked`` (revoked); ``bị đình
    chỉ``, ``suspended`` (suspended). A phrase belongs to the standard it directly precedes
    (``Không có ISO 9001``), else to the one before it (``ISO 9001 (đã hết hạn)``).

Versions
    A year after a standard's name is its version only when the taxonomy lists that
    version (or a national adoption of that year): ``ISO 9001:2025`` keeps ``"2025"`` in
    ``.unparsed`` and no version, never an unknown version counted as valid. Standards
    for which the taxonomy lists no versions keep the year as written.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import pandas as pd

from features import clock
from features.certifications.catalogue import _JOIN, _RUNS, _catalogue, _Standard
from features.certifications.records import Certification, ParsedCertifications, _day
from features.text import fold, normalize

__all__ = ["parse_certifications"]

_CONNECT = r"[\s:.,]*(?:(?:vao|on|la|ngay)\s+)?"
_UNTIL_WORDS = (
    r"het\s+han(?:\s+(?:den|vao|nam|luc))?|het\s+hieu\s+luc|(?:co\s+|con\s+)?hieu\s+luc\s+"
    r"(?:den|toi)|han\s+(?:den|su\s+dung|hieu\s+luc)|thoi\s+han(?:\s+den)?|den\s+het"
    r"|valid\s+(?:until|till|to|thru|through)|expir(?:es|ed|y\s+date|y|ation\s+date|ation)"
    r"|exp\.?|until|den|to"
)
_ISSUED_WORDS = (
    r"(?:duoc\s+)?cap(?:\s+(?:lan\s+dau|lai))?|ngay\s+cap|nam\s+cap|issued(?:\s+date)?"
    r"|issue\s+date|date\s+of\s+issue|certified\s+(?:on|since)|tu|from|since"
)
_DATE = (
    r"(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})(?!\d)"
    r"|(?:ngay\s*)?(?P<d2>\d{1,2})\s*thang\s*(?P<m2>\d{1,2})\s*(?:nam\s*|[/\-.,]\s*)(?P<y2>\d{4})"
    r"|(?:ngay\s*)?(?P<d3>\d{1,2})[/\-.](?P<m3>\d{1,2})[/\-.](?P<y3>\d{4}|\d{2})(?!\d)"
    r"|thang\s*(?P<m4>\d{1,2})\s*(?:nam\s*|[/\-.]\s*)(?P<y4>\d{4})"
    r"|(?P<y5>\d{4})[/\-.](?P<m5>\d{1,2})(?![\d/\-.])"
    r"|(?P<m6>\d{1,2})[/\-.](?P<y6>\d{4}|\d{2})(?![\d/\-.])"
    r"|(?:nam\s*)?(?P<y7>(?:19|20)\d\d)(?!\d)"
)
_DATED = re.compile(
    rf"(?<![a-z0-9])(?:(?P<until>{_UNTIL_WORDS})|(?P<issued>{_ISSUED_WORDS})){_CONNECT}(?:{_DATE})"
)
# "hiệu lực: 15/03/2023 - 14/03/2026", "validity 2023-2026": a period gives both dates.
_RANGE = re.compile(
    r"(?<![a-z0-9])(?:(?:co\s+|con\s+)?hieu\s+luc|thoi\s+han|validity|valid|period)"
    rf"[\s:.,]*(?:tu\s+|from\s+)?(?P<first>{_DATE.replace('(?P<', '(?P<f_')})"
    r"\s*(?:-|\u2013|\u2014|~|den(?:\s+ngay)?|to|until)\s*"
    rf"(?P<second>{_DATE.replace('(?P<', '(?P<s_')})"
)
_ISSUER_END = (
    r"(?=\s*(?:$|[,;()\n])|\s+(?:on|valid|exp|expires?|until|het|hieu|cap|ngay|va|and|tu|den"
    r"|from|since|\d)(?![a-z]))"
)
_ISSUER = re.compile(
    r"(?<![a-z0-9])(?:do\s+(?P<x1>[^,;()]{1,60}?)"
    r"(?:\s+cap(?![a-z])(?!\s*(?:ngay|nam|thang|vao|lan|tu|:)?\s*\d)|(?=\s+cap(?![a-z])))"
    rf"|(?:issued|certified|granted|audited)\s+by\s*:?\s*(?P<x2>[^,;()]{{1,60}}?){_ISSUER_END}"
    rf"|cap\s+boi\s*:?\s*(?P<x3>[^,;()]{{1,60}}?){_ISSUER_END}"
    rf"|(?:to\s+chuc\s+(?:chung\s+nhan|cap)|certification\s+body|issuer)\s*:?\s*"
    rf"(?P<x4>[^,;()]{{1,60}}?){_ISSUER_END})"
)
_VERSION_LEAD = r"\A(?:[\s:\-.]|rev(?:ision)?\b\.?|phien\s+ban|version|ver\b\.?)*"
_YEAR_VERSION = re.compile(r"\A\s*[:\-]\s*((?:19|20)\d\d)(?!\d)")
_BARE_NUMBER = re.compile(
    r"\A(?:\s|[,;+&/]|(?<![a-z])(?:va|and|cung|voi)(?![a-z]))*?"
    r"(?:[,;+&/]|(?<![a-z])(?:va|and|cung|voi)(?![a-z]))\s*(\d{3,5})(?![0-9])"
)
_PIECE_SPLIT = re.compile(r"(?:[\x00,;+&()\[\]|]|(?<!\d)/|/(?!\d))+|(?<![a-z])(?:va|and)(?![a-z])")
_NOISE = frozenset(
    "chung nhan chi certificate certificates certified certification cert dat da co he thong "
    "quan ly chat luong tieu chuan standard standards theo duoc cong ty con hieu luc valid "
    "cap ngay nam thang va and the of for with by system management quality hien dang ap dung"
    " so number no".split()
)


# What a firm writes about not (or no longer) holding a certificate. An expiry phrase counts
# only without a date: "hết hạn 12/2024" is a dated expiry (read by _DATED before this), and
# "hết hạn 31/02/2026" an impossible date left to .unparsed, not a status.
_NO_DATE = r"(?![\s:.,]*(?:(?:ngay|thang|nam|vao|tu|on|in)\s*)?\d)"
_STATUS_PATTERNS = {
    "revoked": (
        r"(?:da\s+)?(?:bi\s+)?thu\s+hoi|revoked|withdrawn|(?:da\s+)?bi\s+huy(?:\s+bo)?"
        r"|(?:da\s+)?huy\s+bo|cancell?ed"
    ),
    "suspended": r"(?:da\s+)?(?:bi\s+)?(?:tam\s+)?dinh\s+chi|tam\s+dung|suspended",
    "planned": (
        r"dang\s+xay\s+dung|(?:dang\s+)?ap\s+dung\s+thu|dang\s+trien\s+khai"
        r"|dang\s+(?:xin|cho)(?:\s+(?:cap|chung\s+nhan|danh\s+gia))?"
        r"|du\s+kien(?:\s+(?:se\s+)?(?:dat|co|cap|duoc\s+cap))?|sap(?:\s+(?:co|dat|duoc\s+cap))?"
        r"|ke\s+hoach|chua\s+co\s+hieu\s+luc|in\s+progress|planned|planning|pending"
        r"|under\s+(?:implementation|development|way)|to\s+be\s+certified|working\s+towards?"
    ),
    "expired": (
        rf"(?:(?:da\s+)?het\s+(?:han|hieu\s+luc)|qua\s+han|khong\s+(?:con|co)\s+hieu\s+luc"
        rf"|(?:has\s+|already\s+)?expired|lapsed){_NO_DATE}"
    ),
    "absent": (
        r"khong\s+co(?!\s+(?:thoi\s+han|han|hieu\s+luc))|khong\s+dat"
        # not a bare "chua": "chứa" (contains) folds to it too ("không chứa chất độc hại")
        r"|chua\s+(?:co|dat|duoc\s+cap)|not\s+(?:yet\s+)?(?:certified|held|obtained)"
    ),
}
_STATUS = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _STATUS_PATTERNS.items())
    + r")(?![a-z0-9])"
)
# A whole line saying the firm has none: "Không có", "chưa có chứng chỉ nào", "N/A".
_NONE_LINE = re.compile(
    r"[\s.:\-]*(?:(?:khong|chua)(?:\s+(?:co|dat))?(?:\s+(?:chung\s+(?:chi|nhan)|tieu\s+chuan)"
    r"(?:\s+nao)?)?|khong\s+ap\s+dung|none|nil|n\s*/\s*a|not\s+applicable)[\s.:\-]*"
)
# A planned certificate's target date right after it: "dự kiến đạt ISO 9001 năm 2026".
_TARGET = re.compile(rf"[\s:,(\-]*(?:(?:vao|trong|truoc|by|in|for)\s+)?(?:{_DATE})")
_SEPARATOR = re.compile(r"[,;()\[\]|+&/\x00]|(?<![a-z])(?:va|and)(?![a-z])")


@dataclass
class _Mention:
    start: int
    end: int
    code: str
    version: str | None
    national: bool
    prefix: str
    attrs: dict[str, tuple[Any, int, int]] = field(default_factory=dict)
    bare: bool = False  # a bare number inheriting the prefix before it ("ISO 9001 và 14001")
    status: str = "held"


def _make_date(match: re.Match[str], role: str, as_of: date, tag: str = "") -> date | None:
    g = match.groupdict()
    for i in range(1, 8):
        if g.get(f"{tag}y{i}"):
            year_text = g[f"{tag}y{i}"]
            month_text, day_text = g.get(f"{tag}m{i}"), g.get(f"{tag}d{i}")
            break
    else:  # pragma: no cover - the regex always sets one year group
        return None
    year = int(year_text)
    if len(year_text) == 2:  # two-digit year: the century that keeps it within 50 years of as_of
        year += 2000 if 2000 + year <= as_of.year + 50 else 1900
    try:
        if day_text:
            return date(year, int(month_text), int(day_text))
        if month_text:
            month = int(month_text)
            last_day = calendar.monthrange(year, month)[1]
            return date(year, month, last_day if role == "until" else 1)
        return date(year, 12, 31) if role == "until" else date(year, 1, 1)
    except ValueError:  # 31/02, month 13: leave the text to .unparsed
        return None


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isspace():
        return " "
    folded = fold(ch)
    return folded[0] if folded else " "


def _fold_same_length(line: str) -> str:
    """``fold`` character by character, so positions in the folded line are positions in
    ``line`` (a character that folds to several, like a ligature, keeps its first)."""
    return "".join(_fold_char(ch) for ch in line)


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _read_version(
    std: _Standard,
    tail: str,
    national: Mapping[str, str] | None = None,
    implied: str | None = None,
) -> tuple[str | None, int]:
    """Version written right after a standard's name, and how many characters it takes.

    A year not in the taxonomy's spellings is a version only when the standard lists no
    versions, when it is a year of the national adoption written (``TCVN ISO
    14001:2010``) or the year of the version the alias implies (``ISO/TS 16949:2009``);
    otherwise ``(None, 0)`` leaves it in the text, to end in ``.unparsed``.
    """
    if std.version_aliases:
        spellings = sorted(std.version_aliases, key=len, reverse=True)
        body = "|".join(_JOIN.join(re.escape(r) for r in _RUNS.findall(s)) for s in spellings)
        m = re.match(rf"{_VERSION_LEAD}({body})(?![a-z0-9\-])", tail)
        if m:
            spelled = " ".join(_RUNS.findall(m.group(1)))
            for s in spellings:
                if " ".join(_RUNS.findall(s)) == spelled:
                    return std.version_aliases[s], m.end()
    m = _YEAR_VERSION.match(tail)
    if m:
        year = m.group(1)
        if (
            not std.versions
            or (national is not None and year in national)
            or (implied is not None and (implied == year or implied.endswith(f":{year}")))
        ):
            return year, m.end()
    return None, 0


def _parse_line(line: str, as_of: date, verified: bool) -> tuple[list[Certification], list[str]]:
    cat = _catalogue()
    folded = _fold_same_length(line)
    masked = folded
    covered = [False] * len(line)
    attrs: list[tuple[str, Any, int, int]] = []  # (role, value, start, end)

    def consume(start: int, end: int) -> None:
        nonlocal masked
        masked = _mask(masked, start, end)
        for i in range(start, end):
            covered[i] = True

    for m in _ISSUER.finditer(folded):
        name = next(g for g in ("x1", "x2", "x3", "x4") if m.group(g))
        issuer = line[m.start(name) : m.end(name)].strip()
        attrs.append(("issuer", issuer, m.start(), m.end()))
    for _, _, s, e in attrs:
        masked = _mask(masked, s, e)
    for m in _RANGE.finditer(masked):
        first, second = _make_date(m, "issued", as_of, "f_"), _make_date(m, "until", as_of, "s_")
        if first is not None and second is not None:
            attrs.append(("issued", first, m.start(), m.start("second")))
            attrs.append(("until", second, m.start("second"), m.end()))
            masked = _mask(masked, m.start(), m.end())
    for m in _DATED.finditer(masked):
        role = "until" if m.group("until") else "issued"
        day = _make_date(m, role, as_of)
        if day is not None:
            attrs.append((role, day, m.start(), m.end()))
            masked = _mask(masked, m.start(), m.end())

    statuses = [(m.lastgroup or "", m.start(), m.end()) for m in _STATUS.finditer(masked)]
    for _, s, e in statuses:
        masked = _mask(masked, s, e)  # "chưa đạt RoHS": "đạt RoHS" is also a name of RoHS

    found = [
        (m.start(), m.end(), *cat.group_alias[m.lastgroup or ""])
        for m in cat.alias_regex.finditer(masked)
    ]
    mentions: list[_Mention] = []
    for i, (start, end, code, key) in enumerate(found):
        limit = found[i + 1][0] if i + 1 < len(found) else len(masked)
        mentions.append(_mention(cat.standards[code], key, start, end, masked[end:limit]))
    # A bare number after a separator inherits the prefix of the standard before it:
    # "ISO 9001 và 14001" is ISO 9001 and ISO 14001.
    i = 0
    while i < len(mentions):
        current = mentions[i]
        limit = mentions[i + 1].start if i + 1 < len(mentions) else len(masked)
        bare = _BARE_NUMBER.match(masked[current.end : limit]) if current.prefix else None
        match = bare and cat.alias_regex.fullmatch(f"{current.prefix} {bare.group(1)}")
        if match:
            code, key = cat.group_alias[match.lastgroup or ""]
            start, end = current.end + bare.start(1), current.end + bare.end(1)
            tail = masked[end:limit]
            mentions.insert(i + 1, _mention(cat.standards[code], key, start, end, tail))
            mentions[i + 1].bare = True
        i += 1
    for mention in mentions:
        consume(mention.start, mention.end)

    if not mentions:
        if _NONE_LINE.fullmatch(folded):
            return [], []  # the cell says the firm has none: nothing to report
        return [], _pieces(line, folded, covered)
    for status, s, e in statuses:
        _assign_status(mentions, folded, status, s, e, consume)
    for mention in mentions:
        if mention.status == "planned" and "issued" not in mention.attrs:
            _read_target(mention, masked, as_of, consume)
    for role, value, s, e in sorted(attrs, key=lambda a: a[2]):
        before = [m for m in mentions if m.start < s]
        owner = before[-1] if before else mentions[0]
        if role in owner.attrs:
            continue  # a second expiry for one certificate stays in .unparsed
        owner.attrs[role] = (value, s, e)
        consume(s, e)

    if cat.issuer_regex is not None:  # a known certification body named without a keyword
        for m in cat.issuer_regex.finditer(masked):
            before = [x for x in mentions if x.start < m.start()]
            owner = before[-1] if before else mentions[0]
            if "issuer" not in owner.attrs:
                owner.attrs["issuer"] = (line[m.start() : m.end()], m.start(), m.end())
                consume(m.start(), m.end())

    certs = []
    for k, mention in enumerate(mentions):
        end = max([mention.end] + [e for _, _, e in mention.attrs.values()])
        start = min(mention.start, mention.attrs.get("status", (None, mention.start))[1])
        raw = line[start:end]  # "Không có ISO 9001": the status phrase before it is part of it
        following = mentions[k + 1].start if k + 1 < len(mentions) else len(line)
        close = line.find(")", end, following)
        if raw.count("(") > raw.count(")") and close >= 0:  # "ISO 45001 (SGS, 2023)"
            if not line[end:close].strip():
                covered[close] = True
            end = close + 1
            raw = line[start:end]
        get = mention.attrs.get
        certs.append(
            Certification(
                code=mention.code,
                version=mention.version,
                issued=get("issued", (None,))[0],
                valid_until=get("until", (None,))[0],
                issuer=get("issuer", (None,))[0],
                verified=verified,
                raw=raw.strip(),
                national_equivalent=mention.national,
                status=mention.status,
            )
        )
    return certs, _pieces(line, folded, covered)


def _assign_status(
    mentions: list[_Mention], folded: str, status: str, start: int, end: int, consume: Any
) -> None:
    """Give the status phrase at ``start:end`` to the standard it belongs to.

    The standard right after it, with nothing but filler words between (``Không có chứng
    nhận ISO 9001``; the bare numbers listed with it too: ``không có ISO 9001 và 14001``),
    else the nearest standard before it (``ISO 9001 (đã hết hạn)``). A phrase for a standard
    that already has a status, or with no standard at all, stays in ``.unparsed``.
    """
    following = next((i for i, m in enumerate(mentions) if m.start >= end), None)
    owners: list[_Mention] = []
    if following is not None:
        gap = folded[end : mentions[following].start]
        if not _SEPARATOR.search(gap) and all(w in _NOISE for w in re.findall(r"[^\W_]+", gap)):
            owners = [mentions[following]]
            for later in mentions[following + 1 :]:
                if not later.bare:
                    break
                owners.append(later)
    if not owners:
        before = [m for m in mentions if m.end <= start]
        owners = before[-1:]
    if not owners or owners[0].status != "held":
        return
    for owner in owners:
        owner.status = status
    owners[0].attrs["status"] = (status, start, end)
    consume(start, end)


def _read_target(mention: _Mention, masked: str, as_of: date, consume: Any) -> None:
    """The date a planned certificate is expected, written right after it or after its
    status phrase (``dự kiến đạt ISO 9001 năm 2026``), stored as its ``issued`` date."""
    starts = [mention.end]
    if "status" in mention.attrs and mention.attrs["status"][1] >= mention.end:
        starts.append(mention.attrs["status"][2])
    for at in starts:
        m = _TARGET.match(masked, at)
        if m is None or not m.group(0).strip(" :,(-"):
            continue
        day = _make_date(m, "issued", as_of)
        if day is not None:
            mention.attrs["issued"] = (day, at, m.end())
            consume(at, m.end())
            return


def _mention(std: _Standard, key: str, start: int, end: int, tail: str) -> _Mention:
    """A standard named at ``start:end`` (folded ``key``), with the version read from ``tail``."""
    national = next((table for base, table in std.national.items() if key.startswith(base)), None)
    implied = std.alias_versions.get(key)
    version, used = _read_version(std, tail, national, implied)
    words = key.split()
    if version is None and len(words) > 1 and words[-1] in std.version_aliases:
        version = std.version_aliases[words[-1]]  # the alias itself carries one ("ISO 9001:2015")
    if national is not None and version is not None:
        version = national.get(version, version)
    if implied is not None:
        version = implied
    first_number = next((i for i, w in enumerate(words) if w.isdigit()), 0)
    prefix = " ".join(words[:first_number])
    return _Mention(start, end + used, std.code, version, national is not None, prefix)


def _pieces(line: str, folded: str, covered: list[bool]) -> list[str]:
    """Stretches of ``line`` nothing understood, split at separators, minus pure noise."""
    rest = "".join("\x00" if c else ch for ch, c in zip(folded, covered, strict=True))
    out = []
    start = 0
    for sep in [*_PIECE_SPLIT.finditer(rest), None]:
        end = sep.start() if sep else len(rest)
        words = re.findall(r"[^\W_]+", rest[start:end])
        if any(w not in _NOISE for w in words):
            out.append(line[start:end].strip(" .:-"))
        start = sep.end() if sep else end
    return out


def parse_certifications(
    text: str | None, as_of: date | None = None, verified: bool = False
) -> ParsedCertifications:
    """Read the certifications of a free-text cell.

    Parameters
    ----------
    text : str or None
        Certifications as written, in Vietnamese, English or both, with or without
        diacritics, NFC or NFD; separated by commas, semicolons, ``và``, ``and``, ``+``,
        ``/`` or new lines. ``None`` and ``""`` give an empty result.
    as_of : date, optional
        Reference day for two-digit years (``exp. 03/27``): the century that puts the year
        at most 50 years after ``as_of``. Default: today.
    verified : bool, default False
        Whether staff checked these certificates; copied to every record.

    Returns
    -------
    ParsedCertifications
        The certifications in input order; ``.unparsed`` holds the pieces that were not
        understood, as written.

    Examples
    --------
    >>> parsed = parse_certifications("ISO 9001 và 14001; chứng chỉ xanh nội bộ")
    >>> [c.code for c in parsed], parsed.unparsed
    (['iso_9001', 'iso_14001'], ['chứng chỉ xanh nội bộ'])
    >>> parse_certifications("ISO 45001 hiệu lực đến 31/12/2026")[0].valid_until
    datetime.date(2026, 12, 31)
    """
    as_of = _day(as_of, "as_of") or clock.today()
    result = ParsedCertifications()
    if text is None or (
        not isinstance(text, str) and pd.api.types.is_scalar(text) and pd.isna(text)
    ):
        return result  # None, NaN, pd.NA, NaT: an empty spreadsheet cell
    for line in re.split(r"[\r\n\u2028\u2029]+", str(text)):
        line = normalize(line)
        if not line:
            continue
        certs, unparsed = _parse_line(line, as_of, verified)
        result.extend(certs)
        result.unparsed.extend(unparsed)
    return result
