"""API keys and roles.

A key is shown once, when created; the database keeps only its sha256 and a short prefix
for display (``cnht_AbC12x``). Roles: ``staff`` (everything), ``analyst`` (read
everything, write nothing), ``firm`` (its own profile and outcomes, needs without the
buyers' confidential fields), ``association`` (a business association of the support
programme: its own nominations and the public parts of firm profiles, under ``/support``
only; every other route refuses it with 403).

Examples
--------
>>> len(hash_key("cnht_example"))
64
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from api.storage.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)
from api.storage.models import ApiKey, Firm
from api.storage.repository import audit
from features.identity import InvalidIdError, normalize_id

__all__ = [
    "ROLES",
    "Principal",
    "hash_key",
    "create_key",
    "revoke_key",
    "list_keys",
    "authenticate",
    "cli_command",
]

ROLES: tuple[str, ...] = ("staff", "analyst", "firm", "association")
KEY_PREFIX = "cnht_"
_DISPLAY_LENGTH = len(KEY_PREFIX) + 8


@dataclass(frozen=True)
class Principal:
    """Who is calling: role, the firm of a firm key, the key's display prefix, and the
    association of an association key."""

    role: str
    firm_id: str | None
    key_prefix: str
    association_id: str | None = None

    @property
    def actor(self) -> str:
        """Name written to the audit log (``staff:cnht_AbC12x``)."""
        return f"{self.role}:{self.key_prefix}"

    @property
    def can_write(self) -> bool:
        """Staff write everything; firms write their own records (checked per route)."""
        return self.role in ("staff", "firm")


class KeyRequestError(ServiceError):
    """``cnht keys create`` got an impossible combination of role and firm."""

    status_code = 422


def cli_command(arguments: str) -> str:
    """The ``cnht`` command line that works from the current folder.

    ``cnht`` itself when the shell finds this installation's script on ``PATH``; otherwise
    the script next to the running interpreter (``.venv/bin/cnht`` from the repository
    root), relative to the current folder when it is below it.

    Parameters
    ----------
    arguments : str
        What follows the command (``"keys create --role staff"``).

    Returns
    -------
    str

    Examples
    --------
    >>> cli_command("keys create --role staff").endswith("cnht keys create --role staff")
    True
    """
    script = Path(sys.executable).parent / "cnht"
    found = shutil.which("cnht")
    if found is None and not script.exists():
        return f"cnht {arguments}"
    if found is not None and (not script.exists() or Path(found).resolve() == script.resolve()):
        return f"cnht {arguments}"
    try:
        shown = os.path.relpath(script, Path.cwd())
    except ValueError:  # another drive (Windows)
        shown = str(script)
    if shown.startswith(".."):
        shown = str(script)
    return f"{shown} {arguments}"


def hash_key(key: str) -> str:
    """The sha256 hex digest stored for ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    role: str,
    firm_id: str | None = None,
    label: str | None = None,
    actor: str = "cli",
    association_id: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return its stored row and the key itself (shown only now).

    Parameters
    ----------
    session : Session
    role : {"staff", "analyst", "firm", "association"}
    firm_id : str, optional
        Required for (and only for) ``role="firm"``; the firm must exist.
    label : str, optional
        Free note (who holds the key).
    actor : str, default "cli"
        Who creates the key (audit log).
    association_id : str, optional
        Required for (and only for) ``role="association"``; the association must be stored
        (``cnht support association add``).

    Returns
    -------
    (ApiKey, str)
    """
    role = (role or "").strip().lower()
    try:  # the firm's own ID, by the one ID rule (case and inner spaces kept)
        firm_id = normalize_id(firm_id, "firm ID") if (firm_id or "").strip() else None
    except InvalidIdError as exc:
        raise KeyRequestError(str(exc), vi=exc.message_vi) from exc
    if role not in ROLES:
        raise KeyRequestError(f"Expected role staff, analyst, firm or association, got {role!r}.",
                              vi=f"Vai trò phải là staff, analyst, firm hoặc association, nhận được {role!r}.")
    association_id = (association_id or "").strip() or None
    if role == "association":
        association_id = _stored_association(session, association_id)
    elif association_id:
        raise KeyRequestError(
            f"--association is only for role 'association', got role {role!r} with association {association_id!r}.",
            vi=f"--association chỉ dùng cho vai trò 'association', nhận được vai trò {role!r} với hiệp hội "
               f"{association_id!r}.",
        )
    if role == "firm":
        if not firm_id:
            raise KeyRequestError(
                "A firm key needs the firm it belongs to: add --firm FIRM_ID (e.g. F0001).",
                vi="Khóa của doanh nghiệp cần ghi rõ doanh nghiệp sở hữu: thêm --firm FIRM_ID (ví dụ F0001).",
            )
        firm_row_id = session.scalar(select(Firm.id).where(Firm.firm_id == firm_id))
        if firm_row_id is None:
            # IDs keep their case; a typed 'f0001' still finds the one firm 'F0001'
            same = list(session.execute(
                select(Firm.firm_id, Firm.id).where(func.lower(Firm.firm_id) == firm_id.lower()).limit(2)
            ))  # fmt: skip
            if len(same) != 1:
                raise NotFoundError(
                    f"Firm {firm_id} not found; create or import the firm before its key.",
                    vi=f"Không tìm thấy doanh nghiệp {firm_id}; hãy tạo hoặc nhập doanh nghiệp trước khi cấp khóa.",
                )
            firm_id, firm_row_id = same[0]
    elif firm_id:
        raise KeyRequestError(
            f"--firm is only for role 'firm', got role {role!r} with firm {firm_id!r}.",
            vi=f"--firm chỉ dùng cho vai trò 'firm', nhận được vai trò {role!r} với doanh nghiệp {firm_id!r}.",
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        prefix=key[:_DISPLAY_LENGTH],
        key_hash=hash_key(key),
        role=role,
        firm_id=firm_id,
        firm_row_id=firm_row_id if role == "firm" else None,
        association_id=association_id,
        label=label,
    )
    session.add(row)
    session.flush()
    audit(session, actor, "create", "api_key", row.prefix, None,
          {"role": role, "firm_id": firm_id, "label": label}
          | ({"association_id": association_id} if association_id else {}))  # fmt: skip
    return row, key


def _stored_association(session: Session, association_id: str | None) -> str:
    """The association an association key is for; it must be stored."""
    from api.storage.support_tables import SupportAssociation

    if not association_id:
        raise KeyRequestError(
            "An association key needs the association it belongs to: add --association ASSOCIATION_ID "
            "(e.g. HANSIBA; list them with `cnht support associations`).",
            vi="Khóa của hiệp hội cần ghi rõ hiệp hội sở hữu: thêm --association ASSOCIATION_ID "
               "(ví dụ HANSIBA; xem danh sách bằng `cnht support associations`).",
        )
    if session.scalar(select(SupportAssociation.id).where(
            SupportAssociation.association_id == association_id)) is None:  # fmt: skip
        raise NotFoundError(
            f"Association {association_id} not found; store it first (`cnht support association add "
            f"{association_id} NAME`).",
            vi=f"Không tìm thấy hiệp hội {association_id}; hãy lưu hiệp hội trước (`cnht support association add "
               f"{association_id} NAME`).",
        )
    return association_id


def revoke_key(session: Session, prefix_or_key: str, actor: str = "cli") -> ApiKey:
    """Revoke the one active key whose prefix or full value is ``prefix_or_key``."""
    rows = session.scalars(
        select(ApiKey).where(
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.prefix == prefix_or_key, ApiKey.key_hash == hash_key(prefix_or_key)),
        )
    ).all()
    if not rows:
        raise NotFoundError(
            f"No active key with prefix or value {prefix_or_key[:_DISPLAY_LENGTH]!r}; "
            "see `cnht keys list`.",
            vi=f"Không có khóa đang hoạt động nào có tiền tố hoặc giá trị {prefix_or_key[:_DISPLAY_LENGTH]!r}; "
               "xem `cnht keys list`.",
        )
    if len(rows) > 1:
        raise KeyRequestError(
            f"{len(rows)} active keys share prefix {prefix_or_key!r}; pass the whole key.",
            vi=f"Có {len(rows)} khóa đang hoạt động cùng tiền tố {prefix_or_key!r}; hãy nhập đầy đủ khóa.",
        )
    rows[0].revoked_at = dt.datetime.now(dt.UTC)
    audit(session, actor, "revoke", "api_key", rows[0].prefix, {"revoked_at": None},
          {"revoked_at": rows[0].revoked_at.isoformat()})  # fmt: skip
    return rows[0]


def list_keys(session: Session) -> list[ApiKey]:
    """All keys, newest first (revoked ones included)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def _firm_still_there(session: Session, key: ApiKey) -> bool:
    # Deleting a firm revokes its keys; this also refuses a key whose firm was removed some
    # other way and its ID re-created: another row, or (SQLite may give a deleted last row's
    # id again) a firm created after the key.
    firm = session.execute(
        select(Firm.id, Firm.created_at).where(Firm.firm_id == key.firm_id)
    ).one_or_none()
    return (firm is not None and key.firm_row_id == firm.id
            and (firm.created_at is None or firm.created_at <= key.created_at))  # fmt: skip


