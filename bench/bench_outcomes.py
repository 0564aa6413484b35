"""Benchmark of the outcome measure engine.

Every shipped measure (P1-P5, S1, S2, 4B1, 4B2; 2B/2D, 2F, 4A, C2.1 and the participation
rates) for 8 periods (rolling years; quarters for 2B/2D; months for 2F-M; quarter days for 4A)
by county on the statewide synthetic extract (``linkages synth --scale 1.0``), masked as
published. Prints wall seconds per stage, the total, the peak RSS of this process, and each
measure's statewide figure (unmasked) for its first period.

    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_outcomes.py \\
        [--data DIR] [--scale 1.0] [--period-start 2019-01-01]

``--data`` is a directory holding the extract files of ``linkages synth``; when it has none,
``linkages synth --scale SCALE`` writes them there first (not timed). ``--cache DIR`` reads the
validated extracts from Parquet copies in DIR (written on the first run; see
:func:`linkages.outcomes.files.read_input`). Targets: <= 30 s and <= 4 GB on 2 cores.
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
from linkages.outcomes import files as specs
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
    parser.add_argument("--cache", type=Path, default=None,
                        help="directory of Parquet copies of the validated extracts")
    parser.add_argument("--json-dir", type=Path, default=None,
                        help="write each measure's JSON result to DIR/<measure>.json (to "
                             "compare the outputs of two versions with cmp); not timed")
    args = parser.parse_args()
    data = args.data or var_dir() / "bench" / f"synth-{args.scale:g}"
    if not (data / "foster_care.csv").exists():
        print(f"generating the synthetic extract (scale {args.scale:g}) in {data} ...",
              file=sys.stderr)
        subprocess.run([sys.executable, "-m", "linkages.cli", "synth", "--out", str(data),
                        "--scale", str(args.scale), "--seed", str(args.seed), "--quiet"],
                       check=True)

    stages: list[tuple[str, float, float]] = []  # name, wall, CPU (this process, all threads)
    t0, c0 = time.perf_counter(), time.process_time()
    cpu_since = c0

    def lap(name: str, since: float) -> float:
        nonlocal cpu_since
        now, cpu = time.perf_counter(), time.process_time()
        stages.append((name, now - since, cpu - cpu_since))
        cpu_since = cpu
        return now

    def read(name: str, spec):
        if args.cache is None:
            return read_extract(data / name, spec)
        return specs.read_input(data / name, spec, rejects_dir=args.cache,
                                cache_dir=args.cache)[0]

    t = t0
    fc = read("foster_care.csv", FOSTER_CARE_FILE)
    t = lap(f"read foster care ({fc.read:,} rows, {fc.rejected:,} rejected)", t)
    allegations = read("cws_allegations.csv", ALLEGATION_FILE)
    t = lap(f"read allegations ({allegations.read:,} rows)", t)
    children = (read("cws_children.csv", CWS_CHILDREN_FILE).data
                if (data / "cws_children.csv").exists() else None)
    t = lap("read CWS children", t)
    extras = {}
    for key, (_, name, spec) in specs.MEASURE_INPUTS.items():
        if (data / name).exists():
            result = read(name, spec)
            extras[key] = result.data
            t = lap(f"read {name} ({result.read:,} rows)", t)
    prepared = prepare(fc.data)
    t = lap(f"episodes ({len(prepared.episodes):,} included)", t)
    # S1 and S2 read the same substantiated reports: worked out once, as the episodes are.
    reports = prepare_reports(allegations.data)
    t = lap(f"substantiated reports ({len(reports.table):,})", t)

    firsts: dict[str, dict] = {}
    for code, measure in MEASURES.items():
        if any(need not in extras and need != "allegations" for need in measure.needs):
            print(f"skipped {code}: its inputs are not in {data}", file=sys.stderr)
            continue
        # The new measures read the allegations themselves; S1 and S2 take the reports.
        alleg = reports if measure.needs_allegations else allegations.data
        result = compute(code, prepared, args.period_start, args.periods, by=["county"],
                         allegations=alleg, children=children, extras=extras)
        text = result.to_json()
        t = lap(f"{code} x {args.periods} periods by county", t)
        if args.json_dir is not None:
            args.json_dir.mkdir(parents=True, exist_ok=True)
            (args.json_dir / f"{code}.json").write_text(text, encoding="utf-8")
            t, cpu_since = time.perf_counter(), time.process_time()  # not part of the time
        first = result.periods[0]
        firsts[code] = {"start": f"{first.period.start:%Y-%m-%d}",
                        "end": f"{first.period.end:%Y-%m-%d}",
                        "numerator": first.total.numerator,
                        "denominator": first.total.denominator,
                        "kind": measure.kind, "per": measure.per,
                        "children": first.total.children,
                        "agencies": ", ".join(result.agencies)}
    wall = time.perf_counter() - t0

    print(f"data: {data}")
    print("     wall      CPU  stage")
    for name, seconds, cpu in stages:
        print(f"  {seconds:7.2f}  {cpu:7.2f}  {name}")
    print(f"wall seconds: {wall:.2f}")
    print(f"CPU seconds (stages): {sum(s[2] for s in stages):.2f}")
    print(f"peak RSS MB: {peak_rss_mb():.0f}")
    print("statewide figures, first period of each measure (unmasked; the cohort's agencies "
          "in brackets where the measure has them):")
    for code, f in firsts.items():
        if f["kind"] == "distribution" or not f["denominator"]:
            print(f"  {code:10s} {f['start']} to {f['end']}: {f['numerator']:,.0f} units")
            continue
        value = f["numerator"] / f["denominator"] * (f["per"] if f["kind"] == "rate" else 100)
        unit = f" per {f['per']:,}" if f["kind"] == "rate" else "%"
        children = (f"; {f['children']:,.0f} children unduplicated"
                    if f["children"] is not None else "")
        scope = f"  [{f['agencies']}]" if "agency" in MEASURES[code].dimensions else ""
        print(f"  {code:10s} {f['start']} to {f['end']}: {f['numerator']:,.0f} / "
              f"{f['denominator']:,.0f} = {value:.2f}{unit}{children}{scope}")


if __name__ == "__main__":
    main()
