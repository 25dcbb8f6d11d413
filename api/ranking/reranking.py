"""The active re-ranker version of the service: found, checked and loaded from the models folder.

``cnht models activate V`` and ``cnht models rollback`` rewrite ``active.json`` of the models
folder (setting ``models_dir``); the service reads it on every shortlist (a small JSON file
and two ``stat`` calls) and loads a version again only when the active id or its files
changed, so a switch takes effect on the next request, without a restart.

A version that cannot be used (its model file missing, changed since training so its
SHA-256 no longer matches, unreadable metadata, or not an outcome re-ranker) is never
unpickled nor used: the service ranks with the hand-weighted matcher, as without a version,
and logs one warning (``event=rerank_fallback``) each time that state is first seen.

A version of kind ``"weights"`` (:func:`matching.tuning.save_weights_version`) holds tuned
component weights instead of a re-ranker: while it is active the matcher scores with them
(:func:`with_weights`) and runs record ``+weights:VERSION``.

Examples
--------
>>> models = ActiveModel("models")                     # doctest: +SKIP
>>> active = models.get()                              # doctest: +SKIP
>>> active.version if active else "hand-weighted"      # doctest: +SKIP
'20261201T101500-3f2a9c1d'
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

from matching import SupplierMatcher
from matching.rerank import BuyerHistory, FirmHistory, ModelStore, OutcomeReranker
from matching.rerank.exceptions import RerankError
from matching.rerank.versions import METADATA_FILE, MODEL_FILE
from matching.tuning import WEIGHTS_KIND

__all__ = ["ActiveModel", "ActiveReranker", "LoadedModel", "reranked_model_version", "with_weights"]

logger = logging.getLogger(__name__)

_MODEL_VERSION_LENGTH = 60  # shortlists.model_version is String(60)


@dataclass(frozen=True)
class LoadedModel:
    """An active version, loaded and checked: its id and the fitted re-ranker, or (kind
    ``"weights"``) the component weights the matcher scores with (``model`` None)."""

    version: str
    model: OutcomeReranker | None
    weights: dict[str, float] | None = None


@dataclass(frozen=True)
class ActiveReranker:
    """What a shortlist is re-ranked with: the active version and the outcomes recorded so far.

    Attributes
    ----------
    version : str
        The model version id (``cnht models list``).
    model : OutcomeReranker or None
        None for a weights version.
    history : FirmHistory or None
        The database's outcome events; each pair counts only those before its need's date
        (None for a weights version, which reads none).
    buyer_history : BuyerHistory or None
        The same events per buyer, for a version trained with buyer features (None: the
        version does not read them).
    weights : dict or None
        A weights version's component weights: the matcher scores with them.
    """

    version: str
    model: OutcomeReranker | None
    history: FirmHistory | None
    buyer_history: BuyerHistory | None = None
    weights: dict[str, float] | None = None


def reranked_model_version(matcher_version: str, version: str, kind: str = "rerank") -> str:
    """The ``model_version`` a re-ranked shortlist records: ``{matcher version}+rerank:{version}``
    (``+weights:{version}`` with ``kind="weights"``: scored with a weights version).

    Runs store at most 60 characters: when the matcher's version and the model's id do not
    fit together, the matcher's version is replaced by a 10-character digest of it
    (``SupplierMatcher-<digest>+rerank:<version>``); the full one is kept in the run's
    parameters.
    """
    joined = f"{matcher_version}+{kind}:{version}"
    if len(joined) <= _MODEL_VERSION_LENGTH:
        return joined
    digest = hashlib.sha256(matcher_version.encode("utf-8")).hexdigest()[:10]
    return f"SupplierMatcher-{digest}+{kind}:{version}"[:_MODEL_VERSION_LENGTH]


def with_weights(matcher: SupplierMatcher, weights: dict[str, float]) -> SupplierMatcher:
    """A shallow copy of a fitted matcher scoring with ``weights`` (no refit: a score is a
    weighted sum of component values, which the copy shares read-only).

    Raises
    ------
    RerankError
        ``weights`` name a component this matcher does not have.
    """
    unknown = sorted(set(weights) - set(matcher.weights_))
    if unknown:
        raise RerankError(f"Expected weights of the matcher's components {list(matcher.weights_)}, got unknown "
                          f"{unknown}. Save a weights version tuned on this matcher's components.")
    weighted = copy.copy(matcher)
    weighted.weights = dict(weights)
    weighted.weights_ = {name: float(weights.get(name, 0.0)) for name in matcher.weights_}
    return weighted


def _weights_of(model: object) -> dict[str, float]:
    """The weights of a weights version's file, checked (a dict of finite numbers >= 0)."""
    if not isinstance(model, dict) or not model:
        raise RerankError(f"expected a dict of component weights, got {type(model).__name__}")
    out = {}
    for name, value in model.items():
        if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise RerankError(f"expected component -> weight >= 0, got {name!r}: {value!r}")
        out[name] = float(value)
    if sum(out.values()) <= 0:
        raise RerankError(f"expected at least one positive weight, got {out!r}")
    return out


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


class ActiveModel:
    """The active version of a models folder, re-read when ``active.json`` or its files change.

    Thread-safe: requests compare the state without a lock; a changed state is loaded by one
    request under a lock.

    Parameters
    ----------
    folder : path
        The models folder (:meth:`api.settings.Settings.models_folder`).
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.store = ModelStore(self.folder)
        self._lock = threading.Lock()
        self._cached: tuple[object, LoadedModel | None] | None = None

    def _state(self) -> tuple[str, object] | None:
        """The active id and the stat of its files (None: no active version)."""
        if not (self.folder / "active.json").is_file():
            return None
        try:
            version = self.store.active()
        except Exception as exc:  # a damaged active.json must not fail shortlists
            return ("", f"{type(exc).__name__}: {exc}")
        if not version:
            return None
        folder = self.folder / str(version)
        return str(version), (_stat(folder / METADATA_FILE), _stat(folder / MODEL_FILE))

    def get(self) -> LoadedModel | None:
        """The active version, loaded (None: no active version, or it cannot be used)."""
        state = self._state()
        if state is None:
            return None
        cached = self._cached
        if cached is not None and cached[0] == state:
            return cached[1]
        with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == state:
                return cached[1]
            loaded = self._load(state)
            self._cached = (state, loaded)
            return loaded

    def _load(self, state: tuple[str, object]) -> LoadedModel | None:
        version, detail = state
        if not version:
            self._fall_back("?", str(detail))
            return None
        try:
            kind = self.store.metadata(version).get("kind")
            model = self.store.load(version)
            if kind == WEIGHTS_KIND:
                weights = _weights_of(model)
                logger.info("event=weights_loaded version=%s models_dir=%s", version, self.folder)
                return LoadedModel(version=version, model=None, weights=weights)
        except Exception as exc:  # missing, tampered, unreadable: never a 500
            self._fall_back(version, f"{type(exc).__name__}: {exc}")
            return None
        if not isinstance(model, OutcomeReranker) or not hasattr(model, "model_"):
            self._fall_back(version, f"expected a fitted OutcomeReranker, got {type(model).__name__}")
            return None
        logger.info("event=rerank_loaded version=%s models_dir=%s", version, self.folder)
        return LoadedModel(version=version, model=model)

    def _fall_back(self, version: str, error: str) -> None:
        logger.warning(
            "event=rerank_fallback version=%s models_dir=%s error=%s Shortlists use the hand-weighted matcher "
            "until a usable version is active (`cnht models rollback` or `cnht models activate V`).",
            version, self.folder, error,
        )  # fmt: skip
