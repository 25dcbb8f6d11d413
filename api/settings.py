"""Service settings, read once from the environment (prefix ``CNHT_``).

Examples
--------
>>> Settings(database_url="sqlite:///:memory:").database_url
'sqlite:///:memory:'
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    """

    model_config = SettingsConfigDict(env_prefix="CNHT_", extra="ignore")

    database_url: str = "sqlite:///cnht.db"
    database_schema: str | None = None
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_upload_rows: int = Field(default=20_000, gt=0)
    demo_folder: str = "data/demo"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first call."""
    return Settings()
