"""`linkages outcomes` on degenerate and damaged foster care and links files: never a
traceback, exit 0 (or 2 for a file it cannot use at all), ``read = accepted + rejected``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from degenerate_files import CsvFile, assert_clean_run, foster_care_files, links_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkages.cli import main

MEASURES = st.sampled_from(["P4", "P1", "P2", "P3", "P5", "4B1", "4B2"])
DIMENSIONS = st.lists(st.sampled_from(["county", "age_group", "ethnicity", "sex", "agency",
                                       "placement_type", "entry_type", "calworks_match"]),
                      unique=True, max_size=2)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(foster_care=foster_care_files(), links=links_files(), measure=MEASURES,
       by=DIMENSIONS, unmasked=st.booleans())
def test_outcomes_never_fails_on_degenerate_files(foster_care: CsvFile, links: CsvFile,
                                                  measure: str, by: list[str],
                                                  unmasked: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        fc = foster_care.write(directory / "fc.csv")
        lk = links.write(directory / "links.csv")
        args = ["outcomes", measure, "--foster-care", str(fc), "--period-start", "2019-01-01",
                "--periods", "2", "--links", str(lk), "--format", "json",
                "--rejects-dir", str(directory / "rejects")]
        for dimension in by:
            args += ["--by", dimension]
        if unmasked:
            args.append("--unmasked")
        result = CliRunner().invoke(main, args)
        assert_clean_run(result, {"fc.csv": foster_care, "links.csv": links})
