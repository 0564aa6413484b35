"""Make ``import matching`` find the library, not this test folder of the same name.

pytest puts ``tests/`` on ``sys.path`` (for ``tests/conftest.py``), where ``matching`` would
resolve to this folder as a namespace package."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [REPO_ROOT]:
    sys.path.insert(0, REPO_ROOT)
loaded = sys.modules.get("matching")
if loaded is not None and getattr(loaded, "__file__", None) is None:
    del sys.modules["matching"]
