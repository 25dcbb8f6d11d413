"""Firm profiles and the scikit-learn transformers that turn them into features.

:func:`build_profiles` reads firms in the import format and returns one profile per firm
(taxonomy codes with evidence, certifications, place, size, experience, completeness);
:class:`FirmProfiler` turns firms or profiles into the feature matrix.
"""

from features.profile.build import (
    COMPLETENESS_FIELDS,
    PROFILE_COLUMNS,
    REQUIRED_COLUMNS,
    build_profiles,
)
from features.profile.transformers import (
    CAPABILITY_KINDS,
    CapabilityEncoder,
    CertificationEncoder,
    FirmProfiler,
    GeoEncoder,
    ProfileError,
    SizeEncoder,
    TextVectorizer,
)

__all__ = [
    "build_profiles",
    "PROFILE_COLUMNS",
    "REQUIRED_COLUMNS",
    "COMPLETENESS_FIELDS",
    "CAPABILITY_KINDS",
    "TextVectorizer",
    "CapabilityEncoder",
    "CertificationEncoder",
    "GeoEncoder",
    "SizeEncoder",
    "FirmProfiler",
    "ProfileError",
]
