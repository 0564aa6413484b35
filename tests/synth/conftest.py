"""One synthetic population per test session (scale 0.02: ~36,000 CalWORKs and ~14,000 CWS
children), generated through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from linkages.cli import main

SCALE = 0.02
SEED = 20261123
DATE_COLUMNS = {
    "calworks_children.csv": ["dob"],
    "cws_children.csv": ["dob"],
    "calworks_cases.csv": ["case_head_dob"],
    "calworks_aid_periods.csv": ["aid_start", "aid_end"],
    "calworks_wtw_sanctions.csv": ["sanction_start", "sanction_end"],
    "cws_allegations.csv": ["referral_received_dt", "disposition_dt", "incident_dt"],
    "cws_case_components.csv": ["component_start", "component_end"],
    "foster_care.csv": [
        "birth_dt",
        "episode_start",
        "episode_end",
        "placement_start",
        "placement_end",
    ],
}


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "population"
    result = CliRunner().invoke(
        main, ["synth", "--out", str(out), "--scale", str(SCALE), "--seed", str(SEED)]
    )
    assert result.exit_code == 0, result.output
    return out


class Files:
    """The extract files as text (blank = ""), with date columns parsed, read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            frame = pd.read_csv(self.root / name, dtype=str, keep_default_na=False)
            for col in DATE_COLUMNS.get(name, []):
                frame[col] = pd.to_datetime(frame[col].replace("", None), format="%Y-%m-%d")
            self._cache[name] = frame
        return self._cache[name]


@pytest.fixture(scope="session")
def files(population: Path) -> Files:
    return Files(population)


@pytest.fixture(scope="session")
def pairs(files: Files) -> pd.DataFrame:
    """Every true cross-source pair: a CalWORKs record and a CWS record of the same child,
    columns suffixed _cw and _cws."""
    truth = files["truth.csv"]
    cw = files["calworks_children.csv"].merge(
        truth.loc[truth.source == "calworks", ["record_id", "person_id"]], on="record_id"
    )
    cws = files["cws_children.csv"].merge(
        truth.loc[truth.source == "cws", ["record_id", "person_id"]], on="record_id"
    )
    return cw.merge(cws, on="person_id", suffixes=("_cw", "_cws"))
