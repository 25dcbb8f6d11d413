"""Which sectors a firm works in, and how many firms each sector has: one rule for every tool.

A firm works in a sector when its ``sectors`` cell names it (a code or an alias, resolved
through the taxonomy) or when its description, products or materials name a process,
material or product of that sector (a product names its sectors). The same rule gives the
sector codes stored with each firm (list filters, ``GET /kpi``), the profiles' ``sectors``
and the figures of ``cnht demo``; a text the taxonomy does not know names no sector.

Examples
--------
>>> sorted(firm_sectors({"sectors": "cơ khí", "description": "Sản xuất linh kiện điện tử"}))
['electronics', 'mechanical']
>>> firms_by_sector([{"mechanical"}, {"electronics", "mechanical"}, set()])
{'electronics': 1, 'mechanical': 2}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

from features.text import normalize

__all__ = ["FIRM_SECTOR_TEXTS", "capability_codes", "firm_sectors", "firms_by_sector"]

# The firm's columns read as text for its sectors, beside the ``sectors`` cell itself.
FIRM_SECTOR_TEXTS: tuple[str, ...] = ("description", "products", "materials")

_KIND_KEYS = {"sector": "sectors", "process": "processes", "material": "materials"}


def capability_codes(*texts: str | None, sector_cells: tuple[str | None, ...] = ()) -> dict[str, set[str]]:
    """Sector, process and material codes found in ``texts``.

    Parameters
    ----------
    *texts : str or None
        Free text (description, products, materials ...); empty ones are skipped.
    sector_cells : tuple of str, optional
        Cells listing sectors (codes or aliases, ``;``-separated), resolved through the
        taxonomy as well as read as text.

    Returns
    -------
    dict
        ``{"sectors": set, "processes": set, "materials": set}``; a product group found in
        the text adds the sectors it belongs to.
    """
    from features.taxonomy import load_taxonomy

    found = _capability_codes(texts, tuple(sector_cells), load_taxonomy())
    return {key: set(codes) for key, codes in found.items()}  # the caller's own sets


@lru_cache(maxsize=65_536)
def _capability_codes(texts: tuple[str | None, ...], sector_cells: tuple[str | None, ...],
                      taxonomy: object) -> dict[str, frozenset[str]]:
    """:func:`capability_codes`, kept per texts and taxonomy: an import reads each firm's
    texts before it starts writing (:func:`api.storage.imports.import_result`), so that the
    rows are written without a scan while the database is locked."""
    from features.capabilities import extract_capabilities

    found: dict[str, set[str]] = {"sectors": set(), "processes": set(), "materials": set()}
    for text in (*texts, *sector_cells):
        text = normalize(text)
        if not text:
            continue
        for capability in extract_capabilities(text):
            if capability.kind in _KIND_KEYS:
                found[_KIND_KEYS[capability.kind]].add(capability.code)
            elif capability.kind == "product_group":
                found["sectors"].update(taxonomy.get(capability.code).sectors)
    for cell in sector_cells:
        if normalize(cell):
            found["sectors"].update(taxonomy.resolve_many(normalize(cell), kind="sector")[0])
    return {key: frozenset(codes) for key, codes in found.items()}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def firm_sectors(firm: Mapping[str, object]) -> set[str]:
    """The sector codes of one firm (a record with ``sectors`` and :data:`FIRM_SECTOR_TEXTS`).

    Missing keys, None and NaN count as empty.
    """
    texts = (_text(firm.get(name)) for name in FIRM_SECTOR_TEXTS)
    return capability_codes(*texts, sector_cells=(_text(firm.get("sectors")),))["sectors"]


def firms_by_sector(sectors_of_firms: Iterable[Iterable[str]]) -> dict[str, int]:
    """Firms per sector code, sorted by code: a firm with two sectors counts in both.

    Parameters
    ----------
    sectors_of_firms : iterable of iterables of str
        The sector codes of each firm (from :func:`firm_sectors`, or as stored); a firm
        with none counts nowhere.

    Returns
    -------
    dict
        ``{sector_code: number_of_firms}``.
    """
    counts: Counter[str] = Counter()
    for codes in sectors_of_firms:
        counts.update(set(codes))
    return dict(sorted(counts.items()))
