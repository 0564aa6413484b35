"""Where Linkages finds its configuration, data directory and database.

Code tables and thresholds live as data files under ``config/`` at the top of the repository;
``LINKAGES_CONFIG_DIR`` points elsewhere (a county's own copy). The embedded database is a
SQLite file under ``var/`` unless ``LINKAGES_DATABASE_URL`` names another (PostgreSQL in
counties).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    return Path(os.environ.get("LINKAGES_CONFIG_DIR", REPO_ROOT / "config"))


def var_dir() -> Path:
    path = Path(os.environ.get("LINKAGES_VAR_DIR", REPO_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("LINKAGES_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{var_dir() / 'linkages.db'}"
