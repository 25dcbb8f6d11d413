"""The dashboard's progress chart and expiring certificates, and a running import's page, in a
real browser on the served demo data, in Vietnamese and English."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import ROOT, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _api(served, path: str):
    answer = httpx.get(f"{served.url}/api/v1{path}", timeout=120,
                       headers={"Authorization": f"Bearer {served.analyst_key}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def _points(page, chart: str) -> list[tuple[str, int]]:
    points = page.locator(f"#{chart} g[data-on]")
    return [(points.nth(i).get_attribute("data-on"), int(points.nth(i).get_attribute("data-value")))
            for i in range(points.count())]  # fmt: skip


def test_dashboard_shows_the_apis_progress_and_expiring_certificates(page, served):
    sign_in(page, served.staff_key)
    page.goto("/dashboard")
    kpi, progress, expiring = _api(served, "/kpi"), _api(served, "/kpi/progress"), _api(served, "/kpi/expiring")
    assert page.locator("#progress-title").inner_text() == "Tiến độ theo tháng"
    assert _points(page, "trend-international") == [(p["on"], p["firms_international_certified"]) for p in progress["data"]]
    assert _points(page, "trend-firms") == [(p["on"], p["firms_total"]) for p in progress["data"]]
    assert len(progress["data"]) == 12
    assert progress["data"][-1]["firms_total"] == kpi["firms_total"]
    assert progress["data"][-1]["firms_international_certified"] == kpi["firms_international_certified"]
    # The demo firms are dated as the survey recorded them (api.storage.demo.survey_days), not
    # all on the seeding day: the firms line rises month by month instead of one step at the end.
    firms = [p["firms_total"] for p in progress["data"]]
    assert firms == sorted(firms) and firms[0] > 0 and firms[0] < firms[-1], firms
    assert len(set(firms)) >= 6, firms
    heights = [float(y) for y in page.locator("#trend-firms circle").evaluate_all("dots => dots.map(d => d.getAttribute('cy'))")]
    assert heights[0] > heights[-1], heights  # drawn: the last dot is higher than the first

    rows = page.locator("#expiring-table tbody tr")
    assert rows.count() == expiring["count"] == kpi["certificates_expiring_90_days"] > 0
    first, soonest = rows.first.locator("td").all_inner_texts(), expiring["data"][0]
    year, month, day = soonest["valid_until"].split("-")
    assert soonest["firm_name"] in first[0] and first[1].startswith(soonest["label"])
    assert first[2] == f"{day}/{month}/{year}"
    assert re.fullmatch(r"\d+ ngày|hết hạn hôm nay", first[3])
    screenshot(page, "dashboard")

    page.goto("/dashboard?lang=en")
    assert page.locator("#progress-title").inner_text() == "Progress over time"
    assert page.locator("#expiring-title").inner_text().startswith("Certificates expiring in the next 90 days")
    assert re.fullmatch(r"\d+ days?|ends today", page.locator("#expiring-table tbody tr").first.locator("td").nth(3).inner_text())
    screenshot(page, "dashboard-en")


class _HeldAtItsFirstWrite:
    """Another writer of the served SQLite file, as a second ``cnht import`` would be: once an
    import job newer than ``after`` is recorded, it takes the database's write lock, so the
    import waits (on SQLite's busy timeout) at its next write, the end of its reading stage,
    until :meth:`release`. The import page must show a job that is still running, whatever
    the machine's speed: a 906-row file is read and stored in well under a second now."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._reader = sqlite3.connect(database, timeout=60, isolation_level=None, check_same_thread=False)
        self._after = self._reader.execute("SELECT coalesce(max(id), 0) FROM import_jobs").fetchone()[0]
        self._writer = sqlite3.connect(database, timeout=60, isolation_level=None, check_same_thread=False)
        self.held = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._hold, daemon=True)
        self._thread.start()

    def _hold(self) -> None:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                job = self._reader.execute("SELECT status FROM import_jobs WHERE id > ? ORDER BY id LIMIT 1",
                                           (self._after,)).fetchone()  # fmt: skip
                if job is not None:
                    self._writer.execute("BEGIN IMMEDIATE")
                    status = self._reader.execute("SELECT status FROM import_jobs WHERE id > ? ORDER BY id LIMIT 1",
                                                  (self._after,)).fetchone()[0]  # fmt: skip
                    if status != "running":
                        raise AssertionError(f"the import was {status} before the test could hold it")
                    self.held.set()
                    return
                time.sleep(0.002)
            raise AssertionError("no import job was recorded within 60 s")
        except BaseException as exc:  # reported by the test's thread
            self.error = exc
            self.held.set()

    def wait(self) -> None:
        self.held.wait(timeout=90)
        if self.error is not None:
            raise self.error
        assert self.held.is_set(), "the test did not get hold of the import"

    def release(self) -> None:
        if self._writer.in_transaction:
            self._writer.execute("ROLLBACK")
        self._thread.join(timeout=5)
        self._writer.close()
        self._reader.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_running_import_shows_its_stage_and_then_its_result_without_a_reload(page, served, lang):
    """The demo firms again (906 rows, nothing changes), held at the end of their reading by
    another writer: the job's page shows where the import stands; once the other writer lets
    go, the page's poll sees the job done and shows its result, without a reload."""
    sign_in(page, served.staff_key)
    page.goto(f"/imports?lang={lang}")
    page.locator("#kind").select_option("firms")
    page.locator("#file").set_input_files(str(Path(ROOT) / "data" / "demo" / "firms.csv"))
    with page.expect_navigation(wait_until="load"):
        page.locator("#import-form button[type=submit]").click()
    other_writer = _HeldAtItsFirstWrite(served.database)
    try:
        with page.expect_navigation(wait_until="load"):
            page.locator("#confirm-form button[type=submit]").click()
        other_writer.wait()
        job_url = page.url
        running = page.locator("#import-running")
        assert running.count() == 1, "the held import's page does not show it running"
        assert page.locator("#import-steps li.step-now").get_attribute("data-step") == "reading"
        assert page.locator("#counts").count() == 0
        screenshot(page, f"import-running-{lang}")
    finally:
        other_writer.release()
    # No reload by the test: the page asks status.json and shows the result itself.
    page.locator("#counts").wait_for(timeout=120_000)
    assert page.url == job_url and page.locator("#import-running").count() == 0
    counts = {k: page.locator(f"#counts dd[data-count='{k}']").inner_text() for k in ("read", "unchanged")}
    assert counts == {"read": "906", "unchanged": "900"}
    screenshot(page, f"import-done-{lang}")
