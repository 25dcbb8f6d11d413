"""Capability extraction: free text (vi/en/ja/ko/zh) → taxonomy codes with quotable spans.

A firm writes *"Chuyên ép nhựa, làm khuôn"*, *"chuyen ep nhua"*, *"CNC machining of aluminium
housings"* or *"金型製作"*; :func:`extract_capabilities` returns the sector, product-group,
process and material codes it names, each with the ``(start, end)`` offsets of the words in
the **original** string so an explanation can quote and highlight them.

How it works
------------
* The input is cut into tokens: runs of letters/digits (NFD combining marks and zero-width
  characters stay inside their word) and single CJK/Hangul characters (Japanese has no
  spaces, so every character is a token and aliases match inside longer runs).
* Each token is folded with :func:`features.text.fold`, and a word without diacritics is
  stemmed (:func:`features.text.stem`: *stamped*, *stamping* and *stamp* meet); a whole-word abbreviation
  (``SX``, ``CK``, ``ĐT``; table of :func:`features.text.abbreviations`) is replaced by its
  expansion's tokens, which all keep the abbreviation's span.
* A longest-match-first scan walks the tokens, extending a candidate only while it is the
  prefix of some alias (one dict lookup per token for ordinary words). Words of a multi-word
  alias may be separated only by spaces, hyphens, slashes or middle dots, never by ``,``/``;``.
* Stop phrases of ``precedence.yaml`` (*Hàn Quốc*, *đáp ứng*, *thương mại*) are consumed
  without a code.
* Diacritics are evidence: a token written *with* diacritics must carry exactly the
  diacritics of one of the alias spellings (``mà``/``mã`` never match ``mạ``); a token
  written *without* diacritics matches with lower confidence.
* A Title-case one-word match next to another Title-case word (*Hoàng Sơn*, *Sóc Sơn*) is
  a proper name and is skipped, unless over 3/4 of the words are Title-case (a heading).

Confidence
----------
``confidence = length × diacritics × ambiguity``, rounded to 3 decimals:

* length: 1.0 for an alias of two or more words or of 8+ letters (CJK: 3+ characters);
  0.85 for 4-7 letters (CJK: 2 characters); 0.7 for 1-3 letters (CJK: 1 character, 0.6).
* diacritics: 1.0 when the text's spelling equals an alias spelling (or the alias has no
  diacritics, e.g. ``CNC``); 0.8 when a multi-word alias was typed without diacritics; 0.6
  when a one-word alias was (``khuon`` could also be another word).
* ambiguity: 0.9 when two or more codes claim the folded alias (the winner of
  ``precedence.yaml`` is returned), else 1.0.

Examples
--------
>>> [c.code for c in extract_capabilities("Chuyên ép nhựa, làm khuôn")]
['injection_moulding', 'mould_making']
>>> cap = extract_capabilities("CNC machining of aluminium housings")[0]
>>> cap.code, cap.span, cap.text, cap.confidence
('cnc_machining', (0, 13), 'CNC machining', 1.0)
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from features.exceptions import TaxonomyError
from features.taxonomy import KINDS, Taxonomy, alias_key, load_taxonomy
from features.text import (
    abbreviation_blocked,
    abbreviation_key,
    abbreviations,
    fold,
    normalize,
    stem,
)

__all__ = ["Capability", "extract_capabilities", "DEFAULT_KINDS"]

DEFAULT_KINDS: tuple[str, ...] = ("sector", "product_group", "process", "material")

_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_LETTERS = rf"(?:[^\W_{_CJK_RANGES}]|[\u0300-\u036f{_INVISIBLE}])+"
# "R&D" is looked up whole in the abbreviation table (as features.text does), then split.
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK_RANGES}])|{_LETTERS}(?:[&+]{_LETTERS})*")
_FOLDED_WORDS = re.compile(r"[^\W_]+")
# What may sit between two words of one multi-word alias ("ép-nhựa", "PC/ABS", "ép  nhựa").
_JOINER = re.compile(rf"[\s\-\u2010-\u2015/·・{_INVISIBLE}]*")
_MARK = re.compile(r"[\u0300-\u036f]")


@dataclass(frozen=True)
class Capability:
    """One taxonomy code found in a text.

    Attributes
    ----------
    code : str
        Taxonomy code.
    kind : str
        Its kind (sector, product_group, process, material, ...).
    span : tuple of int
        ``(start, end)`` character offsets into the original input.
    text : str
        ``input[start:end]``, the words that named it.
    confidence : float
        In (0, 1]; see the module docstring for the rule.
    """

    code: str
    kind: str
    span: tuple[int, int]
    text: str
    confidence: float


@dataclass(frozen=True)
class _Entry:
    """An indexed alias key: who claims it, with which spellings."""

    default: str | None  # None: a stop phrase
    claimants: tuple[tuple[str, frozenset[tuple[str, ...]]], ...]  # (code, marked spellings)
    n_tokens: int
    n_chars: int
    cjk: bool
    ambiguous: bool
    # (code, unstemmed folded keys): "injection mould" (the tool) and "injection moulding"
    # (the process) share a stem; the words as typed pick the code that wrote them.
    exact: tuple[tuple[str, frozenset[str]], ...] = ()


def _has_marks(form: str) -> bool:
    return "đ" in form or bool(_MARK.search(unicodedata.normalize("NFD", form)))


# A token: (start, end, folded, spelling, is_cjk, has_marks); spans index the original text.
_Token = tuple[int, int, str, str, bool, bool]


@lru_cache(maxsize=200_000)
def _word(raw: str) -> tuple[tuple[str, str, bool], ...]:
    """(folded, lower-case spelling, has diacritics) for the tokens of one raw word.

    A whole-word abbreviation gives the tokens of its expansion.
    """
    folded = fold(raw)
    expansion = abbreviations().get(abbreviation_key(raw))
    if expansion is not None and fold(expansion) != folded:
        pairs = _pairs(expansion)
        if pairs:
            return pairs
    return _pairs(raw)


def _pairs(text: str) -> tuple[tuple[str, str, bool], ...]:
    form = normalize(text).lower()
    folded = _FOLDED_WORDS.findall(fold(form))
    forms = _FOLDED_WORDS.findall(form)
    if len(forms) != len(folded):  # NFKC split a character: no spelling evidence
        forms = folded
    return tuple((f, s, _has_marks(s)) for f, s in zip(folded, forms, strict=True))


@lru_cache(maxsize=20_000)
def _cjk(char: str) -> str:
    return unicodedata.normalize("NFKC", char).lower()


def _tokens(text: str) -> list[_Token]:
    """Every token of ``text``, in order."""
    out: list[_Token] = []
    append = out.append
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        if m.group("cjk"):
            char = _cjk(m.group(0))
            append((start, end, char, char, True, False))
            continue
        raw = m.group(0)
        # "ĐT: 0243..." is a phone number, not the abbreviation of điện tử
        pairs = _pairs(raw) if abbreviation_blocked(raw, text[end : end + 24]) else _word(raw)
        for folded, form, marked in pairs:
            # English inflections meet their alias (stamped/stamping -> stamp); a word written
            # with diacritics is Vietnamese and kept as it is.
            append((start, end, folded if marked else stem(folded), form, False, marked))
    return out


def _typed_key(toks: list[_Token]) -> str:
    """The folded words as typed (before stemming) of a run of tokens."""
    return " ".join(t[2] if t[4] else fold(t[3]) for t in toks)


_JAPANESE_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=50_000)
def _word_cuts(run: str) -> frozenset[int]:
    """Offsets (0..len) where Sudachi's short units (mode A) of a kana/kanji run begin or end."""
    from sudachipy import SplitMode

    from features.text import _ja_tokenizer

    cuts = {0, len(run)}
    for morpheme in _ja_tokenizer().tokenize(run, SplitMode.A):
        cuts.update((morpheme.begin(), morpheme.end()))
    return frozenset(cuts)


