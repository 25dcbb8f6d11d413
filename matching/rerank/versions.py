"""Model versions as files: each version a model file and its JSON metadata, one active.

Layout of a models folder::

    models/
      active.json                      {"active": "20261201T101500-3f2a9c1d", "history": [...]}
      20261201T101500-3f2a9c1d/
        model.joblib                   the fitted model (joblib)
        metadata.json                  version, created, data hash and dates, parameters,
                                       metrics, model_sha256, ...

A model file is unpickled only after its SHA-256 equals the ``model_sha256`` recorded in its
metadata when it was trained (:meth:`ModelStore.load`): a file changed since is refused with
:class:`ModelIntegrityError`, never loaded. This guards against a file replaced or corrupted
in place; whoever can rewrite both files of a version can still change it, so the folder
must be writable by the service's operators only.

``activate`` records the previously active version in ``history``; ``rollback`` returns to
it (and again to the one before, and so on).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from matching.rerank.exceptions import ModelIntegrityError, ModelVersionError

__all__ = ["ModelStore", "data_hash", "file_sha256", "MODEL_FILE", "METADATA_FILE"]

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
_ACTIVE_FILE = "active.json"
_VERSION = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_hash(tables: Mapping[str, pd.DataFrame]) -> str:
    """Hex SHA-256 of tables (name, then CSV text, in name order): the same data gives the
    same hash whatever file it was read from."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode())
        digest.update(tables[name].to_csv(index=False).encode())
    return digest.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """The model versions of one folder.

    Parameters
    ----------
    folder : path
        Created on the first save.

    Examples
    --------
    >>> store = ModelStore(tmp_path / "models")  # doctest: +SKIP
    >>> version = store.save(fitted_reranker, {"metrics": {...}})  # doctest: +SKIP
    >>> store.activate(version); store.load().rank(needs)  # doctest: +SKIP
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    # ------------------------------------------------------------------ writing
    def save(self, model: object, metadata: Mapping[str, object], *, created: datetime | None = None) -> str:
        """Write ``model`` (joblib) and its metadata as a new version; return its id.

        ``metadata`` is completed with ``version``, ``created`` (UTC, ISO 8601),
        ``model_file``, ``model_sha256`` and ``model_bytes``.
        """
        import joblib

        buffer = io.BytesIO()
        joblib.dump(model, buffer, compress=3)
        blob = buffer.getvalue()
        sha = hashlib.sha256(blob).hexdigest()
        created = (created or datetime.now(UTC)).astimezone(UTC)
        version = f"{created:%Y%m%dT%H%M%S}-{sha[:8]}"
        folder = self.folder / version
        if folder.exists():
            raise ModelVersionError(f"Expected a new version, got {version} already in {self.folder}: "
                                    "the same model saved twice in the same second. Wait a second and retry.")
        folder.mkdir(parents=True)
        _write_atomic(folder / MODEL_FILE, blob)
        meta = {**dict(metadata), "version": version, "created": created.isoformat(timespec="seconds"),
                "model_file": MODEL_FILE, "model_sha256": sha, "model_bytes": len(blob)}
        _write_atomic(folder / METADATA_FILE, json.dumps(meta, indent=2, ensure_ascii=False, default=str).encode())
        return version

    def activate(self, version: str) -> None:
        """Make ``version`` the active one (its file must match its recorded hash)."""
        self.verify(version)
        state = self._state()
        if state["active"] == version:
            return
        history = [*state["history"], state["active"]] if state["active"] else state["history"]
        self._write_state({"active": version, "history": history})

    def rollback(self) -> str:
        """Return to the version active before the current one; return its id."""
        state = self._state()
        history = list(state["history"])
        while history:
            previous = history.pop()
            if (self.folder / previous / METADATA_FILE).exists():
                self._write_state({"active": previous, "history": history})
                return previous
        raise ModelVersionError(
            f"Expected an earlier active version to roll back to, got none in {self.folder / _ACTIVE_FILE} "
            f"(active: {state['active'] or 'none'}). Activate a version by its id instead (`cnht models list`)."
        )

    # ------------------------------------------------------------------ reading
    def versions(self) -> list[dict]:
        """Metadata of every version, oldest first."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.iterdir()):
            if _VERSION.match(path.name) and (path / METADATA_FILE).is_file():
                out.append(self.metadata(path.name))
        return sorted(out, key=lambda m: (str(m.get("created", "")), m["version"]))

    def metadata(self, version: str) -> dict:
        """The JSON metadata of one version."""
        path = self._folder_of(version) / METADATA_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelVersionError(f"Expected readable JSON metadata in {path}, got {type(exc).__name__}: {exc}. "
                                    "The version is damaged; activate another one.") from None

    def active(self) -> str | None:
        """The active version's id, or None."""
        return self._state()["active"]

    def verify(self, version: str) -> dict:
        """The version's metadata, after checking its model file's SHA-256 (nothing unpickled)."""
        meta = self.metadata(version)
        self._checked_bytes(version, meta)
        return meta

    def load(self, version: str | None = None) -> object:
        """The model of ``version`` (default: the active one), unpickled only after its bytes
        match the SHA-256 recorded at training."""
        import joblib

        if version is None:
            version = self.active()
            if version is None:
                raise ModelVersionError(f"Expected an active model version in {self.folder}, got none. "
                                        "Train one (`cnht train`) or activate one (`cnht models activate V`).")
        blob = self._checked_bytes(version, self.metadata(version))
        return joblib.load(io.BytesIO(blob))  # the very bytes that were hashed

    # ------------------------------------------------------------------ private
    def _folder_of(self, version: str) -> Path:
        if not _VERSION.match(str(version)) or not (self.folder / version / METADATA_FILE).is_file():
            known = [m["version"] for m in self.versions()]
            raise ModelVersionError(
                f"Expected a model version of {self.folder} (one of {known[-5:] or 'none yet'}), got {version!r}. "
                "See `cnht models list`."
            )
        return self.folder / version

    def _checked_bytes(self, version: str, meta: Mapping[str, object]) -> bytes:
        path = self._folder_of(version) / str(meta.get("model_file", MODEL_FILE))
        if path.parent != self.folder / version:
            raise ModelIntegrityError(f"Expected the model file inside {self.folder / version}, got {path}.")
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise ModelIntegrityError(f"Expected the model file {path}, got {type(exc).__name__}: {exc}. "
                                      "Activate another version or train again.") from None
        expected = str(meta.get("model_sha256", ""))
        actual = hashlib.sha256(blob).hexdigest()
        if actual != expected:
            raise ModelIntegrityError(
                f"Refusing to load {path}: its SHA-256 is {actual}, the metadata recorded {expected or 'nothing'} "
                "when it was trained. The file changed since (tampered or damaged); it was not unpickled. "
                "Activate another version (`cnht models rollback`) or train again."
            )
        return blob

    def _state(self) -> dict:
        path = self.folder / _ACTIVE_FILE
        if not path.is_file():
            return {"active": None, "history": []}
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelVersionError(f"Expected JSON in {path}, got {type(exc).__name__}: {exc}. "
                                    "Delete it and activate a version again.") from None
        return {"active": state.get("active"), "history": list(state.get("history", []))}

    def _write_state(self, state: Mapping[str, object]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.folder / _ACTIVE_FILE, json.dumps(state, indent=2).encode())
