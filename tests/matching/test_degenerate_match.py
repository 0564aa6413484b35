"""`linkages match` on degenerate and damaged person files (contracts.md conventions): never a
traceback, exit 0 (or 2 for a file it cannot use at all), ``read = accepted + rejected`` for
each file, and a bad optional value blanked rather than the child lost."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner, Result
from degenerate_files import CsvFile, assert_clean_run, person_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_cases import person_files as person_files_of_cases
from matching_cases import write

from linkages.cli import main

LINKS_START = ["left_id", "right_id", "match_probability", "match_weight", "decision"]


def run_match(directory: Path, left: CsvFile | Path, right: CsvFile | Path) -> Result:
    lp = left if isinstance(left, Path) else left.write(directory / "tanf.csv")
    rp = right if isinstance(right, Path) else right.write(directory / "cws.csv")
    # No database here: the run notes that it is not recorded and carries on.
    env = {"LINKAGES_DATABASE_URL": f"sqlite:///{directory / 'none.db'}",
           "LINKAGES_VAR_DIR": str(directory / "var")}
    return CliRunner(env=env).invoke(
        main, ["match", "--left", str(lp), "--right", str(rp), "--out",
               str(directory / "out" / "links.csv"), "--stats",
               str(directory / "out" / "stats.json"), "--no-progress"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(left=person_files(), right=person_files())
def test_match_never_fails_on_degenerate_person_files(left: CsvFile, right: CsvFile) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        result = run_match(directory, left, right)
        assert_clean_run(result, {"tanf.csv": left, "cws.csv": right})
        if result.exit_code == 0:
            links = pd.read_csv(directory / "out" / "links.csv", dtype=str,
                                keep_default_na=False)
            assert list(links.columns[:5]) == LINKS_START
            stats = json.loads((directory / "out" / "stats.json").read_text())
            for side in ("left", "right"):
                assert stats[f"{side}_read"] == (stats[f"{side}_accepted"]
                                                 + stats[f"{side}_rejected"])
                assert stats[f"{side}_blanked"] >= 0


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["header only", "address blank", "one each", "nothing in common",
                        "all rejected", "only left", "only right"]))
def test_named_degenerate_cases_give_a_normal_result(case: str) -> None:
    header = ["record_id", "first_name", "last_name", "dob", "zip", "address"]
    child = ["1", "ANA", "GARCIA", "2012-03-04", "90001", ""]
    other = ["2", "ZOE", "SMITH", "2001-05-06", "93701", ""]
    files = {
        "header only": ([], []),
        "address blank": ([child, other, ["3", "LUIS", "PEREZ", "2010-01-02", "90002", ""]],
                          [child]),
        "one each": ([child], [child]),
        "nothing in common": ([child], [["9", "YU", "LI", "1999-09-09", "96001", "1 A ST"]]),
        "all rejected": ([["", "ANA", "GARCIA", "", "", ""], ["", "ZOE", "SMITH", "", "", ""]],
                         [child]),
        "only left": ([child, other], []),
        "only right": ([], [child, other]),
    }[case]
    left, right = (CsvFile(header, rows) for rows in files)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_match(Path(tmp), left, right)
        assert_clean_run(result, {"tanf.csv": left, "cws.csv": right})
        assert result.exit_code == 0, result.output


def test_a_bad_optional_value_is_blanked_and_the_child_still_links(tmp_path: Path) -> None:
    left, right = person_files_of_cases()
    # L0..L7 are R0..R7. Left: ZIP+4 and an SSN with spaces (valid forms); a 4-digit zip, a
    # 7-digit SSN, a future and a malformed date of birth, a county out of range and a sex
    # code that is none of the contract's (bad values, each blanked).
    left = left.astype(object)
    left.loc[0, "zip"] = left.loc[0, "zip"] + "-1234"
    ssn = left.loc[1, "ssn"]
    left.loc[1, "ssn"] = f"{ssn[:3]} {ssn[3:5]} {ssn[5:]}"
    left.loc[2, "zip"] = "9000"
    left.loc[3, "ssn"] = "5531234"
    left.loc[4, "dob"] = "2099-01-01"
    left.loc[5, "dob"] = "2015-13-45"
    left.loc[6, "county_cd"] = "77"
    left.loc[7, "sex"] = "girl"
    write(left, tmp_path / "tanf.csv")
    write(right, tmp_path / "cws.csv")
    result = run_match(tmp_path, tmp_path / "tanf.csv", tmp_path / "cws.csv")
    assert result.exit_code == 0, result.output
    assert "tanf.csv: read 600 = accepted 600 + rejected 0; 6 values blanked" in result.output
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert (stats["left_read"], stats["left_accepted"], stats["left_rejected"],
            stats["left_blanked"]) == (600, 600, 0, 6)
    rejects = pd.read_csv(tmp_path / "out" / "tanf.rejects.csv", dtype=str,
                          keep_default_na=False)
    assert list(rejects.columns) == ["file", "line", "column", "reason", "value", "action"]
    assert set(rejects["action"]) == {"blanked"}
    assert sorted(rejects["column"]) == ["county_cd", "dob", "dob", "sex", "ssn", "zip"]
    assert rejects.set_index("column").loc["zip", "line"] == "4"  # the header is line 1
    links = pd.read_csv(tmp_path / "out" / "links.csv", dtype=str, keep_default_na=False)
    linked = links[links["decision"] == "match"]
    found = set(zip(linked["left_id"], linked["right_id"], strict=True))
    assert {(f"L{i}", f"R{i}") for i in range(8)} <= found
