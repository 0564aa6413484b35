"""P4, re-entry to foster care in 12 months, at the CLI: each rule of seed 001 as a hand-worked
case. Period 2021-01-01 to 2021-12-31 unless a test says otherwise; --unmasked so the small
hand-worked counts can be compared (masking has its own tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fc_history import ADOPTION, GUARDIANSHIP, episode, placements

from linkages.cli import main


def run_p4(fc: Path, *args: str, period: str = "2021-01-01", tmp: Path | None = None) -> dict:
    runner = CliRunner()
    result = runner.invoke(main, ["outcomes", "P4", "--foster-care", str(fc), "--period-start",
                                  period, "--unmasked", "--format", "json",
                                  "--rejects-dir", str(tmp or fc.parent), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def total(out: dict, period: int = 0) -> tuple[int, int]:
    t = out["periods"][period]["total"]
    return t["numerator"], t["denominator"]


def test_hand_worked_cohort(fc_file):
    """Fourteen children; 7 in the denominator, 5 re-entered."""
    fc = fc_file(
        # A: reunified after 120 days, re-entered 3 months later -> den, num
        episode("A", "2021-02-01", "2021-06-01"), episode("A", "2021-09-01", number=2),
        # B: first entry in the period lasted 7 days -> out (even though a later entry is long)
        episode("B", "2021-03-01", "2021-03-08"),
        episode("B", "2021-04-01", "2021-05-01", number=2),
        # C: 8 days; re-entry exactly 365 days after discharge -> den, num
        episode("C", "2021-03-01", "2021-03-09"),
        episode("C", "2022-03-09", "2022-04-01", number=2),
        # D: guardianship; re-entry 366 days after discharge -> den only
        episode("D", "2021-04-01", "2021-05-01", GUARDIANSHIP),
        episode("D", "2022-05-02", number=2),
        # E: adopted, re-entered -> out
        episode("E", "2021-02-01", "2021-08-01", ADOPTION),
        episode("E", "2021-09-01", number=2),
        # F: entered at 18 -> out
        episode("F", "2021-02-01", "2021-04-01", birth="2003-01-15"),
        # G: entered at 17, reunified on her 18th birthday -> out
        episode("G", "2021-01-10", "2021-06-01", birth="2003-06-01"),
        # H: entered the day before the period -> out
        episode("H", "2020-12-31", "2021-03-01"),
        # I1: discharged after 366 days -> out; I2: after 365 days -> den only
        episode("I1", "2021-01-05", "2022-01-06"),
        episode("I2", "2021-01-05", "2022-01-05"),
        # J: re-entry of a single day counts -> den, num
        episode("J", "2021-04-01", "2021-05-10"),
        episode("J", "2021-06-01", "2021-06-02", number=2),
        # K: two re-entries -> counted once
        episode("K", "2021-03-01", "2021-05-01"),
        episode("K", "2021-07-01", "2021-08-01", number=2),
        episode("K", "2021-10-01", number=3),
        # L: private adoption agency, excluded from all analyses
        episode("L", "2021-02-01", "2021-03-01", agency="36"),
        episode("L", "2021-04-01", agency="36", number=2),
        # M: probation, not in the Child Welfare default
        episode("M", "2021-02-01", "2021-03-01", agency="33"),
        episode("M", "2021-04-01", agency="33", number=2),
        # N: two entries in the period; the first is the cohort episode -> den, num
        episode("N", "2021-02-01", "2021-02-20"),
        episode("N", "2021-03-01", "2021-12-01", number=2),
    )
    out = run_p4(fc)
    assert total(out) == (5, 7)
    assert out["periods"][0]["total"]["percent"] == pytest.approx(71.4)
    assert out["measure"] == "P4"
    assert (out["periods"][0]["start"], out["periods"][0]["end"]) == ("2021-01-01", "2021-12-31")


@pytest.mark.parametrize(("end", "in_denominator"), [("2021-03-08", False), ("2021-03-09", True)])
def test_seven_days_out_eight_days_in(fc_file, end, in_denominator):
    fc = fc_file(episode("A", "2021-03-01", end))
    assert total(run_p4(fc)) == (0, int(in_denominator))


@pytest.mark.parametrize(("reentry", "counted"), [
    ("2022-06-01", True),    # 365 days after 2021-06-01
    ("2022-06-02", False),   # 366 days
    ("2021-06-01", True),    # the same day as the discharge
])
def test_reentry_within_365_days(fc_file, reentry, counted):
    fc = fc_file(episode("A", "2021-02-01", "2021-06-01"),
                 episode("A", reentry, "2022-12-01", number=2))
    assert total(run_p4(fc)) == (int(counted), 1)


def test_reentry_over_a_leap_year_is_still_365_days(fc_file):
    """Discharged 2023-03-01: 2024-02-29 is day 365 (counted), 2024-03-01 is day 366."""
    fc = fc_file(episode("A", "2023-01-05", "2023-03-01"),
                 episode("A", "2024-02-29", number=2),
                 episode("B", "2023-01-05", "2023-03-01"),
                 episode("B", "2024-03-01", number=2))
    assert total(run_p4(fc, period="2023-01-01")) == (1, 2)


def test_entry_and_exit_at_18(fc_file):
    fc = fc_file(
        episode("turns18in", "2021-02-01", "2021-05-31", birth="2003-06-01"),  # exits at 17
        episode("exit18", "2021-02-01", "2021-06-01", birth="2003-06-01"),  # exits on 18th bday
        episode("entry18", "2021-06-01", "2021-07-01", birth="2003-06-01"),
    )
    assert total(run_p4(fc)) == (0, 1)


def test_adoption_and_other_exits_are_not_in_the_denominator(fc_file):
    fc = fc_file(episode("adopted", "2021-02-01", "2021-05-01", ADOPTION),
                 episode("emancipated", "2021-02-01", "2021-05-01", "5441"),
                 episode("guardian", "2021-02-01", "2021-05-01", "5516"),
                 episode("released", "2021-02-01", "2021-05-01", "5513"),
                 episode("open", "2021-02-01"))
    assert total(run_p4(fc)) == (0, 2)


def test_no_trial_home_visit_adjustment(fc_file):
    """400 days ending in a 100-day trial home visit: P1 would count it within 12 months,
    P4 does not (the discharge is 400 days after entry)."""
    fc = fc_file(placements("A", "2021-01-10", "2022-02-14", "5439", [
        {"placement_start": "2021-01-10", "placement_end": "2021-11-06"},
        {"placement_start": "2021-11-06", "placement_end": "2022-02-14",
         "placement_change_reason_cd": "1440"}]))
    assert total(run_p4(fc)) == (0, 0)


def test_county_is_the_last_county_of_the_episode(fc_file):
    fc = fc_file(placements("A", "2021-02-01", "2021-08-01", "5439", [
        {"placement_start": "2021-02-01", "placement_end": "2021-04-01", "county_cd": "10"},
        {"placement_start": "2021-04-01", "placement_end": "2021-08-01", "county_cd": "15"}]),
        episode("A", "2021-10-01", county="19", number=2))
    rows = run_p4(fc, "--by", "county")["periods"][0]["rows"]
    assert [(r["group"]["county"], r["numerator"], r["denominator"]) for r in rows] == [
        ("Kern", 1, 1)]


def test_placement_type_is_the_last_before_permanency_and_age_at_entry(fc_file):
    fc = fc_file(placements("A", "2021-02-01", "2021-08-01", "5439", [
        {"placement_start": "2021-02-01", "placement_end": "2021-04-01",
         "facility_type_cd": "1417"},
        {"placement_start": "2021-04-01", "placement_end": "2021-08-01",
         "facility_type_cd": "6914", "caregiver_relationship_cd": "1639"}],
        birth="2020-03-01"))
    rows = run_p4(fc, "--by", "placement_type", "--by", "age_group")["periods"][0]["rows"]
    assert [r["group"] for r in rows] == [{"placement_type": "Relative/NREFM",
                                           "age_group": "<1 yr"}]


def test_excluded_agencies_are_neither_cohort_nor_reentry(fc_file):
    fc = fc_file(episode("A", "2021-02-01", "2021-05-01"),
                 episode("A", "2021-06-01", agency="6134", number=2),  # KinGAP re-entry
                 episode("B", "2021-02-01", "2021-05-01"),
                 episode("B", "2021-06-01", agency="33", number=2))  # probation re-entry
    assert total(run_p4(fc)) == (1, 2)


def test_agency_dimension_includes_probation_and_other(fc_file):
    fc = fc_file(episode("cw", "2021-02-01", "2021-05-01"),
                 episode("prob", "2021-02-01", "2021-05-01", agency="5603"),
                 episode("icw", "2021-02-01", "2021-05-01", agency="5602"),
                 episode("oos", "2021-02-01", "2021-05-01", agency="35"))
    out = run_p4(fc, "--by", "agency")
    assert [(r["group"]["agency"], r["denominator"]) for r in out["periods"][0]["rows"]] == [
        ("Child Welfare", 1), ("Probation", 1), ("Other", 1)]
    assert total(run_p4(fc)) == (0, 1)
    assert total(run_p4(fc, "--agency", "Probation")) == (0, 1)


def test_rolling_periods_a_quarter_apart(fc_file):
    fc = fc_file(episode("A", "2021-03-15", "2021-05-01"),   # periods 1 only
                 episode("B", "2021-04-01", "2021-05-01"),   # periods 1-4 (Apr 1 is day one)
                 episode("C", "2021-12-31", "2022-02-01"),   # periods 1-4
                 episode("D", "2022-01-01", "2022-02-01"),   # periods 2-4
                 episode("E", "2022-03-31", "2022-05-01"))   # periods 2-4 (last day of 2)
    out = run_p4(fc, "--periods", "4")
    assert [(p["start"], p["end"]) for p in out["periods"]] == [
        ("2021-01-01", "2021-12-31"), ("2021-04-01", "2022-03-31"),
        ("2021-07-01", "2022-06-30"), ("2021-10-01", "2022-09-30")]
    assert [total(out, i)[1] for i in range(4)] == [3, 4, 3, 3]


def test_entry_type_first_or_other(fc_file):
    fc = fc_file(episode("A", "2019-02-01", "2019-05-01"),
                 episode("A", "2021-02-01", "2021-05-01", number=2),
                 episode("B", "2021-02-01", "2021-05-01"))
    rows = run_p4(fc, "--by", "entry_type")["periods"][0]["rows"]
    assert [(r["group"]["entry_type"], r["denominator"]) for r in rows] == [
        ("First entry", 1), ("Other entry", 1)]


def test_hispanic_indicator_wins_over_primary_ethnicity(fc_file):
    fc = fc_file(episode("A", "2021-02-01", "2021-05-01", ethnicity_cd="823", hispanic="Y"),
                 episode("B", "2021-02-01", "2021-05-01", ethnicity_cd="823", hispanic="N"),
                 episode("C", "2021-02-01", "2021-05-01", ethnicity_cd="", hispanic=""))
    rows = run_p4(fc, "--by", "ethnicity")["periods"][0]["rows"]
    assert [(r["group"]["ethnicity"], r["denominator"]) for r in rows] == [
        ("Black", 1), ("Latino", 1), ("Missing", 1)]


def test_rfa_home_split_by_caregiver_relationship(fc_file):
    fc = fc_file(
        episode("rel", "2021-02-01", "2021-05-01", facility="6914",
                caregiver_relationship_cd="1638"),
        episode("nrefm", "2021-02-01", "2021-05-01", facility="6915",
                caregiver_relationship_cd="6991"),
        episode("nonrel", "2021-02-01", "2021-05-01", facility="6914",
                caregiver_relationship_cd="1637"),
        episode("ffa", "2021-02-01", "2021-05-01", facility="6915",
                caregiver_relationship_cd="6715"),
        episode("court", "2021-02-01", "2021-05-01", facility="1419",
                caregiver_relationship_cd=""))
    rows = run_p4(fc, "--by", "placement_type")["periods"][0]["rows"]
    assert [(r["group"]["placement_type"], r["denominator"]) for r in rows] == [
        ("Relative/NREFM", 2), ("Foster", 1), ("FFA", 1), ("Court Specified", 1)]


def test_sex_dimension(fc_file):
    fc = fc_file(episode("A", "2021-02-01", "2021-05-01", sex="M"),
                 episode("B", "2021-02-01", "2021-05-01", sex=""))
    rows = run_p4(fc, "--by", "sex")["periods"][0]["rows"]
    assert [(r["group"]["sex"], r["denominator"]) for r in rows] == [("Male", 1), ("Missing", 1)]


def test_only_the_first_reentry_is_looked_at(fc_file):
    """Three re-entries within 12 months count the child once; the first re-entry decides."""
    fc = fc_file(episode("A", "2021-02-01", "2021-05-01"),
                 episode("A", "2021-06-01", "2021-06-10", number=2),
                 episode("A", "2021-07-01", "2021-08-01", number=3),
                 episode("A", "2021-09-01", number=4))
    assert total(run_p4(fc)) == (1, 1)
