"""P1, P2, P3, P5, S1, S2 and 4B, each rule as a hand-worked case through the service."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from fc_history import ADOPTION, episode, placements, write_csv

from linkages.cli import main
from linkages.extracts import read_extract
from linkages.outcomes import compute
from linkages.outcomes.files import ALLEGATION_FILE, CWS_CHILDREN_FILE, FOSTER_CARE_FILE

ALLEGATION_COLUMNS = ["allegation_id", "referral_id", "child_id", "referral_received_dt",
                      "county_cd", "allegation_type", "disposition", "disposition_dt",
                      "incident_dt", "perpetrator_role", "reporter_type"]


def fc_frame(tmp_path: Path, *eps: list[dict]) -> pd.DataFrame:
    path = write_csv(tmp_path / "fc.csv", [r for ep in eps for r in ep])
    result = read_extract(path, FOSTER_CARE_FILE)
    assert not result.rejections, result.rejections
    return result.data


def total(result, period: int = 0) -> tuple[float, float]:
    t = result.periods[period].total
    return t.numerator, t.denominator


def p(measure: str, frame: pd.DataFrame, **kw):
    return compute(measure, frame, kw.pop("start", "2021-01-01"), masked=False, **kw)


# --- P1 ---------------------------------------------------------------------------------------


def thv_episode(child: str, visit_start: str, end: str = "2022-02-14") -> list[dict]:
    return placements(child, "2021-01-10", end, "5439", [
        {"placement_start": "2021-01-10", "placement_end": visit_start},
        {"placement_start": visit_start, "placement_end": end,
         "placement_change_reason_cd": "1440"}])


def test_p1_trial_home_visit_adjustment(tmp_path):
    """Entry 2021-01-10, reunified 2022-02-14 (400 days) after a trial home visit.
    Visit from 2021-11-06 (100 days): adjusted to visit start + 30 = 330 days -> success.
    Visit from 2021-12-10 (day 334): adjusted 364 -> success; from 2021-12-12 (day 336):
    adjusted 366 -> not. A 30-day visit ending the episode is not adjusted."""
    frame = fc_frame(tmp_path, thv_episode("A", "2021-11-06"), thv_episode("B", "2021-12-10"),
                     thv_episode("C", "2021-12-12"),
                     thv_episode("D", "2022-01-15"))  # 30 days before 2022-02-14
    assert total(p("P1", frame)) == (2, 4)


def test_p1_permanency_within_365_days_before_18(tmp_path):
    frame = fc_frame(
        tmp_path,
        episode("reunified365", "2021-01-05", "2022-01-05"),
        episode("reunified366", "2021-01-05", "2022-01-06"),
        episode("adopted", "2021-02-01", "2021-12-01", ADOPTION),
        episode("emancipated", "2021-02-01", "2021-12-01", "5441"),
        episode("at18", "2021-02-01", "2021-06-01", birth="2003-06-01"),  # stays in den
        episode("short", "2021-02-01", "2021-02-08"),  # 7 days: out
        episode("open", "2021-02-01"),
    )
    assert total(p("P1", frame)) == (2, 6)


# --- P2, P3 -----------------------------------------------------------------------------------


def test_p2_and_p3_cohorts_by_whole_months_on_day_one(tmp_path):
    frame = fc_frame(
        tmp_path,
        episode("m12", "2020-01-01", "2021-12-31"),   # 12 months; exit on the last day: success
        episode("m11", "2020-01-02", "2021-06-01"),   # 11 months 30 days: neither
        episode("m23", "2019-01-02", "2022-01-01"),   # 23 months; exit after the period
        episode("m24", "2019-01-01", "2021-06-01"),   # 24 months: P3, success
        episode("old", "2018-01-01", "2021-06-01", birth="2003-01-01"),  # 18 on day one
        episode("turns18", "2018-01-01", "2021-07-01", birth="2003-07-01"),  # exit at 18
        episode("left", "2019-06-01", "2020-12-31"),  # left the day before: not in care
        episode("exitday1", "2019-06-01", "2021-01-01", "5434"),  # 19 months; exits on day one
    )
    assert total(p("P2", frame)) == (2, 3)   # m12 and exitday1 of m12, m23, exitday1
    assert total(p("P3", frame)) == (1, 2)   # m24 of m24, turns18


# --- P5 ---------------------------------------------------------------------------------------


def test_p5_moves_per_1000_days(tmp_path):
    frame = fc_frame(
        tmp_path,
        # 305 days to the period end; settings 1416 then 1417 (the runaway is not a setting)
        placements("A", "2021-03-01", "", "", [
            {"placement_start": "2021-03-01", "placement_end": "2021-04-01"},
            {"placement_start": "2021-04-01", "placement_end": "2021-06-01",
             "placement_change_reason_cd": "1431"},
            {"placement_start": "2021-06-01", "placement_end": "", "facility_type_cd": "1417"}]),
        # 60 days; the move after the period end is not counted
        placements("B", "2021-11-01", "", "", [
            {"placement_start": "2021-11-01", "placement_end": "2021-12-15"},
            {"placement_start": "2021-12-15", "placement_end": "2022-01-10"},
            {"placement_start": "2022-01-10", "placement_end": ""}]),
        # turns 18 on 2021-07-01: 122 days, the move after it is not counted
        placements("C", "2021-03-01", "", "", [
            {"placement_start": "2021-03-01", "placement_end": "2021-08-01"},
            {"placement_start": "2021-08-01", "placement_end": ""}], birth="2003-07-01"),
        # 5 days, completed: out
        placements("D", "2021-03-01", "2021-03-06", "5439", [
            {"placement_start": "2021-03-01", "placement_end": "2021-03-03"},
            {"placement_start": "2021-03-03", "placement_end": "2021-03-06"}]),
    )
    result = p("P5", frame)
    assert total(result) == (2, 305 + 60 + 122)
    assert result.to_dict()["periods"][0]["total"]["rate"] == round(2 / 487 * 1000, 2)


# --- S1, S2 -----------------------------------------------------------------------------------


def allegations(tmp_path: Path, rows: list[tuple]) -> pd.DataFrame:
    """rows: (child, referral, received, disposition, incident)."""
    records = [{"allegation_id": f"AL{i}", "referral_id": ref, "child_id": child,
                "referral_received_dt": received, "county_cd": "10",
                "allegation_type": "general_neglect", "disposition": disp,
                "incident_dt": incident} for i, (child, ref, received, disp, incident)
               in enumerate(rows)]
    path = write_csv(tmp_path / "allegations.csv", records, ALLEGATION_COLUMNS)
    result = read_extract(path, ALLEGATION_FILE)
    assert not result.rejections, result.rejections
    return result.data


def test_s1_victimizations_per_100000_days(tmp_path):
    frame = fc_frame(tmp_path,
                     episode("A", "2020-06-01"),                 # in care all year: 365 days
                     episode("B", "2021-06-01", "2021-09-01"))   # 92 days
    alg = allegations(tmp_path, [
        ("A", "R1", "2021-03-01", "substantiated", ""),          # counts
        ("A", "R2", "2021-03-02", "substantiated", ""),          # 1 day later: a repeat
        ("A", "R3", "2021-05-01", "unfounded", ""),              # not a victimization
        ("A", "R4", "2021-07-01", "substantiated", "2020-05-01"),  # incident before entry
        ("B", "R5", "2021-06-05", "substantiated", ""),          # entry + 4 days: out
        ("B", "R6", "2021-06-08", "substantiated", ""),          # entry + 7 days: counts
        ("B", "R8", "2021-06-09", "substantiated", ""),          # 1 day after R6: a repeat
        ("B", "R7", "2021-09-01", "substantiated", ""),          # on the discharge day: out
        ("B", "R7", "2021-09-01", "substantiated", ""),          # (second allegation, same)
    ])
    result = p("S1", frame, allegations=alg)
    assert total(result) == (2, 365 + 92)
    assert result.to_dict()["periods"][0]["total"]["rate"] == round(2 / 457 * 100_000, 2)


def test_s2_recurrence_with_14_day_roll_up(tmp_path):
    frame = fc_frame(tmp_path, episode("X", "2021-02-01"))
    alg = allegations(tmp_path, [
        ("A", "R1", "2021-02-01", "substantiated", ""),   # initial
        ("A", "R2", "2021-02-15", "substantiated", ""),   # 14 days: rolled up
        ("A", "R3", "2021-03-01", "substantiated", ""),   # 14 days after R2: rolled up
        ("A", "R4", "2022-02-01", "substantiated", ""),   # day 365: recurrence
        ("B", "R5", "2021-03-01", "substantiated", ""),
        ("B", "R6", "2021-03-16", "substantiated", ""),   # 15 days: recurrence
        ("C", "R7", "2021-04-01", "substantiated", ""),
        ("C", "R8", "2022-04-02", "substantiated", ""),   # day 366: not
        ("D", "R9", "2021-04-01", "unfounded", ""),       # no victimization
        ("E", "R10", "2021-04-01", "substantiated", ""),  # 18 that day: out
        ("E", "R11", "2021-05-01", "substantiated", ""),
    ])
    kids = write_csv(tmp_path / "children.csv",
                     [{"record_id": c, "dob": "2010-01-01"} for c in "ABCD"]
                     + [{"record_id": "E", "dob": "2003-04-01"}], ["record_id", "dob"])
    children = read_extract(kids, CWS_CHILDREN_FILE).data
    result = p("S2", frame, allegations=alg, children=children)
    assert total(result) == (2, 3)


def test_s2_needs_the_allegation_file_at_the_cli(tmp_path):
    fc = write_csv(tmp_path / "fc.csv", episode("A", "2021-02-01"))
    result = CliRunner().invoke(main, ["outcomes", "S2", "--foster-care", str(fc),
                                       "--period-start", "2021-01-01"])
    assert result.exit_code == 2 and "--allegations" in result.output


# --- 4B ---------------------------------------------------------------------------------------


def test_4b_first_and_predominant_placement(tmp_path):
    frame = fc_frame(
        tmp_path,
        placements("A", "2021-02-01", "2021-05-12", "5439", [    # 100 days: 40 group, 60 kin
            {"placement_start": "2021-02-01", "placement_end": "2021-03-13",
             "facility_type_cd": "1417"},
            {"placement_start": "2021-03-13", "placement_end": "2021-05-12",
             "facility_type_cd": "1421"}]),
        placements("B", "2021-02-01", "2021-05-12", "5439", [    # 50 / 50: Mixed
            {"placement_start": "2021-02-01", "placement_end": "2021-03-23",
             "facility_type_cd": "1416"},
            {"placement_start": "2021-03-23", "placement_end": "2021-05-12",
             "facility_type_cd": "1421"}]),
        episode("C", "2021-02-01", "2021-05-01", facility="1416"),
        episode("D", "2021-02-01", "2021-05-01", facility=""),    # Missing: not in the shares
    )
    first = {r["group"]["placement_type"]: (r["numerator"], r["denominator"], r["percent"])
             for r in p("4B1", frame).to_dict()["periods"][0]["rows"]}
    assert first == {"Foster": (2, 3, 66.7), "Group/STRTP": (1, 3, 33.3),
                     "Missing": (1, 3, None)}
    main_type = {r["group"]["placement_type"]: (r["numerator"], r["percent"])
                 for r in p("4B2", frame).to_dict()["periods"][0]["rows"]}
    assert main_type == {"Relative/NREFM": (1, 33.3), "Foster": (1, 33.3), "Mixed": (1, 33.3),
                         "Missing": (1, None)}


@pytest.mark.parametrize("measure", ["P1", "P2", "P3", "P4", "P5", "4B1", "4B2"])
def test_every_measure_runs_by_every_dimension(tmp_path, measure):
    frame = fc_frame(tmp_path, episode("A", "2019-02-01", "2021-05-01"),
                     episode("B", "2021-02-01", "2021-05-01"))
    links = pd.DataFrame({"left_id": ["T1"], "right_id": ["A"], "decision": ["match"]})
    by = ["county", "age_group", "ethnicity", "sex", "agency", "entry_type", "calworks_match"]
    if not measure.startswith("4B"):
        by.append("placement_type")
    result = compute(measure, frame, "2021-01-01", 2, by=by, links=links,
                     compare_matched=True)
    data = result.to_dict()
    assert len(data["periods"]) == 2
    assert result.to_csv().count("\n") >= 3


@pytest.mark.parametrize(("received", "counted"), [("2021-06-07", 0), ("2021-06-08", 1)])
def test_s1_reports_in_the_first_7_days_are_not_counted(tmp_path, received, counted):
    frame = fc_frame(tmp_path, episode("B", "2021-06-01", "2021-09-01"))
    alg = allegations(tmp_path, [("B", "R1", received, "substantiated", "")])
    assert total(p("S1", frame, allegations=alg)) == (counted, 92)


def test_s1_days_when_in_care_the_whole_period_and_turning_18(tmp_path):
    """In care all of 2021: 365 days (period end − start + 1); turning 18 on 2021-07-01
    after entering in 2020: 181 days (birthday − period start)."""
    frame = fc_frame(tmp_path, episode("A", "2020-06-01"),
                     episode("B", "2020-06-01", birth="2003-07-01"))
    assert total(p("S1", frame, allegations=allegations(tmp_path, []))) == (0, 365 + 181)


def test_service_result_matches_the_cli_json(tmp_path):
    rows = [*episode("A", "2021-02-01", "2021-05-01"), *episode("A", "2021-07-01", number=2)]
    path = write_csv(tmp_path / "fc.csv", rows)
    frame = read_extract(path, FOSTER_CARE_FILE).data
    service = compute("P4", frame, "2021-01-01", masked=True).to_json()
    cli = CliRunner().invoke(main, ["outcomes", "P4", "--foster-care", str(path),
                                    "--period-start", "2021-01-01", "--format", "json",
                                    "--rejects-dir", str(tmp_path)])
    assert cli.stdout.strip() == service
    assert '"total": {"numerator": "M", "denominator": "M", "percent": "M"}' in service
