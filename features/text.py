"""Vietnamese text: normalisation, accent folding, abbreviations and tokens.

Firm descriptions arrive as NFC or NFD, with the tone mark of *oa*, *oe* and *uy*
placed in either of the two accepted styles (``hoà``/``hòa``), with zero-width spaces
copied from web pages, abbreviations (``SX``, ``CN``, ``KCN``) and Japanese or English
terms mixed in. Everything that compares text goes through :func:`normalize` and,
for matching, :func:`fold`, so that the same words always give the same string.

Examples
--------
>>> normalize("Hoà  Bình\\u200b")
'Hòa Bình'
>>> fold("Đúc áp lực")
'duc ap luc'
>>> expand_abbreviations("Cty TNHH SX linh kiện")
'công ty trách nhiệm hữu hạn sản xuất linh kiện'
"""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

__all__ = [
    "normalize",
    "fold",
    "expand_abbreviations",
    "abbreviations",
    "abbreviation_key",
    "abbreviation_blocked",
    "tokens",
    "words",
    "stem",
    "japanese_words",
]

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
# Invisible formatting characters that web copies carry: every format character (Unicode
# category Cf: ZWSP, ZWNJ, ZWJ, WJ, BOM, soft hyphen, LRM/RLM, bidi embeddings, ...), the
# combining grapheme joiner and variation selectors.
_INVISIBLE = re.compile(
    "["
    + "".join(
        re.escape(chr(c))
        for c in (*range(0x10000), *range(0xE0000, 0xE0080))  # BMP and tag characters
        if unicodedata.category(chr(c)) == "Cf"
    )
    + "\u034f\ufe00-\ufe0f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
# In NFD, the "new" placement puts the tone on the second vowel of an open oa/oe/uy
# syllable (hoà, khoẻ, thuý). We keep the traditional placement (hòa, khỏe, thúy), which
# official names (Hòa Bình, Khánh Hòa) and the administrative-unit data use.
# "qu" + y is not the uy diphthong (quý keeps its mark on y).
_NOT_LETTER_AFTER = r"(?![^\W\d_]|[\u0300-\u036f])"
_OA_OE = re.compile(rf"(?i)(?<![q])(o)([ae])([{_TONES}]){_NOT_LETTER_AFTER}")
_UY = re.compile(rf"(?i)(?<![q])(u)(y)([{_TONES}]){_NOT_LETTER_AFTER}")
_MARKS = re.compile(r"[\u0300-\u036f]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W_]+(?:[&+.\-][^\W_]+)*", re.UNICODE)


def normalize(text: object) -> str:
    """Return ``text`` in one canonical Vietnamese form.

    Unicode NFC; the tone mark of open *oa*, *oe*, *uy* syllables in the traditional
    place (``hoà`` and ``hòa`` both give ``hòa``); zero-width and control characters
    removed; runs of whitespace collapsed to one space; ends stripped. Idempotent.
    ``None`` and NaN give ``""``.

    Parameters
    ----------
    text : str or None
        Any text, NFC or NFD.

    Returns
    -------
    str
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    text = str(text)
    if len(text) <= _CACHED_LENGTH:  # the same short strings come back (names, clauses, keys)
        return _normalize_short(text)
    return _normalize(text)


_CACHED_LENGTH = 160


@lru_cache(maxsize=65536)
def _normalize_short(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    if text.isascii():  # no format character, no tone mark, NFC already: controls and spaces only
        return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    return _normalize_unicode(text)


def _normalize_unicode(text: str) -> str:
    # Printable text holds no format (Cf) nor control character; the other invisible
    # characters (the grapheme joiner, variation selectors) are looked for apart: when none is
    # there, both removals would leave the text as it is (a character test per character at
    # C speed, against a regular expression's step per character).
    if not (text.isprintable() and "\u034f" not in text and max(text, default="") < "\ufe00"):
        text = _INVISIBLE.sub("", text)
        text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFD", text)
    text = _OA_OE.sub(r"\1\3\2", text)
    text = _UY.sub(r"\1\3\2", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", text).strip()


def fold(text: object) -> str:
    """Lower-case, accent-free form of ``text`` for matching.

    Diacritics are removed, ``đ``/``Đ`` become ``d``, full-width forms become ASCII
    (NFKC), Japanese and other scripts are kept.

    >>> fold("Đúc áp lực")
    'duc ap luc'
    >>> fold("KHUÔN MẪU") == fold("khuon mau")
    True
    """
    text = normalize(text)
    return _fold_short(text) if len(text) <= _CACHED_LENGTH else _fold(text)


@lru_cache(maxsize=65536)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("đ", "d").replace("Đ", "D")
    text = _MARKS.sub("", unicodedata.normalize("NFD", text))
    # a stray combining mark after a space leaves a space behind: collapse again
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip().lower()


@lru_cache(maxsize=65536)
def _abbreviation_key(word: str) -> str:
    return normalize(word).lower()


def abbreviation_key(word: object) -> str:
    """Lookup key of an abbreviation: its spelling in lower case, diacritics kept.

    ``SX``, ``sx`` and ``Sx`` share a key; ``ĐT`` (điện tử) and ``DT`` do not, nor do
    ``LĐ`` (lao động) and ``LD`` (liên doanh).
    """
    return _abbreviation_key(word) if isinstance(word, str) else normalize(word).lower()


@lru_cache(maxsize=1)
def _abbreviation_table() -> tuple[dict[str, str], dict[str, re.Pattern[str]]]:
    table: dict[str, str] = {}
    unless_after: dict[str, re.Pattern[str]] = {}
    with resources.files("features").joinpath("data/abbreviations.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = abbreviation_key(row["abbreviation"])
            table[key] = normalize(row["expansion"])
            if row.get("unless_after"):
                unless_after[key] = re.compile(row["unless_after"])
    return table, unless_after


def abbreviations() -> dict[str, str]:
    """The abbreviation table (``features/data/abbreviations.csv``), keyed by
    :func:`abbreviation_key`."""
    return _abbreviation_table()[0]


def abbreviation_blocked(word: str, following: str) -> bool:
    """Whether the context after ``word`` says it is not the abbreviation of the table
    (``ĐT: 0243 851 2345`` is a phone number, not điện tử)."""
    rules = _abbreviation_table()[1]
    if not rules:
        return False
    # hot path (called per token by the capability extractor): a cheap key, not normalize()
    rule = rules.get(unicodedata.normalize("NFC", word).lower())
    return bool(rule and rule.match(following))


def expand_abbreviations(text: object) -> str:
    """Replace whole-word abbreviations (SX, CN, KCN, TNHH, ...) by their expansion.

    Matching ignores case, not diacritics (``sx``, ``SX``, ``Cty``; ``LĐ`` is lao động,
    ``LD`` liên doanh); an abbreviation whose context rules it out is kept (``ĐT:``
    before a phone number). The rest of the text is returned normalised but otherwise
    unchanged.
    """
    table = abbreviations()
    text = normalize(text)

    def _swap(match: re.Match[str]) -> str:
        word = match.group(0)
        expansion = table.get(abbreviation_key(word))
        if expansion is None or abbreviation_blocked(word, text[match.end() : match.end() + 24]):
            return word
        return expansion

    return _WORD.sub(_swap, text)


def words(text: object, expand: bool = True) -> list[str]:
    """Folded words of ``text`` (abbreviations expanded first), CJK runs kept whole.

    >>> words("Cty SX khuôn mẫu")
    ['cong', 'ty', 'san', 'xuat', 'khuon', 'mau']
    """
    text = expand_abbreviations(text) if expand else normalize(text)
    return re.findall(r"[^\W_]+", fold(text))


_KANA_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]+")
# Parts of speech that carry no meaning for matching (particles, auxiliaries, symbols, blanks).
_JA_SKIP = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})
_JA_LOCAL = threading.local()


def _ja_tokenizer():
    """One Sudachi tokenizer per thread (its dictionary ships inside ``sudachidict_core``)."""
    tokenizer = getattr(_JA_LOCAL, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
        _JA_LOCAL.tokenizer = tokenizer
    return tokenizer


@lru_cache(maxsize=65536)
def japanese_words(run: str) -> tuple[str, ...]:
    """Content words of a Japanese (or Chinese) run, by Sudachi's morphological analysis.

    Mode C units (``自動化``) and, where they split further, their mode A parts (``自動``);
    each in Sudachi's normalised form (``成形`` and ``成型`` are one word, so are
    ``ワイヤー`` and ``ワイヤ``); particles, auxiliaries and symbols dropped.

    >>> japanese_words("車載ワイヤーハーネスの組立")
    ('車載', 'ワイヤ', 'ハーネス', '組み立て')
    """
    from sudachipy import SplitMode

    out: list[str] = []
    for morpheme in _ja_tokenizer().tokenize(run, SplitMode.C):
        if morpheme.part_of_speech()[0] in _JA_SKIP:
            continue
        out.append(morpheme.normalized_form())
        parts = morpheme.split(SplitMode.A)
        if len(parts) > 1:
            out.extend(p.normalized_form() for p in parts if p.part_of_speech()[0] not in _JA_SKIP)
    return tuple(w for w in out if w.strip())


@lru_cache(maxsize=1)
def _english_stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


_VOWEL = re.compile("[aeiouy]")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """English stem of a folded Latin word (``stamped``, ``stamping`` -> ``stamp``).

    Words of four letters or fewer are left alone (``abs``, ``pcb``: acronyms), except a
    plural ``s``; Vietnamese syllables, which end in a vowel or ``c ch m n ng nh p t``,
    are left as they are by the Snowball rules.

    >>> stem("moulded"), stem("harnesses"), stem("khuon"), stem("pcbas")
    ('mould', 'har', 'khuon', 'pcba')
    """
    if not word.isascii() or not word.isalpha():
        return word
    if len(word) <= 4:
        return word[:-1] if len(word) == 4 and word.endswith("s") and word[-2] not in "siu" else word
    stemmed = _english_stemmer().stemWord(word)
    if stemmed == word and word.endswith("as") and not _VOWEL.search(word[:-2]):
        return word[:-1]  # an acronym's plural the Snowball rules keep: PCBAs
    return stemmed


def tokens(text: object, bigrams: bool = True, expand: bool = True, morphology: bool = True) -> list[str]:
    """Tokens for matching: words of each language, and bigrams of adjacent words.

    * Latin script (Vietnamese, English): folded syllables or words, English ones stemmed
      (``stamped`` and ``stamping`` give ``stamp``), and bigrams of adjacent ones joined
      by ``_``; typed-without-diacritics text gives the tokens of accented text.
    * Japanese and Chinese: Sudachi's words (see :func:`japanese_words`), never fragments
      of a word, and bigrams of adjacent words.
    * Korean: character bigrams of each word (no analyser ships for Korean).

    ``morphology=False`` gives the plain tokens the text-only baselines use: folded words
    unstemmed and character bigrams of every CJK run.

    >>> tokens("Ép nhựa")
    ['ep', 'nhua', 'ep_nhua']
    >>> tokens("金型製作")
    ['金型', '製作', '金型_製作']
    >>> tokens("stamped brackets")
    ['stamp', 'bracket', 'stamp_bracket']
    """
    out: list[str] = []
    latin: list[str] = []
    japanese: list[str] = []
    for w in words(text, expand=expand):
        if not _CJK.search(w):
            latin.append(stem(w) if morphology else w)
            continue
        for part in re.split(f"({_CJK.pattern})", w):  # "abc金型": split scripts apart
            if not part:
                continue
            if not _CJK.fullmatch(part):
                latin.append(stem(part) if morphology else part)
            elif morphology and not _HANGUL.search(part):
                japanese.extend(japanese_words(part))
            else:
                out.extend(part[i : i + 2] for i in range(max(1, len(part) - 1)))
    if bigrams:
        out.extend(f"{a}_{b}" for a, b in zip(latin, latin[1:], strict=False))
        out.extend(f"{a}_{b}" for a, b in zip(japanese, japanese[1:], strict=False))
    return latin + japanese + out
