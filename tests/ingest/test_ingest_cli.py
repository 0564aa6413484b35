"""``linkages ingest DIR`` as a county analyst uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from ingest_extract import CLEAN_COUNTS, FILES, edit, write_extract
from sqlalchemy import func, select

from linkages.cli import main
from linkages.db import get_engine
from linkages.models import (
    Allegation,
    Base,
    CalworksCase,
    CalworksPerson,
    CwsCase,
    CwsChildClient,
    IngestRun,
    Placement,
    PlacementEpisode,
    Referral,
)

DATA_TABLES = [t for t in Base.metadata.sorted_tables if t.name.startswith(("calworks_", "cws_"))]


def ingest(directory: Path) -> Result:
    return CliRunner().invoke(main, ["ingest", str(directory)])


def file_counts(output: str, name: str) -> dict[str, int]:
    """The read/accepted/rejected line and the per-table lines printed for ``name``."""
    block = output.split(f"{name}: ", 1)[1]
    head, *rest = block.split("\n")
    read, accepted, rejected, *blanked = (int(x.replace(",", ""))
                                          for x in re.findall(r"[\d,]+", head))
    out = {"read": read, "accepted": accepted, "rejected": rejected,
           "blanked": blanked[0] if blanked else 0}
    for line in rest:
        if not line.startswith("  "):
            break
        table, counts = line.strip().split(": ")
        for part in counts.split(", "):
            what, n = part.split(" ")
            out[f"{table} {what}"] = int(n.replace(",", ""))
    return out


def row_count(db_url: str, table: type[Base]) -> int:
    with get_engine(db_url).connect() as conn:
        return conn.execute(select(func.count()).select_from(table.__table__)).scalar_one()


def snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every extract table, updated_at included."""
    with get_engine(db_url).connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(select(t)).all())
            for t in DATA_TABLES
        }


def rejects(var: Path, name: str) -> pd.DataFrame:
    [path] = sorted(var.glob(f"ingest/*/{Path(name).stem}.rejects.csv"))[-1:]
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_a_clean_extract_loads_with_the_right_counts(db_url: str, tmp_path: Path,
                                                     _var_dir: Path) -> None:
    result = ingest(write_extract(tmp_path / "extract", bom=True))
    assert result.exit_code == 0, result.output
    assert "0 rows set aside" in result.output and "rejects files in" not in result.output
    assert not list(_var_dir.glob("ingest/*/*.rejects.csv"))  # no empty rejects files
    for name, tables in CLEAN_COUNTS.items():
        counts = file_counts(result.output, name)
        rows = len(FILES[name]) - 1
        assert (counts["read"], counts["accepted"], counts["rejected"]) == (rows, rows, 0)
        for table, n in tables.items():
            assert counts[f"{table} inserted"] == n, (name, table)
            assert counts[f"{table} updated"] == counts[f"{table} unchanged"] == 0

    with get_engine(db_url).connect() as conn:
        persons = {r.record_id: r for r in conn.execute(select(CalworksPerson.__table__))}
        cases = {r.case_number: r for r in conn.execute(select(CalworksCase.__table__))}
        assert persons["C100-H"].role == "case_head"
        assert persons["C100-H"].last_name == "GARCIA"
        assert persons["C100-H"].case_id == cases["C100"].id
        assert persons["L3"].role == "child" and persons["L3"].case_id == cases["C200"].id
        assert persons["L3"].sex == "M"  # "m" in the file
        assert cases["C300"].aid_status == "active"  # "Active" in the file
        # Only the last four digits of an SSN are kept, anywhere.
        assert persons["L1"].ssn_last4 == "6781" and persons["L2"].ssn_last4 is None
        cws = {r.record_id: r for r in conn.execute(select(CwsChildClient.__table__))}
        assert cws["R2"].ssn_last4 == "4322" and cws["R1"].case_number == "K1"
        assert cws["R1"].mother_first_name == "MARIA" and cws["R1"].hispanic == "Y"
        cws_cases = {r.case_number: r for r in conn.execute(select(CwsCase.__table__))}
        assert cws_cases["K1"].opened == date(2020, 2, 3) and cws_cases["K1"].closed is None
        assert cws_cases["K3"].closed == date(2020, 3, 1)
        referral = conn.execute(
            select(Referral.__table__).where(Referral.referral_number == "RF1")).one()
        assert (referral.county_cd, referral.received_dt) == (19, date(2020, 2, 3))
        assert conn.execute(select(func.count()).select_from(Allegation.__table__)
                            .where(Allegation.referral_id == referral.id)).scalar_one() == 2
        run = conn.execute(select(IngestRun.__table__)).one()
        assert run.counts["cws_allegations.csv"]["tables"]["cws_referral"]["inserted"] == 3
        assert run.finished_at is not None
    dump = "\n".join(str(v) for rows in snapshot(db_url).values() for r in rows for v in r)
    assert "123-45-6781" not in dump and "123456781" not in dump and "987654322" not in dump


