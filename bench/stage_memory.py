"""`linkages match` in this process, with the peak resident memory of each of its stages.

    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/stage_memory.py --left L.csv \\
        --right R.csv --out LINKS.csv --stats STATS.json --no-progress

Takes exactly the options of `linkages match`. A thread reads this process's resident set
size (VmRSS) every 0.05 s and keeps the highest per stage: reading the files, standardising,
then the stages of ``matching.pipeline`` (block, compare, estimate, score, resolve, report) and
the unblocked-pairs estimate within the report. Prints them on stderr when the run ends. A
peak shorter than the sampling interval can be missed: ``bench/measure.py`` gives the exact
peak of a whole run, this says where it is.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from common import REPO  # noqa: F401  (the repository on sys.path)

import matching
import matching.pipeline as pipeline
from linkages.linkage.cli import match

INTERVAL = 0.05


class StagePeaks:
    """The highest RSS seen while each label was current."""

    def __init__(self) -> None:
        self.current = "start"
        self.peaks: dict[str, int] = {}

    def sample(self) -> None:
        while True:
            mb = _rss_mb()
            self.peaks[self.current] = max(self.peaks.get(self.current, 0), mb)
            time.sleep(INTERVAL)

    @contextlib.contextmanager
    def labelled(self, name: str) -> Iterator[None]:
        previous, self.current = self.current, name
        try:
            yield
        finally:
            self.current = f"after {name}" if previous == "start" else previous


def _rss_mb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def _wrap(peaks: StagePeaks, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with peaks.labelled(name):
            return function(*args, **kwargs)
    return wrapped


def main(argv: list[str]) -> int:
    peaks = StagePeaks()
    threading.Thread(target=peaks.sample, daemon=True).start()
    stage = pipeline._Stages.stage

    @contextlib.contextmanager
    def recorded(self: pipeline._Stages, name: str) -> Iterator[None]:
        peaks.current = name
        with stage(self, name):
            yield
        peaks.current = f"after {name}"

    pipeline._Stages.stage = recorded  # type: ignore[method-assign]
    pipeline.unblocked_matches = _wrap(peaks, "unblocked_matches", pipeline.unblocked_matches)
    matching.prepare = _wrap(peaks, "standardise", matching.prepare)
    peaks.current = "read"
    try:
        match.main(argv, standalone_mode=False)
    finally:
        for name, mb in peaks.peaks.items():
            print(f"{name:28s} {mb:6,d} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
