"""Tables of the support programme (issue 14, migration 0009).

* :class:`SupportAssociation`: a business association that nominates firms (its keys have role
  ``association``, bound by ``api_keys.association_id``).
* :class:`SupportRoundRecord`: a round; budget and dates as columns, the support types (unit
  cost, cap per firm, the certificate they lead to), eligibility settings, fairness settings
  and milestone deadlines in ``definition``, the round file format of
  :func:`matching.support.round_from_dict` (``data/demo/support_round_demo.json``), so a
  stored round and a file are read by the same code.
* :class:`SupportNomination`: an association's nomination or a firm's own application (one per
  firm and support type in a round); refused ones are never stored, the refusal names the rule.
* :class:`SupportDecision`: the current decision on a nomination (in or out, with its reason);
  ``proposed`` keeps what the solver said, a staff override sets ``selected`` apart from it
  with its reason (and an audit row: who, when, what, why).
* :class:`SupportFundedItem`: a selected nomination once the round is decided, with its
  :class:`SupportMilestone` rows (contract, consulting done, audit, certificate issued — the
  last linked to the certificate record) and :class:`SupportInspection` visits.

Amounts are VND in 64-bit integers (a round's budget passes 2^31 VND).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.storage.errors import ConflictError
from api.storage.models import ID_LENGTH, Base, Firm, UTCDateTime, _now

__all__ = [
    "MILESTONES",
    "SupportAssociation",
    "SupportRoundRecord",
    "SupportNomination",
    "SupportDecision",
    "SupportFundedItem",
    "SupportMilestone",
    "SupportInspection",
]

# The milestones of a funded item, in the order they are reached.
MILESTONES: tuple[str, ...] = ("contract", "consulting_done", "audit", "certificate_issued")


class SupportAssociation(Base):
    """A business association (hiệp hội) that nominates firms for support."""

    __tablename__ = "support_associations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class SupportRoundRecord(Base):
    """A support round: budget, dates, and its definition (support types, eligibility, fairness)."""

    __tablename__ = "support_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    budget_vnd: Mapped[int] = mapped_column(BigInteger)
    opens: Mapped[dt.date] = mapped_column(Date)
    closes: Mapped[dt.date] = mapped_column(Date)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "open" (nominations received), "proposed" (decisions stored), "decided" (funded items made).
    status: Mapped[str] = mapped_column(String(16), default="open")
    proposal_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    proposed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class SupportNomination(Base):
    """A firm proposed for one support type in a round, by an association or by itself."""

    __tablename__ = "support_nominations"
    __table_args__ = (
        UniqueConstraint("round_pk", "nomination_id"),
        UniqueConstraint("round_pk", "firm_id", "support_type", name="uq_support_nominations_firm_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("support_rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    # RESTRICT: a firm with support history cannot be deleted (the programme's report counts it).
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.firm_id", ondelete="RESTRICT"), index=True)
    support_type: Mapped[str] = mapped_column(String(ID_LENGTH))
    units: Mapped[int] = mapped_column(Integer, default=1)
    nominated_by: Mapped[str] = mapped_column(String(16))  # "association" | "self"
    association_id: Mapped[str | None] = mapped_column(
        ForeignKey("support_associations.association_id", ondelete="RESTRICT"), index=True
    )
    justification: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="submitted")  # "submitted" | "withdrawn"
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


class SupportDecision(Base):
    """The current decision on one nomination, with the solver's proposal beside a staff override."""

    __tablename__ = "support_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("support_rounds.id", ondelete="CASCADE"), index=True)
    nomination_pk: Mapped[int] = mapped_column(
        ForeignKey("support_nominations.id", ondelete="CASCADE"), unique=True
    )
    selected: Mapped[bool] = mapped_column(Boolean)
    proposed: Mapped[bool] = mapped_column(Boolean)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    cost_vnd: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    target_gain: Mapped[int] = mapped_column(Integer, default=0)
    new_shortlists: Mapped[int] = mapped_column(Integer, default=0)
    eligible: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(String(32), default="")
    reason_code: Mapped[str] = mapped_column(String(64))
    reason_vi: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by: Mapped[str | None] = mapped_column(String(120))
    overridden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class SupportFundedItem(Base):
    """A selected nomination once its round is decided: what the programme pays for."""

    __tablename__ = "support_funded_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("support_rounds.id", ondelete="CASCADE"), index=True)
    nomination_pk: Mapped[int] = mapped_column(
        ForeignKey("support_nominations.id", ondelete="CASCADE"), unique=True
    )
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.firm_id", ondelete="RESTRICT"), index=True)
    support_type: Mapped[str] = mapped_column(String(ID_LENGTH))
    certification: Mapped[str | None] = mapped_column(String(40))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    funded_on: Mapped[dt.date] = mapped_column(Date)
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class SupportMilestone(Base):
    """One milestone of a funded item: due day, day done, and for a certificate its record."""

    __tablename__ = "support_milestones"
    __table_args__ = (UniqueConstraint("item_pk", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("support_funded_items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # one of MILESTONES
    due: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    certificate_pk: Mapped[int | None] = mapped_column(
        ForeignKey("firm_certifications.id", ondelete="SET NULL")
    )
    # The certificate's fields as recorded: a firm's certificate rows are replaced when its
    # profile is edited (certificate_pk then turns NULL), the record of what was issued stays.
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


class SupportInspection(Base):
    """An inspection visit to a funded item, with its findings."""

    __tablename__ = "support_inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("support_funded_items.id", ondelete="CASCADE"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(120))
    findings: Mapped[str] = mapped_column(Text, default="")
    satisfactory: Mapped[bool] = mapped_column(Boolean, default=True)
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


@event.listens_for(Firm, "before_delete")
def _keep_support_history(_mapper, connection, firm: Firm) -> None:
    """A firm nominated or funded keeps its record (the programme's history, RESTRICT in the
    database): deleting it is refused as a conflict, named, before the database refuses it."""
    nominations = connection.scalar(select(func.count()).select_from(SupportNomination)
                                    .where(SupportNomination.firm_id == firm.firm_id))
    if nominations:
        raise ConflictError(f"Firm {firm.firm_id} has {nominations} support programme nomination(s); deleting it "
                            "would erase the programme's history. Keep the firm and correct its profile with "
                            "PATCH instead.")
