"""The web app's settings: defaults, then ``config/webapp.yaml``, then the environment, then the
overrides given to ``create_app`` (tests)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from linkages.config import config_dir, database_url
from linkages.keys import KeyFileError, configured_key
from linkages.services.sessions import SessionPolicy
from linkages.services.throttle import ThrottlePolicy
from linkages.services.users import LockoutPolicy

TRUE_WORDS = {"1", "true", "yes", "on"}


class SettingsError(RuntimeError):
    pass


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings")
    return data


def _number(section: Mapping[str, Any], key: str, default: float, path: Path) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise SettingsError(f"{path}: {key} must be a positive number, not {value!r}")
    return value


def secret_key() -> str:
    """LINKAGES_SECRET_KEY, else a random key created once in var/secret_key (mode 0600) so
    that sessions survive a restart and every process of one install shares it."""
    try:
        return configured_key("LINKAGES_SECRET_KEY", "secret_key")
    except KeyFileError as exc:
        raise SettingsError(str(exc)) from None


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Flask configuration of the app."""
    overrides = dict(overrides or {})
    path = config_dir() / "webapp.yaml"
    data = _read_yaml(path)
    session = data.get("session") or {}
    sign_in = data.get("sign_in") or {}
    secure = bool(session.get("cookie_secure", True))
    if "LINKAGES_SESSION_COOKIE_SECURE" in os.environ:
        secure = os.environ["LINKAGES_SESSION_COOKIE_SECURE"].strip().lower() in TRUE_WORDS
    absolute = timedelta(hours=_number(session, "absolute_timeout_hours", 12, path))
    idle = timedelta(minutes=_number(session, "idle_timeout_minutes", 30, path))
    throttle = sign_in.get("throttle") or {}
    exports = data.get("exports") or {}
    settings: dict[str, Any] = {
        "DATABASE_URL": database_url(),
        "IDLE_TIMEOUT": idle,
        "ABSOLUTE_TIMEOUT": absolute,
        "SESSION_POLICY": SessionPolicy(
            idle=idle, absolute=absolute,
            pending=timedelta(minutes=_number(session, "second_factor_minutes", 10, path)),
            codes_per_session=int(_number(sign_in, "codes_per_sign_in", 5, path)),
        ),
        "THROTTLE_POLICY": ThrottlePolicy(
            account_failures=int(_number(throttle, "account_failures", 20, path)),
            address_failures=int(_number(throttle, "address_failures", 100, path)),
            window=timedelta(minutes=_number(throttle, "window_minutes", 15, path)),
        ),
        "EXPORT_LINK_DAYS": int(_number(exports, "link_days", 7, path)),
        "PERMANENT_SESSION_LIFETIME": absolute,
        "SESSION_COOKIE_NAME": "linkages_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "LOCKOUT_POLICY": LockoutPolicy(
            max_failures=int(_number(sign_in, "max_failures", 6, path)),
            lockout=timedelta(minutes=_number(sign_in, "lockout_minutes", 30, path)),
            concurrent_checks=int(_number(sign_in, "concurrent_password_checks", 2, path)),
            check_wait=timedelta(seconds=_number(sign_in, "password_check_wait_seconds", 5,
                                                 path)),
        ),
        "FAMILIES_PER_PAGE": int(_number(data, "families_per_page", 25, path)),
        "PROXY_HOPS": int(data.get("proxy_hops", 0) or 0),
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }
    settings.update(overrides)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = secret_key()
    return settings
