"""`linkages match|explain|evaluate` at the command level, on small files written here."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from matching_cases import person_files, write

from linkages.cli import main


def run_match(tmp_path: Path, left: pd.DataFrame, right: pd.DataFrame,
              ) -> tuple[pd.DataFrame, dict, object]:
    lp, rp = write(left, tmp_path / "tanf.csv"), write(right, tmp_path / "cws.csv")
    out, stats = tmp_path / "out" / "links.csv", tmp_path / "out" / "stats.json"
    result = CliRunner().invoke(main, ["match", "--left", str(lp), "--right", str(rp),
                                       "--out", str(out), "--stats", str(stats),
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    links = pd.read_csv(out, dtype=str, keep_default_na=False)
    return links, json.loads(stats.read_text()), result


def matched(links: pd.DataFrame) -> set[tuple[str, str]]:
    m = links[links["decision"] == "match"]
    return set(zip(m["left_id"], m["right_id"], strict=True))


def add(frame: pd.DataFrame, **row: str) -> pd.DataFrame:
    base = {c: "" for c in frame.columns}
    base.update(row)
    return pd.concat([frame, pd.DataFrame([base])], ignore_index=True)


FAMILY = {"county_cd": "10", "zip": "93701", "address": "123 TULARE ST",
          "parent_first_name": "GUADALUPE", "parent_last_name": "ZAMUDIO"}


def test_plain_copies_link_and_stats_follow_the_contract(tmp_path: Path) -> None:
    left, right = person_files()
    links, stats, _ = run_match(tmp_path, left, right)
    assert list(links.columns[:5]) == ["left_id", "right_id", "match_probability",
                                       "match_weight", "decision"]
    truth = {(f"L{i}", f"R{i}") for i in range(250)}
    found = matched(links)
    assert len(found & truth) >= 245
    assert len(found - truth) <= 3
    for key in ("left_records", "left_persons", "left_persons_matched", "left_match_rate",
                "right_records", "right_persons", "right_persons_matched", "right_match_rate",
                "right_case_persons", "right_case_persons_matched", "right_case_match_rate"):
        assert key in stats
    assert stats["left_records"] == 600 and stats["right_records"] == 550
    assert abs(stats["left_match_rate"] - 250 / 600) < 0.01
    assert stats["expected_false_matches"] >= 0 and "expected_missed_matches" in stats
    assert stats["m_not_estimated"] == []  # every field's m measured on these files


def test_hard_cases_link(tmp_path: Path) -> None:
    left, right = person_files()
    cases = [  # (left overrides, right overrides)
        ({"first_name": "MARIA", "last_name": "GARCIA LOPEZ"}, {"first_name": "MARIA",
                                                                "last_name": "GARCIA"}),
        ({"first_name": "JOSÉ", "last_name": "MUÑOZ-PEÑA"}, {"first_name": "JOSE",
                                                             "last_name": "MUNOZ PENA"}),
        ({"first_name": "ROSA", "last_name": "DE LA CRUZ"}, {"first_name": "ROSA",
                                                             "last_name": "DELACRUZ"}),
        ({"first_name": "FRANCISCO", "last_name": "OROZCO"}, {"first_name": "PANCHO",
                                                              "last_name": "OROZCO"}),
        ({"first_name": "WILLIAM", "last_name": "O'NEAL"}, {"first_name": "BILLY",
                                                            "last_name": "ONEAL"}),
        ({"first_name": "YESENIA", "last_name": "ALVAREZ", "dob": "2012-03-04"},
         {"first_name": "YESENIA", "last_name": "ALVAREZ", "dob": "2012-04-03"}),
        ({"first_name": "BRIAN", "last_name": "QUEZADA"}, {"first_name": "BRIAN",
                                                           "last_name": "QUEZADA", "ssn": ""}),
    ]
    for k, (lo, ro) in enumerate(cases):
        common = {"dob": f"2010-0{k + 1}-1{k}", "sex": "M", "ssn": f"55512{k:04d}",
                  "county_cd": "19", "zip": f"9000{k}", "address": f"{k}00 HOPE ST",
                  "parent_first_name": "ANA", "parent_last_name": lo["last_name"]}
        left = add(left, record_id=f"HL{k}", **{**common, **lo})
        right = add(right, record_id=f"HR{k}", **{**common, **ro})
    links, _, _ = run_match(tmp_path, left, right)
    found = matched(links)
    missing = [k for k in range(len(cases)) if (f"HL{k}", f"HR{k}") not in found]
    assert missing == []


def test_twins_do_not_link_but_each_twin_does(tmp_path: Path) -> None:
    left, right = person_files()
    twin = {"last_name": "ZAMUDIO", "dob": "2015-06-01", "sex": "F", **FAMILY}
    # One twin in CalWORKs only, the other in CWS only: same family, never one child.
    left = add(left, record_id="TA", first_name="ALMA", ssn="", **twin)
    right = add(right, record_id="TB", first_name="BERTA", ssn="", **twin)
    # Twins in both systems: each links to herself, neither to her sister.
    other = {**twin, "dob": "2016-02-03", "zip": "93702", "address": "9 VENTURA ST"}
    left = add(left, record_id="TC", first_name="CARMEN", ssn="", **other)
    left = add(left, record_id="TD", first_name="DELIA", ssn="", **other)
    right = add(right, record_id="TC2", first_name="CARMEN", ssn="", **other)
    right = add(right, record_id="TD2", first_name="DELIA", ssn="", **other)
    links, _, _ = run_match(tmp_path, left, right)
    found = matched(links)
    assert ("TA", "TB") not in found
    assert {("TC", "TC2"), ("TD", "TD2")} <= found
    assert not {("TC", "TD2"), ("TD", "TC2")} & found


def test_newborn_placeholder_is_missing_not_a_name(tmp_path: Path) -> None:
    left, right = person_files()
    left = add(left, record_id="NB1", first_name="BABY BOY", last_name="SMITH",
               dob="2024-01-02", sex="M", county_cd="1", zip="94601", address="1 A ST",
               parent_first_name="KAREN", parent_last_name="SMITH")
    right = add(right, record_id="NB2", first_name="BABY BOY", last_name="SMITH",
                dob="2023-07-09", sex="M", county_cd="37", zip="92101", address="9 B ST",
                parent_first_name="LAURA", parent_last_name="SMITH")
    right = add(right, record_id="NB3", first_name="", last_name="SMITH", dob="2024-01-02",
                sex="M", county_cd="1", zip="94601", address="1 A ST",
                parent_first_name="KAREN", parent_last_name="SMITH")
    links, _, _ = run_match(tmp_path, left, right)
    found = matched(links)
    assert ("NB1", "NB2") not in found
    assert ("NB1", "NB3") in found


def test_duplicates_within_a_side_are_one_person(tmp_path: Path) -> None:
    left, right = person_files()
    dup = right.iloc[10].copy()
    dup["record_id"] = "R10B"
    dup["dob"] = ""
    right = pd.concat([right, dup.to_frame().T], ignore_index=True)
    links, stats, _ = run_match(tmp_path, left, right)
    assert stats["right_records"] == 551
    assert stats["right_persons"] <= 550
    found = matched(links)
    assert ("L10", "R10") in found and ("L10", "R10B") in found


def test_missing_column_exits_2_naming_file_and_column(tmp_path: Path) -> None:
    left, right = person_files(60, 20)
    lp = tmp_path / "tanf.csv"
    left.drop(columns=["last_name"]).to_csv(lp, index=False)
    rp = write(right, tmp_path / "cws.csv")
    result = CliRunner().invoke(main, ["match", "--left", str(lp), "--right", str(rp),
                                       "--out", str(tmp_path / "l.csv"), "--no-progress"])
    assert result.exit_code == 2
    assert "tanf.csv" in result.output and "last_name" in result.output


def test_bad_row_goes_to_rejects_and_counts_reconcile(tmp_path: Path) -> None:
    left, right = person_files()
    left.loc[3, "dob"] = "2010-13-45"  # blanked: the child is kept
    left.loc[5, "record_id"] = left.loc[4, "record_id"]  # a duplicate id: set aside
    _, stats, result = run_match(tmp_path, left, right)
    assert stats["left_read"] == 600 == stats["left_accepted"] + stats["left_rejected"]
    assert (stats["left_rejected"], stats["left_blanked"]) == (1, 1)
    rejects = pd.read_csv(tmp_path / "out" / "tanf.rejects.csv")
    assert rejects[["line", "column", "action"]].values.tolist() == [
        [5, "dob", "blanked"], [7, "record_id", "rejected"]]
    assert "duplicate record_id (first on line 6)" in rejects.loc[1, "reason"]
    assert "read 600 = accepted 599 + rejected 1; 1 value blanked" in result.output


def test_empty_file_gives_empty_links_and_zero_stats(tmp_path: Path) -> None:
    left, right = person_files(60, 20)
    links, stats, _ = run_match(tmp_path, left.iloc[:0], right)
    assert len(links) == 0 and list(links.columns[:5]) == ["left_id", "right_id",
                                                           "match_probability",
                                                           "match_weight", "decision"]
    assert stats["left_records"] == 0 and stats["left_match_rate"] == 0.0
    assert stats["right_persons_matched"] == 0


def test_explain_names_the_rivals_of_a_namesake_pair(tmp_path: Path) -> None:
    left, right = person_files()
    child = {"first_name": "ISABELLA", "last_name": "GARCIA", "dob": "2010-11-12", "sex": "F"}
    left = add(left, record_id="NA", county_cd="19", zip="90051", address="1 A ST",
               parent_first_name="MIGUEL", parent_last_name="GARCIA", **child)
    left = add(left, record_id="NB", county_cd="10", zip="93701", address="2 B ST",
               parent_first_name="JESSICA", parent_last_name="PEREZ", **child)
    # No home on the CWS record: each CalWORKs namesake is as good a match as the other.
    right = add(right, record_id="NC", **child)
    lp, rp = write(left, tmp_path / "tanf.csv"), write(right, tmp_path / "cws.csv")
    result = CliRunner().invoke(main, ["explain", "NA", "NC", "--left", str(lp), "--right",
                                       str(rp), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["rivals"] > 0
    assert [(r["left_id"], r["right_id"]) for r in got["rival_pairs"]] == [("NB", "NC")]
    assert got["decision"] == "review"

    # With the run's saved model, explain gives the probability the run wrote for the pair.
    links, _, _ = run_match(tmp_path, left, right)
    model = tmp_path / "out" / "links.model.json"
    result = CliRunner().invoke(main, ["explain", "NA", "NC", "--left", str(lp), "--right",
                                       str(rp), "--model", str(model), "--json"])
    assert result.exit_code == 0, result.output
    row = links[(links["left_id"] == "NA") & (links["right_id"] == "NC")].iloc[0]
    assert abs(json.loads(result.output)["match_probability"]
               - float(row["match_probability"])) < 1e-5


def test_explain_contributions_sum_to_the_weight(tmp_path: Path) -> None:
    left, right = person_files()
    lp, rp = write(left, tmp_path / "l.csv"), write(right, tmp_path / "r.csv")
    result = CliRunner().invoke(main, ["explain", "L5", "R5", "--left", str(lp),
                                       "--right", str(rp), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    total = sum(f["contribution"] for f in data["fields"])
    assert abs(total - data["match_weight"]) < 1e-6
    assert data["decision"] == "match"
    text = CliRunner().invoke(main, ["explain", "L5", "R5", "--left", str(lp),
                                     "--right", str(rp)])
    assert "first_name" in text.output and "match weight" in text.output


def test_evaluate_scores_match_rows_and_sets_bad_rows_aside(tmp_path: Path) -> None:
    links = tmp_path / "links.csv"
    links.write_text("left_id,right_id,match_probability,match_weight,decision\n"
                     "L1,R1,0.99,9.1,match\n"
                     "L2,R9,0.40,1.2,review\n"
                     "L3,R3,0.97,8.0,maybe\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("source,record_id,person_id\n"
                     "calworks,L1,P1\ncws,R1,P1\ncalworks,L3,P3\ncws,R3,P3\n")
    result = CliRunner().invoke(main, ["evaluate", "--links", str(links), "--truth", str(truth),
                                       "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    # L1-R1 is a true match; the review row does not count; the bad row is set aside, so the
    # true pair L3-R3 is missed.
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 0, 1)
    assert "links.csv: read 3 = accepted 2 + rejected 1" in result.stderr
    rejects = pd.read_csv(tmp_path / "links.rejects.csv")
    assert rejects[["line", "column"]].values.tolist() == [[4, "decision"]]


def test_evaluate_names_the_missing_column(tmp_path: Path) -> None:
    links = tmp_path / "links.csv"
    links.write_text("left_id,right_id\nL1,R1\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("source,record_id,person_id\ncalworks,L1,P1\n")
    result = CliRunner().invoke(main, ["evaluate", "--links", str(links), "--truth", str(truth)])
    assert result.exit_code == 2
    assert "links.csv" in result.output and "decision" in result.output


def test_a_new_extract_links_incrementally_as_a_full_run_would(tmp_path: Path) -> None:
    left, right = person_files()
    for month in ("january", "full"):
        (tmp_path / month).mkdir()
    first, _, _ = run_match(tmp_path / "january", left, right)
    january = tmp_path / "january" / "out" / "links.csv"
    assert january.with_suffix(".records.parquet").exists()

    # February: a new CWS referral of CalWORKs child L400, a changed address, a removed record.
    newcomer = left[left["record_id"] == "L400"].assign(record_id="RN1", case_id="")
    right2 = pd.concat([right[right["record_id"] != "R20"], newcomer], ignore_index=True)
    right2.loc[right2["record_id"] == "R10", "address"] = "77 NEW ADDRESS ST"
    lp, rp = write(left, tmp_path / "tanf2.csv"), write(right2, tmp_path / "cws2.csv")
    out, stats_path = tmp_path / "feb" / "links.csv", tmp_path / "feb" / "stats.json"
    result = CliRunner().invoke(main, ["match", "--left", str(lp), "--right", str(rp),
                                       "--out", str(out), "--stats", str(stats_path),
                                       "--previous", str(january), "--no-progress"])
    assert result.exit_code == 0, result.output
    incremental = pd.read_csv(out, dtype=str, keep_default_na=False)
    stats = json.loads(stats_path.read_text())
    full, full_stats, _ = run_match(tmp_path / "full", left, right2)

    assert matched(incremental) == matched(full)
    assert ("L400", "RN1") in matched(incremental) and ("L10", "R10") in matched(incremental)
    assert not any(r == "R20" for _, r in matched(incremental))
    assert stats["incremental"]["records_new"] == 1
    assert stats["incremental"]["records_removed"] == 1
    assert stats["incremental"]["records_linked_anew"] == 2  # RN1 and the changed R10
    for key in ("left_persons", "left_persons_matched", "right_persons",
                "right_persons_matched", "right_case_persons_matched"):
        assert stats[key] == full_stats[key], key
    # Unchanged pairs keep the basis they had in January.
    earlier = first.set_index(["left_id", "right_id"])["basis"]
    kept = incremental.set_index(["left_id", "right_id"])["basis"]
    assert kept.loc[("L5", "R5")] == earlier.loc[("L5", "R5")]


def test_incremental_run_without_the_earlier_files_exits_2(tmp_path: Path) -> None:
    left, right = person_files(60, 20)
    lp, rp = write(left, tmp_path / "tanf.csv"), write(right, tmp_path / "cws.csv")
    stray = tmp_path / "old_links.csv"
    stray.write_text("left_id,right_id,match_probability,match_weight,decision\n")
    result = CliRunner().invoke(main, ["match", "--left", str(lp), "--right", str(rp),
                                       "--out", str(tmp_path / "links.csv"),
                                       "--previous", str(stray), "--no-progress"])
    assert result.exit_code == 2
    assert "old_links.model.json: not found" in result.output

    # The earlier files are there but its LINKS.csv was edited into something else.
    run_match(tmp_path, left, right)
    earlier = tmp_path / "out" / "links.csv"
    rows = earlier.read_text().splitlines()
    rows[1] = rows[1].replace(",match,", ",maybe,").replace(",review,", ",maybe,")
    earlier.write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["match", "--left", str(lp), "--right", str(rp),
                                       "--out", str(tmp_path / "links2.csv"),
                                       "--previous", str(earlier), "--no-progress"])
    assert result.exit_code == 2
    assert "line 2, column decision" in result.output
