"""Words of the support programme's pages: an association's nominations and a firm's own applications (issue 14).

Each entry is ``{"vi": ..., "en": ...}``; :mod:`api.web.i18n` adds them to its ``WORDS`` and
refuses a word defined twice.
"""

WORDS: dict[str, dict[str, str]] = {
    "support_applications_nav": {"vi": "Đăng ký hỗ trợ", "en": "Support applications"},
    "support_nominations_nav": {"vi": "Đề cử doanh nghiệp", "en": "Nominations"},
}
