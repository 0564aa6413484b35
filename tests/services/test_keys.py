"""Keys come from the environment or from files under var/ made once with mode 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from linkages import keys


def test_key_files_are_made_once_and_private(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGES_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("LINKAGES_PSEUDONYM_KEY")
    monkeypatch.delenv("LINKAGES_TOTP_KEY")
    first = keys.pseudonym_key()
    assert keys.pseudonym_key() == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / "pseudonym_key").stat().st_mode) == 0o600
    token = keys.totp_cipher().encrypt(b"JBSWY3DPEHPK3PXP")
    assert stat.S_IMODE((tmp_path / "totp_key").stat().st_mode) == 0o600
    assert b"JBSWY3DP" not in token
    (tmp_path / "totp_key").chmod(0o644)
    with pytest.raises(keys.KeyFileError, match="chmod 600"):
        keys.totp_cipher()


def test_a_totp_key_can_be_rotated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGES_TOTP_KEY", "old-key-0123456789abcdef0123456789abcdef")
    token = keys.totp_cipher().encrypt(b"secret")
    monkeypatch.setenv("LINKAGES_TOTP_KEY",
                       "new-key-0123456789abcdef0123456789abcdef,"
                       "old-key-0123456789abcdef0123456789abcdef")
    assert keys.totp_cipher().decrypt(token) == b"secret"
    assert keys.totp_cipher().rotate(token) != token


def test_another_pseudonym_key_has_another_key_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGES_PSEUDONYM_KEY", "same-0123456789abcdef0123456789abcdef")
    a = keys.pseudonym_key()
    monkeypatch.setenv("LINKAGES_PSEUDONYM_KEY", "other-0123456789abcdef0123456789abcdef")
    assert keys.pseudonym_key() != a and keys.key_id(a) != keys.key_id(keys.pseudonym_key())
