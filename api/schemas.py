"""API schemas: one class per direction (Create, Update, Public, listing).

Free-text and list-valued fields follow the column contract of :mod:`features.columns`
(lists as ``;``-separated text), so a record looks the same in an import file and in the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from stdnum.vn import mst

from features.columns import OUTCOME_STATUSES, OWNERSHIP_TYPES
from features.identity import ID_MAX_LENGTH, ID_PATTERN, normalize_id
from features.limits import MAX_TEXT_CHARS
from features.text import normalize

__all__ = [
    "EntityId",
    "FirmIdPath",
    "BuyerIdPath",
    "NeedIdPath",
    "IdQuery",
    "CertificationIn",
    "CertificationPublic",
    "FirmCreate",
    "FirmUpdate",
    "FirmPublic",
    "FirmsPublic",
    "BuyerCreate",
    "BuyerUpdate",
    "BuyerPublic",
    "BuyersPublic",
    "NeedCreate",
    "NeedUpdate",
    "NeedPublic",
    "NeedPrivate",
    "NeedsPublic",
    "NeedsPrivate",
    "OutcomeCreate",
    "OutcomePublic",
    "OutcomesPublic",
    "OutcomeTransition",
    "ShortlistEntryPublic",
    "ReasonPublic",
    "GapPublic",
    "ShortlistFilters",
    "ShortlistRequest",
    "ShortlistEntryResult",
    "ShortlistPublic",
    "MatchRequest",
    "MatchEntryPublic",
    "MatchPublic",
    "SuggestionPublic",
    "SuggestionsPublic",
    "UpgradePublic",
    "UpgradesPublic",
    "RejectPublic",
    "ImportPublic",
    "KpiPublic",
    "HealthPublic",
    "Message",
]

Ownership = Literal["domestic_private", "state", "fdi", "joint_venture"]
Status = Literal["suggested", "contacted", "meeting", "sample", "audit", "order", "rejected"]
assert set(Ownership.__args__) == set(OWNERSHIP_TYPES)  # noqa: S101 - contract guard
assert set(Status.__args__) == set(OUTCOME_STATUSES)  # noqa: S101

def _bounded_text(value: Any) -> Any:
    # Named limit first: pydantic's own max_length message would not say which setting.
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise ValueError(
            f"expected at most {MAX_TEXT_CHARS:,} characters (limit max_text_chars), got "
            f"{len(value):,}; shorten the text"
        )
    return value


# Free text of a record (a firm's description, a need's description, products): at most
# MAX_TEXT_CHARS, as on import (setting max_text_chars); longer text made ranking crawl.
_Text = Annotated[str | None, Field(max_length=MAX_TEXT_CHARS), BeforeValidator(_bounded_text)]
_Name = Field(min_length=1, max_length=300)
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _Day() -> Any:  # noqa: N802 - a Field factory
    return Field(default=None, ge=_FIRST_DAY, le=_LAST_DAY)


def _entity_id(value: Any, info: ValidationInfo) -> Any:
    # the one rule of features.identity; its InvalidIdError is a ValueError, hence a 422
    # whose message says what was expected and how to fix it
    return normalize_id(value, info.field_name or "ID") if isinstance(value, str) else value


_ID_DESCRIPTION = (
    f"The user's own stable ID: any text of 1 to {ID_MAX_LENGTH} characters without '/' "
    "or control characters (VN-0001, F0001, SHTP-001), trimmed and NFKC-normalised."
)
EntityId = Annotated[
    str,
    BeforeValidator(_entity_id),
    StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN),
    Field(description=_ID_DESCRIPTION, examples=["VN-0001"]),
]
"""A firm, buyer or need ID in a request body (:func:`features.identity.normalize_id`)."""


def _id_path(example: str) -> Any:
    return Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                description=_ID_DESCRIPTION + " Percent-encode it in the URL (a space is %20).",
                examples=[example])


# Path parameters: the same rule (a '/' could not be a path segment anyway)
FirmIdPath = Annotated[str, _id_path("VN-0001")]
BuyerIdPath = Annotated[str, _id_path("B001")]
NeedIdPath = Annotated[str, _id_path("N-0001")]
# Query parameters that filter by an ID: the same rule
IdQuery = Annotated[str | None, Query(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                      description=_ID_DESCRIPTION)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _normalise_text(cls, value: Any) -> Any:
        # Same bytes whatever the keyboard: NFC, one tone placement, no zero-width marks.
        return normalize(value) if isinstance(value, str) else value


class Message(BaseModel):
    """An error or information message."""

    detail: str


# --- certifications ------------------------------------------------------------------


class CertificationIn(_In):
    """A certificate as entered: a certification of the taxonomy and its dates.

    ``code`` takes the code (``iso_9001``) or a name or alias (``ISO 9001``) and is stored as
    the code; an unknown one answers 422 with close codes. ``issued`` may not be after
    ``valid_until``.
    """

    code: str = Field(min_length=1, max_length=40,
                      description="Certification code or name: iso_9001, ISO 9001, IATF 16949")  # fmt: skip
    version: str | None = Field(default=None, max_length=20)
    issued: dt.date | None = _Day()
    valid_until: dt.date | None = _Day()
    issuer: str | None = Field(default=None, max_length=200)
    verified: bool = False
    raw: str | None = None

    @field_validator("code")
    @classmethod
    def _known_code(cls, value: str) -> str:
        from features.taxonomy import load_taxonomy

        code = load_taxonomy().resolve(value, "certification")
        if code is None:
            known = ", ".join(t.code for t in load_taxonomy().terms("certification")[:6])
            raise ValueError(
                f"expected a certification code or name of the taxonomy (e.g. {known}), "
                f"got {value!r}; fix the spelling"
            )
        return code

    @model_validator(mode="after")
    def _dates_in_order(self) -> CertificationIn:
        if self.issued is not None and self.valid_until is not None and self.issued > self.valid_until:
            raise ValueError(
                f"'issued' ({self.issued}) is after 'valid_until' ({self.valid_until}); "
                "swap or correct the dates"
            )
        return self


class CertificationPublic(BaseModel):
    """A stored certificate."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    version: str | None
    issued: dt.date | None
    valid_until: dt.date | None
    issuer: str | None
    verified: bool
    raw: str | None


