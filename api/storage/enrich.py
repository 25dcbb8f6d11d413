"""Taxonomy codes of a record's free text, computed at write time for the list filters.

Delegates to :func:`features.capabilities.extract_capabilities` (processes, materials,
sectors and product groups found in Vietnamese, English or Japanese text) and to the
taxonomy for sector cells written as codes or aliases (``"cơ khí; điện tử"``).
"""

from __future__ import annotations

from features.text import normalize

__all__ = ["capability_codes"]

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
    from features.capabilities import extract_capabilities
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
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
    return found
