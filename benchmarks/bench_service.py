"""Bounded load on the served service (issue 12): staff clients, a wrong-key flood, /health.

``python benchmarks/bench_service.py`` serves the demo database (``cnht serve --demo`` in a
subprocess on a free port of 127.0.0.1, SQLite in a temporary folder; ``--postgres URL`` for
a PostgreSQL database, seeded when empty), creates a staff key, then runs three phases:

* ``staff_40`` and ``staff_100``: that many concurrent staff clients, each sending at most
  ``--requests`` requests for at most ``--seconds`` seconds, on a mix of firm search (30 %),
  firm page (30 %), KPI (10 %), shortlist of a need (15 %, ``POST /needs/{id}/shortlist``)
  and outcome move (15 %, ``POST /outcomes``: the next status of a pair its shortlists
  proposed; a 409 for a move another client made first is a client answer, not an error);
* ``wrong_keys_40``: 40 clients sending unknown keys (expected: only 401 and 429).

Throughout each phase a probe asks ``/api/v1/health`` every 100 ms, from a process of its own
(the clients' own event loop would delay it). The JSON printed gives,
per phase: counts by status, p50/p99/max in ms per kind of request, dropped connections
(connection errors and client timeouts), requests per second, and the /health latencies,
with the goals of issue 12 and whether each is met. Speed is measured here, never asserted
in tests; this file is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CNHT = str(Path(sys.executable).parent / "cnht")
MIX = (("firm_search", 30), ("firm_page", 30), ("kpi", 10), ("shortlist", 15), ("outcome_move", 15))
SEARCH_WORDS = ["ép nhựa", "CNC", "dập kim loại", "khuôn", "PCB", "cáp điện", "sơn tĩnh điện",
                "injection moulding", "stamping", "nhôm", "ISO 9001", "đúc", "hàn", "mạ kẽm"]  # fmt: skip
NEXT_STATUS = {"suggested": "contacted", "contacted": "meeting", "meeting": "sample",
               "sample": "audit", "audit": "order"}  # fmt: skip
CLIENT_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    array = np.asarray(values) * 1000
    return {"n": len(values), "p50_ms": round(float(np.percentile(array, 50)), 1),
            "p99_ms": round(float(np.percentile(array, 99)), 1), "max_ms": round(float(array.max()), 1)}  # fmt: skip


class Server:
    """``cnht serve --demo`` in a subprocess; its log goes to a file beside the database."""

    def __init__(self, database_url: str, workdir: Path, workers: int = 1) -> None:
        self.env = {**os.environ, "CNHT_DATABASE_URL": database_url}
        self.workers = workers
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [CNHT, "serve", "--demo", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: see {self.log}")
            try:
                ready = httpx.get(f"{self.base}/api/v1/ready", timeout=5)
                # Several workers: each fits its matcher before it serves; wait for them all.
                started = self.log.read_text(errors="replace").count("Application startup complete")
                if ready.status_code == 200 and started >= self.workers:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"the server did not get ready in 600 s: see {self.log}")

    def key(self) -> str:
        out = subprocess.run([CNHT, "keys", "create", "--role", "staff", "--label", "bench"],
                             env=self.env, cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip().splitlines()[-1].strip()

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Phase:
    """Answers of one phase: status counts, latencies per kind, dropped connections."""

    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.dropped: Counter[str] = Counter()
        self.health: list[float] = []
        self.health_failures = 0

    async def send(self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs):
        started = time.perf_counter()
        try:
            answer = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.dropped[type(exc).__name__] += 1
            return None
        self.latencies[kind].append(time.perf_counter() - started)
        self.statuses[str(answer.status_code)] += 1
        return answer


async def _staff_client(phase: Phase, client: httpx.AsyncClient, data: dict, pairs: list, rng: random.Random,
                        requests: int, deadline: float) -> None:  # fmt: skip
    kinds, weights = zip(*MIX, strict=True)
    for _ in range(requests):
        if time.monotonic() >= deadline:
            return
        kind = rng.choices(kinds, weights)[0]
        if kind == "firm_search":
            await phase.send(client, kind, "GET", "/api/v1/firms", params={"q": rng.choice(SEARCH_WORDS), "limit": 20})
        elif kind == "firm_page":
            await phase.send(client, kind, "GET", f"/api/v1/firms/{rng.choice(data['firms'])}")
        elif kind == "kpi":
            await phase.send(client, kind, "GET", "/api/v1/kpi")
        elif kind == "shortlist":
            need_id = rng.choice(data["needs"])
            answer = await phase.send(client, kind, "POST", f"/api/v1/needs/{need_id}/shortlist", json={"k": 10})
            if answer is not None and answer.status_code == 200:
                pairs.extend([need_id, e["firm_id"], e.get("status") or "suggested"] for e in answer.json()["data"][:3])
        elif kind == "outcome_move":
            if not pairs:
                await phase.send(client, "firm_search", "GET", "/api/v1/firms", params={"q": "CNC"})
                continue
            pair = rng.choice(pairs)
            status = NEXT_STATUS.get(pair[2])
            if status is None:
                continue
            answer = await phase.send(client, kind, "POST", "/api/v1/outcomes",
                                      json={"need_id": pair[0], "firm_id": pair[1], "status": status})  # fmt: skip
            if answer is not None and answer.status_code == 201:
                pair[2] = status
            elif answer is not None and answer.status_code == 409:
                current = answer.json().get("current")
                if current:
                    pair[2] = current


async def _wrong_key_client(phase: Phase, client: httpx.AsyncClient, rng: random.Random, requests: int,
                            deadline: float) -> None:  # fmt: skip
    for _ in range(requests):
        if time.monotonic() >= deadline:
            return
        key = "cnht_" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=43))
        await phase.send(client, "wrong_key", "GET", "/api/v1/firms", headers={"Authorization": f"Bearer {key}"})


# The /health probe runs in a process of its own: in the load generator's event loop its
# answers would wait behind the 40 or 100 clients' own parsing, and the figure would be the
# generator's delay as much as the service's.
_PROBE = r"""
import sys, time, httpx
base, every = sys.argv[1], float(sys.argv[2])
with httpx.Client(base_url=base, timeout=float(sys.argv[3])) as client:
    while True:
        started = time.perf_counter()
        try:
            ok = client.get("/api/v1/health").status_code == 200
        except httpx.HTTPError:
            ok = False
        print(f"{time.perf_counter() - started:.6f}" if ok else "fail", flush=True)
        time.sleep(max(0.0, every - (time.perf_counter() - started)))