# --- firms ---------------------------------------------------------------------------


class _FirmFields(_In):
    tax_code: str | None = Field(default=None, max_length=20)
    address: _Text = None
    district: str | None = Field(default=None, max_length=120)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    founded: int | None = Field(default=None, ge=1800, le=2100)
    employees: int | None = Field(default=None, ge=0, le=10_000_000)
    ownership: Ownership | None = None
    sectors: _Text = None
    description: _Text = None
    products: _Text = None
    materials: _Text = None
    certifications_text: _Text = None
    export_markets: _Text = None
    customers: _Text = None
    monthly_capacity: int | None = Field(default=None, ge=0, le=2**31 - 1)
    languages: str | None = Field(default=None, max_length=64)
    contact_email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    is_demo: bool = False

    @field_validator("tax_code")
    @classmethod
    def _tax_code(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not mst.is_valid(value):
            raise ValueError(
                f"expected a 10- or 13-digit Vietnamese tax code with a valid check digit "
                f"(0101234567 or 0101234567-001), got {value!r}"
            )
        return mst.format(value)


class FirmCreate(_FirmFields):
    """A new firm. ``firm_id`` is the user's own ID (:data:`EntityId`: VN-0001, F0001)."""

    firm_id: EntityId
    name: str = _Name
    certifications: list[CertificationIn] = Field(default_factory=list, max_length=100)


class FirmUpdate(_FirmFields):
    """Fields to change; ``certifications``, when given, replaces the whole list."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    is_demo: bool | None = None
    certifications: list[CertificationIn] | None = Field(default=None, max_length=100)


class FirmPublic(BaseModel):
    """A firm as the API returns it, with its extracted capability codes."""

    model_config = ConfigDict(from_attributes=True)

    firm_id: str
    name: str
    tax_code: str | None
    address: str | None
    district: str | None
    district_legacy: str | None
    ward_2025: str | None
    latitude: float | None
    longitude: float | None
    geo_precision: str | None
    founded: int | None
    employees: int | None
    ownership: str | None
    sectors: str | None
    description: str | None
    products: str | None
    materials: str | None
    certifications_text: str | None
    export_markets: str | None
    customers: str | None
    monthly_capacity: int | None
    languages: str | None
    contact_email: str | None
    phone: str | None
    is_demo: bool
    sector_codes: list[str]
    process_codes: list[str]
    material_codes: list[str]
    certifications: list[CertificationPublic]
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("sector_codes", "process_codes", "material_codes", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [code for code in value.split(";") if code] if isinstance(value, str) else value


class FirmsPublic(BaseModel):
    """A page of firms and the number of all that match."""

    data: list[FirmPublic]
    count: int


# --- buyers --------------------------------------------------------------------------


class _BuyerFields(_In):
    country: str | None = Field(default=None, max_length=8)
    park_id: str | None = Field(default=None, max_length=40)
    sector: str | None = Field(default=None, max_length=40)
    description: _Text = None
    is_demo: bool = False


class BuyerCreate(_BuyerFields):
    """A new buyer (plant)."""

    buyer_id: EntityId
    name: str = _Name


class BuyerUpdate(_BuyerFields):
    """Fields of a buyer to change."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    is_demo: bool | None = None


class BuyerPublic(BaseModel):
    """A buyer as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    buyer_id: str
    name: str
    country: str | None
    park_id: str | None
    sector: str | None
    description: str | None
    is_demo: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class BuyersPublic(BaseModel):
    """A page of buyers and the number of all that match."""

    data: list[BuyerPublic]
    count: int


# --- needs ---------------------------------------------------------------------------


class _NeedFields(_In):
    description: _Text = None
    sector: str | None = Field(default=None, max_length=60)
    processes: _Text = None
    materials: _Text = None
    mandatory_certifications: _Text = None
    preferred_certifications: _Text = None
    annual_volume: int | None = Field(default=None, ge=0, le=2**31 - 1)
    min_monthly_capacity: int | None = Field(default=None, ge=0, le=2**31 - 1)
    tolerance_mm: float | None = Field(default=None, ge=0, le=1000)
    deadline: dt.date | None = _Day()
    created: dt.date | None = _Day()
    status: Literal["open", "closed"] = "open"
    target_price_usd: float | None = Field(default=None, ge=0, le=1e9)
    internal_notes: _Text = None
    is_demo: bool = False


class NeedCreate(_NeedFields):
    """A new need of a buyer (staff only)."""

    need_id: EntityId
    buyer_id: EntityId
    title: str = _Name


class NeedUpdate(_NeedFields):
    """Fields of a need to change."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    status: Literal["open", "closed"] | None = None
    is_demo: bool | None = None


class NeedPublic(BaseModel):
    """A need as a firm sees it: without the buyer's confidential fields."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    need_id: str
    buyer_id: str
    title: str
    description: str | None
    sector: str | None
    processes: str | None
    materials: str | None
    mandatory_certifications: str | None
    preferred_certifications: str | None
    annual_volume: int | None
    min_monthly_capacity: int | None
    tolerance_mm: float | None
    deadline: dt.date | None
    created: dt.date | None
    status: str
    is_demo: bool
    sector_codes: list[str]
    process_codes: list[str]
    material_codes: list[str]

    @field_validator("sector_codes", "process_codes", "material_codes", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [code for code in value.split(";") if code] if isinstance(value, str) else value


class NeedPrivate(NeedPublic):
    """A need as staff and analysts see it, confidential fields included."""

    target_price_usd: float | None
    internal_notes: str | None


class NeedsPublic(BaseModel):
    """A page of needs without confidential fields."""

    model_config = ConfigDict(extra="forbid")

    data: list[NeedPublic]
    count: int


class NeedsPrivate(BaseModel):
    """A page of needs with confidential fields."""

    model_config = ConfigDict(extra="forbid")

    data: list[NeedPrivate]
    count: int


# --- outcomes and shortlists ---------------------------------------------------------


class OutcomeCreate(_In):
    """A status to record for a (need, firm) pair."""

    need_id: EntityId
    firm_id: EntityId
    status: Status
    reason: str | None = Field(default=None, max_length=2000)


class OutcomeTransition(_In):
    """The next status of a shortlist entry."""

    status: Status
    reason: str | None = Field(default=None, max_length=2000)


class OutcomePublic(BaseModel):
    """One recorded status of a pair."""

    model_config = ConfigDict(from_attributes=True)

    need_id: str
    firm_id: str
    status: str
    reason: str | None
    at: dt.datetime
    by: str | None


class OutcomesPublic(BaseModel):
    """Status history, oldest first."""

    data: list[OutcomePublic]
    count: int


class ShortlistEntryPublic(BaseModel):
    """A shortlist entry with its latest outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    need_id: str
    firm_id: str
    rank: int
    score: float
    components: dict[str, Any]
    reasons: list[Any]
    model_version: str
    created_at: dt.datetime
    status: str | None = None
    latest_run: bool = Field(
        default=True, description="False when a newer shortlist of the need has been computed"
    )


# --- ranking: shortlists, ad-hoc matches, suggestions, upgrades ---------------------


class ReasonPublic(BaseModel):
    """One reason for (or against) a match, in Vietnamese and English."""

    component: str
    vi: str
    en: str
    positive: bool


class GapPublic(BaseModel):
    """One thing a firm lacks for a need; ``blocking`` keeps it off the shortlist."""

    component: str
    vi: str
    en: str
    blocking: bool


class ShortlistFilters(_In):
    """Restrictions of a shortlist beyond the need's own constraints."""

    sector: str | None = Field(default=None, min_length=1, max_length=60,
                               description="Sector code or alias the firms must work in")  # fmt: skip
    district: str | None = Field(default=None, min_length=1, max_length=120,
                                 description="District or ward, with or without diacritics")  # fmt: skip
    exclude_firms: list[str] = Field(default_factory=list, max_length=1000,
                                     description="Firm ids never to list (VN-0001...)")  # fmt: skip


class ShortlistRequest(_In):
    """How to compute a need's shortlist."""

    k: int = Field(default=10, ge=1, le=100, description="Firms on the list")
    filters: ShortlistFilters = Field(default_factory=ShortlistFilters)
    diversity: bool = Field(default=False, description="Re-rank for variety (MMR)")


class MatchEntryPublic(BaseModel):
    """A ranked firm with its score, the score's parts (weight x value) and the reasons."""

    rank: int
    firm_id: str
    firm_name: str
    score: float
    components: dict[str, float]
    reasons: list[ReasonPublic]


class ShortlistEntryResult(MatchEntryPublic):
    """A stored shortlist entry: ``entry_id`` is what ``PATCH /shortlists/{entry_id}/outcome`` takes."""

    entry_id: int
    run_id: int
    need_id: str
    model_version: str
    created_at: dt.datetime
    status: str | None
    rerank_score: float | None = Field(
        default=None, description="Re-ranked runs only: the re-ranker's predicted relevance (about 0..4) that "
                                  "ordered the list; score and components stay the matcher's")
    matcher_rank: int | None = Field(
        default=None, description="Re-ranked runs only: the firm's rank in the hand-weighted matcher's list")


_UNDERSTOOD = ("What was read from the need (matching.need_facts.understood): codes with vi/en labels, "
               "quantity per month, park or place, certificates mandatory/preferred, deadline, warnings")


class ShortlistPublic(BaseModel):
    """A need's stored shortlist (its latest run), best first; empty when no firm qualified."""

    need_id: str
    run_id: int
    model_version: str
    created_at: dt.datetime
    data: list[ShortlistEntryResult]
    count: int
    understood: dict[str, Any] | None = Field(default=None, description=_UNDERSTOOD)


class MatchRequest(_In):
    """An ad-hoc need: free text and/or structured fields (codes or aliases, ``;``-separated)."""

    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    sector: str | None = Field(default=None, max_length=60)
    processes: str | None = Field(default=None, max_length=2000)
    materials: str | None = Field(default=None, max_length=2000)
    mandatory_certifications: str | None = Field(default=None, max_length=2000)
    preferred_certifications: str | None = Field(default=None, max_length=2000)
    min_monthly_capacity: int | None = Field(default=None, ge=0, le=2**31 - 1)
    park_id: str | None = Field(default=None, max_length=40, description="Industrial park of the plant")
    k: int = Field(default=10, ge=1, le=100)


class MatchPublic(BaseModel):
    """Firms ranked for an ad-hoc need (nothing stored) and the codes read from it."""

    model_version: str
    sector_codes: list[str]
    process_codes: list[str]
    material_codes: list[str]
    mandatory_certifications: list[str]
    preferred_certifications: list[str]
    data: list[MatchEntryPublic]
    count: int
    understood: dict[str, Any] | None = Field(default=None, description=_UNDERSTOOD)


class SuggestionPublic(BaseModel):
    """A need a firm fits, without the buyer's confidential fields.

    ``state`` is ``open`` unless the closed and past-deadline needs were asked for (``?all=true``).
    """

    model_config = ConfigDict(extra="forbid")

    rank: int
    need_id: str
    state: Literal["open", "closed", "past_deadline"] = "open"
    buyer_id: str
    title: str
    sector: str | None
    deadline: dt.date | None
    score: float
    components: dict[str, float]
    reasons: list[ReasonPublic]
    gaps: list[GapPublic]


class SuggestionsPublic(BaseModel):
    """The open needs a firm fits best."""

    model_config = ConfigDict(extra="forbid")

    firm_id: str
    model_version: str
    data: list[SuggestionPublic]
    count: int


class UpgradePublic(BaseModel):
    """One change to a firm and the shortlists (top-k of open needs) it would newly enter."""

    kind: Literal["certification", "process", "material", "capacity"]
    code: str
    label_vi: str
    label_en: str
    new_shortlists: int
    needs: list[str]


class UpgradesPublic(BaseModel):
    """A firm's best single upgrades, most shortlists opened first."""

    firm_id: str
    model_version: str
    k: int
    data: list[UpgradePublic]
    count: int


# --- imports, KPI, health ------------------------------------------------------------


class RejectPublic(BaseModel):
    """A rejected row or cell of an import."""

    row: int | None
    column: str | None
    reason: str
    fix: str | None = None


class ImportPublic(BaseModel):
    """What an import did."""

    job_id: int
    kind: str
    filename: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejects: list[RejectPublic]


class KpiPublic(BaseModel):
    """The plan's indicators (Plan 04/KH-UBND)."""

    firms_total: int
    firms_target: int
    firms_by_sector: dict[str, int]
    firms_international_certified: int
    international_certified_target: int
    firms_connected_to_multinationals: int
    outcome_funnel: dict[str, int] = Field(
        description="Need-firm pairs that reached each stage or beyond (suggested >= contacted >= "
        "meeting >= sample >= audit >= order); 'rejected': pairs whose latest outcome is rejected."
    )
    certificates_expiring_90_days: int
    as_of: dt.date


class HealthPublic(BaseModel):
    """Liveness and database reachability."""

    status: Literal["ok"]
    database: str
