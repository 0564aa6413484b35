"""No command changes data it was not given: the test suite never reaches the checkout's own
database, and only a run of record over the ingested extract changes the family registry."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from linkages.cli import main
from linkages.config import REPO_ROOT, database_url, var_dir
from linkages.db import get_engine
from linkages.models import Base, MutualFamily

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_extract import write_extract


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def content_checksum(url: str) -> str:
    """SHA-256 of every row of every table, in primary-key order: equal exactly when the
    database holds the same data."""
    digest = hashlib.sha256()
    with get_engine(url).connect() as conn:
        for table in Base.metadata.sorted_tables:
            digest.update(table.name.encode())
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def link_extract(extract: Path, out: Path, *extra: str) -> Result:
    return run("match", "--left", extract / "calworks_children.csv",
               "--right", extract / "cws_children.csv", "--out", out / "links.csv",
               "--stats", out / "stats.json", "--no-progress", *extra)


def analysts_own_pair(directory: Path) -> tuple[Path, Path]:
    """Two person files of an analyst's own, not the ingested extract."""
    directory.mkdir(parents=True, exist_ok=True)
    header = "record_id,first_name,last_name,dob,county_cd,zip,address\n"
    left, right = directory / "left.csv", directory / "right.csv"
    left.write_text(header + "A1,JOSE,GARCIA,2015-03-01,19,90011,12 MAIN ST\n"
                    "A2,EMMA,SMITH,2019-02-14,37,92101,9 OAK ST\n")
    right.write_text(header + "B1,JOSE,GARCIA,2015-03-01,19,90011,12 MAIN ST\n")
    return left, right


def test_a_test_sees_neither_the_checkout_var_nor_an_inherited_database() -> None:
    checkout = (REPO_ROOT / "var").resolve()
    assert checkout not in var_dir().resolve().parents and var_dir().resolve() != checkout
    assert str(checkout) not in database_url()
    assert os.environ["LINKAGES_DATABASE_URL"].startswith("sqlite:///")


def test_commands_other_than_a_run_of_record_leave_the_database_as_it_was(
    db_url: str, tmp_path: Path
) -> None:
    extract = write_extract(tmp_path / "extract")
    assert run("ingest", extract).exit_code == 0
    recorded = link_extract(extract, tmp_path / "of-record", "--record")
    assert recorded.exit_code == 0, recorded.output
    assert "recorded as match run 1" in recorded.output
    before = content_checksum(db_url)

    # What the CLI tests and an analyst do: link the same files, or files of her own.
    assert link_extract(extract, tmp_path / "again").exit_code == 0
    left, right = analysts_own_pair(tmp_path / "own")
    own = run("match", "--left", left, "--right", right, "--out", tmp_path / "own" / "l.csv",
              "--no-progress")
    assert own.exit_code == 0, own.output
    assert "recorded" not in own.output
    assert content_checksum(db_url) == before


def test_a_database_in_var_is_unchanged_by_the_commands_the_tests_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As after `make demo`: the default database, var/linkages.db, holds families.
    var = tmp_path / "checkout-var"
    monkeypatch.setenv("LINKAGES_VAR_DIR", str(var))
    monkeypatch.delenv("LINKAGES_DATABASE_URL")
    url = database_url()
    assert url == f"sqlite:///{var / 'linkages.db'}"
    extract = write_extract(tmp_path / "extract")
    assert run("db", "upgrade").exit_code == 0
    assert run("ingest", extract).exit_code == 0
    assert link_extract(extract, tmp_path / "demo", "--record").exit_code == 0
    get_engine(url).dispose()
    database = var / "linkages.db"
    before = hashlib.sha256(database.read_bytes()).hexdigest()

    left, right = analysts_own_pair(tmp_path / "test-files")
    result = run("match", "--left", left, "--right", right, "--out", tmp_path / "t" / "l.csv",
                 "--no-progress")
    assert result.exit_code == 0, result.output
    get_engine(url).dispose()
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert not (var / "linkages.db-wal").exists() or not (var / "linkages.db-wal").stat().st_size


def test_record_refuses_files_that_are_not_the_ingested_extract(
    db_url: str, tmp_path: Path
) -> None:
    assert run("ingest", write_extract(tmp_path / "extract")).exit_code == 0
    before = content_checksum(db_url)
    left, right = analysts_own_pair(tmp_path / "own")
    result = run("match", "--left", left, "--right", right, "--out", tmp_path / "l.csv",
                 "--no-progress", "--record")
    assert result.exit_code == 2
    assert "2 of 2 CalWORKs records are not in the database (A1, A2)" in result.output
    assert "1 of 1 CWS records" in result.output
    assert not (tmp_path / "l.csv").exists()  # refused before any linking
    assert content_checksum(db_url) == before


def test_record_needs_a_database_with_a_schema(tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "extract")
    result = link_extract(extract, tmp_path, "--record")
    assert result.exit_code == 2
    assert "--record: the database has no schema: run `linkages db upgrade`" in result.output


def test_an_administrator_lists_and_undoes_runs_newest_first(db_url: str, tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "extract")
    assert run("ingest", extract).exit_code == 0
    empty = content_checksum(db_url)
    assert link_extract(extract, tmp_path / "1", "--record").exit_code == 0
    after_first = content_checksum(db_url)
    assert link_extract(extract, tmp_path / "2", "--record").exit_code == 0

    refused = run("runs", "undo", "1", "--yes")
    assert refused.exit_code == 2
    assert "match run 1 is not the latest run of record: undo run 2 first" in refused.output
    assert run("runs", "undo", "2", "--yes").exit_code == 0
    undone = run("runs", "undo", "1", "--yes")
    assert undone.exit_code == 0, undone.output
    assert "families it created deleted" in undone.output
    listing = run("runs", "list")
    assert listing.output.count("undone") == 2
    with get_engine(db_url).connect() as conn:
        assert conn.execute(select(MutualFamily.id)).first() is None
    # Only the runs' own records (and the audit trail) remain of them.
    assert after_first != empty
