"""The certification catalogue: what the taxonomy (``certifications.yaml``) says about each
standard, read once.

Names and aliases (for the parser), versions and the day each was superseded, the code's own
supersession, validity years, issuers, the display label (``short_name``: ``"AS9100"``,
``"VDA 6.3"``, ``"IPC-A-610"``) and the international-standard flag of Plan 04/KH-UBND.
Nothing outside the taxonomy file decides a label or the flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from features.exceptions import TaxonomyError, UnknownCodeError
from features.taxonomy import load_taxonomy
from features.text import fold, normalize

__all__ = ["KIND", "is_international", "international_codes", "label"]

KIND = "certification"


@dataclass(frozen=True)
class _Standard:
    """What the parser and the validity rules need from one taxonomy term."""

    code: str
    short_name: str
    international: bool
    versions: Mapping[str, date | None]
    version_aliases: Mapping[str, str]  # folded spelling -> version
    alias_versions: Mapping[str, str]  # _key -> version the alias implies
    national: Mapping[str, Mapping[str, str]]  # _key of national base -> {year: version}
    superseded_by: str | None
    superseded_on: date | None
    validity_years: int | None
    issuers: tuple[str, ...]


@dataclass(frozen=True)
class _Catalogue:
    standards: Mapping[str, _Standard]
    alias_regex: re.Pattern[str]
    group_alias: Mapping[str, tuple[str, str]]  # regex group -> (code, _key)
    issuer_regex: re.Pattern[str] | None
    issuer_names: Mapping[str, str]  # _key -> issuer as written in the taxonomy


def _as_date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TaxonomyError(
            f"{where}: expected a date (YYYY-MM-DD) or null, got {value!r}. Fix the YAML."
        ) from None


def _standard(term: Any) -> _Standard:
    attrs = term.attrs
    where = f"certifications.yaml code {term.code!r}"
    missing = [k for k in ("international", "versions", "validity_years") if k not in attrs]
    if missing:
        raise TaxonomyError(
            f"{where}: expected certification keys {', '.join(missing)}, got none. "
            "Add them (see the header of certifications.yaml)."
        )
    versions = {
        str(v): _as_date((spec or {}).get("superseded_on"), f"{where} version {v!r}")
        for v, spec in (attrs.get("versions") or {}).items()
    }
    version_aliases = {fold(str(v)): str(v) for v in versions}
    for spelling, version in (attrs.get("version_aliases") or {}).items():
        if str(version) not in versions:
            raise TaxonomyError(
                f"{where}: version_aliases maps {spelling!r} to {version!r}, which is not one "
                f"of its versions ({', '.join(versions)}). Add the version or fix the alias."
            )
        version_aliases[fold(str(spelling))] = str(version)
    alias_versions = {
        _key(alias): str(version) for alias, version in (attrs.get("alias_versions") or {}).items()
    }
    national: dict[str, dict[str, str]] = {}
    for eq in attrs.get("equivalents") or []:
        standard = normalize(eq.get("standard"))
        base, _, year = standard.rpartition(":")
        if not base:
            base, year = standard, ""
        table = national.setdefault(_key(base), {})
        if year:
            table[year.strip()] = str(eq.get("version") or year.strip())
    validity = attrs.get("validity_years")
    return _Standard(
        code=term.code,
        short_name=normalize(attrs.get("short_name")) or term.label_en,
        international=bool(attrs.get("international")),
        versions=versions,
        version_aliases=version_aliases,
        alias_versions=alias_versions,
        national=national,
        superseded_by=attrs.get("superseded_by"),
        superseded_on=_as_date(attrs.get("superseded_on"), where),
        validity_years=int(validity) if validity is not None else None,
        issuers=tuple(normalize(i) for i in attrs.get("issuer_examples") or ()),
    )


_JOIN = r"[\s\-_./:,()・]*"  # what firms put inside a name: ISO9001, ISO-9001, ISO/IEC 17025
_RUNS = re.compile(r"[a-z]+|[0-9]+|[^\W\da-z_]+")


def _key(text: object) -> str:
    """Folded letter, digit and other-script runs joined by one space (``ISO9001`` → ``iso 9001``)."""
    return " ".join(_RUNS.findall(fold(text)))


_YEAR_AHEAD = r"(?:19|20)\d\d(?!\d)"


def _flexible(key: str) -> str | None:
    """Regex for a folded name that tolerates any separators between its letter/digit runs.

    A name ending in letters must not be followed by a number other than a year, so that
    ``chứng nhận ISO`` does not swallow the ``ISO`` of ``chứng nhận ISO 13485``.
    """
    runs = _RUNS.findall(key)
    if not runs:
        return None
    body = _JOIN.join(re.escape(r) for r in runs)
    last = runs[-1]
    if last.isdigit():
        end = r"(?![0-9])"
    elif last.isascii():
        end = rf"(?![a-z0-9])(?!{_JOIN}(?!{_YEAR_AHEAD})\d)"
    else:
        end = ""
    return body + end


def _alternation(named: list[tuple[str | None, str]]) -> str:
    """One regex for many folded names, longest first, grouped by first character.

    Each name must start a word; the guard before the groups and the per-character
    look-aheads let the engine skip most positions without trying every alternative
    (a flat alternation of ~300 names made parsing ten times slower).
    """
    groups: dict[str, list[str]] = {}
    for name, key in sorted(named, key=lambda nk: (-len(nk[1]), nk[1])):
        pattern = _flexible(key)
        if pattern is None:
            continue
        groups.setdefault(key[0], []).append(f"(?P<{name}>{pattern})" if name else pattern)
    branches = [f"(?={re.escape(c)})(?:{'|'.join(ps)})" for c, ps in sorted(groups.items())]
    return rf"(?<![a-z0-9])(?:{'|'.join(branches)})"


@lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    tax = load_taxonomy()
    terms = tax.terms(KIND)
    if not terms:
        raise TaxonomyError(
            "Expected certification terms in the taxonomy, got none. "
            "Restore features/data/taxonomy/certifications.yaml."
        )
    standards = {t.code: _standard(t) for t in terms}
    names: dict[str, str] = {}  # folded key -> code; first claim wins (the loader forbids clashes)
    for term in terms:
        for name in term.names():
            names.setdefault(_key(name), term.code)
        for base in standards[term.code].national:
            names.setdefault(base, term.code)
    named = [(f"a{i}", key) for i, key in enumerate(names)]
    group_alias = {f"a{i}": (names[key], key) for i, key in enumerate(names)}
    issuer_names: dict[str, str] = {}
    for std in standards.values():
        for issuer in std.issuers:
            issuer_names.setdefault(_key(issuer), issuer)
    return _Catalogue(
        standards=standards,
        alias_regex=re.compile(_alternation(named)),
        group_alias=group_alias,
        issuer_regex=re.compile(_alternation([(None, k) for k in issuer_names]))
        if issuer_names
        else None,
        issuer_names=issuer_names,
    )


def _standard_of(code: str) -> _Standard:
    standards = _catalogue().standards
    if code not in standards:
        resolved = load_taxonomy().resolve(code, kind=KIND) if isinstance(code, str) else None
        hint = f" {code!r} is written {resolved!r} as a code." if resolved else ""
        raise UnknownCodeError(
            f"Expected a certification code such as 'iso_9001', got {code!r}.{hint} "
            f"Known codes: {', '.join(standards)}."
        )
    return standards[code]



def is_international(code: str) -> bool:
    """Whether ``code`` counts as an international standard for the plan's target
    (about 400 of 900 supporting-industry firms).

    >>> is_international("iatf_16949"), is_international("amfori_bsci")
    (True, False)

    Raises
    ------
    UnknownCodeError
        When ``code`` is not a certification code.
    """
    return _standard_of(code).international


def international_codes() -> frozenset[str]:
    """Codes the taxonomy flags ``international: true`` (the plan's "international standard").

    >>> sorted(international_codes())[:3]
    ['as9100', 'iatf_16949', 'iso_13485']
    """
    return frozenset(code for code, std in _catalogue().standards.items() if std.international)


def label(code: str) -> str:
    """How a certification is written in reasons: the taxonomy's ``short_name``.

    A code the taxonomy does not know is returned as it is.

    >>> label("vda_6_3"), label("ipc_a_610"), label("as9100")
    ('VDA 6.3', 'IPC-A-610', 'AS9100')
    """
    std = _catalogue().standards.get(code)
    return std.short_name if std is not None else str(code)
