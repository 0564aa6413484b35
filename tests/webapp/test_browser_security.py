"""Issue 11 in Chromium, against ``linkages serve`` on SQLite and on PostgreSQL: an evaluator
sets up two-factor sign-in, makes a cohort export and downloads it (no direct identifier in any
value, checksums that verify, 410 once expired), signs in again with a code and with a recovery
code (once); a copied session cookie fails after sign-out and after deactivation; throttling
answers 429 alike for known and unknown usernames; the audit viewer answers "who viewed family
X". Each page is saved as a screenshot in the test's directory (``screens/``)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from cohort_fixtures import add_cohort, assert_no_identifier
from live import chromium
from mutual_family_fixtures import PASSWORD, TOTP_SECRET, Seeded
from sqlalchemy import select, update

from linkages.db import session_scope
from linkages.exports.bundle import pseudonym
from linkages.keys import pseudonym_key
from linkages.models import CohortExport, CwsChildClient, User

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)]

COLUMNS_START = ["child_id", "county_cd", "county", "sex", "ethnic_group", "birth_year_month",
                 "calworks_match", "match_probability"]
THROTTLED = "Too many failed sign-in attempts with this username or from this address."


class Shots:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / "screens"
        self.directory.mkdir(exist_ok=True)
        self.blocked: list[str] = []

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: self.blocked.append(m.text)
                if "Content Security Policy" in m.text else None)
        return page

    def take(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.directory / f"{name}.png"), full_page=True)


def _h1(page: Any, name: str | re.Pattern[str]) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def _password(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _code(page: Any, code: str) -> None:
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Continue").click()


def _next_code(secret: str) -> str:
    """The code of the next 30-second step (the current one may have been used already; the
    server accepts one step either side)."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)


