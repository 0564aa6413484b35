"""The first browser test: Debian's Chromium, driven by Playwright, against ``linkages serve``
on a free local port and a temporary SQLite database holding families in two counties."""

from __future__ import annotations

from pathlib import Path

import pytest
from live import chromium
from mutual_family_fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_fresno_worker_signs_in_sees_her_family_opens_it_and_signs_out(
    live_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page()
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text)
                if "Content Security Policy" in m.text else None)

        page.goto(f"{live_url}/")
        expect(page).to_have_title("Sign in – Linkages")
        page.get_by_label("Username").fill("fresno-cws")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", level=1, name="My families")).to_be_visible()
        expect(page.get_by_text("Signed in as Ana Fresno")).to_be_visible()
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Mutual families").click()
        expect(page.get_by_role("heading", level=1, name="Mutual families")).to_be_visible()
        expect(page.get_by_role("link", name="GARCIA LOPEZ family")).to_be_visible()
        expect(page.get_by_role("link", name="OKAFOR family")).to_be_visible()
        expect(page.get_by_text("NGUYEN family")).to_have_count(0)

        page.get_by_label("Family name or case number").fill("garcia")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("link", name="OKAFOR family")).to_have_count(0)

        page.get_by_role("link", name="GARCIA LOPEZ family").click()
        expect(page.get_by_role("heading", level=1, name="GARCIA LOPEZ family")).to_be_visible()
        page.get_by_role("navigation", name="Family workspace").get_by_role(
            "link", name="Members").click()
        # Each child as CalWORKs and as CWS/CMS record it: the same name here, not below.
        expect(page.get_by_role("cell", name="MARIA GARCIA LOPEZ")).to_have_count(2)
        expect(page.get_by_role("cell", name="JOSEPH GARCIA LOPEZ")).to_be_visible()

        page.keyboard.press("Tab")  # the first stop is the skip link
        expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        page.goto(f"{live_url}/families/")
        expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
        assert blocked == [], blocked  # the stylesheet is not refused by the CSP
    # Searches carry names: the server's log has paths only.
    log = (tmp_path / "serve.log").read_text()
    assert '"GET /families/" 200' in log and "q=" not in log
