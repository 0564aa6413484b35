"""``linkages users create`` and ``linkages users demo``, as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from linkages.cli import main
from linkages.db import session_scope
from linkages.models import AuditEvent, User
from linkages.services import users

GOOD = "a perfectly long passphrase"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["users", *args], input=stdin)
    return result.exit_code, result.output


def test_create_reads_the_password_from_stdin(db_url: str) -> None:
    code, out = run("create", "--username", "jdoe", "--role", "calworks_worker",
                    "--county", "10", "--name", "J. Doe", "--password-stdin", stdin=GOOD + "\n")
    assert code == 0, out
    assert "created user jdoe (CalWORKs / WtW case manager, 10 Fresno)" in out
    with session_scope(db_url) as session:
        assert users.authenticate(session, "jdoe", GOOD).ok
        user = session.scalar(select(User).where(User.username == "jdoe"))
        assert user is not None and user.program == "calworks"
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event.username.startswith("cli:") and GOOD not in repr(event.detail)


def test_create_prompts_twice_for_the_password(db_url: str) -> None:
    code, out = run("create", "--username", "eval1", "--role", "evaluator", "--name", "E",
                    stdin=f"{GOOD}\n{GOOD}\n")
    assert code == 0, out
    assert GOOD not in out  # hidden input
    assert "statewide" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "cws_worker"], "--county: a CWS social worker needs a county"),
    (["--role", "cws_worker", "--county", "99"], "99 is not in the range 1<=x<=58"),
    (["--role", "cws_worker", "--county", "10", "--program", "calworks"],
     "--program: a CWS social worker belongs to cws"),
    (["--role", "chief"], "'chief' is not one of"),
])
def test_create_refuses_bad_input_with_exit_status_2(db_url: str, args: list[str],
                                                     message: str) -> None:
    code, out = run("create", "--username", "jdoe", "--name", "J", "--password-stdin", *args,
                    stdin=GOOD + "\n")
    assert code == 2
    assert message in out


def test_create_refuses_a_short_password_and_a_duplicate(db_url: str) -> None:
    base = ["create", "--username", "jdoe", "--role", "evaluator", "--name", "J",
            "--password-stdin"]
    code, out = run(*base, stdin="too-short\n")
    assert code == 2 and "at least 15 characters" in out
    assert run(*base, stdin=GOOD + "\n")[0] == 0
    code, out = run(*base, stdin=GOOD + "\n")
    assert code == 2 and "'jdoe' already exists" in out


def test_create_on_an_unmigrated_database_says_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGES_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, out = run("create", "--username", "jdoe", "--role", "evaluator", "--name", "J",
                    "--password-stdin", stdin=GOOD + "\n")
    assert code == 1 and "run `linkages db upgrade` first" in out


def test_demo_prints_one_account_per_role(db_url: str) -> None:
    code, out = run("demo")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["username", "role", "program", "county"]
    table = "\n".join(lines[2:10])
    for expected in ("fresno-cws", "fresno-calworks", "fresno-manager", "la-cws",
                     "fresno-cws-supervisor", "fresno-calworks-supervisor", "CWS supervisor",
                     "19 Los Angeles", "evaluator", "admin", "statewide"):
        assert expected in table
    assert "password for every demo account: linkages-demo-password" in out
    with session_scope(db_url) as session:
        assert users.authenticate(session, "la-cws", "linkages-demo-password").ok
    assert run("demo")[0] == 0  # a second run resets, never duplicates


def test_demo_refuses_a_database_with_real_accounts_unless_forced(db_url: str) -> None:
    code, out = run("create", "--username", "jdoe", "--role", "administrator", "--name", "J",
                    "--password-stdin", stdin=GOOD + "\n")
    assert code == 0, out
    code, out = run("demo")
    assert code == 1
    assert "holds accounts that are not demo accounts (jdoe)" in out and "--force" in out
    with session_scope(db_url) as session:
        assert session.scalar(select(User).where(User.username == "admin")) is None
    code, out = run("demo", "--force")
    assert code == 0, out
    with session_scope(db_url) as session:
        assert session.scalar(select(User).where(User.username == "admin")) is not None
