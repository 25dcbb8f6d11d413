"""The four imported tables as pandera schemas: what a DataFrame looks like after ingestion.

:mod:`features.ingest` turns raw spreadsheets into frames that pass these schemas (bad
cells emptied or rows rejected, with reasons); everything downstream may rely on them.
Column names come from :mod:`features.columns`.

Types after ingestion
---------------------
* ids (``firm_id``, ``buyer_id``, ``need_id``): the user's own ``str``, in the normal form of
  :func:`features.identity.normalize_id` (1 to 64 characters, trimmed, no ``/``);
* ``tax_code``: ``0101234567`` or ``0101234567-001`` (check digit verified), nullable;
* counts (``founded``, ``employees``, ``monthly_capacity``, ``annual_volume``, ...): nullable
  ``Int64`` within sensible bounds;
* needs' ``processes``/``materials``/``*_certifications``: ``;``-joined taxonomy codes;
* dates: ``datetime64[ns]`` (naive, Vietnam local time);
* ``is_demo``: ``bool``.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"need_id": ["N-0001"], "firm_id": ["VN-0001"], "status": ["order"],
...     "reason": [None], "at": pd.to_datetime(["2026-01-05"]).astype("datetime64[ns]"),
...     "by": ["staff"]})
>>> len(validate("outcomes", frame))
1
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors
from pandera.typing import Series

from features.columns import (
    BUYER_COLUMNS,
    FIRM_COLUMNS,
    NEED_COLUMNS,
    OUTCOME_COLUMNS,
    OUTCOME_STATUSES,
    OWNERSHIP_TYPES,
)
from features.exceptions import CnhtError
from features.identity import ID_MAX_LENGTH, is_valid_id

__all__ = [
    "FirmSchema",
    "BuyerSchema",
    "NeedSchema",
    "OutcomeSchema",
    "SCHEMAS",
    "COLUMNS",
    "KINDS",
    "NEED_STATUSES",
    "LANGUAGES",
    "SchemaValidationError",
    "validate",
]

# [0-9], not \d: \d also matches full-width and other Unicode digits ("０１０").
TAX_CODE_PATTERN = r"^[0-9]{10}(-[0-9]{3})?$"
CODE_LIST_PATTERN = r"^[a-z0-9_]+(;[a-z0-9_]+)*$"
CODE_PATTERN = r"^[a-z0-9_]+$"
NEED_STATUSES: tuple[str, ...] = ("open", "closed")
LANGUAGES: tuple[str, ...] = ("vi", "en", "ja", "ko", "zh")
_LANGUAGE_LIST_PATTERN = r"^(vi|en|ja|ko|zh)(;(vi|en|ja|ko|zh))*$"
_EMAIL_PATTERN = r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$"


def _id_field(unique: bool = False):
    """An ID column: the one rule of :mod:`features.identity` (checked per element)."""
    return pa.Field(
        unique=unique,
        str_length={"min_value": 1, "max_value": ID_MAX_LENGTH},
        description="the user's own ID (features.identity.normalize_id)",
    )


def _ids_are_valid(series: pd.Series) -> pd.Series:
    return series.map(is_valid_id)


def _known(kind: str):
    """Element check: every ';'-separated code of a cell is a taxonomy code of ``kind``."""

    def check(series: pd.Series) -> pd.Series:
        from features.taxonomy import load_taxonomy

        codes = {t.code for t in load_taxonomy().terms(kind)}
        return series.map(lambda cell: all(c in codes for c in str(cell).split(";") if c))

    return check


def _valid_tax_code(series: pd.Series) -> pd.Series:
    from stdnum.vn import mst

    # codes that break the pattern are reported by it once; only well-formed ones are summed
    pattern = re.compile(TAX_CODE_PATTERN)
    return series.map(lambda code: not pattern.fullmatch(str(code)) or bool(mst.is_valid(str(code))))


def _known_park(series: pd.Series) -> pd.Series:
    from features.geo import parks

    return series.isin(set(parks()["park_id"]))


class FirmSchema(pa.DataFrameModel):
    """A supplier firm (doanh nghiệp CNHT), one row per firm."""

    firm_id: Series[str] = _id_field(unique=True)
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    tax_code: Series[str] = pa.Field(nullable=True, str_matches=TAX_CODE_PATTERN)
    address: Series[str] = pa.Field(nullable=True)
    district: Series[str] = pa.Field(nullable=True)
    founded: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1900, le=2100)
    employees: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=1_000_000)
    ownership: Series[str] = pa.Field(nullable=True, isin=list(OWNERSHIP_TYPES))
    sectors: Series[str] = pa.Field(nullable=True)
    description: Series[str] = pa.Field(nullable=True)
    products: Series[str] = pa.Field(nullable=True)
    materials: Series[str] = pa.Field(nullable=True)
    certifications: Series[str] = pa.Field(nullable=True)
    export_markets: Series[str] = pa.Field(nullable=True)
    customers: Series[str] = pa.Field(nullable=True)
    monthly_capacity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=10**10)
    languages: Series[str] = pa.Field(nullable=True, str_matches=_LANGUAGE_LIST_PATTERN)
    contact_email: Series[str] = pa.Field(nullable=True, str_matches=_EMAIL_PATTERN)
    phone: Series[str] = pa.Field(nullable=True)
    is_demo: Series[bool]

    @pa.check("firm_id", name="firm_id: an ID in normal form (features.identity)")
    @classmethod
    def firm_id_is_valid(cls, series: Series[str]) -> Series[bool]:
        return _ids_are_valid(series)

    @pa.check("tax_code", name="tax_code: check digit (stdnum.vn.mst)")
    @classmethod
    def tax_code_check_digit(cls, series: Series[str]) -> Series[bool]:
        return _valid_tax_code(series)

    class Config:
        strict = True
        ordered = True


class BuyerSchema(pa.DataFrameModel):
    """A buyer (usually a multinational's plant in or near Hà Nội)."""

    buyer_id: Series[str] = _id_field(unique=True)
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    country: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{2}$")
    park_id: Series[str] = pa.Field(nullable=True, str_matches=CODE_PATTERN)
    sector: Series[str] = pa.Field(nullable=True, str_matches=CODE_PATTERN)
    description: Series[str] = pa.Field(nullable=True)
    is_demo: Series[bool]

    @pa.check("buyer_id", name="buyer_id: an ID in normal form (features.identity)")
    @classmethod
    def buyer_id_is_valid(cls, series: Series[str]) -> Series[bool]:
        return _ids_are_valid(series)

    @pa.check("park_id", name="park_id: a known industrial park (features.geo.parks)")
    @classmethod
    def park_is_known(cls, series: Series[str]) -> Series[bool]:
        return _known_park(series)

    @pa.check("sector", name="sector: a taxonomy sector code")
    @classmethod
    def sector_is_known(cls, series: Series[str]) -> Series[bool]:
        return _known("sector")(series)

    class Config:
        strict = True
        ordered = True


class NeedSchema(pa.DataFrameModel):
    """A buyer's component need."""

    need_id: Series[str] = _id_field(unique=True)
    buyer_id: Series[str] = _id_field()
    title: Series[str] = pa.Field(nullable=True)
    description: Series[str] = pa.Field(nullable=True)
    sector: Series[str] = pa.Field(nullable=True, str_matches=CODE_PATTERN)
    processes: Series[str] = pa.Field(nullable=True, str_matches=CODE_LIST_PATTERN)
    materials: Series[str] = pa.Field(nullable=True, str_matches=CODE_LIST_PATTERN)
    mandatory_certifications: Series[str] = pa.Field(nullable=True, str_matches=CODE_LIST_PATTERN)
    preferred_certifications: Series[str] = pa.Field(nullable=True, str_matches=CODE_LIST_PATTERN)
    annual_volume: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=10**12)
    min_monthly_capacity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=10**10)
    tolerance_mm: Series[float] = pa.Field(nullable=True, gt=0, le=100)
    deadline: Series[pa.DateTime] = pa.Field(nullable=True)
    created: Series[pa.DateTime] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(isin=list(NEED_STATUSES))
    target_price_usd: Series[float] = pa.Field(nullable=True, ge=0)
    internal_notes: Series[str] = pa.Field(nullable=True)
    is_demo: Series[bool]

    @pa.check("need_id", "buyer_id", name="an ID in normal form (features.identity)")
    @classmethod
    def ids_are_valid(cls, series: Series[str]) -> Series[bool]:
        return _ids_are_valid(series)

    @pa.check("sector", name="sector: a taxonomy sector code")
    @classmethod
    def sector_is_known(cls, series: Series[str]) -> Series[bool]:
        return _known("sector")(series)

    @pa.check("processes", name="processes: taxonomy process codes")
    @classmethod
    def processes_are_known(cls, series: Series[str]) -> Series[bool]:
        return _known("process")(series)

    @pa.check("materials", name="materials: taxonomy material codes")
    @classmethod
    def materials_are_known(cls, series: Series[str]) -> Series[bool]:
        return _known("material")(series)

    @pa.check("mandatory_certifications", "preferred_certifications", name="certification codes of the taxonomy")
    @classmethod
    def certifications_are_known(cls, series: Series[str]) -> Series[bool]:
        return _known("certification")(series)

    @pa.dataframe_check(error="title: a need needs a title or a description")
    @classmethod
    def has_title_or_description(cls, df: pd.DataFrame) -> pd.Series:
        return df["title"].notna() | df["description"].notna()

    class Config:
        strict = True
        ordered = True


