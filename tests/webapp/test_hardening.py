"""The real server under parallel and malformed requests: sign-in that holds under a burst,
bounded memory, no 500 that erases its own audit, no crash on a bad request line, and
production defaults that refuse insecure cookies and name no software versions."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import subprocess as sp
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import csrf_token, sign_in
from flask.testing import FlaskClient
from mutual_family_fixtures import PASSWORD, Seeded
from sqlalchemy import func, select, update

from linkages.cli import main
from linkages.db import session_scope
from linkages.models import AuditEvent, User
from linkages.services import users
from webapp.cli import _PathOnlyRequestHandler

MAX_FAILURES = 6  # config/webapp.yaml


class Browser:
    """One visitor with her own cookies, talking to the real server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self._open(urllib.request.Request(self.url + path))

    def sign_in(self, username: str, password: str, next_url: str = "") -> tuple[int, str]:
        _, page, _ = self.get("/login")
        data = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": csrf_token(page)}).encode()
        status, body, headers = self._open(urllib.request.Request(
            self.url + "/login" + next_url, data=data, method="POST"))
        return status, headers.get("Location", "") or body

    def _open(self, request: urllib.request.Request) -> tuple[int, str, dict[str, str]]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _account(db_url: str, username: str) -> tuple[int, bool]:
    with session_scope(db_url) as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return user.failed_logins, user.locked_until is not None


def _last_event(db_url: str) -> int:
    with session_scope(db_url) as s:
        return s.scalar(select(func.max(AuditEvent.id))) or 0


def _replay(db_url: str, username: str, after: int = 0) -> tuple[int, int]:
    """Replay the account's sign-in audit trail after event ``after`` (the account then
    unlocked, with no failures), in the order it was written: every success must have come
    while the account was not locked, and every failure was counted. Returns (successes,
    failures counted since the last success)."""
    with session_scope(db_url) as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(uid),
                                                    AuditEvent.entity_type == "user",
                                                    AuditEvent.id > after)
                           .order_by(AuditEvent.id)).all()
    count, successes = 0, 0
    for event in events:
        if event.action == "login":
            assert count < MAX_FAILURES, "signed in a locked account"
            count, successes = 0, successes + 1
        elif event.action == "login_failed" and event.detail["reason"] == "bad_password":
            count += 1
            assert event.detail["failures"] == count, "a failure was not counted"
    return successes, count


both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
pytestmark = pytest.mark.slow


@both_databases
def test_a_burst_of_wrong_passwords_locks_the_account_and_loses_no_count(
    live_url: str, db_url: str
) -> None:
    with ThreadPoolExecutor(11) as pool:
        results = list(pool.map(lambda _: Browser(live_url).sign_in("fresno-cws", "wrong"),
                                range(11)))
    assert all(status == 200 and "Sign-in failed" in body for status, body in results)
    failures, locked = _account(db_url, "fresno-cws")
    assert locked and failures >= MAX_FAILURES
    assert _replay(db_url, "fresno-cws") == (0, failures)
    # The right password now fails like any other attempt, and opens nothing.
    visitor = Browser(live_url)
    status, body = visitor.sign_in("fresno-cws", PASSWORD)
    assert status == 200 and "Sign-in failed" in body
    assert visitor.get("/families/")[0] == 302


@both_databases
def test_the_right_password_in_a_burst_never_signs_in_a_locked_account(
    live_url: str, db_url: str
) -> None:
    for _round in range(3):
        start = _last_event(db_url)
        with ThreadPoolExecutor(12) as pool:
            wrong = [pool.submit(Browser(live_url).sign_in, "fresno-cws", "wrong")
                     for _ in range(11)]
            time.sleep(0.1)
            right = pool.submit(Browser(live_url).sign_in, "fresno-cws", PASSWORD)
            [f.result() for f in wrong]
            status, where = right.result()
        successes, count = _replay(db_url, "fresno-cws", after=start)
        failures, locked = _account(db_url, "fresno-cws")
        assert failures == count  # the replayed trail and the account agree
        assert locked == (count >= MAX_FAILURES)
        assert successes == (1 if status == 302 else 0)
        if status == 302:
            assert where.endswith("/")
        with session_scope(db_url) as s:  # the next round starts afresh
            s.execute(update(User).values(failed_logins=0, locked_until=None))


