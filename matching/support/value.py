"""What funding a nomination is worth: the plan's target and the buyers' demand it would unlock.

value = ``weight_target`` x (1 when the supported certificate would turn the firm into one
"meeting international standards", else 0)
+ ``weight_demand`` x (open needs whose shortlist the certificate puts the firm on, from
:func:`matching.gaps.best_upgrades`)
+ the support type's ``base_value`` x units (stated by the round).

"Meeting international standards" is the plan's figure: a firm holding a certificate valid
by the one validity rule whose code the taxonomy flags international
(:func:`features.certifications.valid_codes` with ``international_only=True``, as in
``GET /kpi``); the eligibility table carries it per firm (column ``international``).
"""

from __future__ import annotations

import pandas as pd

from matching.exceptions import HyperParameterError

__all__ = ["nomination_values", "value_of"]


def value_of(table: pd.DataFrame, new_shortlists: pd.Series, base_values: pd.Series, *,
             weight_target: float = 1.0, weight_demand: float = 0.1) -> pd.DataFrame:
    """The value columns from the parts (no matcher needed; :func:`nomination_values` finds the parts).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~matching.support.check_nominations`' table (``certification``, ``international``).
    new_shortlists : pandas.Series
        Open needs the certificate unlocks, per row of ``table``.
    base_values : pandas.Series
        The support type's stated value x units, per row.
    weight_target, weight_demand : float, default 1.0, 0.1

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``target_gain`` (0/1), ``new_shortlists``, ``target_value`` (the part of
        ``value`` due to the target, counted once per firm by the selection), ``value``.
    """
    from features.certifications import is_international

    for name, weight in (("weight_target", weight_target), ("weight_demand", weight_demand)):
        if not weight >= 0:
            raise HyperParameterError(f"Expected {name} >= 0, got {name}={weight}.")
    gives = table["certification"].map(lambda code: bool(code) and is_international(code))
    target = (gives & ~table["international"].astype(bool)).astype(int)
    out = table.assign(target_gain=target.to_numpy(), new_shortlists=new_shortlists.to_numpy().astype(int))
    # The target counts a firm once, whatever it is funded for: the selection keeps this part apart.
    target_value = (weight_target * out["target_gain"]).astype(float)
    value = target_value + weight_demand * out["new_shortlists"] + base_values.to_numpy()
    return out.assign(target_value=target_value.round(9), value=value.astype(float).round(9))


def nomination_values(support_round, table: pd.DataFrame, matcher, needs: pd.DataFrame | None = None, *,
                      weight_target: float = 1.0, weight_demand: float = 0.1, k: int = 10) -> pd.DataFrame:
    """Value of funding each eligible nomination (ineligible ones get 0).

    Parameters
    ----------
    support_round : SupportRound
    table : pandas.DataFrame
        From :func:`~matching.support.check_nominations`.
    matcher : SupplierMatcher
        Fitted on firms that include the nominated ones.
    needs : pandas.DataFrame, optional
        Needs table (default: the matcher's open needs); only the needs whose scores a
        nomination's certificate can change are re-scored for it (those naming it, and for an
        international standard those naming no certificate).
    weight_target : float, default 1.0
        Value of one more firm meeting international standards.
    weight_demand : float, default 0.1
        Value of one more shortlist (top-``k`` of an open need) the firm enters.
    k : int, default 10

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``target_gain, new_shortlists, unlocked_needs`` (``;``-joined need IDs), ``value``.
    """
    from matching.gaps import best_upgrades

    unlocked: dict[tuple[str, str], list[str]] = {}
    fitted = set(map(str, matcher.firms_.firm_ids))
    for firm_id, code in table.loc[table["eligible"] & (table["certification"] != ""),
                                   ["firm_id", "certification"]].drop_duplicates().itertuples(index=False):
        if firm_id not in fitted:
            unlocked[(firm_id, code)] = []
            continue
        asking = _needs_asking(needs, code)
        if asking is not None and asking.empty:
            unlocked[(firm_id, code)] = []
            continue
        upgrades = best_upgrades(matcher, firm_id, asking, top=1_000, k=k)
        row = upgrades[(upgrades["kind"] == "certification") & (upgrades["code"] == code)]
        unlocked[(firm_id, code)] = list(row["needs"].iloc[0]) if len(row) else []
    needs_of = [unlocked.get((f, c), []) if ok else []
                for f, c, ok in zip(table["firm_id"], table["certification"], table["eligible"], strict=True)]
    base = pd.Series([support_round.support_type(t).base_value * u for t, u in
                      zip(table["support_type"], table["units"], strict=True)], index=table.index)
    out = value_of(table, pd.Series([len(n) for n in needs_of], index=table.index), base,
                   weight_target=weight_target, weight_demand=weight_demand)
    out.insert(out.columns.get_loc("new_shortlists") + 1, "unlocked_needs", [";".join(n) for n in needs_of])
    return out.assign(value=out["value"].where(out["eligible"], 0.0),
                      target_value=out["target_value"].where(out["eligible"], 0.0))


def _needs_asking(needs: pd.DataFrame | None, code: str) -> pd.DataFrame | None:
    """The needs whose scores the certificate ``code`` can change: those naming it among their
    certificates and, when it is an international standard, those naming none (where
    :class:`~matching.components.CertificationFit` credits any international certificate)."""
    from features.certifications import is_international

    if needs is None:
        return None
    named = pd.Series("", index=needs.index)
    for column in ("mandatory_certifications", "preferred_certifications"):
        if column in needs.columns:
            named = named + ";" + needs[column].fillna("").astype(str)
    codes = named.str.split(";").map(lambda cells: {c for c in cells if c})
    asks = codes.map(lambda found: code in found or (not found and is_international(code)))
    return needs[asks.astype(bool)]