class OutcomeSchema(pa.DataFrameModel):
    """One status change of a (need, firm) match: an event log row."""

    need_id: Series[str] = _id_field()
    firm_id: Series[str] = _id_field()
    status: Series[str] = pa.Field(isin=list(OUTCOME_STATUSES))
    reason: Series[str] = pa.Field(nullable=True)
    at: Series[pa.DateTime]
    by: Series[str] = pa.Field(nullable=True)

    @pa.check("need_id", "firm_id", name="an ID in normal form (features.identity)")
    @classmethod
    def ids_are_valid(cls, series: Series[str]) -> Series[bool]:
        return _ids_are_valid(series)

    @pa.dataframe_check(error="reason: status 'rejected' needs a reason")
    @classmethod
    def rejected_has_reason(cls, df: pd.DataFrame) -> pd.Series:
        return (df["status"] != "rejected") | df["reason"].notna()

    class Config:
        strict = True
        ordered = True


KINDS: tuple[str, ...] = ("firms", "buyers", "needs", "outcomes")
SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "firms": FirmSchema,
    "buyers": BuyerSchema,
    "needs": NeedSchema,
    "outcomes": OutcomeSchema,
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "firms": tuple(FIRM_COLUMNS),
    "buyers": tuple(BUYER_COLUMNS),
    "needs": tuple(NEED_COLUMNS),
    "outcomes": tuple(OUTCOME_COLUMNS),
}


