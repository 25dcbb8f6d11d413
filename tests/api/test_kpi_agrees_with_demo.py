"""Figures agree between tools (issue 9): `cnht demo` and GET /kpi on the same data; the funnel."""

from __future__ import annotations

from pathlib import Path

from api.storage.demo import seed_demo
from features.demo.summary import summarize

TABLES = {
    "buyers.csv": "buyer_id,name,country,park_id,sector\nB001,Demo Buyer,JP,thang_long,electronics\n",
    # F0001 declares mechanical but makes electronic components; F0002 declares nothing but
    # makes wire harnesses (electronics); F0003's sector cell is not a sector; F0004 declares two.
    "firms.csv": (
        "firm_id,name,sectors,description,certifications\n"
        "F0001,Công ty A,cơ khí,Sản xuất linh kiện điện tử,ISO 9001 hết hạn 12/2099\n"
        "F0002,Công ty B,,Bó dây điện ô tô,\n"
        "F0003,Công ty C,không rõ,Dập kim loại tấm,\n"
        "F0004,Công ty D,điện tử; cơ khí,Phay CNC,\n"
    ),
    "needs.csv": "need_id,buyer_id,title,processes,status\nN-0001,B001,Vỏ nhựa,injection_moulding,open\n",
    "outcomes.csv": (
        "need_id,firm_id,status,reason,at,by\n"
        "N-0001,F0001,suggested,,2026-01-05 09:00,demo\n"
        "N-0001,F0001,contacted,,2026-01-06 09:00,demo\n"
        "N-0001,F0001,meeting,,2026-01-07 09:00,demo\n"
        "N-0001,F0001,sample,,2026-01-08 09:00,demo\n"
        "N-0001,F0001,audit,,2026-01-09 09:00,demo\n"
        "N-0001,F0002,suggested,,2026-01-05 09:00,demo\n"
        "N-0001,F0002,contacted,,2026-01-06 09:00,demo\n"
        "N-0001,F0002,rejected,price,2026-01-07 09:00,demo\n"
        "N-0001,F0003,suggested,,2026-01-05 09:00,demo\n"
    ),
}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    for name, content in TABLES.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def test_firms_by_sector_are_the_same_in_cnht_demo_and_kpi(app, client, analyst, tmp_path):
    """Issue 9: `cnht demo` said 306/268 and /kpi 341/281 on the same demo data."""
    folder = _folder(tmp_path)
    seed_demo(app.state.sessionmaker, folder)
    kpi = client.get("/api/v1/kpi", headers=analyst).json()
    summary = summarize(folder)
    assert summary.firms_by_sector.to_dict() == kpi["firms_by_sector"]
    assert kpi["firms_by_sector"] == {"electronics": 3, "mechanical": 2}
    assert summary.n_firms == kpi["firms_total"] == 4


def test_the_outcome_funnel_counts_pairs_that_reached_each_stage_or_beyond(app, client, analyst, tmp_path):
    """Issue 9: audit 739 > sample 296 was no funnel (pairs per furthest stage). F0001 reached
    audit, F0002 was contacted then rejected, F0003 only suggested."""
    seed_demo(app.state.sessionmaker, _folder(tmp_path))
    kpi = client.get("/api/v1/kpi", headers=analyst).json()
    assert kpi["outcome_funnel"] == {"suggested": 3, "contacted": 2, "meeting": 1, "sample": 1,
                                     "audit": 1, "order": 0, "rejected": 1}  # fmt: skip
    stages = [kpi["outcome_funnel"][s] for s in ("suggested", "contacted", "meeting", "sample", "audit", "order")]
    assert stages == sorted(stages, reverse=True)


def test_kpi_takes_today_from_the_hanoi_clock(client, analyst):
    """Issue 9: "today" was the host's local date."""
    from datetime import date

    from features import clock

    with clock.frozen(date(2031, 7, 8)):
        assert client.get("/api/v1/kpi", headers=analyst).json()["as_of"] == "2031-07-08"
