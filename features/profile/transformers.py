"""scikit-learn transformers that turn firm profiles into a feature matrix.

Each transformer stores only its hyper-parameters in ``__init__``, learns its state in
``fit`` (names ending in ``_``) and names its output columns in ``get_feature_names_out``,
so ``clone``, ``set_params``, ``Pipeline`` and ``GridSearchCV`` work, and a notebook can
inspect every column. Sparse outputs are :class:`scipy.sparse.csr_matrix`; dense outputs
support ``set_output(transform="pandas")``.

:class:`FirmProfiler` composes them over the output of
:func:`features.profile.build_profiles` (or over raw firms in the import format, which it
profiles first).
"""

from features.profile._common import CAPABILITY_KINDS, ProfileError
from features.profile.encoders import CapabilityEncoder, CertificationEncoder
from features.profile.numeric import GeoEncoder, SizeEncoder
from features.profile.profiler import FirmProfiler
from features.profile.vectorizer import TextVectorizer

__all__ = [
    "ProfileError",
    "TextVectorizer",
    "CapabilityEncoder",
    "CertificationEncoder",
    "GeoEncoder",
    "SizeEncoder",
    "FirmProfiler",
    "CAPABILITY_KINDS",
]
