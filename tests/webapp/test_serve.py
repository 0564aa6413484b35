"""``linkages serve``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from linkages.cli import main


def test_help_says_it_binds_locally_and_production_uses_a_wsgi_server() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--host TEXT" in text and "[default: 127.0.0.1]" in text
    assert "[default: 5000;" in text
    assert "production WSGI server" in text and "webapp.wsgi:app" in text


def test_refuses_an_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGES_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("LINKAGES_SECRET_KEY", "k" * 40)
    result = CliRunner().invoke(main, ["serve", "--port", "5999"])
    assert result.exit_code == 1
    assert "run `linkages db upgrade` first" in result.output
