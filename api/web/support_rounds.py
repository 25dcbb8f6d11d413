"""Support programme pages (issue 14): the support rounds, their nominations, the proposal, overrides and the decision (staff, analysts).

Every figure comes from the function the API (:mod:`api.routes.support`) and ``cnht support``
use (:mod:`api.storage.support`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web.routes import _PageRoute

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=_PageRoute)
