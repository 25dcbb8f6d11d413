"""Fixtures of the browser tests: the app served by ``cnht serve --demo`` on 127.0.0.1, a staff
key, and the system Chromium driven by Playwright (never a downloaded browser).

Without ``chromium`` on ``PATH`` the browser tests skip and say how to install it, except in
CI (``CI=true``), where they fail: ``.ci/run`` installs Debian's ``chromium``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
_CLI = [sys.executable, "-c", "from api.cli import main; main()"]


@dataclass(frozen=True)
class Served:
    """The served app: its base URL, a staff and an analyst key, and a firm key of ``firm_id``
    (a demo firm that open needs fit); ``other_firm_id`` is another existing firm."""

    url: str
    staff_key: str
    analyst_key: str
    firm_key: str
    firm_id: str
    other_firm_id: str
    database: Path  # the served SQLite file


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium (Debian package ``chromium``), or skip (fail in CI) saying why."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = ("No system Chromium on PATH: install Debian's package with "
                   "`apt-get install -y chromium` (.ci/run does it in CI).")  # fmt: skip
        if _in_ci():
            pytest.fail(message + " CI requires the browser tests to run.")
        pytest.skip(message)
    return found


def _make_key(env: dict[str, str], role: str, firm_id: str | None = None) -> str:
    firm = ["--firm", firm_id] if firm_id else []
    made = subprocess.run([*_CLI, "keys", "create", "--role", role, *firm], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return made.stdout.strip().splitlines()[-1].strip()


def _firm_with_suggestions(url: str, staff_key: str) -> tuple[str, str]:
    """A demo firm with open needs to suggest, at least one with a gap, and another firm."""
    headers = {"Authorization": f"Bearer {staff_key}"}
    firms = httpx.get(f"{url}/api/v1/firms", params={"limit": 40}, headers=headers, timeout=60).json()["data"]
    for firm in firms:
        found = httpx.get(f"{url}/api/v1/firms/{firm['firm_id']}/suggestions", params={"k": 5},
                          headers=headers, timeout=120).json()["data"]  # fmt: skip
        if len(found) >= 2 and any(s["gaps"] for s in found):
            other = next(f["firm_id"] for f in firms if f["firm_id"] != firm["firm_id"])
            return firm["firm_id"], other
    pytest.fail("No demo firm among the first 40 has two suggested needs with a gap.")


@contextmanager
def serve_demo(folder: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``cnht serve --demo`` on a fresh SQLite file in ``folder`` and a free port, until the block
    ends: (its URL, the environment that reaches its database, for ``cnht keys create``)."""
    env = {**os.environ, "CNHT_DATABASE_URL": f"sqlite:///{folder / 'web.db'}"}
    env.pop("CNHT_DEMO_FOLDER", None)
    port = _free_port()
    log = open(folder / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115 - closed below
    process = subprocess.Popen([*_CLI, "serve", "--demo", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # seeding 900 firms and fitting the matcher
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"cnht serve --demo stopped (exit {process.returncode}):\n{log.read()[-3000:]}")
            try:
                if httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{url}/api/v1/ready did not answer 200 within 300 s")
            time.sleep(0.5)
        yield url, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``cnht serve --demo`` on a fresh SQLite file and a free port, until the session ends."""
    folder = tmp_path_factory.mktemp("served")
    with serve_demo(folder) as (url, env):
        keys = {role: _make_key(env, role) for role in ("staff", "analyst")}
        firm_id, other_firm_id = _firm_with_suggestions(url, keys["staff"])
        yield Served(url=url, staff_key=keys["staff"], analyst_key=keys["analyst"],
                     firm_key=_make_key(env, "firm", firm_id), firm_id=firm_id, other_firm_id=other_firm_id,
                     database=folder / "web.db")  # fmt: skip


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """Headless system Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                              args=["--no-sandbox"])  # fmt: skip
        yield launched
        launched.close()


@pytest.fixture
def page(browser, served: Served):
    """A fresh desktop page (1366x768, Vietnamese browser) on the served app."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="vi-VN", base_url=served.url,
                                  accept_downloads=True)  # fmt: skip
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page, key: str) -> None:
    """Sign in through the form."""
    page.goto("/login")
    page.get_by_label("Khóa truy cập").fill(key)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Đăng nhập").click()


def screenshot(page, name: str) -> None:
    """Save the page at desktop and phone width under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)
