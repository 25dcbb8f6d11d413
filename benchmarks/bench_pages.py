"""How fast the web pages answer on the demo data (issue 10: a page of 50 firms < 300 ms).

``python benchmarks/bench_pages.py`` serves the demo database (``cnht serve --demo`` on a free
port of 127.0.0.1, SQLite in a temporary folder, as ``bench_service.py`` does), creates a
staff key, signs in through ``POST /login`` like a browser (the session cookie), then asks
each page ``--requests`` times one after another, after ``--warmup`` untimed requests:

* ``firms_page``: ``/firms?page=P`` (50 firms a page), P cycling over the pages;
* ``firms_search``: ``/firms?q=...`` with a search word (50 firms at most);
* ``need_page``: ``/needs/{id}``, the need's page with its shortlist, cycling over open needs.

Prints JSON: per page p50/p99/max in ms and whether p50 and p99 are under the goal. Speed is
measured here, never asserted in tests; this file is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_service import Server  # noqa: E402

GOAL_MS = 300.0
WORDS = ["ép nhựa", "ep nhua", "CNC", "injection moulding", "khuôn", "nhôm", "ISO 9001", "dập kim loại"]


def _stats(values: list[float]) -> dict[str, float | int | bool]:
    array = np.asarray(values) * 1000
    p50, p99 = float(np.percentile(array, 50)), float(np.percentile(array, 99))
    return {"n": len(values), "p50_ms": round(p50, 1), "p99_ms": round(p99, 1), "max_ms": round(float(array.max()), 1),
            "goal_ms": GOAL_MS, "p50_met": p50 < GOAL_MS, "p99_met": p99 < GOAL_MS}  # fmt: skip


def _time(client: httpx.Client, urls: list[str], requests: int, warmup: int) -> list[float]:
    for url in urls[:warmup]:
        client.get(url).raise_for_status()
    times = []
    for index in range(requests):
        url = urls[index % len(urls)]
        started = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"GET {url} answered {answer.status_code}: {answer.text[:300]}")
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first (default 10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, Server(f"sqlite:///{Path(folder) / 'pages.db'}", Path(folder)) as server:
        key = server.key()
        with httpx.Client(base_url=server.base, timeout=60, follow_redirects=False) as client:
            login = client.post("/login", data={"key": key, "next": "/"}, headers={"Origin": server.base})
            if login.status_code != 303:
                raise SystemExit(f"sign-in answered {login.status_code}: {login.text[:300]}")
            api = {"Authorization": f"Bearer {key}"}
            total = client.get("/api/v1/firms", params={"limit": 1}, headers=api).json()["count"]
            pages = max(1, -(-total // 50))
            needs = [n["need_id"] for n in client.get("/api/v1/needs", params={"status": "open", "limit": 100},
                                                      headers=api).json()["data"]]  # fmt: skip
            result = {
                "firms": total, "requests": args.requests,
                "firms_page": _stats(_time(client, [f"/firms?page={1 + i % pages}" for i in range(pages)],
                                           args.requests, args.warmup)),
                "firms_search": _stats(_time(client, [f"/firms?q={w}" for w in WORDS], args.requests, args.warmup)),
                "need_page": _stats(_time(client, [f"/needs/{n}" for n in needs], args.requests, args.warmup)),
            }  # fmt: skip
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
