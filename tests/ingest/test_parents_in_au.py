"""The assistance unit's parents (parents_in_au, docs/data-files.md): optional, 0-2, loaded
onto the case; a bad value sets the row aside like any bad value of the cases file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from ingest_extract import FILES, write_extract
from sqlalchemy import select

from linkages.cli import main
from linkages.db import get_engine
from linkages.models import CalworksCase


def test_parents_in_au_is_loaded_and_a_bad_value_rejected(db_url: str, tmp_path: Path) -> None:
    header, *rows = FILES["calworks_cases.csv"]
    cases = [header + ",parents_in_au", rows[0] + ",2", rows[1] + ",", rows[2] + ",3"]
    directory = write_extract(tmp_path / "x", replace={"calworks_cases.csv": cases},
                              drop=("calworks_children.csv",))
    result = CliRunner().invoke(main, ["ingest", str(directory)])
    assert result.exit_code == 0, result.output
    with get_engine(db_url).connect() as conn:
        loaded = dict(conn.execute(select(CalworksCase.case_number,
                                          CalworksCase.parents_in_au)).all())
    assert loaded == {"C100": 2, "C200": None}
    [rejects] = (tmp_path / "var").glob("ingest/*/calworks_cases.rejects.csv")
    assert "not 0, 1 or 2 parents" in rejects.read_text()


def test_an_extract_without_the_column_still_loads(db_url: str, tmp_path: Path) -> None:
    directory = write_extract(tmp_path / "x", drop=("calworks_children.csv",))
    assert CliRunner().invoke(main, ["ingest", str(directory)]).exit_code == 0
    with get_engine(db_url).connect() as conn:
        assert set(conn.scalars(select(CalworksCase.parents_in_au))) == {None}