def test_an_evaluator_sets_up_two_factor_and_downloads_a_deidentified_export(
    live_url: str, db_url: str, seeded: Seeded, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with session_scope(db_url) as s:
        add_cohort(s)
        s.execute(update(User).where(User.username == "evaluator")
                  .values(totp_secret=None, totp_enabled_at=None))
    shots = Shots(tmp_path)
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = shots.watch(context.new_page())
        _password(page, live_url, "evaluator")
        _h1(page, "Set up two-factor sign-in")
        expect(page.locator("figure.qr svg")).to_be_visible()
        shots.take(page, "01-set-up-two-factor")
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.get_by_label("Security code").fill("000000")
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_text("That code is not right").first).to_be_visible()
        shots.take(page, "02-set-up-wrong-code")
        page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        _h1(page, "Save your recovery codes")
        shots.take(page, "03-recovery-codes")
        codes = page.locator("ul.recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        page.get_by_role("link", name="I have saved my recovery codes").click()
        _h1(page, "Mutual families")

        # The export page, a wrong period, then the export.
        page.get_by_role("link", name="Cohort exports").click()
        _h1(page, "Cohort exports")
        shots.take(page, "04-exports")
        page.get_by_label("First day of the period").fill("2020-12-31")
        page.get_by_label("Last day of the period").fill("2019-01-01")
        page.get_by_role("button", name="Make the export").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        shots.take(page, "05-exports-error")
        page.get_by_label("Counties").select_option(["10", "19"])
        page.get_by_label("First day of the period").fill("2019-01-01")
        page.get_by_label("Last day of the period").fill("2020-12-31")
        page.get_by_role("button", name="Make the export").click()
        _h1(page, re.compile(r"Export \d+"))
        expect(page.get_by_text("is ready: 5 children")).to_be_visible()
        shots.take(page, "06-export-detail")
        export_url = page.url

        # Every file, downloaded as the evaluator would.
        files: dict[str, Path] = {}
        for name in ("manifest.json", "cohort.csv", "cohort.parquet", "data_dictionary.csv",
                     "summary.csv"):
            with page.expect_download() as info:
                page.get_by_role("link", name=name, exact=True).click()
            files[name] = tmp_path / name
            info.value.save_as(files[name])
        manifest = json.loads(files["manifest.json"].read_text())
        for entry in manifest["files"]:
            digest = hashlib.sha256(files[entry["name"]].read_bytes()).hexdigest()
            assert digest == entry["sha256"], entry["name"]
        with files["cohort.csv"].open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == manifest["row_count"] == 5
        assert list(rows[0])[:len(COLUMNS_START)] == COLUMNS_START
        assert not {"first_name", "last_name", "dob", "ssn", "ssn_last4", "address", "zip",
                    "case_number", "record_id"} & set(rows[0])
        key = pseudonym_key()
        with session_scope(db_url) as s:
            records = {pseudonym(key, "cws_child", r): r
                       for r in s.scalars(select(CwsChildClient.record_id))}
            cells = [(records[r["child_id"]], v) for r in rows for v in r.values()]
            with files["summary.csv"].open(encoding="utf-8") as f:
                cells += [("", v) for r in csv.DictReader(f) for v in r.values()]
            assert_no_identifier(s, cells)

        # Expired: the link answers 410 Gone.
        with session_scope(db_url) as s:
            s.execute(update(CohortExport).values(
                expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        response = page.goto(f"{export_url}/files/cohort.csv")
        assert response is not None and response.status == 410
        _h1(page, "Export expired")
        shots.take(page, "07-export-expired-410")
        page.goto(export_url)
        expect(page.get_by_text("This export has expired")).to_be_visible()
        shots.take(page, "08-export-detail-expired")

        # Signing in again: a code from the app, then a recovery code, which works once.
        page.get_by_role("button", name="Sign out").click()
        _password(page, live_url, "evaluator")
        _h1(page, "Enter your security code")
        shots.take(page, "09-enter-code")
        _code(page, _next_code(secret))
        _h1(page, "Mutual families")
        page.get_by_role("link", name="Your account").click()
        expect(page.get_by_text("10 recovery codes left")).to_be_visible()
        shots.take(page, "10-your-account")
        page.get_by_role("button", name="Sign out").click()
        _password(page, live_url, "evaluator")
        _code(page, codes[0])
        expect(page.get_by_text("You signed in with a recovery code: 9 left")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        _password(page, live_url, "evaluator")
        _code(page, codes[0])
        expect(page.get_by_text("That code is not right").first).to_be_visible()
        shots.take(page, "11-recovery-code-used-twice")
        page.goto(f"{live_url}/families/")
        _h1(page, "Sign in")
        context.close()
    assert shots.blocked == [], shots.blocked


def _copy_session(source: Any, browser: Any) -> Any:
    thief = browser.new_context()
    thief.add_cookies([c for c in source.cookies() if c["name"] == "linkages_session"])
    return thief.new_page()


def test_copied_cookies_throttling_user_administration_and_the_audit_viewer(
    live_url: str, db_url: str, seeded: Seeded, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = Shots(tmp_path)
    with chromium() as browser:
        # A worker opens a family; a copy of her cookie works until she signs out.
        worker = browser.new_context()
        page = shots.watch(worker.new_page())
        _password(page, live_url, "fresno-cws")
        page.get_by_role("link", name="GARCIA LOPEZ family").click()
        _h1(page, "GARCIA LOPEZ family")
        stolen = _copy_session(worker, browser)
        stolen.goto(f"{live_url}/families/")
        _h1(stolen, "Mutual families")
        page.get_by_role("button", name="Sign out").click()
        stolen.goto(f"{live_url}/families/")
        _h1(stolen, "Sign in")
        shots.take(stolen, "20-copied-cookie-after-sign-out")

        # Again, and this time an administrator deactivates the account.
        _password(page, live_url, "fresno-cws")
        stolen = _copy_session(worker, browser)
        stolen.goto(f"{live_url}/families/")
        _h1(stolen, "Mutual families")
        admin = shots.watch(browser.new_context(accept_downloads=True).new_page())
        _password(admin, live_url, "admin")
        _code(admin, pyotp.TOTP(TOTP_SECRET).now())
        admin.get_by_role("link", name="Users", exact=True).click()
        _h1(admin, "Users")
        shots.take(admin, "21-users")
        admin.get_by_role("link", name="fresno-cws", exact=True).click()
        _h1(admin, "fresno-cws")
        shots.take(admin, "22-user")
        admin.get_by_role("button", name="Deactivate the account").click()
        expect(admin.get_by_text("is deactivated and signed out everywhere")).to_be_visible()
        shots.take(admin, "23-user-deactivated")
        for signed_out in (stolen, page):
            signed_out.goto(f"{live_url}/families/")
            _h1(signed_out, "Sign in")
        shots.take(stolen, "24-copied-cookie-after-deactivation")

        # Creating an account, with an error on a field first; a new password for another.
        admin.get_by_role("link", name="Users", exact=True).click()
        admin.get_by_role("link", name="Create an account").click()
        admin.get_by_label("Username").fill("new-worker")
        admin.get_by_label("Name shown in the app").fill("Nora Worker")
        admin.get_by_label("Role").select_option("calworks_worker")
        admin.get_by_label("County").select_option("10")
        admin.get_by_label("Password", exact=True).fill("too short")
        admin.get_by_label("Password again").fill("too short")
        admin.get_by_role("button", name="Create the account").click()
        expect(admin.get_by_role("link", name=re.compile("must be at least 15"))).to_be_visible()
        shots.take(admin, "25-create-account-error")
        admin.get_by_label("Password", exact=True).fill("a long enough passphrase here")
        admin.get_by_label("Password again").fill("a long enough passphrase here")
        admin.get_by_role("button", name="Create the account").click()
        _h1(admin, "new-worker")
        admin.get_by_role("link", name="Reset the password").click()
        _h1(admin, "New password for new-worker")
        shots.take(admin, "26-reset-password")

        # The audit viewer: who viewed the GARCIA LOPEZ family?
        admin.get_by_role("link", name="Audit log").click()
        _h1(admin, "Audit log")
        admin.get_by_label("Family number").first.fill(str(seeded.garcia))
        admin.get_by_role("button", name="Show who viewed it").click()
        viewers = admin.locator("table.viewers")
        expect(viewers.get_by_role("rowheader", name="fresno-cws", exact=True)).to_be_visible()
        expect(viewers.get_by_role("row")).to_have_count(2)  # header + one viewer
        shots.take(admin, "27-audit-who-viewed-family")
        with admin.expect_download() as info:
            admin.get_by_role("link", name="Download these events as CSV").click()
        path = tmp_path / "audit.csv"
        info.value.save_as(path)
        with path.open(encoding="utf-8") as f:
            events = list(csv.DictReader(f))
        assert [(e["username"], e["action"], e["entity_id"]) for e in events] == [
            ("fresno-cws", "family.view", str(seeded.garcia))]

        # Throttling: 20 failures, then 429, alike for a real and an unknown username.
        guesser = shots.watch(browser.new_context().new_page())
        messages = {}
        for username in ("la-cws", "nobody-at-all"):
            for _ in range(20):
                _password(guesser, live_url, username, "wrong password")
                expect(guesser.get_by_text("Sign-in failed")).to_be_visible()
            response = guesser.request.get(f"{live_url}/login")
            assert response.ok
            _password(guesser, live_url, username, "wrong password")
            alert = guesser.get_by_role("alert")
            expect(alert).to_contain_text(THROTTLED)
            messages[username] = alert.inner_text()
            shots.take(guesser, f"28-throttled-{username}")
        assert messages["la-cws"] == messages["nobody-at-all"]
        status = guesser.request.post(f"{live_url}/login", form={"username": "la-cws"}).status
        assert status == 400  # no CSRF token: refused before anything else
    assert shots.blocked == [], shots.blocked
