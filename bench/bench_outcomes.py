"""Benchmark of the outcome measure engine.

All shipped measures (P1-P5, S1, S2, 4B1, 4B2) for 8 rolling periods by county on the statewide
synthetic extract (``linkages synth --scale 1.0``), masked as published. Prints wall seconds per
stage, the total, the peak RSS of this process, and the statewide P4 rate of each period.

    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_outcomes.py \\
        [--data DIR] [--scale 1.0] [--period-start 2019-01-01]

``--data`` is a directory holding ``foster_care.csv`` and ``cws_allegations.csv`` (and
``cws_children.csv``); when it has none, ``linkages synth --scale SCALE`` writes them there
first (not timed). Targets: <= 30 s and <= 4 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from linkages.config import var_dir
from linkages.extracts import read_extract
from linkages.outcomes import MEASURES, compute, prepare
from linkages.outcomes.files import ALLEGATION_FILE, CWS_CHILDREN_FILE, FOSTER_CARE_FILE
from linkages.outcomes.measures import prepare_reports


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period-start", default="2019-01-01")
    parser.add_argument("--periods", type=int, default=8)
    args = parser.parse_args()
    data = args.data or var_dir() / "bench" / f"synth-{args.scale:g}"
    if not (data / "foster_care.csv").exists():
        print(f"generating the synthetic extract (scale {args.scale:g}) in {data} ...",
              file=sys.stderr)
        subprocess.run([sys.executable, "-m", "linkages.cli", "synth", "--out", str(data),
                        "--scale", str(args.scale), "--seed", str(args.seed), "--quiet"],
                       check=True)

    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        stages.append((name, now - since))
        return now

    t = t0
    fc = read_extract(data / "foster_care.csv", FOSTER_CARE_FILE)
    t = lap(f"read foster care ({fc.read:,} rows, {fc.rejected:,} rejected)", t)
    allegations = read_extract(data / "cws_allegations.csv", ALLEGATION_FILE)
    t = lap(f"read allegations ({allegations.read:,} rows)", t)
    children = (read_extract(data / "cws_children.csv", CWS_CHILDREN_FILE).data
                if (data / "cws_children.csv").exists() else None)
    t = lap("read CWS children", t)
    prepared = prepare(fc.data)
    t = lap(f"episodes ({len(prepared.episodes):,} included)", t)
    # S1 and S2 read the same substantiated reports: worked out once, as the episodes are.
    reports = prepare_reports(allegations.data)
    t = lap(f"substantiated reports ({len(reports.table):,})", t)

    p4_total = None
    for code in MEASURES:
        result = compute(code, prepared, args.period_start, args.periods, by=["county"],
                         allegations=reports, children=children)
        result.to_json()
        if code == "P4":
            p4_total = compute(code, prepared, args.period_start, args.periods,
                               masked=False).to_dict()
        t = lap(f"{code} x {args.periods} periods by county", t)
    wall = time.perf_counter() - t0

    print(f"data: {data}")
    for name, seconds in stages:
        print(f"  {seconds:7.2f} s  {name}")
    print(f"wall seconds: {wall:.2f}")
    print(f"peak RSS MB: {peak_rss_mb():.0f}")
    print("statewide P4 (Child Welfare, unmasked):")
    for period in (p4_total or {}).get("periods", []):
        tot = period["total"]
        print(f"  {period['start']} to {period['end']}: {tot['numerator']:,} / "
              f"{tot['denominator']:,} = {tot['percent']}%")


if __name__ == "__main__":
    main()
