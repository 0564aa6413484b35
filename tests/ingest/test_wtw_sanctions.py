"""The optional WtW sanctions file (calworks_wtw_sanctions.csv, docs/data-files.md): loaded
by (case, sanction start) like aid periods; a row with an unknown case, a bad date or an end
before its start set aside with its line and column; counts reconcile; a header-only file
loads nothing and still says which counties it speaks for; an extract without it loads as
before. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from ingest_extract import write_extract
from sqlalchemy import select
from test_ingest_cli import ingest

from linkages.db import get_engine
from linkages.ingest.loader import SANCTIONS_FILE
from linkages.models import CalworksCase, CalworksWtwSanction, IngestRun

HEADER = "case_id,sanction_start,sanction_end"


def loaded(db_url: str) -> list[tuple[str, date, date | None]]:
    with get_engine(db_url).connect() as conn:
        return sorted(conn.execute(
            select(CalworksCase.case_number, CalworksWtwSanction.sanction_start,
                   CalworksWtwSanction.sanction_end)
            .join(CalworksCase, CalworksCase.id == CalworksWtwSanction.case_id)).all())


def last_counts(db_url: str) -> dict:
    with get_engine(db_url).connect() as conn:
        return conn.scalars(select(IngestRun.counts).order_by(IngestRun.id.desc())).first()


def rejects(var: Path) -> list[list[str]]:
    [path] = sorted(var.glob("ingest/*/calworks_wtw_sanctions.rejects.csv"))[-1:]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame[["line", "column", "reason", "action"]].values.tolist()


def test_good_rows_load_and_bad_rows_are_set_aside_with_their_reason(
        db_url: str, tmp_path: Path, _var_dir: Path) -> None:
    lines = [HEADER,
             "C100,2024-01-10,2024-03-01",   # 2: cured
             "C100,2024-09-01,",             # 3: in force
             "C200,2020-01-05,2020-13-01",   # 4: malformed end
             "C300,2024-05-01,2024-04-01",   # 5: ends before it starts
             "C999,2024-02-02,",             # 6: no such case
             "C300,2024-06-31,",             # 7: impossible start
             "C100,2024-01-10,2024-02-01"]   # 8: duplicate of line 2
    result = ingest(write_extract(tmp_path / "x", replace={SANCTIONS_FILE: lines}))
    assert result.exit_code == 0, result.output
    assert loaded(db_url) == [("C100", date(2024, 1, 10), date(2024, 3, 1)),
                              ("C100", date(2024, 9, 1), None)]
    counts = last_counts(db_url)[SANCTIONS_FILE]
    assert (counts["read"], counts["accepted"], counts["rejected"], counts["blanked"]) \
        == (7, 2, 5, 0)
    assert counts["tables"] == {"calworks_wtw_sanction":
                                {"inserted": 2, "updated": 0, "unchanged": 0}}
    # The counties of the extract's cases (19 Los Angeles, 10 Fresno, 37 San Diego); the
    # as-of date is the latest start or end of the rows kept.
    assert counts["coverage"] == {"counties": [10, 19, 37], "as_of": "2024-09-01"}
    bad = rejects(_var_dir)
    assert [b[:2] for b in bad] == [["4", "sanction_end"], ["5", "sanction_end"],
                                    ["6", "case_id"], ["7", "sanction_start"],
                                    ["8", "case_id"]]
    assert "YYYY-MM-DD" in bad[0][2] or "date" in bad[0][2]
    assert bad[1][2] == "sanction ends before it starts"
    assert "not a CalWORKs case" in bad[2][2]
    assert "duplicate" in bad[4][2]
    assert {b[3] for b in bad} == {"rejected"}  # a blanked end would read "in force"
    assert "calworks_wtw_sanctions.csv" in result.output


def test_a_newer_file_cures_a_sanction_and_keeps_what_it_leaves_out(
        db_url: str, tmp_path: Path) -> None:
    first = [HEADER, "C100,2024-01-10,2024-03-01", "C100,2024-09-01,"]
    assert ingest(write_extract(tmp_path / "v1", replace={SANCTIONS_FILE: first})).exit_code == 0
    second = [HEADER, "C100,2024-09-01,2024-12-15", "C200,2020-01-05,"]
    result = ingest(write_extract(tmp_path / "v2", replace={SANCTIONS_FILE: second}))
    assert result.exit_code == 0, result.output
    assert loaded(db_url) == [("C100", date(2024, 1, 10), date(2024, 3, 1)),
                              ("C100", date(2024, 9, 1), date(2024, 12, 15)),
                              ("C200", date(2020, 1, 5), None)]
    counts = last_counts(db_url)[SANCTIONS_FILE]
    assert counts["tables"]["calworks_wtw_sanction"] == {"inserted": 1, "updated": 1,
                                                        "unchanged": 0}
    assert counts["coverage"]["as_of"] == "2024-12-15"


def test_a_file_alone_covers_the_counties_of_its_cases(db_url: str, tmp_path: Path) -> None:
    assert ingest(write_extract(tmp_path / "v1")).exit_code == 0
    only = write_extract(tmp_path / "v2", replace={SANCTIONS_FILE: [HEADER, "C200,2021-02-03,"]},
                         drop=("calworks_cases.csv", "calworks_children.csv",
                               "calworks_aid_periods.csv", "cws_children.csv",
                               "cws_allegations.csv", "cws_case_components.csv",
                               "foster_care.csv"))
    result = ingest(only)
    assert result.exit_code == 0, result.output
    assert last_counts(db_url)[SANCTIONS_FILE]["coverage"] == {"counties": [10],
                                                                "as_of": "2021-02-03"}


@pytest.mark.parametrize("text", [HEADER + "\n", "", HEADER + "\n,,\n"],
                         ids=["header-only", "empty", "all-blank row"])
def test_degenerate_files_load_nothing_without_failing(
        db_url: str, tmp_path: Path, text: str) -> None:
    directory = write_extract(tmp_path / "x")
    (directory / SANCTIONS_FILE).write_text(text, encoding="utf-8")
    result = ingest(directory)
    assert loaded(db_url) == []
    if text == "":  # no header: the file cannot be read, nothing is loaded (exit 2)
        assert result.exit_code == 2 and SANCTIONS_FILE in result.output
        return
    assert result.exit_code == 0, result.output
    counts = last_counts(db_url)[SANCTIONS_FILE]
    assert counts["read"] == counts["accepted"] + counts["rejected"]
    assert counts["coverage"] == {"counties": [10, 19, 37], "as_of": None}


def test_an_extract_without_the_file_loads_as_before(db_url: str, tmp_path: Path) -> None:
    result = ingest(write_extract(tmp_path / "x"))
    assert result.exit_code == 0, result.output
    assert f"{SANCTIONS_FILE}: not in" in result.output
    assert last_counts(db_url)[SANCTIONS_FILE] == {"skipped": "not in the extract directory"}
    assert loaded(db_url) == []
