"""The seeded demo firms carry the day the survey recorded them (issue 10: the dashboard's
"firms over time" was one step, every firm created at seeding time)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from api.storage.certificate_dates import plan_standings
from api.storage.demo import seed_demo, survey_days
from api.storage.models import Firm
from features import clock

TABLES = {
    "buyers.csv": "buyer_id,name,country\nB001,Demo Buyer,JP\n",
    "firms.csv": (
        "firm_id,name,description\n"
        "F0001,Công ty A,Phay CNC\n"
        "F0002,Công ty B,Dập kim loại\n"
        "F0003,Công ty C,Ép nhựa\n"
        "F0004,Công ty D,Bó dây điện\n"
    ),
    # The survey's period: 01/01/2026 to 31/03/2026 (89 days: a firm every 29.7 days, F0004 at its end).
    "needs.csv": (
        "need_id,buyer_id,title,processes,created\n"
        "N-0001,B001,Vỏ nhựa,injection_moulding,2026-01-01\n"
        "N-0002,B001,Trục,cnc_turning,2026-03-31\n"
    ),
    # F0004 would be recorded on 31/03 by its id, but it was suggested on 10/01.
    "outcomes.csv": "need_id,firm_id,status,reason,at,by\nN-0001,F0004,suggested,,2026-01-10 09:00,demo\n",
}


def test_survey_days_follow_the_ids_and_never_come_after_a_firms_first_outcome():
    days = survey_days(["F3", "F1", "F2"], [dt.date(2026, 3, 1), dt.date(2026, 1, 1)],
                       {"F2": dt.date(2026, 1, 5), "F1": dt.date(2026, 6, 1)})  # fmt: skip
    assert days == {"F1": dt.date(2026, 1, 1), "F2": dt.date(2026, 1, 4), "F3": dt.date(2026, 3, 1)}
    assert survey_days(["F1"], [], {}) == {}  # no need with a day: nothing to date by


def test_seeded_firms_are_dated_and_the_progress_rises(app, tmp_path):
    for name, content in TABLES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    seed_demo(app.state.sessionmaker, tmp_path)
    with app.state.sessionmaker() as session:
        recorded = {firm.firm_id: firm.created_at.astimezone(clock.TIME_ZONE)
                    for firm in session.scalars(select(Firm))}  # fmt: skip
        days = [dt.date(2025, 12, 31), dt.date(2026, 1, 15), dt.date(2026, 2, 28), dt.date(2026, 4, 30)]
        firms = [standing.firms for standing in plan_standings(session, days)]
    assert {firm_id: at.date() for firm_id, at in recorded.items()} == {
        "F0001": dt.date(2026, 1, 1), "F0002": dt.date(2026, 1, 31),
        "F0003": dt.date(2026, 3, 1), "F0004": dt.date(2026, 1, 9)}  # fmt: skip
    assert all(at.hour == 9 for at in recorded.values())
    assert firms == [0, 2, 3, 4]
