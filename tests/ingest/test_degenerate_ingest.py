"""`linkages ingest` on degenerate and damaged extract files, on SQLite and PostgreSQL: never a
traceback, exit 0 (or 2 for a file it cannot use at all), ``read = accepted + rejected`` for
every file, however often the database has already been loaded."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from degenerate_files import CsvFile, assert_clean_run, foster_care_files, person_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkages.cli import main


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(calworks=st.none() | person_files(), cws=st.none() | person_files(),
       foster_care=st.none() | foster_care_files())
def test_ingest_never_fails_on_degenerate_files(db_url: str, calworks: CsvFile | None,
                                                cws: CsvFile | None,
                                                foster_care: CsvFile | None) -> None:
    # One database for all the examples: later ones meet the rows earlier ones loaded.
    with tempfile.TemporaryDirectory() as tmp:
        extract = Path(tmp) / "extract"
        extract.mkdir()
        files = {"calworks_children.csv": calworks, "cws_children.csv": cws,
                 "foster_care.csv": foster_care}
        for name, spec in files.items():
            if spec is not None:
                spec.write(extract / name)
        env = {"LINKAGES_DATABASE_URL": db_url, "LINKAGES_VAR_DIR": str(Path(tmp) / "var")}
        result = CliRunner(env=env).invoke(main, ["ingest", str(extract)])
        assert_clean_run(result, files)