def test_a_missing_column_stops_with_exit_2_and_loads_nothing(
    db_url: str, tmp_path: Path
) -> None:
    lines = [FILES["cws_allegations.csv"][0].replace(",allegation_type", ""),
             *(re.sub(r",(general_neglect|physical_abuse|sexual_abuse)", "", x)
               for x in FILES["cws_allegations.csv"][1:])]
    directory = write_extract(tmp_path / "extract", replace={"cws_allegations.csv": lines})
    result = ingest(directory)
    assert result.exit_code == 2, result.output
    assert "cws_allegations.csv" in result.output and "allegation_type" in result.output
    assert "Traceback" not in result.output
    assert row_count(db_url, Allegation) == 0 and row_count(db_url, Referral) == 0
    assert row_count(db_url, CalworksPerson) == 0  # the command stopped before loading
    assert row_count(db_url, IngestRun) == 0


def test_bad_rows_go_to_the_rejects_file_and_counts_reconcile(
    db_url: str, tmp_path: Path, _var_dir: Path
) -> None:
    replace = {
        **edit("calworks_children.csv", 3, "2017-05-09", "2017-13-09"),  # malformed date
        **edit("cws_children.csv", 3, ",10,93701", ",99,93701"),  # impossible county
    }
    replace["cws_children.csv"][3] = replace["cws_children.csv"][3].replace("R3,", ",")
    allegations = [*FILES["cws_allegations.csv"], FILES["cws_allegations.csv"][4]]  # A4 again
    replace["cws_allegations.csv"] = allegations
    foster = list(FILES["foster_care.csv"])
    foster[3] = foster[3].replace("2019-09-15,,1416", "2019-09-15,2019-09-01,1416")
    replace["foster_care.csv"] = foster
    result = ingest(write_extract(tmp_path / "extract", replace=replace))
    assert result.exit_code == 0, result.output

    # A bad optional value of a person file is blanked, the child kept (contracts.md).
    children = file_counts(result.output, "calworks_children.csv")
    assert (children["read"], children["accepted"], children["rejected"],
            children["blanked"]) == (4, 4, 0, 1)
    bad = rejects(_var_dir, "calworks_children.csv")
    assert bad[["line", "column", "action"]].values.tolist() == [["3", "dob", "blanked"]]
    assert "YYYY-MM-DD" in bad.loc[0, "reason"]

    # Only a row that cannot be used (here: no record_id) is set aside.
    cws = file_counts(result.output, "cws_children.csv")
    assert (cws["read"], cws["accepted"], cws["rejected"], cws["blanked"]) == (3, 2, 1, 1)
    bad = rejects(_var_dir, "cws_children.csv")
    assert bad[["line", "column", "value", "action"]].values.tolist() == [
        ["3", "county_cd", "99", "blanked"], ["4", "record_id", "", "rejected"]]
    assert "1-58" in bad.loc[0, "reason"]

    # A4, whose child R3 was set aside, and its duplicate are both rejected.
    alleg = file_counts(result.output, "cws_allegations.csv")
    assert (alleg["read"], alleg["accepted"], alleg["rejected"]) == (5, 3, 2)
    bad = rejects(_var_dir, "cws_allegations.csv")
    assert bad[["line", "column"]].values.tolist() == [["5", "child_id"], ["6", "allegation_id"]]
    assert "duplicate allegation_id (first on line 5)" in bad.loc[1, "reason"]
    assert "not a CWS child record" in bad.loc[0, "reason"]

    foster = file_counts(result.output, "foster_care.csv")
    assert foster["read"] == foster["accepted"] + foster["rejected"] == 3
    bad = rejects(_var_dir, "foster_care.csv")
    assert bad[["line", "column", "reason"]].values.tolist() == [
        ["4", "placement_end", "placement ends before it starts"]]
    assert row_count(db_url, Allegation) == 3
    assert row_count(db_url, CwsChildClient) == 2


