"""Two-factor sign-in through the real pages: set up at the first sign-in of a role that
requires it, the pending sign-in holds nothing but its token, codes are accepted once,
recovery codes once each, wrong codes are limited, workers may turn it on and off."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from conftest import csrf_token, enter_code, sign_in, sign_out
from flask.testing import FlaskClient
from mutual_family_fixtures import TOTP_SECRET, Seeded
from sqlalchemy import select, update
from test_routes import check_page

from linkages.db import session_scope
from linkages.models import AuditEvent, RecoveryCode, User, UserSession

both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _clear_two_factor(db_url: str, username: str) -> None:
    with session_scope(db_url) as s:
        s.execute(update(User).where(User.username == username)
                  .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None))


def _secret_on_page(html: str) -> str:
    match = re.search(r'<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert match, "no secret on the set-up page"
    return match.group(1).replace(" ", "")


def _post(client: FlaskClient, path: str, **data: str) -> object:
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def _codes(html: str) -> list[str]:
    return re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", html)


def _events(db_url: str) -> list[str]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@both_databases
def test_an_evaluator_sets_up_two_factor_at_first_sign_in(
    client: FlaskClient, db_url: str, seeded: Seeded
) -> None:
    _clear_two_factor(db_url, "evaluator")
    response = sign_in(client, "evaluator", code=False)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/login/code").headers["Location"] == "/login/set-up"
    # Pending: not signed in, and the cookie holds only the pending session's token.
    assert client.get("/families/").status_code == 302
    with client.session_transaction() as cookie:
        assert set(cookie) <= {"pending_sign_in", "pending_next", "csrf_token", "_flashes"}
        assert "_user_id" not in cookie
    page = client.get("/login/set-up").get_data(as_text=True)
    assert check_page(page) == "Set up two-factor sign-in"
    assert "<svg" in page and "<path" in page and "style=" not in page.split("<svg")[1]
    secret = _secret_on_page(page)
    assert _secret_on_page(client.get("/login/set-up").get_data(as_text=True)) == secret
    # Not active until a code from it verifies.
    with session_scope(db_url) as s:
        user = s.scalars(select(User).where(User.username == "evaluator")).one()
        assert user.totp_secret is None
        pending = s.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
        assert pending.signed_in_at is None and secret not in (pending.pending_totp_secret or "")
    wrong = _post(client, "/login/set-up", code="000000")
    assert "That code is not right" in wrong.get_data(as_text=True)  # type: ignore[attr-defined]
    done = _post(client, "/login/set-up", code=pyotp.TOTP(secret).now())
    html = done.get_data(as_text=True)  # type: ignore[attr-defined]
    assert check_page(html) == "Save your recovery codes"
    codes = _codes(html)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/families/").status_code == 200
    with session_scope(db_url) as s:
        user = s.scalars(select(User).where(User.username == "evaluator")).one()
        assert user.totp_secret and secret not in user.totp_secret  # encrypted at rest
        assert user.totp_last_step is not None
        stored = s.scalars(select(RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and not set(stored) & set(codes)
    assert _events(db_url)[-4:-1] == ["login.second_factor_failed", "two_factor.enabled", "login"]


@both_databases
def test_a_code_is_accepted_once_and_a_recovery_code_once(
    app: object, client: FlaskClient, db_url: str, seeded: Seeded
) -> None:
    sign_in(client, "admin", code=False)
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert enter_code(client, "admin", code=code).status_code == 302  # type: ignore[arg-type]
    assert client.get("/families/").status_code == 200
    sign_out(client)
    # The same code again (a replay, or a second tab) is refused.
    sign_in(client, "admin", code=False)
    again = _post(client, "/login/code", code=code)
    assert "That code is not right" in again.get_data(as_text=True)  # type: ignore[attr-defined]
    assert client.get("/families/").status_code == 302
    # A recovery code: made here, used once.
    with session_scope(db_url) as s:
        from linkages.services import two_factor

        user = s.scalars(select(User).where(User.username == "admin")).one()
        recovery = two_factor._new_recovery_codes(s, user.id, user.created_at)[0]
    used = _post(client, "/login/code", code=recovery.lower().replace("-", " "))
    assert used.headers["Location"] == "/"  # type: ignore[attr-defined]
    assert "You signed in with a recovery code: 9 left" in client.get("/families/").get_data(
        as_text=True)
    sign_out(client)
    sign_in(client, "admin", code=False)
    reused = _post(client, "/login/code", code=recovery)
    assert "That code is not right" in reused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert client.get("/families/").status_code == 302
    actions = _events(db_url)
    assert actions.count("two_factor.recovery_code_used") == 1
    assert actions.count("login.second_factor_failed") == 2


@sqlite_only
def test_five_wrong_codes_end_the_sign_in_and_six_lock_the_account(
    client: FlaskClient, db_url: str, seeded: Seeded
) -> None:
    sign_in(client, "fresno-manager", code=False)
    page = client.get("/login/code").get_data(as_text=True)
    assert check_page(page) == "Enter your security code"
    for _ in range(4):
        _post(client, "/login/code", code="123456")
    fifth = _post(client, "/login/code", code="123456")
    assert fifth.headers["Location"] == "/login"  # type: ignore[attr-defined]
    assert client.get("/login/code").headers["Location"] == "/login"
    # A right password again; one more wrong code is the sixth in a row: locked.
    sign_in(client, "fresno-manager", code=False)
    _post(client, "/login/code", code="123456")
    with session_scope(db_url) as s:
        user = s.scalars(select(User).where(User.username == "fresno-manager")).one()
        assert user.second_factor_failures == 6 and user.locked_until is not None
    # Locked: even the right code does not sign in, and the password is not enough either.
    assert sign_in(client, "fresno-manager").status_code == 200
    assert client.get("/families/").status_code == 302


@sqlite_only
def test_leaving_a_pending_sign_in_ends_it(client: FlaskClient, db_url: str,
                                           seeded: Seeded) -> None:
    sign_in(client, "evaluator", code=False)
    client.get("/login")  # back to the start
    assert client.get("/login/code").headers["Location"] == "/login"
    sign_in(client, "evaluator", code=False)
    cancel = _post(client, "/login/code")  # no code: the form asks again
    assert cancel.status_code == 200  # type: ignore[attr-defined]
    token = csrf_token(client.get("/login/code").get_data(as_text=True))
    assert client.post("/login/cancel", data={"csrf_token": token}).headers["Location"] == "/login"
    assert client.get("/login/code").headers["Location"] == "/login"
    with session_scope(db_url) as s:
        reasons = s.scalars(select(UserSession.end_reason).order_by(UserSession.id)).all()
    assert reasons == ["abandoned", "cancelled"]


@sqlite_only
def test_a_worker_may_turn_two_factor_on_and_off(client: FlaskClient, db_url: str,
                                                 seeded: Seeded) -> None:
    sign_in(client, "fresno-cws")
    account = client.get("/account/").get_data(as_text=True)
    assert check_page(account) == "Your account" and "Off." in account
    secret = _secret_on_page(client.get("/account/two-factor/set-up").get_data(as_text=True))
    done = _post(client, "/account/two-factor/set-up", code=pyotp.TOTP(secret).now())
    assert len(_codes(done.get_data(as_text=True))) == 10  # type: ignore[attr-defined]
    assert "On</span> since" in client.get("/account/").get_data(as_text=True)
    sign_out(client)
    # Now her sign-in asks for a code too.
    assert sign_in(client, "fresno-cws", code=False).headers["Location"] == "/login/code"
    # The next step's code: the current one was used to set it up (a replay otherwise).
    nxt = pyotp.TOTP(secret).at(int(time.time()) + 30)
    assert _post(client, "/login/code", code=nxt).headers["Location"] == "/"  # type: ignore[attr-defined]
    page = client.get("/account/").get_data(as_text=True)
    with session_scope(db_url) as s:  # every step of this half minute is used up
        s.execute(update(User).where(User.username == "fresno-cws").values(totp_last_step=None))
    off = client.post("/account/two-factor/turn-off",
                      data={"off-code": pyotp.TOTP(secret).now(),
                            "off-csrf_token": csrf_token(page)})
    assert off.headers["Location"] == "/account/"
    sign_out(client)
    assert sign_in(client, "fresno-cws", code=False).headers["Location"] == "/"


@sqlite_only
def test_required_roles_cannot_turn_it_off_and_an_administrator_can_reset_it(
    client: FlaskClient, app: object, db_url: str, seeded: Seeded
) -> None:
    sign_in(client, "evaluator")
    page = client.get("/account/").get_data(as_text=True)
    assert "cannot be turned off" in page and "turn-off" not in page
    response = client.post("/account/two-factor/turn-off",
                           data={"off-code": pyotp.TOTP(TOTP_SECRET).now(),
                                 "off-csrf_token": csrf_token(page)})
    assert response.status_code == 403
    admin = app.test_client()  # type: ignore[attr-defined]
    sign_in(admin, "admin")
    user_page = admin.get(f"/admin/users/{seeded.users['evaluator']}").get_data(as_text=True)
    admin.post(f"/admin/users/{seeded.users['evaluator']}/two-factor-reset",
               data={"csrf_token": csrf_token(user_page)})
    assert client.get("/families/").status_code == 302  # her sessions ended
    assert sign_in(client, "evaluator", code=False).headers["Location"] == "/login/code"
    assert client.get("/login/code").headers["Location"] == "/login/set-up"
    assert "two_factor.reset" in _events(db_url)
