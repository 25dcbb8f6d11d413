"""Service settings, read once from the environment (prefix ``CNHT_``).

Examples
--------
>>> Settings(database_url="sqlite:///:memory:").database_url
'sqlite:///:memory:'
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from features.limits import MAX_TEXT_CHARS, ReadLimits

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Configuration of the cnht-match service.

    Parameters
    ----------
    database_url : str, default ``"sqlite:///cnht.db"``
        SQLAlchemy URL; ``postgresql+psycopg://user@host/db`` selects PostgreSQL.
    database_schema : str or None, default None
        PostgreSQL schema holding the tables (``search_path``); None uses the default.
    max_upload_bytes : int, default 10 MiB
        Largest import file accepted (larger answers 413).
    max_upload_rows : int, default 20000
        Most data rows accepted in one import (more answers 422).
    demo_folder : str, default ``"data/demo"``
        Folder of the demo CSVs seeded by ``cnht serve --demo``.
    database_pool_size : int, default 10
        Database connections one server process lends to requests; a request takes one
        connection for its whole life, and further requests wait for one (no thread blocks
        while waiting). It is also how many requests share the process's one Python core at
        a time: on two cores 10 gave the best tail under 40 busy clients (benchmarks/
        bench_service.py; 20 let writers holding SQLite's lock wait for the interpreter,
        6 made short reads queue behind shortlists).
    queue_wait_seconds : float, default 5.0
        Longest a request waits for a database connection or a ranking slot; past it the
        answer is 503 with ``Retry-After`` instead of a hang.
    ranking_concurrency : int, default 1
        Rankings (shortlists, ``/match``, suggestions, upgrades, a firm's visible needs)
        computed at once in one server process. They are CPU-bound and share the process's one
        Python interpreter, so a second one mostly takes turns with the first and with every
        short read: on two cores, 40 busy clients (benchmarks/bench_service.py, SQLite) got
        reads p99 0.85-0.89 s with 1 against 1.0-1.25 s with 2, and shortlists no slower.
        Use ``cnht serve --workers N`` to rank on more cores.
    thread_switch_ms : float, default 1.0
        How long a thread of the server may run Python before another thread waiting for the
        interpreter takes it (``sys.setswitchinterval``; Python's own default is 5 ms). The
        event loop that answers ``/health`` and hands requests to their threads waits for it
        behind the request threads, so a shorter turn keeps it responsive under load; set by
        ``cnht serve`` for its process (and each worker), never by the library.
    max_body_bytes : int, default 1 MiB
        Largest request body other than an import upload (larger answers 413 before it is
        read; uploads may hold ``max_upload_bytes`` plus their form's overhead).
    auth_failures_per_minute : int, default 30
        Failed key checks allowed per client address in a minute; more answer 429.
    max_uncompressed_bytes : int, default 100 MiB
        An XLSX's parts once inflated, declared and really inflated (a zip bomb answers 422
        before it inflates further).
    max_zip_members : int, default 1000
        Parts of an XLSX (a one-table workbook has about a dozen).
    max_xml_node_bytes : int, default 1 MiB
        Longest single piece of an XLSX's XML: a text node (cell, shared string), a comment,
        a tag. A DTD or entity declaration is refused whatever its size.
    max_columns : int, default 256
        Cells in one row of an import.
    max_cell_chars : int, default 32767
        Characters of one cell of an import (Excel's own maximum).
    max_text_chars : int, default 10000
        Characters of one text field (a firm's description, a need's description, products);
        the API's schemas refuse longer text with 422 and an import leaves such a cell out of
        its row, reported. It may be lowered for imports; the API keeps its schema's 10000.
    max_blank_rows : int, default 100000
        Blank rows or lines read in one import.
    max_parse_seconds : float, default 60
        Time reading and parsing one import may take, checked while reading (422 past it).

    models_dir : str or None, default None
        Folder of the trained model versions (``cnht train``, ``cnht models``); None: a
        ``models`` folder beside the SQLite database file, or in the working directory for
        another database (:meth:`models_folder`).

    Every import limit refuses with a message naming it (:class:`features.ingest.ReadLimits`).
    """

    model_config = SettingsConfigDict(env_prefix="CNHT_", extra="ignore")

    database_url: str = "sqlite:///cnht.db"
    database_schema: str | None = None
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_upload_rows: int = Field(default=20_000, gt=0)
    demo_folder: str = "data/demo"
    database_pool_size: int = Field(default=10, gt=0)
    queue_wait_seconds: float = Field(default=5.0, gt=0)
    ranking_concurrency: int = Field(default=1, gt=0)
    thread_switch_ms: float = Field(default=1.0, gt=0, le=100)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    auth_failures_per_minute: int = Field(default=30, gt=0)
    max_uncompressed_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_zip_members: int = Field(default=1000, gt=0)
    max_xml_node_bytes: int = Field(default=1024 * 1024, gt=0)
    max_columns: int = Field(default=256, gt=0)
    max_cell_chars: int = Field(default=32_767, gt=0)
    max_text_chars: int = Field(default=MAX_TEXT_CHARS, gt=0, le=MAX_TEXT_CHARS)
    max_blank_rows: int = Field(default=100_000, gt=0)
    max_parse_seconds: float = Field(default=60.0, gt=0)
    models_dir: str | None = None

    def models_folder(self) -> Path:
        """The folder of model versions: ``models_dir``, else ``models/`` beside the SQLite
        file, else ``models/`` in the working directory."""
        if self.models_dir:
            return Path(self.models_dir)
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix):].split("?", 1)[0]).parent / "models"
        return Path("models")

    def apply_thread_switch(self) -> None:
        """Give this process's threads turns of ``thread_switch_ms`` (``cnht serve`` only)."""
        sys.setswitchinterval(self.thread_switch_ms / 1000)

    def read_limits(self) -> ReadLimits:
        """The import limits of these settings, for :func:`features.ingest.read_table`."""
        return ReadLimits(**{name: getattr(self, name) for name in ReadLimits.__dataclass_fields__})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first call."""
    return Settings()
