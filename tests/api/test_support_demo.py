"""The demo support programme (issue 14) on SQLite and PostgreSQL: stored once from
data/demo/support_programme.json, the past round with its outcomes (overdue milestones flagged,
certificates linked), the open round proposed within its budget and fairness setting with a
reason for every nomination, the plan's figure equal to the KPI's."""

from __future__ import annotations

import datetime as dt
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
        # dated as it happened in 2025, not on the day the demo was seeded
        past = store.get_round(session, "SR-2025-1")
        received = [n.created_at.astimezone(clock.TIME_ZONE).date() for n in store.list_nominations(session, "SR-2025-1")]
        assert past.opens <= min(received) < max(received) <= past.closes
        assert past.decided_at.astimezone(clock.TIME_ZONE).date() == dt.date(2025, 6, 30)
        assert past.proposed_at.astimezone(clock.TIME_ZONE).date() == past.closes
        assert report["funded_firms_meeting_international_standards"] >= 6
        international, _ = certificate_counts(session, clock.today())
        assert report["plan"]["firms_international"] == international
        assert sum(g["firms"] for g in report["plan"]["by_district"]) == report["plan"]["firms_total"] == 900
        # every firm in one of Hanoi's 30 legacy districts, those written with a 2025 ward too
        # (features.geo.plan_district): no "Xã Thường Tín" beside "Thường Tín"
        legacy = set(_gazetteer_districts())
        assert {g["group"] for g in report["plan"]["by_district"]} <= legacy | {"(unknown)"}
        fitted = fit_matcher(session)
        selection = store.propose(session, "SR-2026-2", fitted.matcher, store.open_needs(session))
    decisions = selection.decisions
    assert selection.status == "optimal" and selection.spent <= 1_500_000_000
    assert len(decisions) == 31 and decisions["reason_vi"].str.len().gt(0).all()
    chosen = decisions[decisions["selected"]]
    by_district = chosen.groupby("district")["cost"].sum()
    assert (by_district <= 0.4 * 1_500_000_000).all()  # the round's fairness setting
    assert selection.summary()["firms_turned_international"] >= 1


def test_cnht_serve_demo_seeds_the_support_programme_once(settings, tmp_path, monkeypatch):
    import sqlalchemy as sa
    import uvicorn
    from typer.testing import CliRunner

    from api.cli import app as cli
    from api.settings import get_settings
    from api.storage.session import make_engine

    folder = tmp_path / "demo"
    folder.mkdir()
    for name in ("firms.csv", "buyers.csv", "needs.csv", "support_programme.json"):
        shutil.copy(DEMO / name, folder / name)
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("CNHT_DEMO_FOLDER", str(folder))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # seed, then do not serve
    tables = ("support_associations", "support_rounds", "support_nominations", "support_decisions",
              "support_funded_items", "support_milestones", "support_inspections")

    def rows() -> dict[str, int]:
        engine = make_engine(get_settings())
        try:
            with engine.connect() as conn:
                return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}
        finally:
            engine.dispose()

    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(cli, ["serve", "--demo"])
        assert first.exit_code == 0, first.output
        assert ("demo support programme: 3 new associations; past round: 11 funded items; open round: 31 "
                "nominations received, refused by rule: recently_funded 2") in first.output
        stored = rows()
        assert stored["support_rounds"] == 2 and stored["support_funded_items"] == 11
        second = CliRunner().invoke(cli, ["serve", "--demo"])
        assert second.exit_code == 0, second.output
        assert "demo data not seeded again" in second.output
        assert ("demo support programme: 0 new associations; past round: already stored; open round: already "
                "stored") in second.output
        assert rows() == stored
    finally:
        get_settings.cache_clear()


def test_the_support_demo_is_not_seeded_without_its_file_or_its_firms(app, tmp_path):
    from api.storage.support_demo import seed_support_demo_folder

    counts, said = seed_support_demo_folder(app.state.sessionmaker, tmp_path)
    assert counts is None and "support_programme.json" in said and "not seeded" in said
    shutil.copy(DEMO / "support_programme.json", tmp_path / "support_programme.json")
    counts, said = seed_support_demo_folder(app.state.sessionmaker, tmp_path)
    assert counts is None and "are not in the database" in said
    with transaction(app.state.sessionmaker) as session:
        assert store.list_rounds(session) == [] and store.list_associations(session) == []


def _gazetteer_districts() -> list[str]:
    from features.geo import hanoi_units

    return sorted(set(hanoi_units("legacy")["district"]))