class _Matcher:
    """Precompiled alias index for one taxonomy and one set of kinds."""

    def __init__(self, taxonomy: Taxonomy, kinds: frozenset[str]) -> None:
        self.taxonomy = taxonomy
        self.kinds = {t.code: t.kind for t in taxonomy.terms()}
        winners = taxonomy.alias_index()
        spellings: dict[str, dict[str, set[tuple[str, ...]]]] = {}
        unstemmed: dict[str, dict[str, set[str]]] = {}
        tax_keys: dict[str, str] = {}
        shapes: dict[str, tuple[int, int, bool]] = {}
        for term in taxonomy.terms():
            if term.kind not in kinds:
                continue
            for name in term.names():
                toks = _tokens(name)
                if not toks:
                    continue
                key = " ".join(t[2] for t in toks)
                form = tuple(t[3] for t in toks)
                by_code = spellings.setdefault(key, {})
                marked = by_code.setdefault(term.code, set())
                if any(_has_marks(f) for f in form):
                    marked.add(form)
                unstemmed.setdefault(key, {}).setdefault(term.code, set()).add(_typed_key(toks))
                tax_keys.setdefault(key, alias_key(name))
                cjk = all(t[4] for t in toks)
                shapes[key] = (len(toks), sum(len(t[2]) for t in toks), cjk)
        self.index: dict[str, _Entry] = {}
        for key, by_code in spellings.items():
            codes = list(by_code)
            winner = winners.get(tax_keys[key])
            default = winner if winner in by_code else codes[0]
            ambiguous = len(codes) > 1 or len(taxonomy.claims(tax_keys[key])) > 1
            n_tokens, n_chars, cjk = shapes[key]
            self.index[key] = _Entry(
                default=default,
                claimants=tuple((c, frozenset(by_code[c])) for c in codes),
                n_tokens=n_tokens,
                n_chars=n_chars,
                cjk=cjk,
                ambiguous=ambiguous,
                exact=tuple((c, frozenset(unstemmed[key][c])) for c in codes),
            )
        for phrase in taxonomy.stop_phrases:
            toks = _tokens(phrase)
            key = " ".join(t[2] for t in toks)
            if key and key not in self.index:
                self.index[key] = _Entry(None, (), len(toks), len(key), False, False)
        self.prefixes: set[str] = set()
        for key in self.index:
            parts = key.split(" ")
            for n in range(1, len(parts) + 1):
                self.prefixes.add(" ".join(parts[:n]))

    def scan(self, text: str) -> list[Capability]:
        toks = _tokens(text)
        self._cuts = None  # word boundaries of the Japanese runs, computed on first need
        found: list[Capability] = []
        i = 0
        n = len(toks)
        while i < n:
            key = toks[i][2]
            if key not in self.prefixes:
                i += 1
                continue
            candidates = [(key, i + 1)]
            j = i + 1
            while j < n and self._joined(text, toks[j - 1], toks[j]):
                key = f"{key} {toks[j][2]}"
                if key not in self.prefixes:
                    break
                j += 1
                candidates.append((key, j))
            matched = False
            for key, stop in reversed(candidates):
                entry = self.index.get(key)
                if entry is None:
                    continue
                if entry.default is None:  # stop phrase: consume, no code
                    i, matched = stop, True
                    break
                capability = self._accept(text, toks, i, stop, entry)
                if capability is not None:
                    found.append(capability)
                    i, matched = stop, True
                    break
            if not matched:
                i += 1
        return found

    @staticmethod
    def _joined(text: str, left: _Token, right: _Token) -> bool:
        gap = right[0] - left[1]
        if gap <= 0:  # tokens of one word (abbreviation expansion, CJK run)
            return True
        if gap == 1 and text[left[1]] == " ":
            return True
        return _JOINER.fullmatch(text, left[1], right[0]) is not None

    def _accept(
        self,
        text: str,
        toks: list[_Token],
        i: int,
        stop: int,
        entry: _Entry,
    ) -> Capability | None:
        matched = toks[i:stop]
        form = tuple(t[3] for t in matched)
        start, end = matched[0][0], matched[-1][1]
        typed_marks = any(t[5] for t in matched)
        code = entry.default
        exact = True
        if typed_marks:
            fitting = [c for c, marked in entry.claimants if form in marked]
            if not fitting:
                # Marks that spell another word (mà, mã ≠ mạ), unless the alias is unaccented.
                fitting = [c for c, marked in entry.claimants if not marked]
                if not fitting:
                    return None
            code = entry.default if entry.default in fitting else fitting[0]
        else:
            exact = all(not marked for c, marked in entry.claimants if c == code)
        if (matched[0][4] and not self._at_cut(text, start)) or (matched[-1][4] and not self._at_cut(text, end)):
            return None  # inside a Japanese word: マイク in マイクロ, イカ in ダイカスト
        typed = _typed_key(matched)
        written = [c for c, keys in entry.exact if typed in keys]
        if not written and (typed_marks or any(len(t[2]) < 4 for t in matched if not t[4])):
            # Met only through a stem: never from a Vietnamese word with diacritics (tấn is
            # not "tanning") nor through a stem of under four letters (tan, han, cat).
            return None
        if written and code not in written:
            code = written[0]
        if (
            entry.n_tokens == 1
            and not entry.cjk
            and text[start:end].istitle()
            and self._next_to_titled_word(text, toks, i, stop)
            and not _mostly_titled(text, toks)
        ):
            return None  # part of a proper name: "Công ty Hoàng Sơn", "Sóc Sơn"
        if entry.cjk:
            length = 1.0 if entry.n_chars >= 3 else 0.85 if entry.n_chars == 2 else 0.6
        elif entry.n_tokens >= 2 or entry.n_chars >= 8:
            length = 1.0
        else:
            length = 0.85 if entry.n_chars >= 4 else 0.7
        diacritics = 1.0 if exact else 0.8 if entry.n_tokens >= 2 else 0.6
        ambiguity = 0.9 if entry.ambiguous else 1.0
        return Capability(
            code=code,
            kind=self.kinds[code],
            span=(start, end),
            text=text[start:end],
            confidence=round(length * diacritics * ambiguity, 3),
        )

    def _at_cut(self, text: str, offset: int) -> bool:
        """Whether ``offset`` is a word boundary for Japanese: the edge of a kana/kanji run or
        a boundary between two of Sudachi's short units inside one (Korean and Chinese-only
        text has no such analysis here: always a boundary)."""
        if self._cuts is None:
            cuts: set[int] = set()
            for run in _JAPANESE_RUN.finditer(text):
                cuts.update(run.start() + c for c in _word_cuts(run.group(0)))
            self._cuts = cuts
        if offset in self._cuts:
            return True
        inside = 0 < offset < len(text) and _JAPANESE_RUN.match(text[offset - 1 : offset + 1])
        return not (inside and _JAPANESE_RUN.fullmatch(text[offset - 1 : offset + 1]))

    @staticmethod
    def _next_to_titled_word(text: str, toks: list[_Token], i: int, stop: int) -> bool:
        start, end = toks[i][0], toks[stop - 1][1]
        for k in (i - 1, stop):
            if 0 <= k < len(toks) and not toks[k][4]:
                n_start, n_end = toks[k][0], toks[k][1]
                gap = text[n_end:start] if n_end <= start else text[end:n_start]
                if gap.isspace() and text[n_start:n_end].istitle():
                    return True
        return False


