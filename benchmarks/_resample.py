"""Build N firms by resampling the demo firms with perturbed text (for benchmarks).

Real registers repeat the same firm under several spellings: typed without diacritics,
pasted in NFD from a PDF, with the other tone-mark placement (``hoà``/``hòa``), with
zero-width spaces from a web page, or with abbreviations (``SX``, ``Cty``). Each resampled
row copies a demo firm and applies a random subset of these perturbations to its text
columns, so the benchmark sees realistic variety and realistic repetition.

Examples
--------
>>> import numpy as np
>>> strip_diacritics("Đúc áp lực")
'Duc ap luc'
>>> swap_tone_placement("hòa thuận") == "hoà thuận"
True
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from features.text import abbreviations, fold

__all__ = [
    "DEMO_FIRMS",
    "TEXT_COLUMNS",
    "load_demo_firms",
    "resample_firms",
    "perturb_text",
    "strip_diacritics",
    "to_nfd",
    "swap_tone_placement",
    "insert_zero_width",
    "abbreviate",
]

DEMO_FIRMS = Path(__file__).resolve().parents[1] / "data" / "demo" / "firms.csv"
TEXT_COLUMNS: tuple[str, ...] = ("name", "description", "products", "materials", "address")
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Traditional placement (hòa) -> modern (hoà): move the tone from o/u to the next vowel.
_OLD_STYLE = re.compile(rf"(?i)(?<![q])([ou])([{_TONES}])([aey])(?![^\W\d_]|[\u0300-\u036f])")
_INVISIBLE = ("\u200b", "\u200c", "\ufeff")


def strip_diacritics(text: str) -> str:
    """Text as typed without diacritics (``đ`` → ``d``), case kept."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", re.sub(r"[\u0300-\u036f]", "", decomposed))


def to_nfd(text: str) -> str:
    """Canonically decomposed text (as pasted from some PDFs and Macs)."""
    return unicodedata.normalize("NFD", text)


def swap_tone_placement(text: str) -> str:
    """Move the tone of open *oa*, *oe*, *uy* syllables to the second vowel (hòa → hoà)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OLD_STYLE.sub(r"\1\3\2", decomposed))


def insert_zero_width(text: str, rng: random.Random | np.random.Generator, k: int = 2) -> str:
    """Insert ``k`` zero-width spaces, non-joiners or BOMs at random positions."""
    if not text:
        return text
    chars = list(text)
    for _ in range(k):
        position = int(rng.random() * (len(chars) + 1))
        chars.insert(position, _INVISIBLE[int(rng.random() * len(_INVISIBLE))])
    return "".join(chars)


@lru_cache(maxsize=1)
def _abbreviation_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One alternation of every multi-word expansion (longest first, so "công ty trách
    nhiệm hữu hạn" wins over "công ty"), and folded expansion -> abbreviation."""
    table: dict[str, str] = {}
    for abbreviation, expansion in abbreviations().items():
        if fold(expansion) != abbreviation and len(expansion.split()) >= 2:
            table.setdefault(fold(expansion), abbreviation.upper())
    expansions = sorted(
        {e for a, e in abbreviations().items() if fold(e) in table}, key=len, reverse=True
    )
    pattern = re.compile(r"(?i)\b(?:" + "|".join(re.escape(e) for e in expansions) + r")\b")
    return pattern, table


def abbreviate(text: str) -> str:
    """Replace expansions by their abbreviation (``sản xuất`` → ``SX``, ``công ty`` → ``CTY``)."""
    pattern, table = _abbreviation_pattern()
    return pattern.sub(lambda m: table[fold(m.group(0))], unicodedata.normalize("NFC", text))


def perturb_text(
    text: object, rng: random.Random | np.random.Generator, rate: float = 0.5
) -> object:
    """Apply each perturbation with probability ``rate`` (NaN and non-text pass through)."""
    if not isinstance(text, str) or not text:
        return text
    if rng.random() < rate:
        text = abbreviate(text)
    if rng.random() < rate:
        text = swap_tone_placement(text)
    if rng.random() < rate / 2:
        text = strip_diacritics(text)
    if rng.random() < rate / 4:
        text = text.lower() if rng.random() < 0.5 else text.upper()
    if rng.random() < rate / 2:
        text = insert_zero_width(text, rng)
    if rng.random() < rate / 2:
        text = to_nfd(text)
    return text


def load_demo_firms(path: str | Path | None = None) -> pd.DataFrame:
    """The demo firms (``data/demo/firms.csv``) as strings, empty cells as NaN."""
    path = DEMO_FIRMS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"Expected the demo firms at {path}, found nothing. Run `cnht demo` (or "
            f"python -m features.demo) to generate them."
        )
    return pd.read_csv(path, dtype=str, keep_default_na=True)


def resample_firms(
    firms: pd.DataFrame,
    n: int,
    *,
    seed: int = 0,
    rate: float = 0.5,
    text_columns: tuple[str, ...] = TEXT_COLUMNS,
) -> pd.DataFrame:
    """``n`` firms drawn with replacement from ``firms``, text perturbed, ids renumbered.

    Parameters
    ----------
    firms : DataFrame
        Firms in the import format (``features.columns.FIRM_COLUMNS``).
    n : int
        Number of firms to build.
    seed : int, default=0
        Seed of the generator; the same seed gives the same firms.
    rate : float, default=0.5
        Probability of each perturbation (0 copies the text unchanged).
    text_columns : tuple of str
        Columns whose text is perturbed (those absent are skipped).

    Returns
    -------
    DataFrame
        ``n`` rows, same columns, ``firm_id`` ``F000001``.., ``source_firm_id`` the demo row.
    """
    if n < 1:
        raise ValueError(f"Expected n >= 1 firms, got n={n}.")
    picks = np.random.default_rng(seed).integers(0, len(firms), size=n)
    # Per-cell draws use the standard library generator: numpy's scalar draws cost ~1 µs each.
    rng = random.Random(seed)
    out = firms.iloc[picks].reset_index(drop=True).copy()
    out.insert(1, "source_firm_id", out["firm_id"])
    width = max(6, len(str(n)))
    out["firm_id"] = [f"F{i:0{width}d}" for i in range(1, n + 1)]
    for column in text_columns:
        if column in out.columns:
            out[column] = [perturb_text(v, rng, rate) for v in out[column].tolist()]
    return out