def test_loading_the_same_extract_twice_changes_nothing(db_url: str, tmp_path: Path) -> None:
    directory = write_extract(tmp_path / "extract")
    assert ingest(directory).exit_code == 0
    before = snapshot(db_url)
    second = ingest(directory)
    assert second.exit_code == 0, second.output
    for name, tables in CLEAN_COUNTS.items():
        counts = file_counts(second.output, name)
        for table, n in tables.items():
            assert counts[f"{table} unchanged"] == n, (name, table)
            assert counts[f"{table} inserted"] == counts[f"{table} updated"] == 0
    assert snapshot(db_url) == before  # no row touched, no updated_at moved
    assert row_count(db_url, IngestRun) == 2


def test_a_newer_extract_updates_the_changed_row_and_inserts_the_new_one(
    db_url: str, tmp_path: Path
) -> None:
    assert ingest(write_extract(tmp_path / "v1")).exit_code == 0
    before = snapshot(db_url)["calworks_person"]
    children = list(FILES["calworks_children.csv"])
    children[4] = children[4].replace("9 OAK ST", "77 BIRCH RD")  # L4 moved
    children.append("L5,NOAH,,SMITH,2022-08-01,M,,37,92101,77 BIRCH RD,ANGELA,SMITH,C300")
    result = ingest(write_extract(tmp_path / "v2", replace={"calworks_children.csv": children}))
    assert result.exit_code == 0, result.output
    counts = file_counts(result.output, "calworks_children.csv")
    assert counts["calworks_person (children) inserted"] == 1
    assert counts["calworks_person (children) updated"] == 1
    assert counts["calworks_person (children) unchanged"] == 3
    after = {r[1]: r for r in snapshot(db_url)["calworks_person"]}
    old = {r[1]: r for r in before}
    assert after["L4"][12] == "77 BIRCH RD" and after["L4"][-1] != old["L4"][-1]
    assert all(after[k] == old[k] for k in old if k != "L4")  # updated_at of others kept
    assert "L5" in after


def test_a_changed_placement_replaces_the_episodes_placements(
    db_url: str, tmp_path: Path
) -> None:
    assert ingest(write_extract(tmp_path / "v1")).exit_code == 0
    foster = list(FILES["foster_care.csv"])
    foster[2] = foster[2].replace("6914,1638,1440", "6914,1639,1440")
    result = ingest(write_extract(tmp_path / "v2", replace={"foster_care.csv": foster}))
    counts = file_counts(result.output, "foster_care.csv")
    assert counts["cws_placement_episode updated"] == 1
    assert counts["cws_placement_episode unchanged"] == 1
    assert counts["cws_placement inserted"] == 2 and counts["cws_placement replaced"] == 2
    assert counts["cws_placement unchanged"] == 1
    with get_engine(db_url).connect() as conn:
        codes = conn.execute(select(Placement.caregiver_relationship_cd)
                             .join(PlacementEpisode.__table__)
                             .where(PlacementEpisode.episode_number == "E1")
                             .order_by(Placement.placement_start)).scalars().all()
    assert codes == [1638, 1639]
    assert row_count(db_url, Placement) == 3


