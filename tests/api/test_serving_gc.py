"""A serving process moves what its fitted matcher holds out of the garbage collector's scans
(``MatcherCache.freeze_after_fit``); the library leaves the collector alone."""

from __future__ import annotations

import gc
import sys

import pytest

from tests.api.conftest import make_firm


@pytest.fixture
def collector():
    """Whatever a test froze goes back to the collector afterwards."""
    before = gc.get_freeze_count()
    yield
    if before == 0:
        gc.unfreeze()


def _fit(app):
    with app.state.sessionmaker() as session:
        return app.state.ranking.get(session)


def _tracked(obj) -> bool:
    """``obj`` is among the objects the collector scans (frozen ones are not)."""
    return any(candidate is obj for candidate in gc.get_objects())


def test_the_library_never_freezes(app, client, staff, collector):
    gc.unfreeze()
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    assert app.state.ranking.freeze_after_fit is False
    fitted = _fit(app)
    assert gc.get_freeze_count() == 0
    assert _tracked(fitted.matcher)


def test_a_serving_cache_freezes_what_each_fit_left_alive(app, client, staff, collector):
    gc.unfreeze()
    app.state.ranking.freeze_after_fit = True
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    first = _fit(app)
    assert gc.get_freeze_count() > 0
    assert not _tracked(first.matcher)

    # A refit (the firms changed) freezes the new matcher too, after the old one's objects
    # went back to the collector: frozen objects do not pile up fit after fit.
    frozen_after_first = gc.get_freeze_count()
    assert client.post("/api/v1/firms", json=make_firm(firm_id="F0002", tax_code="0101248141"),
                       headers=staff).status_code == 201  # fmt: skip
    del first
    second = _fit(app)
    assert app.state.ranking.fits == 2
    assert not _tracked(second.matcher)
    assert gc.get_freeze_count() < 1.5 * frozen_after_first


def test_a_worker_process_freezes_after_its_fits(monkeypatch, tmp_path):
    from api.app import create_worker_app
    from api.settings import get_settings

    monkeypatch.setenv("CNHT_DATABASE_URL", f"sqlite:///{tmp_path / 'cnht.db'}")
    get_settings.cache_clear()
    switch = sys.getswitchinterval()
    try:
        app = create_worker_app()
        assert app.state.ranking.freeze_after_fit is True
        app.state.engine.dispose()
    finally:
        get_settings.cache_clear()
        sys.setswitchinterval(switch)


def test_a_serving_cache_loads_the_place_tables_before_it_freezes(app, client, staff, collector):
    """The administrative units that need parsing reads for a place (seconds on first use)
    are loaded by the fit of a serving process, not by its first shortlist."""
    from features import geo

    geo._place_name_keys.cache_clear()
    app.state.ranking.freeze_after_fit = True
    assert client.post("/api/v1/firms", json=make_firm(), headers=staff).status_code == 201
    _fit(app)
    assert geo._place_name_keys.cache_info().currsize == 1
