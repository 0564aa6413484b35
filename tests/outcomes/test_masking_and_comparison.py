"""Masking (seed 001) and the matched-versus-other comparison, at the CLI and in the service."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fc_history import episode, write_csv

from linkages.cli import main
from linkages.outcomes import masking


def cohort(prefix: str, size: int, reentries: int, county: str = "10") -> list[list[dict]]:
    """``size`` children reunified after 3 months, the first ``reentries`` re-entering."""
    eps = []
    for i in range(size):
        child = f"{prefix}{i:03d}"
        eps.append(episode(child, "2021-02-01", "2021-05-01", county=county))
        if i < reentries:
            eps.append(episode(child, "2021-08-01", county=county, number=2))
    return eps


def invoke(args: list[str]) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["outcomes", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_values_1_to_10_masked_with_the_next_lowest_cell(fc_file, tmp_path):
    # Fresno 30 children / 5 re-entries; Kern 25 / 12; Los Angeles 40 / 20; Alameda 11 / 0.
    fc = fc_file(*cohort("F", 30, 5, "10"), *cohort("K", 25, 12, "15"),
                 *cohort("L", 40, 20, "19"), *cohort("A", 11, 0, "1"))
    out, _ = invoke(["P4", "--foster-care", str(fc), "--period-start", "2021-01-01",
                     "--by", "county", "--format", "json", "--rejects-dir", str(tmp_path)])
    rows = {r["group"]["county"]: r for r in out["periods"][0]["rows"]}
    # 5 is masked; 12 (Kern) is the lowest other non-zero count, masked so 5 = 37-12-20 fails.
    assert rows["Fresno"] == {"group": {"county": "Fresno"}, "numerator": "M",
                              "denominator": 30, "percent": "M"}
    assert rows["Kern"]["numerator"] == "M" and rows["Kern"]["percent"] == "M"
    assert rows["Los Angeles"] == {"group": {"county": "Los Angeles"}, "numerator": 20,
                                   "denominator": 40, "percent": 50.0}
    assert rows["Alameda"] == {"group": {"county": "Alameda"}, "numerator": ".",
                               "denominator": 11, "percent": "."}
    assert out["periods"][0]["total"] == {"numerator": 37, "denominator": 106, "percent": 34.9}
    assert out["masked"] is True


def test_unmasked_shows_every_number(fc_file, tmp_path):
    fc = fc_file(*cohort("F", 30, 5, "10"), *cohort("K", 25, 12, "15"))
    out, _ = invoke(["P4", "--foster-care", str(fc), "--period-start", "2021-01-01",
                     "--by", "county", "--format", "json", "--unmasked",
                     "--rejects-dir", str(tmp_path)])
    rows = {r["group"]["county"]: r for r in out["periods"][0]["rows"]}
    assert (rows["Fresno"]["numerator"], rows["Fresno"]["percent"]) == (5, 16.7)
    assert out["masked"] is False


def test_zero_and_zero_over_zero_are_a_period(fc_file, tmp_path):
    fc = fc_file(episode("A", "2021-02-01"))  # open: no one in the denominator
    out, _ = invoke(["P4", "--foster-care", str(fc), "--period-start", "2021-01-01",
                     "--format", "json", "--rejects-dir", str(tmp_path)])
    assert out["periods"][0]["total"] == {"numerator": ".", "denominator": ".", "percent": "."}
    assert out["periods"][0]["rows"] == []


def test_complementary_suppression_iterates_over_both_dimensions():
    """County x sex: (X,F)=3 is masked; the total masks the lowest other (Y,F)=15; then county
    X has one masked cell, so (X,M)=20; county Y then has one, so (Y,M)=30. Stable."""
    keys = [("X", "F"), ("X", "M"), ("Y", "F"), ("Y", "M")]
    masked, total_masked = masking.suppress([3, 20, 15, 30], 68, masking.table_relations(keys))
    assert masked.tolist() == [True, True, True, True]
    assert not total_masked


def test_complementary_suppression_skips_zeros_and_masks_two_primaries_alone():
    keys = [("a",), ("b",), ("c",)]
    masked, _ = masking.suppress([4, 0, 50], 54, masking.table_relations(keys))
    assert masked.tolist() == [True, False, True]
    masked, _ = masking.suppress([4, 6, 50], 60, masking.table_relations(keys))
    assert masked.tolist() == [True, True, False]
    assert masking.primary(np.array([0, 1, 10, 11])).tolist() == [False, True, True, False]


def matched_vs_other(fc_file, tmp_path) -> tuple[Path, Path]:
    """Matched: 40 children, 12 re-entered; other: 100 children, 15 re-entered."""
    fc = fc_file(*cohort("M", 40, 12), *cohort("O", 100, 15))
    links = [{"left_id": f"T{i}", "right_id": f"M{i:03d}", "match_probability": "0.99",
              "match_weight": "12.1", "decision": "match"} for i in range(40)]
    links.append({"left_id": "T999", "right_id": "O000", "match_probability": "0.6",
                  "match_weight": "1.2", "decision": "review"})  # a review is not a match
    path = write_csv(tmp_path / "links.csv", links,
                     ["left_id", "right_id", "match_probability", "match_weight", "decision"])
    return fc, path


def test_matched_versus_other_with_hand_computed_intervals(fc_file, tmp_path):
    fc, links = matched_vs_other(fc_file, tmp_path)
    out, _ = invoke(["P4", "--foster-care", str(fc), "--period-start", "2021-01-01",
                     "--links", str(links), "--compare-matched", "--format", "json",
                     "--rejects-dir", str(tmp_path)])
    comp = out["periods"][0]["total"]["comparison"]
    # 12/40 = 30%, Wilson 95% 18.1-45.4; 15/100 = 15%, Wilson 9.3-23.3.
    assert comp["matched"] == {"numerator": 12, "denominator": 40, "percent": 30.0,
                               "ci": [18.1, 45.4]}
    assert comp["other"] == {"numerator": 15, "denominator": 100, "percent": 15.0,
                             "ci": [9.3, 23.3]}
    assert comp["difference"] == 15.0 and comp["difference_unit"] == "percentage points"
    # RR = 0.30/0.15 = 2; SE(ln RR) = sqrt(1/12 - 1/40 + 1/15 - 1/100) = 0.33912;
    # 2 * exp(+-1.96 * 0.33912) = 1.029, 3.888.
    assert comp["ratio"] == 2.0
    assert comp["ratio_ci"] == [1.029, 3.888]
    assert comp["small_counts"] is False


def test_by_calworks_match(fc_file, tmp_path):
    fc, links = matched_vs_other(fc_file, tmp_path)
    out, _ = invoke(["P4", "--foster-care", str(fc), "--period-start", "2021-01-01",
                     "--links", str(links), "--by", "calworks_match", "--format", "json",
                     "--rejects-dir", str(tmp_path)])
    assert [(r["group"]["calworks_match"], r["numerator"], r["denominator"])
            for r in out["periods"][0]["rows"]] == [("Matched", 12, 40), ("Not matched", 15, 100)]


def test_small_comparison_is_flagged_and_masked(fc_file, tmp_path):
    fc = fc_file(*cohort("M", 15, 4), *cohort("O", 100, 15))
    links = write_csv(tmp_path / "links.csv",
                      [{"left_id": f"T{i}", "right_id": f"M{i:03d}", "decision": "match"}
                       for i in range(15)], ["left_id", "right_id", "decision"])
    base = ["P4", "--foster-care", str(fc), "--period-start", "2021-01-01", "--links",
            str(links), "--compare-matched", "--format", "json", "--rejects-dir", str(tmp_path)]
    comp = invoke(base)[0]["periods"][0]["total"]["comparison"]
    assert comp["small_counts"] is True
    assert comp["matched"]["numerator"] == "M" and comp["ratio"] == "M"
    # 4 is masked, so 15 (its complement in the total of 19) is masked too.
    assert comp["other"]["numerator"] == "M"
    assert comp["ratio_ci"] == "M" and comp["matched"]["ci"] == "M"
    unmasked = invoke([*base, "--unmasked"])[0]["periods"][0]["total"]["comparison"]
    assert unmasked["small_counts"] is True
    assert unmasked["matched"]["numerator"] == 4
    assert unmasked["ratio"] == pytest.approx((4 / 15) / (15 / 100), abs=1e-3)


def test_csv_has_one_row_per_period_and_group(fc_file, tmp_path):
    fc = fc_file(*cohort("F", 30, 5, "10"), *cohort("K", 25, 12, "15"))
    result = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(fc),
                                       "--period-start", "2021-01-01", "--periods", "2",
                                       "--by", "county", "--format", "csv",
                                       "--rejects-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["period_start"], r["county"]) for r in rows] == [
        ("2021-01-01", "Total"), ("2021-01-01", "Fresno"), ("2021-01-01", "Kern"),
        ("2021-04-01", "Total"), ("2021-04-01", "Fresno"), ("2021-04-01", "Kern")]
    assert rows[0]["numerator"] == "17" and rows[1]["numerator"] == "M"


def test_terminal_table_without_format(fc_file, tmp_path):
    fc = fc_file(*cohort("F", 30, 5, "10"))
    result = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(fc),
                                       "--period-start", "2021-01-01",
                                       "--rejects-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Re-entry to foster care in 12 months" in result.stdout
    header, values = result.stdout.splitlines()[2:4]
    assert header.split() == ["period_start", "period_end", "numerator", "denominator", "percent"]
    assert values.split() == ["2021-01-01", "2021-12-31", "M", "30", "M"]
