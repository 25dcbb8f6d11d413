"""Reading and writing the service's records; every write leaves an audit row.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the caller (a
route through :func:`api.deps.get_session`, or the CLI) owns the transaction, so a request
or an import is all-or-nothing.

One module per resource (:mod:`~api.storage.repository.firms`, ``buyers``, ``needs``,
``outcomes``), with what they share: ``audit_log`` (snapshots and audit rows), ``codes``
(taxonomy codes of fields and filters), ``certificates`` (a firm's stored certificates and
who holds a code), ``history`` (match history that deleting must not erase) and ``queries``.
Callers import from the package: ``from api.storage import repository as repo``.
"""

from __future__ import annotations

from api.storage.repository.audit_log import audit, snapshot
from api.storage.repository.buyers import (
    BUYER_FIELDS,
    check_park,
    create_buyer,
    delete_buyer,
    get_buyer,
    list_buyers,
    update_buyer,
)
from api.storage.repository.certificates import (
    CERTIFICATION_FIELDS,
    certification_tuple,
    firms_holding,
    stored_certificates,
)
from api.storage.repository.codes import (
    NEED_CODE_FIELDS,
    InvalidFieldError,
    check_need_fields,
    resolve_code,
)
from api.storage.repository.firms import (
    FIRM_FIELDS,
    create_firm,
    delete_firm,
    get_firm,
    list_firms,
    update_firm,
)
from api.storage.repository.history import get_shortlist_entry, match_history
from api.storage.repository.needs import (
    NEED_FIELDS,
    create_need,
    delete_need,
    get_need,
    list_needs,
    update_need,
)
from api.storage.repository.outcomes import (
    latest_status,
    latest_statuses,
    list_outcomes,
    lock_pair,
    outcome_funnel,
    record_outcome,
    suggest_pair,
    suggest_pairs,
)
from api.storage.repository.queries import not_found_message, not_found_message_vi

__all__ = [
    "FIRM_FIELDS",
    "BUYER_FIELDS",
    "NEED_FIELDS",
    "CERTIFICATION_FIELDS",
    "certification_tuple",
    "snapshot",
    "check_park",
    "audit",
    "get_firm",
    "get_buyer",
    "get_need",
    "get_shortlist_entry",
    "not_found_message",
    "not_found_message_vi",
    "InvalidFieldError",
    "resolve_code",
    "check_need_fields",
    "NEED_CODE_FIELDS",
    "create_firm",
    "update_firm",
    "delete_firm",
    "create_buyer",
    "update_buyer",
    "delete_buyer",
    "create_need",
    "update_need",
    "delete_need",
    "list_firms",
    "list_buyers",
    "list_needs",
    "latest_status",
    "latest_statuses",
    "lock_pair",
    "record_outcome",
    "suggest_pair",
    "suggest_pairs",
    "match_history",
    "list_outcomes",
    "outcome_funnel",
    "stored_certificates",
    "firms_holding",
]
