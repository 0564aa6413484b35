"""Fixtures of the outcome measure tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fc_history import write_csv


@pytest.fixture

def fc_file(tmp_path: Path):
    def make(*episodes: list[dict[str, str]], name: str = "foster_care.csv") -> Path:
        return write_csv(tmp_path / name, [r for ep in episodes for r in ep])
    return make
