"""The web pages of the service (templates and static files served by the app, offline).

:func:`install_web` adds them to the FastAPI app made by :func:`api.app.create_app`.
"""

from api.web.routes import install as install_web

__all__ = ["install_web"]