class SchemaValidationError(CnhtError):
    """A frame does not match its table's schema; ``failure_cases`` says where.

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        Columns ``column``, ``check``, ``index``, ``failure_case`` (pandera's lazy report).
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases


def _check_kind(kind: str) -> None:
    if kind not in SCHEMAS:
        raise CnhtError(
            f"Expected a table kind in {KINDS}, got {kind!r}. "
            "Fix the argument (firms, buyers, needs or outcomes)."
        )


def _failure_column(row: pd.Series) -> str:
    # dataframe-wide checks name their column as the first word of their error message;
    # pandera repeats such a failure under every column, which we fold back into one
    check = str(row.get("check", ""))
    if check == "column_in_dataframe":  # a missing column: the failure case is its name
        return str(row.get("failure_case"))
    head = check.split(":", 1)[0].strip()
    if ":" in check and head.isidentifier():
        return head
    column = row.get("column")
    if isinstance(column, str) and column:
        return column
    return head or "<table>"


def failure_cases(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Every schema failure of ``frame`` as a table (empty when it passes).

    Parameters
    ----------
    kind : {"firms", "buyers", "needs", "outcomes"}
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Columns ``column`` (the column at fault; never empty), ``check``, ``index``
        (the frame's index label, ``None`` for whole-column failures such as a missing
        column or a wrong dtype) and ``failure_case`` (the offending value).
    """
    _check_kind(kind)
    try:
        SCHEMAS[kind].validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases.copy()
    except SchemaError as exc:  # pragma: no cover - lazy mode raises SchemaErrors
        cases = pd.DataFrame(
            [{"column": None, "check": str(exc), "index": None, "failure_case": None}]
        )
    else:
        return pd.DataFrame(columns=["column", "check", "index", "failure_case"])
    cases = cases.reindex(columns=["column", "check", "index", "failure_case"])
    cases["column"] = cases.apply(_failure_column, axis=1).astype(object)
    cases = cases.drop_duplicates(subset=["column", "check", "index"])
    return cases.reset_index(drop=True)


def validate(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check ``frame`` against the schema of ``kind`` and return it unchanged.

    Parameters
    ----------
    kind : {"firms", "buyers", "needs", "outcomes"}
        Which table ``frame`` holds.
    frame : pandas.DataFrame
        The table, with the canonical columns in the order of :mod:`features.columns`.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when it passes.

    Raises
    ------
    SchemaValidationError
        When it does not; the message names each failing column, the check and up to
        three offending values, and ``failure_cases`` holds the full report.

    Examples
    --------
    >>> import pandas as pd
    >>> bad = pd.DataFrame({"buyer_id": ["a/b"], "name": ["Canon"], "country": ["JP"],
    ...     "park_id": [None], "sector": [None], "description": [None], "is_demo": [False]})
    >>> validate("buyers", bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    features.schemas.SchemaValidationError: Table 'buyers' ... column 'buyer_id' failed buyer_id: an ID in normal form (features.identity) on 'a/b' ...
    """
    cases = failure_cases(kind, frame)
    if cases.empty:
        return frame
    parts = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        values = ", ".join(repr(v) for v in group["failure_case"].head(3))
        where = ", ".join(str(i) for i in group["index"].head(3) if i is not None and i == i)
        parts.append(
            f"column {column!r} failed {check} on {values}"
            + (f" (row index {where})" if where else "")
        )
    raise SchemaValidationError(
        f"Table {kind!r} does not match its schema: "
        + "; ".join(parts)
        + ". Fix these cells (`cnht import` reports them per row) or rebuild the frame "
        "with features.ingest.",
        cases,
    )
