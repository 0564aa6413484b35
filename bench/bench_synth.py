"""Benchmark ``linkages synth``: wall time, peak memory and row counts at a given scale.

    .venv/bin/python bench/bench_synth.py [--scale 1.0] [--seed 1] [--out DIR]

The generator runs as a child process (end to end, as a user runs it); its peak resident set
size is the child's own, from ``os.wait4``. At scale 1.0 wrap it in the big-run lock:

    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_synth.py --scale 1.0
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINKAGES = str(Path(sys.executable).with_name("linkages"))
TARGET_SECONDS = 180.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the files (default: a temporary directory, removed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        out = args.out or Path(tmp) / "population"
        command = [LINKAGES, "synth", "--out", str(out), "--scale", str(args.scale),
                   "--seed", str(args.seed), "--quiet"]
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        output = child.stdout.read().decode(errors="replace") if child.stdout else ""
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            print(output, file=sys.stderr)
            print(f"linkages synth failed with exit status {code}", file=sys.stderr)
            return 1
        peak_mb = usage.ru_maxrss / 1024   # Linux reports kilobytes
        cpu = usage.ru_utime + usage.ru_stime
        rows = {p.name: sum(1 for _ in p.open("rb")) - 1 for p in sorted(out.glob("*.csv"))}
        stats = json.loads((out / "truth_stats.json").read_text())
        size_mb = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    print(f"linkages synth --scale {args.scale:g} --seed {args.seed}")
    print(f"  wall seconds      {wall:10.1f}   (target < {TARGET_SECONDS:.0f} s at scale 1.0)")
    print(f"  CPU seconds       {cpu:10.1f}   (user + system of the child)")
    print(f"  peak RSS (MB)     {peak_mb:10.0f}")
    print(f"  files (MB)        {size_mb:10.0f}")
    for name, n in rows.items():
        print(f"  {name:28s} {n:>12,} rows")
    print(f"  CalWORKs in CWS {stats['left_match_rate']:.1%}, "
          f"CWS in CalWORKs {stats['right_match_rate']:.1%}, "
          f"CWS cases in CalWORKs {stats['right_case_match_rate']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
