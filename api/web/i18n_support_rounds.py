"""Words of the support programme's pages: the support rounds, their nominations, the proposal, overrides and the decision (staff, analysts) (issue 14).

Each entry is ``{"vi": ..., "en": ...}``; :mod:`api.web.i18n` adds them to its ``WORDS`` and
refuses a word defined twice.
"""

WORDS: dict[str, dict[str, str]] = {
    "support_nav": {"vi": "Hỗ trợ DN", "en": "Support"},
}
