"""The app against a migrated database holding the hand-made families of
tests/services/mutual_family_fixtures.py, and a client that signs in through the real form."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_TESTS / "services"))
# With tests/ on sys.path (pytest's prepend import mode puts it there for tests/conftest.py),
# the directory tests/webapp would be imported as a namespace package "webapp" in place of the
# real one, which the editable install only offers after the path finder. The repository root
# anywhere on sys.path lets the real package win.
if str(_TESTS.parent) not in sys.path:
    sys.path.append(str(_TESTS.parent))
import pyotp  # noqa: E402
from live import start_server  # noqa: E402
from mutual_family_fixtures import (  # noqa: E402 - fixtures register by import
    PASSWORD,
    TOTP_SECRET,
    Seeded,
    fast_password_hashing,  # noqa: F401
    seed,
)
from sqlalchemy import update  # noqa: E402

from linkages.db import session_scope  # noqa: E402
from linkages.models import User  # noqa: E402
from webapp import create_app  # noqa: E402

TEST_SECRET = "test-secret-key-0123456789abcdef0123456789abcdef"


@pytest.fixture
def seeded(db_url: str) -> Seeded:
    with session_scope(db_url) as session:
        return seed(session)


@pytest.fixture
def app(db_url: str, seeded: Seeded) -> Flask:
    return create_app({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    # No `with`: a preserved request context would share `g` between two clients.
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD,
            next_url: str | None = None, code: bool = True) -> TestResponse:
    """Sign in through the form. A seeded account whose role requires two-factor sign-in
    answers with a code made from TOTP_SECRET (unless ``code=False``: the response is then
    the redirect to the code page)."""
    login = client.get("/login")
    url = "/login" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data={"username": username, "password": password,
                                      "csrf_token": csrf_token(login.get_data(as_text=True))})
    if code and response.headers.get("Location") == "/login/code":
        return enter_code(client, username)
    return response


def enter_code(client: FlaskClient, username: str, code: str | None = None) -> TestResponse:
    """Answer the code page. Without ``code``: the current code of TOTP_SECRET, after
    forgetting the last step used, so one test may sign the same account in twice within 30
    seconds (replays are refused: see test_two_factor.py)."""
    if code is None:
        with session_scope(client.application.config["DATABASE_URL"]) as s:
            s.execute(update(User).where(User.username == username)
                      .values(totp_last_step=None))
        code = pyotp.TOTP(TOTP_SECRET).now()
    page = client.get("/login/code")
    return client.post("/login/code", data={"code": code,
                                            "csrf_token": csrf_token(page.get_data(as_text=True))})


def sign_out(client: FlaskClient) -> TestResponse:
    page = client.get("/families/")
    return client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.fixture
def live_server(db_url: str, seeded: Seeded,
                tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real server over the seeded database, and its process."""
    url, server = start_server(db_url, tmp_path)
    try:
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def live_url(live_server: tuple[str, subprocess.Popen[bytes]]) -> str:
    return live_server[0]