def test_unknown_references_are_rejected(db_url: str, tmp_path: Path, _var_dir: Path) -> None:
    replace = {
        **edit("calworks_children.csv", 5, ",C300", ",C999"),
        **edit("calworks_aid_periods.csv", 2, "C100", "C998"),
        **edit("cws_allegations.csv", 5, ",R3,", ",R9,"),
        **edit("cws_case_components.csv", 2, ",R1,", ",R8,"),
        **edit("foster_care.csv", 4, "R3,", "R7,"),
    }
    result = ingest(write_extract(tmp_path / "extract", replace=replace))
    assert result.exit_code == 0, result.output
    expected = {
        "calworks_children.csv": ("case_id", "C999", "not a CalWORKs case"),
        "calworks_aid_periods.csv": ("case_id", "C998", "not a CalWORKs case"),
        "cws_allegations.csv": ("child_id", "R9", "not a CWS child record"),
        "cws_case_components.csv": ("child_id", "R8", "not a CWS child record"),
        "foster_care.csv": ("child_id", "R7", "not a CWS child record"),
    }
    for name, (column, value, reason) in expected.items():
        counts = file_counts(result.output, name)
        assert counts["rejected"] == 1 and counts["read"] == counts["accepted"] + 1, name
        bad = rejects(_var_dir, name)
        assert len(bad) == 1, name
        assert (bad.loc[0, "column"], bad.loc[0, "value"]) == (column, value)
        assert reason in bad.loc[0, "reason"]
    assert row_count(db_url, Referral) == 2  # RF3 had only the rejected allegation


def test_a_referral_whose_rows_disagree_is_rejected(
    db_url: str, tmp_path: Path, _var_dir: Path
) -> None:
    result = ingest(write_extract(tmp_path / "extract", replace=edit(
        "cws_allegations.csv", 3, "2020-02-03,19", "2020-02-04,19")))
    counts = file_counts(result.output, "cws_allegations.csv")
    assert (counts["accepted"], counts["rejected"]) == (2, 2)
    bad = rejects(_var_dir, "cws_allegations.csv")
    assert set(bad["line"]) == {"2", "3"}
    assert set(bad["reason"]) == {"rows of this referral disagree on referral_received_dt"}
    assert row_count(db_url, Referral) == 2


def test_absent_files_are_skipped_with_a_note(db_url: str, tmp_path: Path) -> None:
    directory = write_extract(tmp_path / "extract",
                              drop=tuple(n for n in FILES if n.startswith("cws_") or
                                         n == "foster_care.csv"))
    result = ingest(directory)
    assert result.exit_code == 0, result.output
    assert "cws_children.csv: not in" in result.output and "skipped" in result.output
    assert row_count(db_url, CalworksPerson) == 7 and row_count(db_url, CwsChildClient) == 0


def test_parquet_is_read_in_place_of_csv(db_url: str, tmp_path: Path) -> None:
    directory = write_extract(tmp_path / "extract", drop=("cws_children.csv",))
    pd.read_csv(write_extract(tmp_path / "csv") / "cws_children.csv", dtype=str).to_parquet(
        directory / "cws_children.parquet")
    result = ingest(directory)
    assert result.exit_code == 0, result.output
    assert file_counts(result.output, "cws_children.csv")["accepted"] == 3
    assert row_count(db_url, Allegation) == 4


def test_an_empty_database_is_refused_with_a_clear_message(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("LINKAGES_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = ingest(write_extract(tmp_path / "extract"))
    assert result.exit_code != 0
    assert "linkages db upgrade" in result.output
