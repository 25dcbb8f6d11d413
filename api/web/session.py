"""Who is signed in to the web pages, and which forms may change something.

The API key itself is the session: kept in an HttpOnly, ``SameSite=Strict`` cookie (``Secure``
when the page came over HTTPS) and checked on every request with :func:`api.auth.authenticate`,
the API's own check, so revoking a key signs its pages out at once.

A form that changes something must carry the session's token (an HMAC of the key's hash:
nothing to store, different for every key) and, when the browser sends one, an ``Origin``
of this very site; ``SameSite=Strict`` already keeps the cookie off other sites' requests.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlalchemy.orm import Session

from api.auth import Principal, authenticate, hash_key
from api.storage.errors import AuthenticationError, ServiceError
from api.storage.session import READ_ONLY

__all__ = [
    "KEY_COOKIE",
    "LANG_COOKIE",
    "SignInRequired",
    "FormRefused",
    "page_principal",
    "csrf_token",
    "check_form",
    "remember_key",
    "forget_key",
    "safe_next",
]

KEY_COOKIE = "cnht_key"
LANG_COOKIE = "cnht_lang"
_CSRF_CONTEXT = b"cnht-web-form"
_KEY_MAX_AGE = 8 * 3600  # a working day


class SignInRequired(ServiceError):
    """The page needs a signed-in key (the pages answer with the sign-in form)."""

    status_code = 401


class FormRefused(ServiceError):
    """A form without this session's token or from another site (403)."""

    status_code = 403


def page_principal(request: Request, session: Session) -> Principal | None:
    """The key of the request's cookie, checked like an ``Authorization`` header; None if absent or bad.

    Association keys are accepted, as the support programme's API accepts them
    (:func:`api.routes.support.support_principal`): their pages are ``/association``; every
    other page checks the role it serves (``_reader``, ``_staff``, the portal's firm check) and
    answers an association with 403.

    As in :func:`api.deps.get_principal`, a request that may write reads the key in a
    read-only transaction ended before the page runs (SQLite: no write lock for the check).
    """
    key = request.cookies.get(KEY_COOKIE)
    if not key:
        return None
    header = f"Bearer {key}"
    try:
        if session.in_transaction():
            return authenticate(session, header, allow_association=True)
        session.connection(execution_options={READ_ONLY: True})
        try:
            return authenticate(session, header, allow_association=True)
        finally:
            session.rollback()
    except AuthenticationError:
        return None


def csrf_token(request: Request) -> str:
    """The form token of the request's session ('' without a key cookie)."""
    key = request.cookies.get(KEY_COOKIE)
    if not key:
        return ""
    return hmac.new(_CSRF_CONTEXT, hash_key(key).encode(), hashlib.sha256).hexdigest()[:40]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None  # a browser that sends no Origin/Referer: the token decides
    return urlsplit(origin).netloc.lower() == (request.headers.get("host") or "").lower()


_FORM_TOKEN_PROBLEM = ("Mã phiên của biểu mẫu bị thiếu hoặc đã cũ: tải lại trang rồi gửi lại. / "
                       "The form's session token is missing or old; reload the page and send it again.")


def check_form(request: Request, token: str | None, *, need_token: bool = True) -> None:
    """Refuse a form from another site, or (``need_token``) without this session's token.

    Raises
    ------
    FormRefused
    """
    if not _same_origin(request):
        raise FormRefused("The form was sent from another site; open the page here and send it again.")
    # bytes: compare_digest refuses a str with characters beyond ASCII (a forged token)
    if need_token and not (token and hmac.compare_digest(token.encode(), csrf_token(request).encode())):
        raise FormRefused(_FORM_TOKEN_PROBLEM)


def remember_key(request: Request, response: Response, key: str) -> None:
    """Keep ``key`` in the session cookie of ``response``."""
    response.set_cookie(KEY_COOKIE, key, max_age=_KEY_MAX_AGE, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")  # fmt: skip


def forget_key(request: Request, response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(KEY_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")  # fmt: skip


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path of this site (``/needs?q=x``), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
