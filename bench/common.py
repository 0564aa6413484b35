"""What every benchmark shares: run a tool as a child process and measure it, score its links.

Each tool runs in its own child process so that its wall time includes start-up and reading
the files (end to end, as a county would run it) and its peak memory is its own: the peak
resident set size of the child as the kernel reports it to ``os.wait4`` in ``measure.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
OUT_DIR = BENCH_DIR / "out"
PYTHON = sys.executable
LINKAGES = str(Path(PYTHON).with_name("linkages"))
SPLINK_RUNNER = str(BENCH_DIR / "splink_runner.py")
MEASURE = BENCH_DIR / "measure.py"

if str(REPO) not in sys.path:  # run as ``python bench/x.py``: make ``matching`` importable
    sys.path.insert(0, str(REPO))

from matching.evaluation import evaluate_links  # noqa: E402


@dataclass
class Run:
    """One measured child process."""

    command: list[str]
    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_measured(command: list[str], log: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command``, its output to ``log``; its wall time and peak RSS.

    The command runs under ``bench/measure.py``, a stdlib-only launcher that waits for it with
    ``os.wait4``: a child forked straight from this (large) process would be charged with our
    resident pages, and each run gets its own figure, not the peak of all children so far.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    result = log.with_suffix(".measure.json")
    result.unlink(missing_ok=True)
    with log.open("w") as sink:
        launcher = subprocess.run([PYTHON, "-I", str(MEASURE), str(result), "--", *command],
                                  stdout=sink, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(env or {})}, cwd=REPO, check=False)
    if not result.exists():  # the command could not be started at all
        return Run(command, launcher.returncode or 127, 0.0, 0.0, log)
    figures = json.loads(result.read_text())
    return Run(command, figures["returncode"], figures["wall_seconds"],
               figures["peak_rss_kb"] / 1024, log)


def tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(errors="replace").splitlines() if path.exists() else []
    return "\n".join(text[-lines:])


def read_links(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def score(run: Run, links_path: Path, truth: pd.DataFrame) -> dict[str, Any]:
    """The run's figures and, when it succeeded, the pairwise scores of its links."""
    figures: dict[str, Any] = {"returncode": run.returncode,
                               "wall_seconds": round(run.wall_seconds, 2),
                               "peak_rss_mb": round(run.peak_rss_mb, 1),
                               "command": " ".join(run.command), "log": str(run.log)}
    if run.ok and links_path.exists():
        figures.update(evaluate_links(read_links(links_path), truth))
    return figures


def tool_commands(left: Path, right: Path, out_dir: Path, tool: str,
                  extra: list[str] | None = None) -> tuple[list[str], Path, Path]:
    """The command line of ``tool`` (``linkages`` or ``splink``) and its links/stats paths."""
    links = out_dir / f"{tool}_links.csv"
    stats = out_dir / f"{tool}_stats.json"
    args = ["--left", str(left), "--right", str(right), "--out", str(links), "--stats", str(stats)]
    if tool == "linkages":
        command = [LINKAGES, "match", *args]
    elif tool == "splink":
        command = [PYTHON, SPLINK_RUNNER, *args]
    else:
        raise ValueError(f"unknown tool {tool}")
    return [*command, *(extra or [])], links, stats


def linkages_match_available() -> bool:
    """Whether ``linkages match`` can be run yet (it is being written in parallel)."""
    result = subprocess.run([LINKAGES, "match", "--help"], capture_output=True, cwd=REPO)
    return result.returncode == 0


def fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, spec)


def print_table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> None:
    """Print ``rows`` as a plain table; ``columns`` are (key, header, format spec)."""
    cells = [[h for _, h, _ in columns]]
    for row in rows:
        cells.append([fmt(row.get(k), spec) if spec else str(row.get(k, "-"))
                      for k, _, spec in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    for n, r in enumerate(cells):
        print("  ".join(c.rjust(w) if n and i else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def expected_errors(stats_path: Path) -> dict[str, Any]:
    """The run's own estimate of its false and missed links (its stats JSON), if it made one."""
    if not stats_path.exists():
        return {}
    stats = json.loads(stats_path.read_text())
    return {key: stats[key] for key in ("expected_false_matches", "expected_missed_matches",
                                        "expected_missed_unblocked") if key in stats}


def print_expected(rows: list[dict[str, Any]]) -> None:
    """Expected against actual false and missed links, and their ratio (the target: within a
    factor of 1.5 either way)."""
    print("\nerror estimate (the run's own, without labels) against the truth:")
    for row in rows:
        if "expected_false_matches" not in row or "fp" not in row:
            print(f"  {row.get('tool', '')} {row.get('variant', '')}: no estimate".rstrip())
            continue
        parts = []
        for what, expected, actual in (("false", row["expected_false_matches"], row["fp"]),
                                       ("missed", row["expected_missed_matches"], row["fn"])):
            ratio = (expected / actual) if actual else float("inf") if expected else 1.0
            within = 1 / 1.5 <= ratio <= 1.5 or abs(expected - actual) < 1.5
            parts.append(f"{what} expected {expected:,.1f} actual {actual:,} "
                         f"(x{ratio:.2f} {'within 1.5' if within else 'OUTSIDE 1.5'})")
        if "expected_missed_unblocked" in row:
            parts[-1] += (f" [of which never proposed by blocking, estimated: "
                          f"{row['expected_missed_unblocked']:,.1f}]")
        label = " ".join(str(row[k]) for k in ("variant", "tool") if k in row)
        print(f"  {label}: " + "; ".join(parts))


def error_ratio(ours_f1: float | None, splink_f1: float | None) -> float | None:
    """(1 − F1 ours) / (1 − F1 Splink): below 0.3 means at least 70% fewer errors."""
    if ours_f1 is None or splink_f1 is None:
        return None
    if splink_f1 >= 1.0:
        return 0.0 if ours_f1 >= 1.0 else float("inf")
    return (1.0 - ours_f1) / (1.0 - splink_f1)


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0],
            "written_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


__all__ = [
    "OUT_DIR",
    "REPO",
    "Run",
    "asdict",
    "error_ratio",
    "expected_errors",
    "linkages_match_available",
    "machine",
    "print_expected",
    "print_table",
    "read_links",
    "run_measured",
    "score",
    "tail",
    "tool_commands",
    "write_json",
]
