"""One APIRouter per resource, mounted under ``/api/v1`` by :func:`api.app.create_app`."""

from __future__ import annotations

from api.routes import buyers, firms, health, imports, kpi, needs, outcomes

ROUTERS = (
    health.router,
    firms.router,
    buyers.router,
    needs.router,
    outcomes.router,
    outcomes.shortlists_router,
    imports.router,
    kpi.router,
)

__all__ = ["ROUTERS"]
