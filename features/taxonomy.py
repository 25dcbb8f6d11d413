"""The domain taxonomy: sectors, product groups, processes, materials, certifications.

Each kind lives in one YAML file of ``features/data/taxonomy/`` (``kind``, ``version``,
``terms``); every ``*.yaml`` of the folder is loaded, so a new kind needs no code.
``precedence.yaml`` is special: it names the winner of every folded alias that two or
more codes claim (folding makes real collisions: *mạ*/*mã* both fold to ``ma``), and lists
stop phrases that contain an alias but mean something else (*Hàn Quốc* is Korea, not
welding).

Lookups ignore case, diacritics, tone-mark placement (``hoà``/``hòa``), NFC/NFD, extra
spaces and hyphens: everything goes through :func:`alias_key`.

Examples
--------
>>> tax = load_taxonomy()
>>> tax.resolve("ép nhựa")
'injection_moulding'
>>> tax.resolve("EP-NHUA")
'injection_moulding'
>>> tax.get("cnc_turning").parent
'cnc_machining'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from features.exceptions import TaxonomyError, UnknownCodeError
from features.text import expand_abbreviations, fold, normalize

__all__ = [
    "KINDS",
    "Term",
    "Ambiguity",
    "Taxonomy",
    "load_taxonomy",
    "alias_key",
]

KINDS: tuple[str, ...] = ("sector", "product_group", "process", "material", "certification")
PRECEDENCE_FILE = "precedence.yaml"
_CORE_KEYS = {
    "code",
    "label_vi",
    "label_en",
    "label_ja",
    "label_ko",
    "aliases",
    "parent",
    "sectors",
    "vsic",
    "hs",
}
_CODE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)?$")
_WORDS = re.compile(r"[^\W_]+")
_SEPARATORS = re.compile(r"\s*[;,]\s*")


def alias_key(text: object) -> str:
    """The lookup key of an alias or a piece of text.

    Folded (lower case, no diacritics, ``đ`` → ``d``, NFKC) words joined by one space:
    hyphens, underscores, dots and runs of spaces all count as one separator.

    >>> alias_key("  Ép-Nhựa ")
    'ep nhua'
    >>> alias_key("cnc_turning")
    'cnc turning'
    """
    return " ".join(_WORDS.findall(fold(text)))


@dataclass(frozen=True)
class Term:
    """One taxonomy entry.

    Attributes
    ----------
    code : str
        Stable lower snake_case code (product groups: ``sector.group``).
    kind : str
        One of :data:`KINDS`.
    label_vi, label_en, label_ja : str
        Labels in Vietnamese, English and Japanese.
    label_ko : str
        Korean label (``""`` where the data file has none; :meth:`label` then falls back
        to English).
    aliases : tuple of str
        Other names people write (with and without diacritics, abbreviations, variants).
    parent : str or None
        Code of a more general term.
    sectors : tuple of str
        Sector codes that use the term.
    vsic, hs : tuple of str
        VSIC 2018 class codes and HS 2022 chapters/headings.
    attrs : Mapping
        Any other keys of the data file (read-only), among them the links the concept
        channel follows: ``made_by`` and ``made_of`` (the processes that make a product or
        process concept, the materials it is made of),
        ``same_as`` (another code that names the same thing) and ``salience`` (in (0, 1],
        default 1: how much naming the code says about what is wanted; a step such as
        assembly or prototyping that qualifies the thing made weighs 0.5), checked on loading.
    """

    code: str
    kind: str
    label_vi: str
    label_en: str
    label_ja: str
    label_ko: str = ""
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    sectors: tuple[str, ...] = ()
    vsic: tuple[str, ...] = ()
    hs: tuple[str, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def label(self, lang: str = "vi") -> str:
        """Label in ``lang`` (``"vi"``, ``"en"``, ``"ja"`` or ``"ko"``; Korean falls back to
        English where the term has no Korean label).

        >>> load_taxonomy().get("mould_making").label("ja")
        '金型製作'
        """
        labels = {"vi": self.label_vi, "en": self.label_en, "ja": self.label_ja,
                  "ko": self.label_ko or self.label_en}
        if lang not in labels:
            raise TaxonomyError(
                f"Expected lang 'vi', 'en', 'ja' or 'ko', got {lang!r}. Use one of those four."
            )
        return labels[lang]

    def names(self) -> tuple[str, ...]:
        """Every name the term answers to: code, the labels, the aliases."""
        return (self.code, self.label_vi, self.label_en, self.label_ja,
                *((self.label_ko,) if self.label_ko else ()), *self.aliases)


@dataclass(frozen=True)
class Ambiguity:
    """A folded alias claimed by two or more codes, and who wins it (from precedence.yaml)."""

    alias: str
    codes: tuple[str, ...]
    winner: str
    why: str


class Taxonomy:
    """All taxonomy terms, validated, with alias lookup.

    Build it with :func:`load_taxonomy`; the constructor takes already validated parts.
    """

    def __init__(
        self,
        terms: Iterable[Term],
        version: str,
        ambiguities: Iterable[Ambiguity] = (),
        stop_phrases: Iterable[str] = (),
    ) -> None:
        self.version = version
        self._terms: dict[str, Term] = {t.code: t for t in terms}
        self._ambiguities = {a.alias: a for a in ambiguities}
        self.stop_phrases: frozenset[str] = frozenset(alias_key(p) for p in stop_phrases)
        self._claims: dict[str, tuple[str, ...]] = _claims(self._terms.values())
        self._children: dict[str, list[str]] = {}
        for term in self._terms.values():
            if term.parent:
                self._children.setdefault(term.parent, []).append(term.code)
        self._index_cache: dict[str | None, dict[str, str]] = {}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(self.terms(k))}" for k in KINDS if self.terms(k))
        return f"Taxonomy(version={self.version!r}, {counts})"

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._terms

    def terms(self, kind: str | None = None) -> list[Term]:
        """Terms of ``kind`` (all kinds when ``None``), in file order."""
        if kind is not None and kind not in KINDS:
            raise TaxonomyError(f"Expected kind in {KINDS}, got {kind!r}.")
        return [t for t in self._terms.values() if kind is None or t.kind == kind]

    def get(self, code: str) -> Term:
        """The term of ``code``.

        Raises
        ------
        UnknownCodeError
            When ``code`` is not a code; the message lists close codes and, when ``code`` is
            an alias, the code it resolves to.
        """
        term = self._terms.get(code)
        if term is not None:
            return term
        resolved = self.resolve(code) if isinstance(code, str) else None
        hint = f" {code!r} is an alias of {resolved!r}: use that code." if resolved else ""
        close = difflib.get_close_matches(str(code), list(self._terms), n=3, cutoff=0.6)
        if close and not resolved:
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?"
        raise UnknownCodeError(
            f"Expected a taxonomy code, got {code!r}.{hint} "
            "Codes are listed by Taxonomy.terms() or `features/data/taxonomy/*.yaml`."
        )

    def alias_index(self, kind: str | None = None) -> dict[str, str]:
        """Folded alias → code for terms of ``kind`` (all kinds when ``None``).

        An alias claimed by several codes maps to the winner named in precedence.yaml
        (restricted to ``kind``: if only one claimant has that kind, it wins).
        """
        if kind is not None and kind not in KINDS:
            raise TaxonomyError(f"Expected kind in {KINDS}, got {kind!r}.")
        if kind not in self._index_cache:
            index: dict[str, str] = {}
            for key, codes in self._claims.items():
                mine = [c for c in codes if kind is None or self._terms[c].kind == kind]
                if not mine:
                    continue
                if len(mine) == 1:
                    index[key] = mine[0]
                else:
                    index[key] = self._ambiguities[key].winner
            self._index_cache[kind] = index
        return dict(self._index_cache[kind])

    def claims(self, key: str) -> tuple[str, ...]:
        """Every code that claims the folded alias ``key`` (empty when none)."""
        return self._claims.get(key, ())

    def resolve(self, text: str, kind: str | None = None) -> str | None:
        """Code for a code, label (vi/en/ja) or alias; ``None`` when nothing matches.

        >>> load_taxonomy().resolve("Tien CNC")
        'cnc_turning'
        """
        key = alias_key(text)
        if not key:
            return None
        if kind not in self._index_cache:
            self.alias_index(kind)
        index = self._index_cache[kind]
        if key in index:
            return index[key]
        # "CN cao", "SX khuôn": the same words behind a common abbreviation
        return index.get(alias_key(expand_abbreviations(text)))

    def resolve_many(self, text: str, kind: str | None = None) -> tuple[list[str], list[str]]:
        """Resolve a ``;``/``,``-separated list.

        Returns
        -------
        (codes, unresolved) : tuple of two lists
            Codes in input order without repeats, and the pieces that did not resolve
            (normalised, as written).

        >>> load_taxonomy().resolve_many("ép nhựa; CNC turning, xyz")
        (['injection_moulding', 'cnc_turning'], ['xyz'])
        """
        codes: list[str] = []
        unresolved: list[str] = []
        for piece in _SEPARATORS.split(normalize(text)):
            if not piece.strip():
                continue
            code = self.resolve(piece, kind)
            if code is None:
                unresolved.append(piece.strip())
            elif code not in codes:
                codes.append(code)
        return codes, unresolved

    def ambiguities(self) -> list[Ambiguity]:
        """Every folded alias claimed by two or more codes, with its winner and why."""
        return [self._ambiguities[k] for k in sorted(self._claims) if len(self._claims[k]) > 1]

    def ancestors(self, code: str) -> list[str]:
        """Parent, grand-parent, ... of ``code`` (nearest first)."""
        out: list[str] = []
        parent = self.get(code).parent
        while parent is not None and parent not in out:
            out.append(parent)
            parent = self._terms[parent].parent
        return out

    def descendants(self, code: str) -> list[str]:
        """Children, grand-children, ... of ``code`` (breadth first)."""
        self.get(code)
        out: list[str] = []
        queue = list(self._children.get(code, ()))
        while queue:
            child = queue.pop(0)
            if child not in out:
                out.append(child)
                queue.extend(self._children.get(child, ()))
        return out

    def to_frame(self, kind: str | None = None) -> pd.DataFrame:
        """One row per term: code, kind, labels, parent, ``;``-joined lists, attrs as columns."""
        rows = []
        for t in self.terms(kind):
            rows.append(
                {
                    "code": t.code,
                    "kind": t.kind,
                    "label_vi": t.label_vi,
                    "label_en": t.label_en,
                    "label_ja": t.label_ja,
                    "label_ko": t.label_ko,
                    "parent": t.parent,
                    "aliases": "; ".join(t.aliases),
                    "sectors": "; ".join(t.sectors),
                    "vsic": "; ".join(t.vsic),
                    "hs": "; ".join(t.hs),
                    **{k: v for k, v in t.attrs.items() if k not in _CORE_KEYS},
                }
            )
        columns = ["code", "kind", "label_vi", "label_en", "label_ja", "label_ko", "parent", "aliases"]
        columns += ["sectors", "vsic", "hs"]
        return pd.DataFrame(rows, columns=columns if not rows else None)


def _claims(terms: Iterable[Term]) -> dict[str, tuple[str, ...]]:
    claims: dict[str, list[str]] = {}
    for term in terms:
        for name in term.names():
            key = alias_key(name)
            if key and term.code not in claims.setdefault(key, []):
                claims[key].append(term.code)
    return {k: tuple(v) for k, v in claims.items()}


def _as_tuple(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int)):
        return (str(value),)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None and str(v).strip())
    raise TaxonomyError(f"{where}: expected '{name}' to be a list of strings, got {value!r}.")


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            # libyaml's safe loader when PyYAML was built with it: the same documents, 10x faster
            return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path.name}: not valid YAML ({exc}). Fix the syntax.") from exc


def _parse_terms(path: Path, doc: Any) -> tuple[str, str, list[Term]]:
    name = path.name
    if not isinstance(doc, dict) or "terms" not in doc:
        raise TaxonomyError(
            f"{name}: expected a mapping with 'kind', 'version' and 'terms', got "
            f"{type(doc).__name__}. See features/data/taxonomy/processes.yaml for the format."
        )
    kind = doc.get("kind")
    if kind not in KINDS:
        raise TaxonomyError(f"{name}: expected 'kind' in {KINDS}, got {kind!r}.")
    version = str(doc.get("version") or "")
    if not version:
        raise TaxonomyError(f"{name}: expected a 'version' such as \"2026.11.1\", got none.")
    if not isinstance(doc["terms"], list):
        raise TaxonomyError(f"{name}: expected 'terms' to be a list, got {doc['terms']!r}.")
    terms: list[Term] = []
    for i, raw in enumerate(doc["terms"]):
        where = f"{name} term #{i + 1}"
        if not isinstance(raw, dict) or not raw.get("code"):
            raise TaxonomyError(f"{where}: expected a mapping with a 'code', got {raw!r}.")
        code = str(raw["code"])
        where = f"{name} code {code!r}"
        if not _CODE.match(code):
            raise TaxonomyError(
                f"{where}: expected a lower snake_case code (product groups: sector.group)."
            )
        labels = {}
        for lang in ("vi", "en", "ja"):
            label = normalize(raw.get(f"label_{lang}"))
            if not label:
                raise TaxonomyError(f"{where}: expected a non-empty 'label_{lang}', got none.")
            labels[lang] = label
        parent = raw.get("parent")
        attrs = {k: v for k, v in raw.items() if k not in _CORE_KEYS}
        terms.append(
            Term(
                code=code,
                kind=kind,
                label_vi=labels["vi"],
                label_en=labels["en"],
                label_ja=labels["ja"],
                label_ko=normalize(raw.get("label_ko")),
                aliases=tuple(
                    normalize(a) for a in _as_tuple(raw.get("aliases"), where, "aliases")
                ),
                parent=str(parent) if parent else None,
                sectors=_as_tuple(raw.get("sectors"), where, "sectors"),
                vsic=_as_tuple(raw.get("vsic"), where, "vsic"),
                hs=_as_tuple(raw.get("hs"), where, "hs"),
                attrs=MappingProxyType(attrs),
            )
        )
    return kind, version, terms


def _parse_precedence(path: Path, doc: Any) -> tuple[list[dict[str, str]], list[str]]:
    name = path.name
    if doc is None:
        return [], []
    if not isinstance(doc, dict):
        raise TaxonomyError(f"{name}: expected a mapping with 'ambiguities', got {doc!r}.")
    entries = doc.get("ambiguities") or []
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not {"alias", "winner", "why"} <= set(entry):
            raise TaxonomyError(
                f"{name} entry #{i + 1}: expected keys alias, winner, why; got {entry!r}."
            )
        out.append({k: str(entry[k]) for k in ("alias", "winner", "why")})
    stops = [str(s) for s in (doc.get("stop_phrases") or [])]
    return out, stops


def _build(folder: Path) -> Taxonomy:
    files = sorted(p for p in folder.glob("*.yaml") if p.name != PRECEDENCE_FILE)
    if not files:
        raise TaxonomyError(
            f"Expected taxonomy files (*.yaml) in {folder.name!r}, found none. "
            "Pass the folder that holds sectors.yaml, processes.yaml, ..."
        )
    terms: list[Term] = []
    origin: dict[str, str] = {}
    versions: dict[str, str] = {}
    for path in files:
        kind, version, parsed = _parse_terms(path, _read_yaml(path))
        versions[path.stem] = version
        for term in parsed:
            if term.code in origin:
                raise TaxonomyError(
                    f"{path.name} code {term.code!r}: already defined in {origin[term.code]}. "
                    "Codes must be unique across all taxonomy files; rename or remove one."
                )
            origin[term.code] = path.name
            terms.append(term)
    by_code = {t.code: t for t in terms}
    for term in terms:
        where = f"{origin[term.code]} code {term.code!r}"
        if term.parent is not None:
            if term.parent not in by_code:
                raise TaxonomyError(
                    f"{where}: parent {term.parent!r} is not a taxonomy code. "
                    "Add that term or fix the parent."
                )
        same_as = term.attrs.get("same_as")
        if same_as is not None and (same_as not in by_code or same_as == term.code):
            raise TaxonomyError(
                f"{where}: same_as {same_as!r} is not another taxonomy code. Fix or remove it."
            )
        salience = term.attrs.get("salience", 1.0)
        if not isinstance(salience, (int, float)) or isinstance(salience, bool) or not 0 < salience <= 1:
            raise TaxonomyError(
                f"{where}: salience {salience!r} is not a number in (0, 1]. Fix or remove it."
            )
        for key, kind in (("made_by", "process"), ("made_of", "material")):
            for linked in term.attrs.get(key) or ():
                if linked not in by_code or by_code[linked].kind != kind:
                    raise TaxonomyError(
                        f"{where}: {key} {linked!r} is not a {kind} code. Fix or remove it."
                    )
        for sector in term.sectors:
            if sector not in by_code or by_code[sector].kind != "sector":
                raise TaxonomyError(
                    f"{where}: sector {sector!r} is not a sector code "
                    f"(known: {', '.join(t.code for t in terms if t.kind == 'sector')})."
                )
    for term in terms:  # a cycle would make ancestors() loop
        seen = {term.code}
        parent = term.parent
        while parent is not None:
            if parent in seen:
                raise TaxonomyError(
                    f"{origin[term.code]} code {term.code!r}: parent chain loops through "
                    f"{parent!r}. Fix the parents."
                )
            seen.add(parent)
            parent = by_code[parent].parent

    precedence_path = folder / PRECEDENCE_FILE
    entries, stops = ([], [])
    if precedence_path.exists():
        entries, stops = _parse_precedence(precedence_path, _read_yaml(precedence_path))
    claims = _claims(terms)
    listed = {alias_key(e["alias"]): e for e in entries}
    ambiguities: list[Ambiguity] = []
    for key, codes in sorted(claims.items()):
        if len(codes) < 2:
            continue
        entry = listed.get(key)
        if entry is None:
            raise TaxonomyError(
                f"Ambiguous alias {key!r}: claimed by {', '.join(codes)} "
                f"({', '.join(origin[c] for c in codes)}). Expected one winner. Fix: add "
                f'`- {{alias: "{key}", winner: <one of {", ".join(codes)}>, why: ...}}` under '
                f"'ambiguities' in {PRECEDENCE_FILE}, or remove the alias from all but one term."
            )
        if entry["winner"] not in codes:
            raise TaxonomyError(
                f"{PRECEDENCE_FILE} alias {entry['alias']!r}: expected the winner to be one of "
                f"{', '.join(codes)}, got {entry['winner']!r}. Fix the winner."
            )
        ambiguities.append(Ambiguity(key, codes, entry["winner"], normalize(entry["why"])))
    for kind in KINDS:  # within one kind, the winner must still be among the claimants
        for amb in ambiguities:
            mine = [c for c in amb.codes if by_code[c].kind == kind]
            if len(mine) > 1 and amb.winner not in mine:
                raise TaxonomyError(
                    f"Ambiguous alias {amb.alias!r}: {', '.join(mine)} (kind {kind}) all claim "
                    f"it and the winner {amb.winner!r} is of another kind. Remove the alias "
                    "from all but one of them."
                )
    for phrase in stops:
        key = alias_key(phrase)
        if key in claims:
            raise TaxonomyError(
                f"{PRECEDENCE_FILE} stop phrase {phrase!r}: it is also an alias of "
                f"{', '.join(claims[key])}, so it would hide that alias. Remove the stop phrase "
                "or the alias."
            )
    distinct = sorted(set(versions.values()))
    if len(distinct) == 1:
        version = distinct[0]
    else:
        version = "+".join(f"{stem}@{v}" for stem, v in sorted(versions.items()))
    return Taxonomy(terms, version, ambiguities, stops)


@lru_cache(maxsize=1)
def _default() -> Taxonomy:
    folder = resources.files("features").joinpath("data/taxonomy")
    with resources.as_file(folder) as path:
        return _build(Path(path))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate the taxonomy.

    Parameters
    ----------
    path : str or Path, optional
        A folder of taxonomy YAML files. ``None`` (default) loads the package data
        (``features/data/taxonomy``) once and caches it.

    Returns
    -------
    Taxonomy

    Raises
    ------
    TaxonomyError
        Duplicate codes, unknown parents or sectors, or an ambiguous alias not listed in
        precedence.yaml; the message names the file, code or alias and the fix.

    Examples
    --------
    >>> len(load_taxonomy().terms("sector"))
    6
    """
    if path is None:
        return _default()
    folder = Path(path)
    if not folder.is_dir():
        raise TaxonomyError(
            f"Expected a folder of taxonomy *.yaml files, got {str(path)!r}, which is not a folder."
        )
    return _build(folder)
