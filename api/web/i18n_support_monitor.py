"""Words of the support programme's pages: monitoring funded items (milestones, inspections, overdue) and the plan's figures over time (issue 14).

Each entry is ``{"vi": ..., "en": ...}``; :mod:`api.web.i18n` adds them to its ``WORDS`` and
refuses a word defined twice.
"""

WORDS: dict[str, dict[str, str]] = {}
