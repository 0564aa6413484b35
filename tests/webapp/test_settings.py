"""The web app's settings: config/webapp.yaml, the environment, the secret key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from webapp import settings


def test_secret_key_is_made_once_and_kept_private(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKAGES_SECRET_KEY", raising=False)
    monkeypatch.setenv("LINKAGES_VAR_DIR", str(tmp_path))
    first = settings.secret_key()
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and settings.secret_key() == first
    os.chmod(path, 0o644)
    with pytest.raises(settings.SettingsError, match="chmod 600"):
        settings.secret_key()
    monkeypatch.setenv("LINKAGES_SECRET_KEY", "from-the-environment")
    assert settings.secret_key() == "from-the-environment"


def test_settings_come_from_the_config_file_then_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "webapp.yaml").write_text(
        "session:\n  idle_timeout_minutes: 15\n  cookie_secure: false\n"
        "sign_in:\n  max_failures: 4\n")
    monkeypatch.setenv("LINKAGES_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("LINKAGES_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("LINKAGES_DATABASE_URL", "sqlite:////nowhere/x.db")
    monkeypatch.setenv("LINKAGES_SECRET_KEY", "k" * 40)
    config = settings.load()
    assert config["IDLE_TIMEOUT"].total_seconds() == 15 * 60
    assert config["LOCKOUT_POLICY"].max_failures == 4
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["DATABASE_URL"] == "sqlite:////nowhere/x.db"
    assert config["SECRET_KEY"] == "k" * 40
    (tmp_path / "webapp.yaml").write_text("session:\n  idle_timeout_minutes: -5\n")
    with pytest.raises(settings.SettingsError, match="idle_timeout_minutes"):
        settings.load()
