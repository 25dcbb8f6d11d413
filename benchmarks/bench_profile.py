"""Benchmark: build_profiles on N resampled firms.

Usage::

    python -m benchmarks.bench_profile --firms 100000 [--json] [--seed 0] [--tracemalloc]

Prints seconds per stage and peak memory (``ru_maxrss``; with ``--tracemalloc`` also the
peak of Python allocations, which slows the run). Goal: 100,000 firms in under 60 s and
2 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._resample import load_demo_firms, resample_firms  # noqa: E402
from features.profile import build_profiles  # noqa: E402

__all__ = ["run", "main"]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20  # KiB on Linux


def run(
    n_firms: int,
    seed: int = 0,
    trace: bool = False,
    as_of: date = date(2026, 6, 1),
    demo: Path | None = None,
    quiet: bool = True,
) -> dict:
    """Run the stages and return timings (s), sizes and memory (MB)."""
    if trace:
        tracemalloc.start()
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    demo_firms = load_demo_firms(demo)
    firms = resample_firms(demo_firms, n_firms, seed=seed)
    stages["resample"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    profiles = build_profiles(firms, as_of, progress=not quiet)
    stages["build_profiles"] = time.perf_counter() - t0

    result = {
        "firms": n_firms,
        "demo_firms": len(demo_firms),
        "distinct_descriptions": int(firms["description"].nunique()),
        "seconds": {k: round(v, 2) for k, v in stages.items()},
        "share_with_process_or_product_group": round(
            float(
                ((profiles["processes"].map(len) + profiles["product_groups"].map(len)) > 0).mean()
            ),
            4,
        ),
        "share_geo_ok": round(float(profiles["geo_ok"].mean()), 4),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if trace:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--firms", type=int, default=100_000, help="number of firms (default 100000)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--demo", type=Path, default=None, help="demo firms CSV (default data/demo/firms.csv)"
    )
    parser.add_argument("--progress", action="store_true", help="print build_profiles stages")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    args = parser.parse_args(argv)
    result = run(
        args.firms, seed=args.seed, trace=args.tracemalloc, demo=args.demo, quiet=not args.progress
    )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if isinstance(value, dict):
                for stage, seconds in value.items():
                    print(f"  {stage:<32} {seconds:>8.2f} s")
            else:
                print(f"{key:<34} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
