"""Shared fixtures.

PostgreSQL: tests marked ``postgres`` use the URL in ``CNHT_TEST_POSTGRES_URL`` (default: the
local server at 127.0.0.1:5432, database ``test``). When it cannot be reached they skip with
the reason, except in CI (``CI=true`` or ``CNHT_REQUIRE_POSTGRES=1``), where they fail.
"""

from __future__ import annotations

import os

import pytest

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _require_postgres() -> bool:
    return os.environ.get("CNHT_REQUIRE_POSTGRES") == "1" or os.environ.get("CI", "").lower() in {
        "1",
        "true",
        "yes",
    }


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL, or skip (fail in CI) saying why."""
    url = os.environ.get("CNHT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any driver/network error means "unreachable"
        message = f"PostgreSQL at {url} is unreachable ({type(exc).__name__}: {exc})"
        if _require_postgres():
            pytest.fail(message + "; CI requires it (CNHT_REQUIRE_POSTGRES=1 / CI=true).")
        pytest.skip(message + "; set CNHT_TEST_POSTGRES_URL to run these tests.")
    return url
