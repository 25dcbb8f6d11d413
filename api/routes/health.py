"""``GET /health``: the service runs and its database answers (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep
from api.schemas import HealthPublic

__all__ = ["router"]

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=HealthPublic)
def health(session: SessionDep) -> HealthPublic:
    """Check the database with a trivial query."""
    session.execute(text("select 1"))
    return HealthPublic(status="ok", database=session.get_bind().dialect.name)
