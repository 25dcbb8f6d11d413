"""Taxonomy codes of a record's free text, computed at write time for the list filters.

The rule lives in :mod:`features.sectors` (the sectors of a firm are the same for the list
filters, ``GET /kpi``, the profiles and ``cnht demo``); re-exported here for the repository.
"""

from __future__ import annotations

from features.sectors import capability_codes

__all__ = ["capability_codes"]
