"""Description files written by hand (an event, a support round): JSON or YAML, read one way.

A missing file, a syntax error or an entry that lacks a key is the user's to fix: each becomes
the caller's own error type with the file's name and an example of the format, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["read_description"]

T = TypeVar("T")


def read_description(path: str | Path, build: Callable[[object], T], error: type[Exception], what: str,
                     example: str) -> T:
    """``build(data)`` of the ``.json``, ``.yaml`` or ``.yml`` file at ``path``.

    Parameters
    ----------
    path : str or Path
    build : callable
        Turns the parsed data into the object (and checks it, raising ``error`` itself).
    error : exception class
        Raised, with the file named, for a missing file, bad syntax or a missing key.
    what : str
        What the file describes, for the messages (``"Event file"``).
    example : str
        A file of the right format to point to (``data/demo/event_demo.json``).
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} {path} does not exist; give a JSON or YAML description such as {example}.")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # json.JSONDecodeError or yaml.YAMLError: both the user's to fix
        raise error(f"{what} {path} cannot be read: {exc}. Fix the syntax.") from None
    try:
        return build(data)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, error):
            raise
        raise error(f"{what} {path}: an entry lacks or misspells {exc}; see {example} for the format.") from None
