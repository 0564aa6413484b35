"""Incremental linking of a new extract against a full run on the same extract.

    .venv/bin/python bench/bench_incremental.py --scale 0.05 [--seed 1] [--new 0.02]
    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_incremental.py --scale 1.0

From the synthetic population (``bench_linkage.ensure_population``) an *earlier* extract is
made: the population less a share ``--new`` of each file's records (the children who arrived
since) and with a street address changed in half as many others (a family that moved since).
The *new* extract is the population itself. Three ``linkages match`` runs, each a measured
child process: a full run on the earlier extract; then, on the new extract, an incremental
run (``--previous`` the earlier run) and a full run. Prints, for the two runs on the new
extract: wall time, peak RSS, F1 / precision / recall against the truth, the match rates
against ``truth_stats.json``, and how many `match` pairs the two runs disagree on. Writes
``bench/out/incremental-scale-F-seed-N.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_linkage import ensure_population, rate_figures
from common import (
    LINKAGES,
    OUT_DIR,
    machine,
    print_table,
    read_links,
    run_measured,
    score,
    tail,
    write_json,
)


def earlier_extract(path: Path, out: Path, new: float, rng: np.random.Generator
                    ) -> tuple[int, int]:
    """``path`` less a share ``new`` of its rows, with half as many addresses changed."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    n = len(frame)
    order = rng.permutation(n)
    arrived = order[: round(new * n)]
    moved = order[len(arrived): len(arrived) + round(new * n / 2)]
    frame.loc[frame.index[moved], "address"] = [f"{k + 1} EARLIER ADDRESS ST"
                                                for k in range(len(moved))]
    frame.drop(index=frame.index[arrived]).to_csv(out, index=False)
    return len(arrived), len(moved)


def match_pairs(path: Path) -> set[tuple[str, str]]:
    links = read_links(path)
    m = links[links["decision"] == "match"]
    return set(zip(m["left_id"], m["right_id"], strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--new", type=float, default=0.02,
                        help="share of each file's records new in the later extract")
    args = parser.parse_args(argv)
    tag = f"scale-{args.scale:g}-seed-{args.seed}"
    data_dir = OUT_DIR / "synth" / tag
    work = OUT_DIR / "incremental" / tag
    work.mkdir(parents=True, exist_ok=True)
    ensure_population(data_dir, args.scale, args.seed)
    truth = pd.read_csv(data_dir / "truth.csv", dtype=str, keep_default_na=False)
    truth_stats = json.loads((data_dir / "truth_stats.json").read_text())
    rng = np.random.default_rng(args.seed)
    files = {"left": "calworks_children.csv", "right": "cws_children.csv"}
    changes = {}
    for side, name in files.items():
        changes[side] = earlier_extract(data_dir / name, work / f"earlier_{name}", args.new, rng)

    def run(label: str, left: Path, right: Path, *extra: str) -> tuple[Any, Path, Path]:
        out, stats = work / label / "links.csv", work / label / "stats.json"
        command = [LINKAGES, "match", "--left", str(left), "--right", str(right),
                   "--out", str(out), "--stats", str(stats), "--no-progress", *extra]
        print(f"running {label} ...", file=sys.stderr)
        result = run_measured(command, work / label / "run.log")
        if not result.ok:
            raise SystemExit(f"{label} failed (exit {result.returncode}):\n{tail(result.log)}")
        return result, out, stats

    earlier, earlier_links, _ = run("earlier_full", work / f"earlier_{files['left']}",
                                    work / f"earlier_{files['right']}")
    new_left, new_right = data_dir / files["left"], data_dir / files["right"]
    incremental = run("new_incremental", new_left, new_right, "--previous", str(earlier_links))
    full = run("new_full", new_left, new_right)

    rows = []
    for label, (result, links, stats) in (("incremental", incremental), ("full", full)):
        inc = json.loads(stats.read_text()).get("incremental", {})
        rows.append({"run": label, **score(result, links, truth),
                     **rate_figures(stats, truth_stats),
                     "records_linked_anew": inc.get("records_linked_anew")})
    disagree = len(match_pairs(incremental[1]) ^ match_pairs(full[1]))
    print(f"\nsynthetic population {tag}; the earlier extract lacks "
          f"{changes['left'][0]:,} CalWORKs and {changes['right'][0]:,} CWS records and has "
          f"{changes['left'][1] + changes['right'][1]:,} addresses since changed; full run on "
          f"it {earlier.wall_seconds:.1f} s")
    print_table(rows, [
        ("run", "run on the new extract", ""), ("wall_seconds", "wall s", ".1f"),
        ("peak_rss_mb", "peak MB", ",.0f"), ("records_linked_anew", "records linked", ",d"),
        ("f1", "F1", ".4f"), ("precision", "precision", ".4f"), ("recall", "recall", ".4f"),
        ("left_match_rate_pp", "left ±pp", "+.2f"), ("right_match_rate_pp", "right ±pp", "+.2f"),
        ("right_case_match_rate_pp", "case ±pp", "+.2f"),
    ])
    speed = full[0].wall_seconds / incremental[0].wall_seconds
    print(f"\nfull / incremental wall time: {speed:.2f}x; `match` pairs the two runs disagree "
          f"on: {disagree:,}")
    out = OUT_DIR / f"incremental-{tag}.json"
    write_json(out, {"benchmark": "incremental", "scale": args.scale, "seed": args.seed,
                     "new_share": args.new, "machine": machine(), "changes": changes,
                     "earlier_full_seconds": earlier.wall_seconds, "runs": rows,
                     "speed_ratio": speed, "match_pairs_disagreeing": disagree})
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
