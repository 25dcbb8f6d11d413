"""Faults lose nothing (issue 12): an import is a job recorded before the work, and a server
killed at any point leaves the database as before the import and the job failed.

The kill test serves the app in a real subprocess (uvicorn on 127.0.0.1), uploads a large
generated file, sends SIGKILL while the file is being read or stored, restarts the server and
looks at the database. Waits are bounded by a generous guard; nothing asserts a speed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from api.storage.imports import fail_interrupted_jobs, start_job, this_runner
from api.storage.models import Firm, ImportJob
from api.storage.session import make_engine, make_sessionmaker, transaction
from tests.api.conftest import bearer

GUARD_SECONDS = 120.0  # longest wait for a server or a stage: a hang guard, not a speed goal
ROOT = Path(__file__).resolve().parents[2]
ROWS = 5_000  # firms in the killed import: seconds to read, more to store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _firms_csv(rows: int) -> bytes:
    lines = ["firm_id,name,tax_code,district,employees,description,products,certifications"]
    lines += [
        f"F{n:05d},Công ty TNHH Cơ khí {n},,Đông Anh,{n % 900 + 10},"
        f'"Gia công CNC phay tiện, ép nhựa ABS số {n}",vỏ nhựa; bánh răng {n},ISO 9001:2015 hết hạn 12/2099'
        for n in range(1, rows + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


class _Server:
    """``python -m uvicorn api.app:create_app --factory`` with the test's settings."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CNHT_")}
        self.env.update(CNHT_DATABASE_URL=settings.database_url,
                        CNHT_MAX_UPLOAD_BYTES=str(8 << 20), CNHT_MAX_UPLOAD_ROWS="20000")  # fmt: skip
        if settings.database_schema:
            self.env["CNHT_DATABASE_SCHEMA"] = settings.database_schema
        self.log = log
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> str:
        port = _free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + GUARD_SECONDS
        while True:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return self.base
            except httpx.TransportError:
                pass
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=GUARD_SECONDS)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=GUARD_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["reading", "storing"])
def test_kill_9_during_an_import_leaves_no_partial_rows_and_a_failed_job(settings, tmp_path, stage):
    app = create_app(settings)  # migrates the database; one firm stored before the import
    with transaction(app.state.sessionmaker) as session:
        staff = bearer(create_key(session, "staff")[1])
        session.add(Firm(firm_id="F-BEFORE", name="Stored before the import"))
    app.state.engine.dispose()
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)

    def jobs() -> list[ImportJob]:
        with transaction(factory) as session:
            return list(session.scalars(select(ImportJob).order_by(ImportJob.id)))

    def firms() -> int:
        with transaction(factory) as session:
            return session.scalar(select(func.count()).select_from(Firm))

    server = _Server(settings, tmp_path / "server.log")
    try:
        base = server.start()
        data = _firms_csv(ROWS)
        upload = threading.Thread(target=lambda: _post_ignoring_the_kill(base, staff, data), daemon=True)
        upload.start()
        deadline = time.monotonic() + GUARD_SECONDS
        while not any(j.status == "running" and j.stage == stage for j in jobs()):
            assert not any(j.status != "running" for j in jobs()), "the import ended before the kill"
            assert time.monotonic() < deadline, f"no job reached the stage {stage!r}"
            time.sleep(0.02)
        if stage == "storing":
            time.sleep(1.0)  # well inside the storing transaction (seconds for ROWS rows)
        server.kill()
        [job] = jobs()
        assert (job.status, job.stage) == ("running", stage), "the import ended before the kill"
        assert firms() == 1  # nothing of the file: its transaction died with the process
        upload.join(timeout=GUARD_SECONDS)

        base = server.start()  # the restart marks the job failed
        answer = httpx.get(f"{base}/imports/{job.id}", headers=staff, timeout=GUARD_SECONDS).json()
        assert answer["status"] == "failed" and answer["finished_at"] is not None
        assert f"stopped while {stage} the file" in answer["error"]
        assert "nothing of the file was stored" in answer["error"]
        assert firms() == 1
        if stage == "storing":  # and the same file then imports whole
            again = httpx.post(f"{base}/imports/firms", headers=staff, timeout=GUARD_SECONDS * 2,
                               files={"file": ("firms.csv", data, "text/csv")})  # fmt: skip
            assert again.status_code == 200, again.text[:2000]
            assert (again.json()["inserted"], again.json()["rejected"]) == (ROWS, 0)
            assert firms() == ROWS + 1
    finally:
        server.stop()
        engine.dispose()


def _post_ignoring_the_kill(base: str, staff: dict[str, str], data: bytes) -> None:
    try:
        httpx.post(f"{base}/imports/firms", headers=staff, timeout=GUARD_SECONDS,
                   files={"file": ("firms.csv", data, "text/csv")})  # fmt: skip
    except httpx.TransportError:
        pass  # the server was killed: no answer is expected


def test_a_job_is_recorded_before_the_file_is_read_and_failed_with_its_reason(app, client, staff):
    answer = client.post("/api/v1/imports/firms", headers=staff,
                         files={"file": ("bomb.csv", b"firm_id,name\n" + b"\n" * 150_000, "text/csv")})  # fmt: skip
    # conftest's max_upload_bytes (20,000) refuses this file at the door, before any job.
    assert answer.status_code == 413
    answer = client.post("/api/v1/imports/firms", headers=staff,
                         files={"file": ("empty.csv", b"", "text/csv")})  # fmt: skip
    assert answer.status_code == 422
    [job] = client.get("/api/v1/imports", headers=staff).json()["data"]
    assert (job["filename"], job["status"]) == ("empty.csv", "failed")
    assert "is empty" in job["error"] and job["finished_at"] is not None
    ok = client.post("/api/v1/imports/firms", headers=staff,
                     files={"file": ("ok.csv", b"firm_id,name\nF0001,Firm one\n", "text/csv")}).json()  # fmt: skip
    assert (ok["status"], ok["stage"], ok["inserted"]) == ("done", None, 1)
    assert ok["finished_at"] is not None


def test_only_jobs_of_dead_processes_are_marked_failed(app):
    factory = app.state.sessionmaker
    host = this_runner().rpartition(":")[0]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        ids = {name: start_job(factory, "firms", f"{name}.csv", "staff:test")
               for name in ("alive", "dead", "other-host", "mine", "unknown")}  # fmt: skip
        runners = {"alive": f"{host}:{sleeper.pid}", "dead": f"{host}:{gone.pid}",
                   "other-host": f"elsewhere:{gone.pid}", "mine": this_runner(), "unknown": None}  # fmt: skip
        with transaction(factory) as session:
            for name, job_id in ids.items():
                session.get_one(ImportJob, job_id).runner = runners[name]
        failed = fail_interrupted_jobs(factory)
        assert sorted(failed) == sorted(ids[n] for n in ("dead", "mine", "unknown"))
        with transaction(factory) as session:
            status = {n: session.get_one(ImportJob, i).status for n, i in ids.items()}
        assert status == {"alive": "running", "dead": "failed", "other-host": "running",
                          "mine": "failed", "unknown": "failed"}  # fmt: skip
    finally:
        sleeper.kill()
        sleeper.wait()
