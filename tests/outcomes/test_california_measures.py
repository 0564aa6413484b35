"""2B/2D, 2F, 4A, C2.1 and the participation rates: one hand-worked case per rule of the
definitions (outcome-measures.md §3), each measure kind once at the CLI, and the boundaries
(quarter, month, 24 hours, 10 days, 24 months, sibling groups across counties)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from fc_history import ADOPTION, episode, placements, write_csv

from linkages.cli import main
from linkages.extracts import read_extract
from linkages.outcomes import MeasureInputError, compute
from linkages.outcomes import files as spec

ALLEGATION_COLUMNS = ["allegation_id", "referral_id", "child_id", "referral_received_dt",
                      "county_cd", "allegation_type", "disposition", "disposition_dt",
                      "incident_dt", "perpetrator_role", "reporter_type"]
REFERRAL_COLUMNS = ["referral_id", "county_cd", "received_dt", "received_time", "response_type"]
CONTACT_COLUMNS = ["contact_id", "referral_id", "child_id", "contact_dt", "contact_time",
                   "service_type", "method", "status", "staff", "party"]
VISIT_COLUMNS = ["visit_id", "child_id", "visit_dt", "method", "status", "location"]
POPULATION_COLUMNS = ["year", "county_cd", "age_group", "ethnic_group", "population", "source"]


def read(path: Path, file_spec) -> pd.DataFrame:
    result = read_extract(path, file_spec)
    assert not result.rejections, result.rejections
    return result.data


def run(*args: str) -> dict:
    result = CliRunner().invoke(main, ["outcomes", *args, "--unmasked", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def total(out: dict, period: int = 0) -> tuple:
    t = out["periods"][period]["total"]
    return t["numerator"], t["denominator"]


def allegation(aid: str, referral: str, child: str, received: str, county: str = "10",
               disposition: str = "") -> dict:
    return {"allegation_id": aid, "referral_id": referral, "child_id": child,
            "referral_received_dt": received, "county_cd": county,
            "allegation_type": "physical_abuse", "disposition": disposition}


def referral(rid: str, received: str, time: str, kind: str, county: str = "10") -> dict:
    return {"referral_id": rid, "county_cd": county, "received_dt": received,
            "received_time": time, "response_type": kind}


def contact(cid: str, rid: str, child: str, day: str, time: str, *, service="investigate_referral",
            method="in_person", status="completed", staff="Y", party="child") -> dict:
    return {"contact_id": cid, "referral_id": rid, "child_id": child, "contact_dt": day,
            "contact_time": time, "service_type": service, "method": method, "status": status,
            "staff": staff, "party": party}


# --- 2B / 2D ------------------------------------------------------------------------------------


@pytest.fixture
def timely_files(tmp_path: Path, fc_file) -> list[str]:
    """Quarter Jan-Mar 2021. Immediate referrals: R1 seen 23h59 later (timely); R2 seen exactly
    24h later (timely); R3 24h01 later (not); R4 a phone call within the hour and an in-person
    visit 2 days later (not); R5 in person within the hour but by a non-staff person (not);
    R6 an attempted visit within the hour (2B timely; 2D not: not completed); R7 two children,
    only the second seen, and she has no allegation on it (2B timely: any child; 2D not);
    R8 received 31 March (in the quarter, not timely); R9 received 1 April (next quarter);
    R10 a contact 1 hour *before* the receipt time (not).
    10-day referrals: T1 3-day seen on day 10 at 23:00 (timely: calendar days); T2 10-day
    seen on day 11 (not); T3 5-day seen the same day, contact party a parent (2B timely; 2D
    not); T4 evaluate out (in neither denominator)."""
    refs = [referral("R1", "2021-01-05", "08:00", "immediate"),
            referral("R2", "2021-01-05", "08:00", "immediate"),
            referral("R3", "2021-01-05", "08:00", "immediate"),
            referral("R4", "2021-02-01", "10:30", "immediate"),
            referral("R5", "2021-02-01", "10:30", "immediate"),
            referral("R6", "2021-02-01", "10:30", "immediate"),
            referral("R7", "2021-02-01", "10:30", "immediate", county="19"),
            referral("R8", "2021-03-31", "22:00", "immediate"),
            referral("R9", "2021-04-01", "00:10", "immediate"),
            referral("R10", "2021-03-01", "12:00", "immediate"),
            referral("T1", "2021-01-10", "09:00", "3_day"),
            referral("T2", "2021-01-10", "09:00", "10_day"),
            referral("T3", "2021-01-10", "09:00", "5_day"),
            referral("T4", "2021-01-10", "09:00", "evaluate_out")]
    contacts = [contact("c1", "R1", "A1", "2021-01-06", "07:59"),
                contact("c2", "R2", "A2", "2021-01-06", "08:00"),
                contact("c3", "R3", "A3", "2021-01-06", "08:01"),
                contact("c4", "R4", "A4", "2021-02-01", "11:00", method="phone"),
                contact("c5", "R4", "A4", "2021-02-03", "11:00"),
                contact("c6", "R5", "A5", "2021-02-01", "11:00", staff="N"),
                contact("c7", "R6", "A6", "2021-02-01", "11:00", status="attempted"),
                contact("c8", "R7", "A7b", "2021-02-01", "12:00"),
                contact("c9", "R9", "A9", "2021-04-01", "01:00"),
                contact("c10", "R10", "A10", "2021-03-01", "11:00"),
                contact("c11", "T1", "B1", "2021-01-20", "23:00"),
                contact("c12", "T2", "B2", "2021-01-21", "08:00"),
                contact("c13", "T3", "B3", "2021-01-10", "15:00", party="other")]
    allegations = [allegation(f"a{i}", r["referral_id"], c, r["received_dt"])
                   for i, (r, c) in enumerate(zip(refs, ["A1", "A2", "A3", "A4", "A5", "A6",
                                                         "A7", "A8", "A9", "A10", "B1", "B2",
                                                         "B3", "B4"], strict=True))]
    fc = fc_file(episode("X", "2020-01-01"))
    return ["--foster-care", str(fc),
            "--referrals", str(write_csv(tmp_path / "refs.csv", refs, REFERRAL_COLUMNS)),
            "--contacts", str(write_csv(tmp_path / "contacts.csv", contacts, CONTACT_COLUMNS)),
            "--allegations", str(write_csv(tmp_path / "alleg.csv", allegations,
                                           ALLEGATION_COLUMNS)),
            "--rejects-dir", str(tmp_path)]


def test_2b_immediate_at_the_cli(timely_files):
    out = run("2B-IMM", *timely_files, "--period-start", "2021-01-01", "--periods", "2")
    # R1 R2 R6 R7 timely of R1-R8 and R10 (9); next quarter: R9 timely of 1.
    assert out["periods"][0]["start"] == "2021-01-01"
    assert out["periods"][0]["end"] == "2021-03-31"
    assert total(out, 0) == (4, 9)
    assert total(out, 1) == (1, 1)


def test_2b_ten_day_pooled_and_calendar_days(timely_files):
    out = run("2B-10DAY", *timely_files, "--period-start", "2021-01-01")
    assert total(out) == (2, 3)  # T1 and T3 of T1-T3


def test_2d_completed_and_child_with_allegation(timely_files):
    assert total(run("2D-IMM", *timely_files, "--period-start", "2021-01-01")) == (2, 9)
    assert total(run("2D-10DAY", *timely_files, "--period-start", "2021-01-01")) == (1, 3)


def test_2b_by_county_and_matched(timely_files, tmp_path):
    links = write_csv(tmp_path / "links.csv",
                      [{"left_id": "L1", "right_id": "A7", "match_probability": "0.99",
                        "match_weight": "12", "decision": "match"}],
                      ["left_id", "right_id", "match_probability", "match_weight", "decision"])
    out = run("2B-IMM", *timely_files, "--period-start", "2021-01-01", "--by", "county",
              "--by", "calworks_match", "--links", str(links))
    rows = {(r["group"]["county"], r["group"]["calworks_match"]): (r["numerator"],
                                                                  r["denominator"])
            for r in out["periods"][0]["rows"]}
    assert rows[("Los Angeles", "Matched")] == (1, 1)
    assert rows[("Fresno", "Not matched")] == (3, 8)


def test_2b_quarter_start_is_checked(timely_files):
    result = CliRunner().invoke(main, ["outcomes", "2B-IMM", *timely_files,
                                       "--period-start", "2021-02-01"])
    assert result.exit_code == 2
    assert "not the first day of January, April, July or October" in result.output


def test_2b_needs_its_files(fc_file):
    result = CliRunner().invoke(main, ["outcomes", "2B-IMM", "--foster-care",
                                       str(fc_file(episode("X", "2020-01-01"))),
                                       "--period-start", "2021-01-01"])
    assert result.exit_code == 2
    assert "--referrals" in result.output


# --- 2F -----------------------------------------------------------------------------------------


def visit(vid: str, child: str, day: str, *, method="in_person", status="completed",
          location="placement") -> dict:
    return {"visit_id": vid, "child_id": child, "visit_dt": day, "method": method,
            "status": status, "location": location}


@pytest.fixture
def visit_files(tmp_path: Path, fc_file) -> list[str]:
    """March 2021 (31 days). A: in care all month, visited in the placement. B: visited at
    school. C: entered 2 March (not a full month). D: left 31 March (a full month), visited by
    phone only. E: left 30 March (not full). F: visit attempted, not completed. G: in care all
    month, visited 1 April (next month). H: probation (in 2F's default cohort: child-welfare-
    and probation-supervised care), visited in the placement."""
    fc = fc_file(episode("A", "2020-01-01"), episode("B", "2020-06-01"),
                 episode("C", "2021-03-02"), episode("D", "2021-01-01", "2021-03-31"),
                 episode("E", "2021-01-01", "2021-03-30"), episode("F", "2021-03-01"),
                 episode("G", "2021-02-15"), episode("H", "2020-01-01", agency="33"))
    visits = [visit("v1", "A", "2021-03-15"), visit("v2", "B", "2021-03-01", location="school"),
              visit("v3", "C", "2021-03-20"), visit("v4", "D", "2021-03-31", method="phone"),
              visit("v5", "E", "2021-03-10"), visit("v6", "F", "2021-03-10", status="attempted"),
              visit("v7", "G", "2021-04-01"), visit("v8", "H", "2021-03-10")]
    return ["--foster-care", str(fc),
            "--visits", str(write_csv(tmp_path / "visits.csv", visits, VISIT_COLUMNS)),
            "--rejects-dir", str(tmp_path)]


def test_2f_each_month_at_the_cli(visit_files):
    out = run("2F-M", *visit_files, "--period-start", "2021-03-01", "--periods", "2")
    assert (out["periods"][0]["start"], out["periods"][0]["end"]) == ("2021-03-01", "2021-03-31")
    assert out["agencies"] == ["Child Welfare", "Probation"]
    assert total(out, 0) == (3, 6)  # A, B, H of A, B, D, F, G, H
    # April: A, B, C, F, G, H in care all month (D and E left); G visited.
    assert total(out, 1) == (1, 6)
    loc = run("2F-LOC-M", *visit_files, "--period-start", "2021-03-01")
    assert total(loc) == (2, 3)  # of A, B and H, A and H were seen in the placement
    assert "children" not in loc["periods"][0]["total"]  # a month: the denominator itself


def test_2f_agency_restricts_the_default_cohort(visit_files):
    welfare = run("2F-M", *visit_files, "--period-start", "2021-03-01",
                  "--agency", "Child Welfare")
    assert welfare["agencies"] == ["Child Welfare"]
    assert total(welfare) == (2, 5)  # H, on probation, is out
    probation = run("2F-M", *visit_files, "--period-start", "2021-03-01", "--agency", "Probation")
    assert total(probation) == (1, 1)
    by_agency = run("2F-M", *visit_files, "--period-start", "2021-03-01", "--by", "agency")
    assert by_agency["agencies"] == ["Child Welfare", "Probation"]  # not Other
    assert {r["group"]["agency"]: (r["numerator"], r["denominator"])
            for r in by_agency["periods"][0]["rows"]} == {"Child Welfare": (2, 5),
                                                           "Probation": (1, 1)}


def test_2f_by_year_sums_the_months(visit_files):
    year = run("2F", *visit_files, "--period-start", "2021-01-01")
    months = [run("2F-M", *visit_files, "--period-start", f"2021-{m:02d}-01") for m in
              range(1, 13)]
    assert total(year) == (sum(total(m)[0] for m in months), sum(total(m)[1] for m in months))
    assert total(year)[0] == 4  # A, B and H in March, G in April


def test_2f_by_year_counts_children_of_group_1_once(tmp_path, fc_file):
    """2021. K: in care all year, in Fresno to 30 June, then in Kern (a full month in each
    county: 6 + 6 child-months). L: in Fresno from 2021-11-15 (December only). M: entered
    2021-12-02 (no full month: not in group 1). N: left 2021-01-30 (no full month).
    Unduplicated children of group 1: K and L in the state (2, not 3); Fresno K and L (2),
    Kern K (1): the counties sum to 3, more than the state."""
    fc = fc_file(placements("K", "2020-06-01", "", "", [
                     {"placement_start": "2020-06-01", "placement_end": "2021-06-30"},
                     {"placement_start": "2021-06-30", "placement_end": "", "county_cd": "15"}]),
                 episode("L", "2021-11-15"), episode("M", "2021-12-02"),
                 episode("N", "2020-01-01", "2021-01-30"))
    visits = [visit("v1", "K", "2021-03-15"), visit("v2", "L", "2021-12-01")]
    files = ["--foster-care", str(fc),
             "--visits", str(write_csv(tmp_path / "visits.csv", visits, VISIT_COLUMNS)),
             "--rejects-dir", str(tmp_path)]
    out = run("2F", *files, "--period-start", "2021-01-01", "--by", "county")
    t = out["periods"][0]["total"]
    assert (t["numerator"], t["denominator"], t["children"]) == (2, 13, 2)
    rows = {r["group"]["county"]: (r["numerator"], r["denominator"], r["children"])
            for r in out["periods"][0]["rows"]}
    assert rows == {"Fresno": (2, 7, 2), "Kern": (0, 6, 1)}
    # 2F-LOC's children are group 1's too, though its denominator is group 2.
    loc = run("2F-LOC", *files, "--period-start", "2021-01-01")["periods"][0]["total"]
    assert (loc["numerator"], loc["denominator"], loc["children"]) == (2, 2, 2)
    # Masked output: counts of 1-10 masked (and, were any shown, their complements).
    masked = CliRunner().invoke(main, ["outcomes", "2F", *files, "--period-start",
                                       "2021-01-01", "--format", "csv", "--by", "county"])
    assert masked.exit_code == 0, masked.output
    header, *lines = masked.stdout.splitlines()
    assert header.split(",")[-1] == "children"
    assert all(line.split(",")[-1] == "M" for line in lines)


def test_2f_month_start_must_be_a_first(visit_files):
    result = CliRunner().invoke(main, ["outcomes", "2F-M", *visit_files, "--period-start",
                                       "2021-03-02"])
    assert result.exit_code == 2 and "first day of a month" in result.output


def test_2f_children_counts_are_masked_with_their_complement(tmp_path, fc_file):
    """15 children in care all of 2021: 12 in Fresno, 3 in Kern. Kern's 3 is masked, and so is
    Fresno's 12, which the state's 15 would otherwise give away."""
    kids = [f"F{i}" for i in range(12)] + [f"K{i}" for i in range(3)]
    fc = fc_file(*[episode(k, "2020-01-01", county="15" if k[0] == "K" else "10")
                   for k in kids])
    visits = [visit(f"v{k}", k, "2021-03-15") for k in kids]
    out = json.loads(CliRunner().invoke(main, [
        "outcomes", "2F", "--foster-care", str(fc), "--visits",
        str(write_csv(tmp_path / "visits.csv", visits, VISIT_COLUMNS)), "--rejects-dir",
        str(tmp_path), "--period-start", "2021-01-01", "--by", "county", "--format",
        "json"]).stdout)
    period = out["periods"][0]
    assert period["total"]["children"] == 15
    assert {r["group"]["county"]: r["children"] for r in period["rows"]} == {"Fresno": "M",
                                                                              "Kern": "M"}


# --- 4A -----------------------------------------------------------------------------------------

SIBLING_COLUMNS = ["child_id", "sibling_id", "relationship"]
HOME_COLUMNS = ["episode_id", "placement_start", "placement_home_id"]


def home(child: str, start: str, home_id: str, number: int = 1) -> dict:
    return {"episode_id": f"{child}-E{number}", "placement_start": start,
            "placement_home_id": home_id}


@pytest.fixture
def sibling_files(tmp_path: Path, fc_file) -> list[str]:
    """1 April 2021, Fresno unless said. Group A1, A2, A3 (whole siblings): A1 and A2 in home
    H1, A3 in H2. -> A1: some, not all; A2 the same; A3: neither.
    Pair B1, B2 together in H3 -> both all. C1 alone in care (sibling C2 not in care) -> group
    of one, out. D1 in Fresno, D2 in Los Angeles, same home id by chance -> groups of one, out.
    E1, E2: E1's placement ended 2021-03-01 but her episode is open (last known home H5), E2
    in H5 -> together. F1 entered on 2021-04-01 (in care that day), F2 left on 2021-04-01 (in
    care that day), both in H6 -> together. G1 and G2 left on 2021-03-31 -> not in care."""
    fc = fc_file(
        episode("A1", "2020-01-01"), episode("A2", "2020-01-01"), episode("A3", "2020-02-01"),
        episode("B1", "2020-05-01"), episode("B2", "2020-05-01"), episode("C1", "2020-05-01"),
        episode("D1", "2020-05-01"), episode("D2", "2020-05-01", county="19"),
        placements("E1", "2020-05-01", "", "", [{"placement_start": "2020-05-01",
                                                 "placement_end": "2021-03-01"}]),
        episode("E2", "2020-05-01"),
        episode("F1", "2021-04-01"), episode("F2", "2020-05-01", "2021-04-01"),
        episode("G1", "2020-05-01", "2021-03-31"), episode("G2", "2020-05-01", "2021-03-31"))
    sibs = [("A1", "A2"), ("A2", "A3"), ("A3", "A1"), ("B2", "B1"), ("C1", "C2"), ("D1", "D2"),
            ("E1", "E2"), ("F1", "F2"), ("G1", "G2")]
    homes = [home("A1", "2020-01-01", "H1"), home("A2", "2020-01-01", "H1"),
             home("A3", "2020-02-01", "H2"), home("B1", "2020-05-01", "H3"),
             home("B2", "2020-05-01", "H3"), home("C1", "2020-05-01", "H4"),
             home("D1", "2020-05-01", "H9"), home("D2", "2020-05-01", "H9"),
             home("E1", "2020-05-01", "H5"), home("E2", "2020-05-01", "H5"),
             home("F1", "2021-04-01", "H6"), home("F2", "2020-05-01", "H6"),
             home("G1", "2020-05-01", "H7"), home("G2", "2020-05-01", "H7")]
    return ["--foster-care", str(fc),
            "--siblings", str(write_csv(tmp_path / "sibs.csv",
                                        [{"child_id": a, "sibling_id": b, "relationship":
                                          "whole"} for a, b in sibs], SIBLING_COLUMNS)),
            "--placement-homes", str(write_csv(tmp_path / "homes.csv", homes, HOME_COLUMNS)),
            "--rejects-dir", str(tmp_path)]


def test_4a_all_and_some_at_the_cli(sibling_files):
    out = run("4A-ALL", *sibling_files, "--period-start", "2021-04-01")
    assert (out["periods"][0]["start"], out["periods"][0]["end"]) == ("2021-04-01", "2021-04-01")
    # Denominator A1 A2 A3 B1 B2 E1 E2 F1 F2 (9); all: B1 B2 E1 E2 F1 F2.
    assert total(out) == (6, 9)
    assert total(run("4A-SOME", *sibling_files, "--period-start", "2021-04-01")) == (8, 9)
    assert total(run("4A-MISSING", *sibling_files, "--period-start", "2021-04-01")) == (0, 9)


def test_4a_missing_home_is_a_category_of_the_same_denominator(tmp_path, fc_file):
    """1 April 2021, Fresno. P1, P2, P3 siblings in care: P1 and P2 in home H1, P3's placement
    has no placement homes row. Denominator 3. Missing: P3 (1). All: none (P1 and P2 are not
    with P3, whose home is unknown). Some or all: P1, P2 (2). None: 0. 1 + 2 + 0 = 3.
    Q1, Q2: Q2's episode has begun (2021-03-01) but her first placement only starts
    2021-04-02: no placement, so no county that day, and sibling groups are formed within
    county: Q1 and Q2 are groups of one, out of the denominator (not Missing)."""
    fc = fc_file(episode("P1", "2020-01-01"), episode("P2", "2020-01-01"),
                 episode("P3", "2020-01-01"), episode("Q1", "2020-01-01"),
                 placements("Q2", "2021-03-01", "", "", [{"placement_start": "2021-04-02"}]))
    homes = [home("P1", "2020-01-01", "H1"), home("P2", "2020-01-01", "H1"),
             home("Q1", "2020-01-01", "H2"), home("Q2", "2021-04-02", "H2")]
    files = ["--foster-care", str(fc),
             "--siblings", str(write_csv(tmp_path / "sibs.csv", [
                 {"child_id": a, "sibling_id": b, "relationship": "whole"}
                 for a, b in (("P1", "P2"), ("P2", "P3"), ("P1", "P3"), ("Q1", "Q2"))],
                 SIBLING_COLUMNS)),
             "--placement-homes", str(write_csv(tmp_path / "homes.csv", homes, HOME_COLUMNS)),
             "--rejects-dir", str(tmp_path), "--period-start", "2021-04-01"]
    assert total(run("4A-MISSING", *files)) == (1, 3)
    assert total(run("4A-ALL", *files)) == (0, 3)
    assert total(run("4A-SOME", *files)) == (2, 3)


def test_4a_sibling_group_split_across_counties(sibling_files):
    out = run("4A-SOME", *sibling_files, "--period-start", "2021-04-01", "--by", "county")
    counties = {r["group"]["county"] for r in out["periods"][0]["rows"]}
    assert counties == {"Fresno"}  # D2 in Los Angeles has no sibling in care there


def test_4a_quarters_one_apart(sibling_files):
    out = run("4A-SOME", *sibling_files, "--period-start", "2021-01-01", "--periods", "2")
    assert [p["start"] for p in out["periods"]] == ["2021-01-01", "2021-04-01"]
    # 1 January: F1 not yet in care; G1 and G2 in care together; E1 in her placement.
    assert total(out, 0) == (8, 9)


def test_sibling_file_rejects_self_and_repeated_pairs(tmp_path):
    path = write_csv(tmp_path / "sibs.csv", [
        {"child_id": "A", "sibling_id": "B", "relationship": "half"},
        {"child_id": "B", "sibling_id": "A", "relationship": "half"},
        {"child_id": "C", "sibling_id": "C", "relationship": "whole"},
        {"child_id": "D", "sibling_id": "E", "relationship": "cousin"}], SIBLING_COLUMNS)
    result = read_extract(path, spec.SIBLING_FILE)
    assert (result.read, result.accepted, result.rejected, result.blanked) == (4, 2, 2, 1)


# --- C2.1 ---------------------------------------------------------------------------------------


def test_c21_adoption_within_24_months(tmp_path):
    """Adoptions in 2021. A: removed 2019-03-15, adopted 2021-03-14 (less than 24 months).
    B: removed 2019-03-15, adopted 2021-03-15 (24 months: not less). C: removed 2020-01-01,
    adopted 2021-06-01 after an earlier episode from 2016 (the latest removal counts). D:
    reunified (not an adoption). E: adopted 2022-01-01 (next period)."""
    frame = read(write_csv(tmp_path / "fc.csv", [r for ep in (
        episode("A", "2019-03-15", "2021-03-14", ADOPTION),
        episode("B", "2019-03-15", "2021-03-15", ADOPTION),
        episode("C", "2016-01-01", "2017-01-01", number=1),
        episode("C", "2020-01-01", "2021-06-01", ADOPTION, number=2),
        episode("D", "2020-01-01", "2021-06-01"),
        episode("E", "2021-01-01", "2022-01-01", ADOPTION)) for r in ep]),
        spec.FOSTER_CARE_FILE)
    result = compute("C2.1", frame, "2021-01-01", masked=False)
    assert (result.periods[0].total.numerator, result.periods[0].total.denominator) == (2, 3)


# --- participation rates ------------------------------------------------------------------------


def population_rows(year: int, counties=range(1, 59), per_cell: int = 1000) -> list[dict]:
    return [{"year": str(year), "county_cd": str(c), "age_group": "6-10 yrs",
             "ethnic_group": "Latino", "population": str(per_cell), "source": "test"}
            for c in counties]


@pytest.fixture
def rate_files(tmp_path: Path, fc_file):
    """2021. Referrals: A (age 8, two referrals: counted once), B (age 8, substantiated),
    C (age 19: out), D (referred 2020: out). Entries: E (age 8) and A (a 4-day stay: an entry
    all the same) in 2021; F in 2020 (out).
    Population 1,000 Latino children aged 6-10 in each of the 58 counties."""
    fc = fc_file(episode("E", "2021-05-01", birth="2013-01-01"),
                 episode("F", "2020-05-01", birth="2013-01-01"),
                 episode("A", "2021-03-01", "2021-03-05", birth="2013-01-01"))
    children = write_csv(tmp_path / "kids.csv", [
        {"record_id": k, "dob": dob, "ethnicity_cd": "830", "hispanic": "Y"}
        for k, dob in (("A", "2013-01-01"), ("B", "2013-01-01"), ("C", "2001-01-01"),
                       ("D", "2013-01-01"))], ["record_id", "dob", "ethnicity_cd", "hispanic"])
    alleg = write_csv(tmp_path / "alleg.csv", [
        allegation("1", "R1", "A", "2021-02-01"), allegation("2", "R2", "A", "2021-03-01"),
        allegation("3", "R3", "B", "2021-04-01", disposition="substantiated"),
        allegation("4", "R4", "C", "2021-04-01"), allegation("5", "R5", "D", "2020-04-01")],
        ALLEGATION_COLUMNS)

    def make(rows: list[dict]) -> list[str]:
        pop = write_csv(tmp_path / "population.csv", rows, POPULATION_COLUMNS)
        return ["--foster-care", str(fc), "--allegations", str(alleg), "--children",
                str(children), "--population", str(pop), "--rejects-dir", str(tmp_path)]
    return make


def test_rates_per_1000_children_at_the_cli(rate_files):
    args = rate_files(population_rows(2021))
    ref = run("REF-RATE", *args, "--period-start", "2021-01-01")
    assert total(ref) == (2, 58_000)
    assert ref["periods"][0]["total"]["rate"] == round(2 / 58_000 * 1000, 2)
    assert ref["rate_per_children"] == 1000
    assert total(run("SUB-RATE", *args, "--period-start", "2021-01-01")) == (1, 58_000)
    assert total(run("ENTRY-RATE", *args, "--period-start", "2021-01-01")) == (2, 58_000)
    by = run("REF-RATE", *args, "--period-start", "2021-01-01", "--by", "county", "--by",
             "age_group", "--by", "ethnicity")
    fresno = [r for r in by["periods"][0]["rows"] if r["group"]["county"] == "Fresno"]
    assert [(r["numerator"], r["denominator"]) for r in fresno] == [(2, 1000)]


def test_population_with_a_missing_county_is_a_clear_error(rate_files):
    args = rate_files(population_rows(2021, counties=[c for c in range(1, 59) if c != 19]))
    result = CliRunner().invoke(main, ["outcomes", "REF-RATE", *args,
                                       "--period-start", "2021-01-01"])
    assert result.exit_code == 2
    assert "no children for county 19 Los Angeles in 2021" in result.output
    assert "Traceback" not in result.output


def test_population_of_another_year_is_a_clear_error(rate_files):
    args = rate_files(population_rows(2019))
    result = CliRunner().invoke(main, ["outcomes", "ENTRY-RATE", *args,
                                       "--period-start", "2021-01-01"])
    assert result.exit_code == 2 and "no rows for 2021" in result.output


def test_rates_cannot_compare_matched(rate_files, tmp_path):
    links = write_csv(tmp_path / "links.csv", [], ["left_id", "right_id", "match_probability",
                                                   "match_weight", "decision"])
    result = CliRunner().invoke(main, ["outcomes", "REF-RATE", *rate_files(population_rows(2021)),
                                       "--period-start", "2021-01-01", "--compare-matched",
                                       "--links", str(links)])
    assert result.exit_code == 2 and "no CalWORKs split" in result.output


def test_population_year_is_the_midpoint_year():
    from linkages.outcomes.ccwip import population_year
    from linkages.outcomes.core import rolling_periods
    assert [population_year(p) for p in rolling_periods("2018-10-01", 4)] == [
        2019, 2019, 2019, 2019]
    assert population_year(rolling_periods("2020-01-01")[0]) == 2020


def test_compute_reports_a_missing_input():
    frame = pd.DataFrame(columns=[c.name for c in spec.FOSTER_CARE_FILE.columns])
    with pytest.raises(MeasureInputError, match="--visits"):
        compute("2F", frame, "2021-01-01")


# --- bad and degenerate input, masking, comparison ---------------------------------------------


def test_contacts_without_a_required_column_stop_with_the_file_and_column(timely_files,
                                                                         tmp_path):
    bad = write_csv(tmp_path / "bad_contacts.csv", [], [c for c in CONTACT_COLUMNS
                                                        if c != "staff"])
    args = list(timely_files)
    args[args.index("--contacts") + 1] = str(bad)
    result = CliRunner().invoke(main, ["outcomes", "2B-IMM", *args, "--period-start",
                                       "2021-01-01"])
    assert result.exit_code == 2
    assert "bad_contacts.csv" in result.output and "staff" in result.output


def test_header_only_contacts_give_no_timely_referral(timely_files, tmp_path):
    empty = write_csv(tmp_path / "empty.csv", [], CONTACT_COLUMNS)
    args = list(timely_files)
    args[args.index("--contacts") + 1] = str(empty)
    assert total(run("2B-IMM", *args, "--period-start", "2021-01-01")) == (0, 9)


def test_bad_referral_rows_are_set_aside_with_reasons(tmp_path, timely_files):
    path = write_csv(tmp_path / "refs2.csv", [
        referral("R1", "2021-01-05", "08:00", "immediate"),
        referral("R1", "2021-01-05", "08:00", "immediate"),     # duplicate id
        referral("R2", "2021-01-05", "25:00", "immediate"),     # not a time
        referral("R3", "2021-01-05", "08:00", "tomorrow")],     # not a response type
        REFERRAL_COLUMNS)
    args = list(timely_files)
    args[args.index("--referrals") + 1] = str(path)
    result = CliRunner().invoke(main, ["outcomes", "2B-IMM", *args, "--period-start",
                                       "2021-01-01", "--unmasked"])
    assert result.exit_code == 0, result.output
    assert "refs2.csv: read 4 = accepted 1 + rejected 3" in result.stderr
    rejects = pd.read_csv(tmp_path / "refs2.rejects.csv")
    assert set(rejects["column"]) == {"referral_id", "received_time", "response_type"}


def test_new_measures_are_masked_with_complementary_suppression(visit_files):
    """By county, March 2021: Fresno 5 children (a count of 1-10: masked) and the total; the
    total's numerator 2 is masked too, and nothing else reveals them."""
    out = CliRunner().invoke(main, ["outcomes", "2F-M", *visit_files, "--period-start",
                                    "2021-03-01", "--by", "county", "--format", "json"])
    assert out.exit_code == 0, out.output
    period = json.loads(out.stdout)["periods"][0]
    assert period["total"] == {"numerator": "M", "denominator": "M", "percent": "M"}
    assert all(r["numerator"] == "M" for r in period["rows"])


