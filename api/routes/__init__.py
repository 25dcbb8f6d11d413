"""One APIRouter per resource, mounted under ``/api/v1`` by :func:`api.app.create_app`.

:data:`ROUTERS` is the one list of them, in the order they are mounted (the order of the
OpenAPI document's paths).
"""

from __future__ import annotations

from api.routes import (
    buyers,
    events,
    firms,
    health,
    imports,
    kpi,
    match,
    needs,
    outcomes,
    shortlists,
    suggestions,
    support,
)

ROUTERS = (
    health.router,
    firms.router,
    buyers.router,
    needs.router,
    outcomes.router,
    outcomes.shortlists_router,
    imports.router,
    kpi.router,
    shortlists.router,
    match.router,
    suggestions.router,
    events.router,
    support.router,
)

__all__ = ["ROUTERS"]
