"""API schemas of a firm's "we are interested" in a need (:mod:`api.storage.interests`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.storage.interests import NOTE_MAX_CHARS

__all__ = ["InterestCreate", "InterestPublic", "InterestsPublic"]


class InterestCreate(BaseModel):
    """What a firm says with its interest: an optional note to staff."""

    note: str | None = Field(default=None, max_length=NOTE_MAX_CHARS, description="The firm's words to staff")


class InterestPublic(BaseModel):
    """A firm said it is interested in a need (the first time it said so)."""

    need_id: str
    firm_id: str
    note: str | None
    at: dt.datetime
    by: str


class InterestsPublic(BaseModel):
    """The firms interested in one need, first said first."""

    data: list[InterestPublic]
    count: int
