"""The demo support programme (issue 14) on SQLite and PostgreSQL: stored once from
data/demo/support_programme.json, the past round with its outcomes (overdue milestones flagged,
certificates linked), the open round proposed within its budget and fairness setting with a
reason for every nomination, the plan's figure equal to the KPI's."""

from __future__ import annotations

import json
import shutil

from sqlalchemy import select

from api.ranking import fit_matcher
from api.storage import support as store
from api.storage.certificate_dates import certificate_counts
from api.storage.demo import seed_demo
from api.storage.session import transaction
from api.storage.support_demo import seed_support_demo
from api.storage.support_tables import SupportMilestone
from features import clock
from features.demo import default_folder

DEMO = default_folder()


def test_the_demo_programme_is_stored_once_and_its_open_round_proposed(app, tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    for name in ("firms.csv", "buyers.csv", "needs.csv"):  # the outcomes are not needed here
        shutil.copy(DEMO / name, folder / name)
    seed_demo(app.state.sessionmaker, folder)
    document = json.loads((DEMO / "support_programme.json").read_text(encoding="utf-8"))
    with transaction(app.state.sessionmaker) as session:
        counts = seed_support_demo(session, document)
    assert counts == {"associations": 3, "past_round": 11, "current_round": 31, "refused": {"recently_funded": 2}}
    with transaction(app.state.sessionmaker) as session:
        again = seed_support_demo(session, document)
    assert again == {"associations": 0, "past_round": "already stored", "current_round": "already stored",
                     "refused": {}}
    with transaction(app.state.sessionmaker) as session:
        report = store.round_report(session, "SR-2025-1")
        assert report["status"] == "decided" and report["selected"] == 11
        assert report["allocated_vnd"] <= report["budget_vnd"]
        stalled = {i["firm_id"] for i in report["funded_items"]
                   if any(m["overdue"] for m in i["milestones"])}
        assert len(stalled) == 2 and report["overdue_milestones"] == 4  # audit and certificate of each
        linked = session.scalars(select(SupportMilestone).where(SupportMilestone.kind == "certificate_issued",
                                                                SupportMilestone.certificate_pk.is_not(None))).all()
        assert len(linked) == 6
        assert report["funded_firms_meeting_international_standards"] >= 6
        international, _ = certificate_counts(session, clock.today())
        assert report["plan"]["firms_international"] == international
        assert sum(g["firms"] for g in report["plan"]["by_district"]) == report["plan"]["firms_total"] == 900
        fitted = fit_matcher(session)
        selection = store.propose(session, "SR-2026-2", fitted.matcher, store.open_needs(session))
    decisions = selection.decisions
    assert selection.status == "optimal" and selection.spent <= 1_500_000_000
    assert len(decisions) == 31 and decisions["reason_vi"].str.len().gt(0).all()
    chosen = decisions[decisions["selected"]]
    by_district = chosen.groupby("district")["cost"].sum()
    assert (by_district <= 0.4 * 1_500_000_000).all()  # the round's fairness setting
    assert selection.summary()["firms_turned_international"] >= 1