def authenticate(session: Session, authorization: str | None, *, allow_association: bool = False) -> Principal:
    """The caller of an ``Authorization: Bearer <key>`` header.

    Parameters
    ----------
    session : Session
    authorization : str or None
    allow_association : bool, default False
        Accept association keys: only the support programme's routes do; everywhere else an
        association key is refused (403), so no route written for staff, analysts and firms
        can take it for either.

    Raises
    ------
    AuthenticationError
        The header is missing or malformed, or the key is unknown or revoked.
    PermissionDeniedError
        An association key where ``allow_association`` is False.
    """
    if not authorization:
        raise AuthenticationError(
            "Missing API key: send the header 'Authorization: Bearer <key>' "
            f"(create one with `{cli_command('keys create --role staff')}`).",
            vi="Thiếu khóa API: hãy gửi tiêu đề 'Authorization: Bearer <key>' "
               f"(tạo khóa bằng `{cli_command('keys create --role staff')}`).",
        )
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthenticationError(
            f"Expected 'Authorization: Bearer <key>', got a header starting {scheme[:10]!r}.",
            vi=f"Tiêu đề phải có dạng 'Authorization: Bearer <key>', nhận được tiêu đề bắt đầu bằng {scheme[:10]!r}.",
        )
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key.strip())))
    if row is None or row.revoked_at is not None:
        raise AuthenticationError(
            f"Unknown or revoked API key; ask staff for a new one (`{cli_command('keys create')}`).",
            vi=f"Khóa API không tồn tại hoặc đã bị thu hồi; hãy đề nghị cán bộ cấp khóa mới "
               f"(`{cli_command('keys create')}`).",
        )
    if row.role == "firm" and not _firm_still_there(session, row):
        raise AuthenticationError(
            f"This firm key's firm {row.firm_id} was deleted or replaced; ask staff for a new "
            f"key (`{cli_command('keys create --role firm --firm ' + str(row.firm_id))}`).",
            vi=f"Doanh nghiệp {row.firm_id} của khóa này đã bị xóa hoặc thay thế; hãy đề nghị cán bộ cấp khóa mới "
               f"(`{cli_command('keys create --role firm --firm ' + str(row.firm_id))}`).",
        )
    if row.role == "association" and not allow_association:
        raise PermissionDeniedError(
            "An association key works only for the support programme (/api/v1/support); "
            "ask the Department's staff for anything else.",
            vi="Khóa của hiệp hội chỉ dùng cho chương trình hỗ trợ (/api/v1/support); "
               "các việc khác xin liên hệ cán bộ của Sở.",
        )
    return Principal(role=row.role, firm_id=row.firm_id, key_prefix=row.prefix,
                     association_id=row.association_id)
