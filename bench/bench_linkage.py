"""Our matcher against Splink 5 on the synthetic California population.

    .venv/bin/python bench/bench_linkage.py --scale 0.05 [--seed 1] [--tools linkages,splink]
    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_linkage.py --scale 1.0

Generates the population with ``linkages synth --out DIR --scale F --seed N`` unless DIR
already holds it (default ``bench/out/synth/scale-F-seed-N``), then runs each tool end to end
as a child process on ``calworks_children.csv`` (left) and ``cws_children.csv`` (right), one
after the other. For each tool prints pairwise F1, precision and recall of its ``match`` links
against ``truth.csv``, wall time, peak RSS of the child, and the seed-004 match rates it
reports against ``truth_stats.json`` (difference in percentage points); then the error ratio
(1−F1 ours)/(1−F1 Splink) and the speed ratio (Splink wall / ours), with the targets at scale
1.0: ours ≥ 2× faster, ≤ 4 GB peak, ≥ 70% fewer errors (ratio ≤ 0.3), rates within ±0.5 pp.
Writes everything to ``bench/out/linkage-scale-F-seed-N.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    LINKAGES,
    OUT_DIR,
    PYTHON,
    error_ratio,
    expected_errors,
    linkages_match_available,
    machine,
    print_expected,
    print_table,
    run_measured,
    score,
    tail,
    tool_commands,
    write_json,
)

from matching.evaluation import RATE_KEYS, match_rate_errors

POPULATION_FILES = ("calworks_children.csv", "cws_children.csv", "truth.csv", "truth_stats.json")
TARGETS = {"speed_ratio": 2.0, "peak_rss_mb": 4096.0, "error_ratio": 0.3, "rate_pp": 0.5}


def ensure_population(data_dir: Path, scale: float, seed: int,
                      generator: str = "synth") -> dict[str, Any] | None:
    """Generate the population into ``data_dir`` unless it is already there."""
    if all((data_dir / f).exists() for f in POPULATION_FILES):
        return None
    command = [LINKAGES, "synth", "--out", str(data_dir), "--scale", str(scale),
               "--seed", str(seed)]
    if generator == "independent":
        command = [PYTHON, str(Path(__file__).resolve().parent / "independent_model.py"),
                   "--out", str(data_dir), "--scale", str(scale), "--seed", str(seed)]
    run = run_measured(command, data_dir.parent / f"{data_dir.name}.synth.log")
    if not run.ok:
        raise SystemExit(f"linkages synth failed (exit {run.returncode}):\n{tail(run.log)}")
    missing = [f for f in POPULATION_FILES if not (data_dir / f).exists()]
    if missing:
        raise SystemExit(f"linkages synth did not write {', '.join(missing)} into {data_dir}")
    return {"wall_seconds": round(run.wall_seconds, 1), "peak_rss_mb": round(run.peak_rss_mb)}


def rate_figures(stats_path: Path, truth_stats: dict[str, Any]) -> dict[str, Any]:
    if not stats_path.exists():
        return {}
    stats = json.loads(stats_path.read_text())
    errors = match_rate_errors(stats, truth_stats)
    return {**{k: stats[k] for k in RATE_KEYS},
            **{f"{k}_pp": v for k, v in errors.items()},
            "max_rate_error_pp": max(abs(v) for v in errors.values())}


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("meets" if ok else "MISSES")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, help="population directory (default under bench/out)")
    parser.add_argument("--generator", choices=("synth", "independent"), default="synth",
                        help="synth: `linkages synth`; independent: bench/independent_model.py "
                             "(another population and corruption model, never tuned on)")
    parser.add_argument("--tools", default="linkages,splink")
    parser.add_argument("--splink-args", default="",
                        help="extra options for bench/splink_runner.py, space separated")
    args = parser.parse_args(argv)
    tag = f"scale-{args.scale:g}-seed-{args.seed}"
    if args.generator == "independent":
        tag = f"independent-{tag}"
    data_dir = args.data or OUT_DIR / args.generator / tag
    work = OUT_DIR / "linkage" / tag
    tools = [t for t in args.tools.split(",") if t]
    if "linkages" in tools and not linkages_match_available():
        print("linkages match is not available yet; running splink only", file=sys.stderr)
        tools.remove("linkages")

    synth = ensure_population(data_dir, args.scale, args.seed, args.generator)
    if synth:
        print(f"generated {data_dir} in {synth['wall_seconds']} s "
              f"(peak {synth['peak_rss_mb']} MB)", file=sys.stderr)
    truth = pd.read_csv(data_dir / "truth.csv", dtype=str, keep_default_na=False)
    truth_stats = json.loads((data_dir / "truth_stats.json").read_text())
    left, right = data_dir / "calworks_children.csv", data_dir / "cws_children.csv"

    rows: list[dict[str, Any]] = [{"tool": "truth", **{k: truth_stats[k] for k in RATE_KEYS}}]
    for tool in tools:
        extra = args.splink_args.split() if tool == "splink" else []
        command, links, stats = tool_commands(left, right, work / tool, tool, extra)
        print(f"running {tool} ...", file=sys.stderr)
        run = run_measured(command, work / tool / "run.log")
        if not run.ok:
            print(f"{tool} failed (exit {run.returncode}):\n{tail(run.log)}", file=sys.stderr)
        rows.append({"tool": tool, **score(run, links, truth),
                     **(rate_figures(stats, truth_stats) if run.ok else {}),
                     **(expected_errors(stats) if run.ok else {})})

    print(f"\nsynthetic population {tag}: {len(truth):,} person records "
          f"({truth_stats['left_records']:,} CalWORKs, {truth_stats['right_records']:,} CWS)")
    print_table(rows, [
        ("tool", "tool", ""), ("f1", "F1", ".4f"), ("precision", "precision", ".4f"),
        ("recall", "recall", ".4f"), ("fp", "fp", ",d"), ("fn", "fn", ",d"),
        ("wall_seconds", "wall s", ".1f"), ("peak_rss_mb", "peak MB", ",.0f"),
        ("left_match_rate", "left rate", ".4f"), ("left_match_rate_pp", "±pp", "+.2f"),
        ("right_match_rate", "right rate", ".4f"), ("right_match_rate_pp", "±pp", "+.2f"),
        ("right_case_match_rate", "case rate", ".4f"), ("right_case_match_rate_pp", "±pp", "+.2f"),
    ])

    print_expected(rows[1:])
    by_tool = {r["tool"]: r for r in rows}
    ours, theirs = by_tool.get("linkages"), by_tool.get("splink")
    summary: dict[str, Any] = {}
    if ours and ours.get("returncode") == 0:
        summary["peak_rss_mb"] = ours["peak_rss_mb"]
        summary["max_rate_error_pp"] = ours.get("max_rate_error_pp")
    if ours and theirs and ours.get("returncode") == 0 and theirs.get("returncode") == 0:
        summary["error_ratio"] = error_ratio(ours.get("f1"), theirs.get("f1"))
        summary["speed_ratio"] = theirs["wall_seconds"] / ours["wall_seconds"]
    checks = {
        "speed_ratio": (summary.get("speed_ratio"), lambda v: v >= TARGETS["speed_ratio"],
                        "Splink wall / ours", f">= {TARGETS['speed_ratio']:g}x"),
        "error_ratio": (summary.get("error_ratio"), lambda v: v <= TARGETS["error_ratio"],
                        "(1-F1 ours)/(1-F1 Splink)", f"<= {TARGETS['error_ratio']:g}"),
        "peak_rss_mb": (summary.get("peak_rss_mb"), lambda v: v <= TARGETS["peak_rss_mb"],
                        "ours peak RSS MB", f"<= {TARGETS['peak_rss_mb']:,.0f}"),
        "max_rate_error_pp": (summary.get("max_rate_error_pp"),
                              lambda v: v <= TARGETS["rate_pp"],
                              "ours worst match-rate error pp", f"<= {TARGETS['rate_pp']:g}"),
    }
    print()
    targets = {}
    for key, (value, rule, label, target) in checks.items():
        ok = None if value is None else bool(rule(value))
        targets[key] = {"value": value, "target": target, "meets": ok}
        shown = "-" if value is None else f"{value:,.3f}"
        print(f"{label:32s} {shown:>10s}  target {target:10s} {verdict(ok)}"
              f"{'' if args.scale == 1.0 else ' (targets are for scale 1.0)'}")

    out = OUT_DIR / f"linkage-{tag}.json"
    write_json(out, {"benchmark": "synthetic", "scale": args.scale, "seed": args.seed,
                     "data": str(data_dir), "machine": machine(), "synth": synth,
                     "truth_stats": truth_stats, "runs": rows[1:], "targets": targets})
    print(f"wrote {out}")
    return 0 if all(r.get("returncode") == 0 for r in rows[1:]) else 1


if __name__ == "__main__":
    sys.exit(main())