"""


class _HealthProbe:
    """``GET /api/v1/health`` every 100 ms from a subprocess, for the length of a phase."""

    def __init__(self, phase: Phase, base: str) -> None:
        self.phase = phase
        self.output = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([sys.executable, "-c", _PROBE, base, "0.1", str(CLIENT_TIMEOUT)], stdout=self.output,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        # The phase starts once the probe answers (its interpreter takes a moment to start);
        # what it measured before the phase is left out.
        deadline = time.monotonic() + 30
        while os.fstat(self.output.fileno()).st_size == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.start = os.fstat(self.output.fileno()).st_size

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.output.seek(self.start)
        for line in self.output.read().split():
            if line == "fail":
                self.phase.health_failures += 1
            else:
                self.phase.health.append(float(line))
        self.output.close()


async def _run_phase(base: str, key: str | None, clients: int, requests: int, seconds: float,
                     data: dict, seed: int) -> dict:  # fmt: skip
    phase = Phase()
    probe = _HealthProbe(phase, base)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    pairs: list = []
    started = time.monotonic()
    deadline = started + seconds
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=CLIENT_TIMEOUT) as client:
        tasks = []
        for number in range(clients):
            rng = random.Random(seed * 1000 + number)
            if key:
                tasks.append(_staff_client(phase, client, data, pairs, rng, requests, deadline))
            else:
                tasks.append(_wrong_key_client(phase, client, rng, requests, deadline))
        await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    probe.stop()
    total = sum(phase.statuses.values())
    server_errors = sum(n for s, n in phase.statuses.items() if s.startswith("5"))
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "statuses": dict(sorted(phase.statuses.items())), "server_errors": server_errors,
        "dropped": dict(phase.dropped), "dropped_total": sum(phase.dropped.values()),
        "latency": {kind: _percentiles(values) for kind, values in sorted(phase.latencies.items())},
        "health": {**_percentiles(phase.health), "failures": phase.health_failures},
    }  # fmt: skip


def _goals(phase_name: str, result: dict) -> dict[str, bool]:
    health = result["health"]
    goals = {"no_5xx": result["server_errors"] == 0, "no_dropped": result["dropped_total"] == 0,
             "health_p99_100ms": health.get("p99_ms", 1e9) <= 100 and health["failures"] == 0,
             "health_max_100ms": health.get("max_ms", 1e9) <= 100 and health["failures"] == 0}  # fmt: skip
    if phase_name == "wrong_keys_40":
        goals["only_401_429"] = set(result["statuses"]) <= {"401", "429"}
    if phase_name == "staff_40":
        reads = [v.get("p99_ms", 0) for k, v in result["latency"].items() if k in ("firm_search", "firm_page", "kpi")]
        goals["reads_p99_1s"] = max(reads, default=0) <= 1000
        goals["shortlists_p99_2s"] = result["latency"].get("shortlist", {}).get("p99_ms", 0) <= 2000
    return goals


def _demo_ids() -> dict:
    import pandas as pd

    firms = pd.read_csv(ROOT / "data" / "demo" / "firms.csv", dtype=str, usecols=["firm_id"])
    needs = pd.read_csv(ROOT / "data" / "demo" / "needs.csv", dtype=str, usecols=["need_id"])
    return {"firms": firms["firm_id"].tolist(), "needs": needs["need_id"].tolist()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL URL (postgresql+psycopg://...) instead of SQLite")
    parser.add_argument("--clients", type=int, nargs="+", default=[40, 100], help="Staff clients per phase")
    parser.add_argument("--wrong-clients", type=int, default=40, help="Clients sending wrong keys")
    parser.add_argument("--requests", type=int, default=40, help="Most requests per client and phase")
    parser.add_argument("--seconds", type=float, default=30, help="Most seconds per phase")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes (cnht serve --workers)")
    args = parser.parse_args(argv)
    if args.postgres and not re.match(r"postgresql(\+psycopg)?://", args.postgres):
        parser.error(f"--postgres expects a postgresql+psycopg:// URL, got {args.postgres!r}")
    data = _demo_ids()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="cnht-bench-") as folder:
        url = args.postgres or f"sqlite:///{Path(folder) / 'cnht.db'}"
        report: dict = {"database": "postgresql" if args.postgres else "sqlite", "cores": os.cpu_count(),
                        "workers": args.workers,
                        "requests_per_client": args.requests, "seconds_per_phase": args.seconds, "phases": {}}  # fmt: skip
        with Server(url, Path(folder), args.workers) as server:
            key = server.key()
            for clients in args.clients:
                name = f"staff_{clients}"
                result = asyncio.run(_run_phase(server.base, key, clients, args.requests, args.seconds, data, args.seed))
                result["goals"] = _goals(name, result)
                report["phases"][name] = result
            name = f"wrong_keys_{args.wrong_clients}"
            result = asyncio.run(_run_phase(server.base, None, args.wrong_clients, args.requests, args.seconds,
                                            data, args.seed))  # fmt: skip
            result["goals"] = _goals(name, result)
            report["phases"][name] = result
            report["load_average"] = os.getloadavg()
        report["load_average_before"] = load_before
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
