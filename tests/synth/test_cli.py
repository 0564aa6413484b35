"""`linkages synth` as a user runs it: the files it promises, determinism, bad options."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner

from linkages.cli import main
from linkages.synth.generate import FILES


def _run(out: Path, scale: str, seed: str) -> CliRunner:
    result = CliRunner().invoke(
        main, ["synth", "--out", str(out), "--scale", scale, "--seed", seed]
    )
    assert result.exit_code == 0, result.output
    return result


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_writes_exactly_the_extract_files(population: Path) -> None:
    assert sorted(p.name for p in population.iterdir()) == sorted(FILES)
    assert set(FILES) == {
        "calworks_children.csv",
        "calworks_cases.csv",
        "calworks_aid_periods.csv",
        "calworks_wtw_sanctions.csv",
        "cws_children.csv",
        "cws_allegations.csv",
        "cws_case_components.csv",
        "foster_care.csv",
        "cws_referrals.csv",
        "cws_contacts.csv",
        "cws_visits.csv",
        "cws_siblings.csv",
        "cws_placement_homes.csv",
        "population.csv",
        "truth.csv",
        "truth_stats.json",
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    _run(tmp_path / "a", "0.003", "5")
    _run(tmp_path / "b", "0.003", "5")
    _run(tmp_path / "c", "0.003", "6")
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert a == b
    # The statistics and the synthetic child population are fixed by the scale, the same for
    # every seed; the data differ.
    assert all(a[name] != c[name] for name in a
               if name not in ("truth_stats.json", "population.csv"))


def test_prints_stage_lines_and_a_summary_of_counts(tmp_path: Path) -> None:
    result = _run(tmp_path / "p", "0.002", "1")
    assert "[synth" in result.stderr and "population:" in result.stderr
    assert "calworks_children.csv" in result.stdout and "rows" in result.stdout
    assert "CalWORKs in CWS 14.0%" in result.stdout


def test_rejects_a_scale_of_zero_and_a_missing_out(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["synth", "--out", str(tmp_path / "z"), "--scale", "0"])
    assert result.exit_code == 2
    assert "--scale" in result.output
    result = CliRunner().invoke(main, ["synth", "--scale", "0.01"])
    assert result.exit_code == 2
    assert "--out" in result.output