def _peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


@both_databases
def test_parallel_sign_ins_of_unknown_users_do_not_exhaust_memory(
    live_server: tuple[str, subprocess.Popen[bytes]], db_url: str
) -> None:
    url, server = live_server
    Browser(url).sign_in("nobody", "x" * 20)  # the timing-equaliser hash is made once
    before = _peak_rss_mib(server.pid)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: Browser(url).sign_in(f"nobody{i}", "x" * 20),
                                range(16)))
    grown = _peak_rss_mib(server.pid) - before
    # argon2 takes 64 MiB a check: 16 at once would be over 1 GiB; two at a time stay small.
    assert grown < 2 * 64 + 100, f"peak memory grew by {grown:.0f} MiB"
    assert all(status in (200, 503) for status, _ in results)


@both_databases
def test_an_absurd_or_unicode_family_id_is_not_found(client: FlaskClient, seeded: Seeded) -> None:
    sign_in(client, "fresno-cws")
    for path in ("/families/9223372036854775808", "/families/2147483648",
                 f"/families/{'9' * 400}", "/families/\uff14", "/families/\u0664"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/families/{seeded.garcia}").status_code == 200


@both_databases
def test_a_next_with_control_characters_is_dropped_and_the_sign_in_audited(
    client: FlaskClient, db_url: str
) -> None:
    response = sign_in(client, "fresno-cws", next_url="%2F%0D%0AX%3A%201")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X" not in response.headers
    with session_scope(db_url) as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "login")) is not None


def test_a_busy_sign_in_is_told_to_try_again(client: FlaskClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(*_args: object, **_kwargs: object) -> None:
        raise users.SignInBusy("busy")

    monkeypatch.setattr(users, "authenticate", busy)
    response = sign_in(client, "fresno-cws")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "try again in a few seconds" in response.get_data(as_text=True)


def _raw(url: str, request_line: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@both_databases
def test_malformed_and_over_long_request_lines_get_400_or_414(
    live_server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    url, server = live_server
    long_line = b"GET /families/?q=" + b"a" * 70_000 + b" HTTP/1.1"
    assert re.match(rb"HTTP/1\.[01] 414 ", _raw(url, long_line))
    assert re.match(rb"HTTP/1\.[01] 400 ", _raw(url, b"GET / HTTP/1.1 extra"))
    assert re.match(rb"HTTP/1\.[01] 400 ", _raw(url, b"NONSENSE"))
    status, _, headers = Browser(url).get("/login")
    assert status == 200 and server.poll() is None  # still serving
    assert "Server" not in headers
    assert not re.search(r"(?i)werkzeug|python|waitress", " ".join(headers.values()))
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_the_development_server_logs_a_request_it_could_not_parse() -> None:
    handler = _PathOnlyRequestHandler.__new__(_PathOnlyRequestHandler)
    lines: list[str] = []
    handler.log = lambda _type, message, *args: lines.append(message % args)  # type: ignore[method-assign]
    handler.log_request(414)  # no path or command: the request line was never parsed
    assert lines == ['"- " 414 -']


@both_databases
def test_the_server_refuses_insecure_cookies_without_insecure_local(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKAGES_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LINKAGES_SESSION_COOKIE_SECURE", "false")
    result = CliRunner().invoke(main, ["serve", "--port", "5999"])
    assert result.exit_code == 1
    assert "refusing to serve with insecure session cookies" in result.output
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--insecure-local"])
    assert result.exit_code == 2 and "this machine only" in result.output


@both_databases
def test_the_wsgi_entry_point_refuses_insecure_cookies(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKAGES_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LINKAGES_SESSION_COOKIE_SECURE", "false")
    code = "import webapp.wsgi"
    refused = sp.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "refusing to start with insecure session cookies" in refused.stderr
    monkeypatch.setenv("LINKAGES_INSECURE_LOCAL", "true")
    allowed = sp.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert allowed.returncode == 0, allowed.stderr
    assert "this machine only" in allowed.stderr