def test_4a_compares_matched_children(sibling_files, tmp_path):
    links = write_csv(tmp_path / "links.csv",
                      [{"left_id": f"L{c}", "right_id": c, "match_probability": "0.99",
                        "match_weight": "12", "decision": "match"} for c in ("A1", "A2", "B1")],
                      ["left_id", "right_id", "match_probability", "match_weight", "decision"])
    out = run("4A-SOME", *sibling_files, "--period-start", "2021-04-01", "--compare-matched",
              "--links", str(links))
    comp = out["periods"][0]["total"]["comparison"]
    assert (comp["matched"]["numerator"], comp["matched"]["denominator"]) == (3, 3)
    assert (comp["other"]["numerator"], comp["other"]["denominator"]) == (5, 6)
    assert comp["small_counts"] is True
    csv_out = CliRunner().invoke(main, ["outcomes", "4A-SOME", *sibling_files, "--period-start",
                                        "2021-04-01", "--compare-matched", "--links",
                                        str(links), "--format", "csv", "--unmasked"])
    header = csv_out.stdout.splitlines()[0].split(",")
    assert {"matched_numerator", "other_percent", "ratio"} <= set(header)


def test_parquet_cache_gives_the_same_rows_and_rejects(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "refs.csv", [
        referral("R1", "2021-01-05", "08:00", "immediate"),
        referral("R2", "2021-01-05", "8h", "immediate")], REFERRAL_COLUMNS)
    cache = tmp_path / "cache"
    first, _ = spec.read_input(path, spec.REFERRAL_FILE, cache_dir=cache)
    assert len(list(cache.glob("*.parquet"))) == 1
    # The second read comes from the cache: the CSV is not validated again.
    with monkeypatch.context() as m:
        m.setattr(spec, "read_extract", lambda *a: pytest.fail("read the CSV again"))
        again, _ = spec.read_input(path, spec.REFERRAL_FILE, cache_dir=cache)
    assert (again.read, again.accepted, again.rejected) == (2, 1, 1)
    assert again.rejections == first.rejections
    pd.testing.assert_frame_equal(again.data, first.data)
    # A changed file is read again.
    write_csv(path, [referral("R3", "2021-01-05", "09:00", "10_day")], REFERRAL_COLUMNS)
    changed, _ = spec.read_input(path, spec.REFERRAL_FILE, cache_dir=cache)
    assert list(changed.data["referral_id"]) == ["R3"]


def test_the_cache_keeps_only_the_columns_the_measures_read(tmp_path):
    path = write_csv(tmp_path / "kids.csv", [
        {"record_id": "C1", "first_name": "Ana", "ssn": "123-45-6789", "dob": "2015-01-02",
         "sex": "F", "ethnicity_cd": "839", "hispanic": "N"}],
        ["record_id", "first_name", "ssn", "dob", "sex", "ethnicity_cd", "hispanic"])
    cache = tmp_path / "cache"
    direct, _ = spec.read_input(path, spec.CWS_CHILDREN_FILE)
    cached, _ = spec.read_input(path, spec.CWS_CHILDREN_FILE, cache_dir=cache)
    again, _ = spec.read_input(path, spec.CWS_CHILDREN_FILE, cache_dir=cache)
    columns = ["record_id", "dob", "sex", "ethnicity_cd", "hispanic"]
    assert list(direct.data.columns) == list(cached.data.columns) == columns
    pd.testing.assert_frame_equal(again.data, direct.data)
    stored = pd.read_parquet(next(cache.glob("*.parquet")))
    assert "ssn" not in stored.columns and "first_name" not in stored.columns
