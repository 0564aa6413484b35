"""A foster care file with bad rows: each set aside with its line, column and reason, the
counts reconcile, and the measure is computed on what was accepted."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner
from fc_history import FC_COLUMNS, episode, write_csv

from linkages.cli import main


def test_bad_rows_go_to_the_rejects_file_and_counts_reconcile(tmp_path):
    good = [*episode("A", "2021-02-01", "2021-05-01"), *episode("A", "2021-07-01", number=2),
            *episode("B", "2021-02-01", "2021-05-01")]
    bad_date = episode("C", "2021-02-30", "2021-05-01")                 # line 5
    bad_county = episode("D", "2021-02-01", "2021-05-01", county="77")   # line 6
    disagree = [*episode("E", "2021-02-01", "2021-05-01"),               # lines 7-8: episode
                *episode("E", "2021-02-02", "2021-05-01")]               # dates disagree
    duplicate = episode("B", "2021-02-01", "2021-05-01")                 # line 9
    before = episode("F", "2021-02-01", "2021-05-01", placement_start="2021-01-20")  # line 10
    overlap = [*episode("G", "2021-02-01", "2021-05-01"),                # line 11 kept,
               *episode("G", "2021-04-01", "2021-06-01", number=2)]      # line 12 overlaps
    rows = [*good, *bad_date, *bad_county, *disagree, *duplicate, *before, *overlap]
    fc = write_csv(tmp_path / "fc.csv", rows)
    out_dir = tmp_path / "out"
    result = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(fc),
                                       "--period-start", "2021-01-01", "--unmasked",
                                       "--format", "json", "--rejects-dir", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert "fc.csv: read 11 = accepted 4 + rejected 7" in result.stderr
    with (out_dir / "fc.rejects.csv").open() as fh:
        rejects = list(csv.DictReader(fh))
    found = {(int(r["line"]), r["column"]) for r in rejects}
    assert {(5, "episode_start"), (6, "county_cd"), (7, "episode_start"), (8, "episode_start"),
            (9, "episode_id"), (10, "placement_start"), (12, "episode_start")} <= found
    reasons = {int(r["line"]): r["reason"] for r in rejects}
    assert reasons[5] == "not a date in YYYY-MM-DD form"
    assert reasons[9] == "duplicate of an earlier row"
    assert reasons[12] == "episode overlaps an earlier episode of the same child"
    assert all(r["file"] == "fc.csv" for r in rejects)
    # A (re-entered) and B and G (not) remain.
    total = json.loads(result.stdout)["periods"][0]["total"]
    assert (total["numerator"], total["denominator"]) == (1, 3)


def test_missing_required_column_stops_with_exit_2(tmp_path):
    rows = episode("A", "2021-02-01", "2021-05-01")
    fc = write_csv(tmp_path / "fc.csv", rows, [c for c in FC_COLUMNS if c != "episode_start"])
    result = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(fc),
                                       "--period-start", "2021-01-01",
                                       "--rejects-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "episode_start" in result.output and "fc.csv" in result.output


def test_period_start_must_begin_a_quarter(tmp_path):
    fc = write_csv(tmp_path / "fc.csv", episode("A", "2021-02-01", "2021-05-01"))
    result = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(fc),
                                       "--period-start", "2021-02-01",
                                       "--rejects-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "January, April, July or October" in result.output


def test_calworks_match_needs_links(tmp_path):
    fc = write_csv(tmp_path / "fc.csv", episode("A", "2021-02-01", "2021-05-01"))
    result = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(fc),
                                       "--period-start", "2021-01-01", "--by", "calworks_match",
                                       "--rejects-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--links" in result.output


def test_rejects_go_beside_the_input_and_only_when_something_was_rejected(
    tmp_path, monkeypatch
):
    elsewhere = tmp_path / "working-directory"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    data = tmp_path / "data"
    data.mkdir()
    clean = write_csv(data / "clean.csv", episode("A", "2021-02-01", "2021-05-01"))
    args = ["outcomes", "P4", "--period-start", "2021-01-01", "--format", "json"]
    result = CliRunner().invoke(main, [*args, "--foster-care", str(clean)])
    assert result.exit_code == 0, result.output
    assert "clean.csv: read 1 = accepted 1 + rejected 0" in result.stderr
    assert "set aside" not in result.stderr
    bad = write_csv(data / "bad.csv", [*episode("A", "2021-02-01", "2021-05-01"),
                                       *episode("C", "2021-02-30", "2021-05-01")])
    result = CliRunner().invoke(main, [*args, "--foster-care", str(bad)])
    assert result.exit_code == 0, result.output
    assert f"(set aside in {data / 'bad.rejects.csv'})" in result.stderr
    assert sorted(p.name for p in data.iterdir()) == ["bad.csv", "bad.rejects.csv", "clean.csv"]
    assert list(elsewhere.iterdir()) == []  # nothing strewn in the current directory
