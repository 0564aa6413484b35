"""Every ingest test keeps its rejects under its own temporary var directory, never var/."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("LINKAGES_VAR_DIR", str(var))
    return var
