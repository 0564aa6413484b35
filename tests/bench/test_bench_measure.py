"""The benchmark harness measures the child it ran, and compares the tools the documented way."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from common import error_ratio, run_measured


def test_peak_memory_and_exit_status_are_the_childs_own(tmp_path: Path) -> None:
    grab = "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('done')"
    big = run_measured([sys.executable, "-c", grab], tmp_path / "big.log")
    # The benchmark itself holds a lot (a truth file at scale 1.0): none of it is charged to
    # the child, and the big child's peak is not carried over to the next run.
    ballast = bytearray(400 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = run_measured([sys.executable, "-c", "import sys; sys.exit(3)"],
                         tmp_path / "small.log")
    assert big.ok and big.log.read_text().strip() == "done"
    assert big.peak_rss_mb >= 300
    assert small.returncode == 3 and not small.ok
    assert small.peak_rss_mb < 100
    assert big.wall_seconds > 0
    del ballast


def test_a_command_that_cannot_start_is_a_failed_run(tmp_path: Path) -> None:
    run = run_measured([str(tmp_path / "no-such-tool")], tmp_path / "x.log")
    assert not run.ok


def test_error_ratio_is_the_share_of_splinks_errors_we_still_make() -> None:
    assert error_ratio(0.997, 0.99) == pytest.approx(0.3)
    assert error_ratio(1.0, 1.0) == 0.0
    assert error_ratio(0.99, 1.0) == float("inf")
    assert error_ratio(None, 0.99) is None
