"""One clock in Asia/Ho_Chi_Minh, injectable (issue 9)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from features import clock


def test_today_is_hanoi_date_not_the_host_date(monkeypatch):
    # 20:00 UTC on 31 May is 03:00 on 1 June in Hanoi.
    class _Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 5, 31, 20, 0, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(clock, "datetime", _Clock)
    assert clock.today() == date(2026, 6, 1)


def test_frozen_fixes_the_day_and_nests():
    with clock.frozen(date(2026, 1, 2)):
        assert clock.today() == date(2026, 1, 2)
        with clock.frozen(date(2027, 3, 4)):
            assert clock.today() == date(2027, 3, 4)
        assert clock.today() == date(2026, 1, 2)
    with pytest.raises(TypeError, match="datetime.date"):
        with clock.frozen("2026-01-02"):
            pass


def test_the_demo_summary_and_kpi_take_today_from_the_clock(tmp_path):
    from features.demo.summary import summarize
    from tests.api.test_kpi_agrees_with_demo import _folder

    with clock.frozen(date(2031, 7, 8)):
        assert summarize(_folder(tmp_path)).as_of == date(2031, 7, 8)


def test_product_paths_without_a_day_take_the_hanoi_day(monkeypatch):
    """At 20:00 UTC on 31 May it is 1 June in Hanoi: a certificate valid until 31 May has
    expired, whatever the host's date; a need parsed then is dated 1 June."""
    from features.certifications import certificate_status
    from features.certifications.validity import status_from_periods
    from matching.needs import NeedQuery

    class _Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 5, 31, 20, 0, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(clock, "datetime", _Clock)
    answer = status_from_periods("iso_9001", [(None, date(2026, 5, 31), True)], None)
    assert (answer.on, answer.status) == (date(2026, 6, 1), "expired")
    assert certificate_status("ISO 9001:2015 hiệu lực đến 31/05/2026", codes=["iso_9001"])[
        "iso_9001"
    ].on == date(2026, 6, 1)
    assert NeedQuery(need_id="N-1", text="ép nhựa").as_of == date(2026, 6, 1)
