"""Firm profiles: one row per firm, built from firms in the import format.

:func:`build_profiles` reads firms and returns one profile per firm (taxonomy codes with
evidence, certifications, place, size, experience, completeness); the matcher
(:class:`matching.SupplierMatcher`) and the ranking service fit on these profiles.
"""

from features.profile.build import (
    COMPLETENESS_FIELDS,
    PROFILE_COLUMNS,
    REQUIRED_COLUMNS,
    ProfileError,
    build_profiles,
)

__all__ = [
    "build_profiles",
    "PROFILE_COLUMNS",
    "REQUIRED_COLUMNS",
    "COMPLETENESS_FIELDS",
    "ProfileError",
]