def _mostly_titled(text: str, toks: list[_Token]) -> bool:
    """True for headings and names written In Title Case, where capitals say nothing."""
    words = {(t[0], t[1]) for t in toks if not t[4]}  # an expansion's tokens share one span
    titled = sum(1 for start, end in words if text[start:end].istitle())
    return titled > 0.75 * len(words)


_MATCHERS: weakref.WeakKeyDictionary[Taxonomy, dict[frozenset[str], _Matcher]] = (
    weakref.WeakKeyDictionary()
)


def _matcher(taxonomy: Taxonomy, kinds: frozenset[str]) -> _Matcher:
    per_taxonomy = _MATCHERS.setdefault(taxonomy, {})
    if kinds not in per_taxonomy:
        per_taxonomy[kinds] = _Matcher(taxonomy, kinds)
    return per_taxonomy[kinds]


def extract_capabilities(
    text: str,
    kinds: Iterable[str] | None = None,
    taxonomy: Taxonomy | None = None,
) -> list[Capability]:
    """Find the taxonomy codes a free text names.

    Parameters
    ----------
    text : str
        Free text in Vietnamese (with or without diacritics, NFC or NFD, either tone
        placement, abbreviations such as ``SX``/``CK``), English, Japanese, Korean or Chinese.
        ``None`` or NaN give no capabilities.
    kinds : iterable of str, optional
        Kinds to look for; default :data:`DEFAULT_KINDS` (sector, product_group, process,
        material: certifications have their own parser).
    taxonomy : Taxonomy, optional
        Default :func:`features.taxonomy.load_taxonomy`.

    Returns
    -------
    list of Capability
        One per code (the best-confidence mention, then the longest, then the first), in
        order of appearance. ``span`` indexes the original ``text``.

    Raises
    ------
    TaxonomyError
        When ``kinds`` names an unknown kind.

    Examples
    --------
    >>> [c.code for c in extract_capabilities("chuyen ep nhua, lam khuon")]
    ['injection_moulding', 'mould_making']
    >>> [c.code for c in extract_capabilities("金型製作")]
    ['mould_making']
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    if not isinstance(text, str):
        text = str(text)
    if kinds is None:
        wanted = frozenset(DEFAULT_KINDS)
    else:
        wanted = frozenset([kinds] if isinstance(kinds, str) else kinds)
        unknown = sorted(wanted - set(KINDS))
        if unknown:
            raise TaxonomyError(
                f"Expected kinds among {', '.join(KINDS)}, got {', '.join(map(repr, unknown))}. "
                "Fix the kinds argument."
            )
    matcher = _matcher(taxonomy if taxonomy is not None else load_taxonomy(), wanted)
    best: dict[str, Capability] = {}
    for cap in matcher.scan(text):
        held = best.get(cap.code)
        if held is None or (cap.confidence, cap.span[1] - cap.span[0]) > (
            held.confidence,
            held.span[1] - held.span[0],
        ):
            best[cap.code] = cap
    return sorted(best.values(), key=lambda c: c.span)
