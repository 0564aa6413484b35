"""Shared fixtures. Database tests run on SQLite and on PostgreSQL: ask for ``db_url`` (or
``session``) and the test runs once on each, each time against a schema built by the real
Alembic migrations.

PostgreSQL is expected at ``LINKAGES_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, trust
auth, database ``test``). When it is unreachable the PostgreSQL tests FAIL, never skip: counties
run PostgreSQL, so a green run without it would be a lie.

No test may change data it was not given. An inherited ``LINKAGES_DATABASE_URL`` (perhaps a
county's production database) is dropped before anything is imported, every test runs with
``LINKAGES_DATABASE_URL`` and ``LINKAGES_VAR_DIR`` pointing into its own temporary directory
(:func:`_isolated_environment`), and the run fails if the checkout's own ``var/linkages.db``
(the demo) changed while it ran (:func:`pytest_sessionfinish`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

# Before linkages is imported: nothing in a test session may reach an inherited database.
os.environ.pop("LINKAGES_DATABASE_URL", None)
os.environ.pop("LINKAGES_VAR_DIR", None)
os.environ.pop("LINKAGES_TOTP_KEY", None)
os.environ.pop("LINKAGES_PSEUDONYM_KEY", None)

from linkages.config import REPO_ROOT
from linkages.db import get_engine, session_factory
from linkages.db.migrate import upgrade
from linkages.models import Base

TEST_TOTP_KEY = "test-totp-key-0123456789abcdef0123456789abcdef"
TEST_PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef0123456789"

# The checkout's own data (what `make demo` built); tests never write here.
CHECKOUT_VAR = REPO_ROOT / "var"
_checkout_fingerprint: dict[str, str] = {}


def _fingerprint(directory: Path) -> dict[str, str]:
    """SHA-256 of the checkout's database files (the SQLite file and its WAL, if any)."""
    found = {}
    for name in ("linkages.db", "linkages.db-wal"):
        path = directory / name
        if path.exists():
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # once, in the controlling process
        _checkout_fingerprint.update(_fingerprint(CHECKOUT_VAR))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return
    after = _fingerprint(CHECKOUT_VAR)
    if after != _checkout_fingerprint:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED: the test run changed the checkout's own database in {CHECKOUT_VAR}: "
                "a test reached data it was not given", red=True, bold=True)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own var directory and, unless it asks for ``db_url``, a database
    URL there that has no schema, so a command that would write to a database finds none."""
    var = tmp_path_factory.mktemp("var")
    monkeypatch.setenv("LINKAGES_VAR_DIR", str(var))
    monkeypatch.setenv("LINKAGES_DATABASE_URL", f"sqlite:///{var / 'linkages.db'}")
    # Known keys, shared with the servers the browser tests start (they inherit the
    # environment): two-factor secrets seeded here must be readable there.
    monkeypatch.setenv("LINKAGES_TOTP_KEY", TEST_TOTP_KEY)
    monkeypatch.setenv("LINKAGES_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
    return var


POSTGRES_ADMIN_URL = os.environ.get(
    "LINKAGES_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    get_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_database(worker_id: str) -> Iterator[str]:
    """A database of our own for this test session (one per xdist worker), migrated to head."""
    admin = make_url(POSTGRES_ADMIN_URL)
    name = f"linkages_test_{worker_id}_{os.getpid()}"
    try:
        admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach it gets the same message
        pytest.fail(
            f"PostgreSQL is expected at {admin.render_as_string(hide_password=True)} and is "
            f"unreachable ({exc.__class__.__name__}: {exc}). Start it "
            "(pg_ctlcluster <version> main start) or set LINKAGES_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    url = admin.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist's worker id, or "main" without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           _sqlite_template: Path) -> Iterator[str]:
    """An empty, migrated database: a fresh SQLite file, or the session's PostgreSQL database
    emptied before the test. Also set as LINKAGES_DATABASE_URL for code that reads it."""
    if request.param == "sqlite":
        path = tmp_path / "linkages.db"
        shutil.copy(_sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_postgres_database")
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        # A connection an earlier test left in a transaction (a streamed response it never
        # read to the end, a server it started) would block TRUNCATE for ever: end them.
        get_engine(url).dispose()
        with get_engine(url).begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            # TRUNCATE fires no row triggers, so the append-only audit table can be reset.
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    previous = os.environ.get("LINKAGES_DATABASE_URL")
    os.environ["LINKAGES_DATABASE_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("LINKAGES_DATABASE_URL", None)
    else:
        os.environ["LINKAGES_DATABASE_URL"] = previous
    if url.startswith("sqlite"):
        get_engine(url).dispose()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    s = session_factory(db_url)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
