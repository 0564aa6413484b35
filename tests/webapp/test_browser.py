"""The one browser test: Debian's Chromium, driven by Playwright, against ``linkages serve``
on a free local port and a temporary SQLite database holding families in two counties."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mutual_family_fixtures import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; skipped without it, except in CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


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

        expect(page.get_by_role("heading", level=1, name="Mutual families")).to_be_visible()
        expect(page.get_by_text("Signed in as Ana Fresno")).to_be_visible()
        expect(page.get_by_role("link", name="GARCIA LOPEZ family")).to_be_visible()
        expect(page.get_by_role("link", name="OKAFOR family")).to_be_visible()
        expect(page.get_by_text("NGUYEN family")).to_have_count(0)

        page.get_by_label("Family name or case number").fill("garcia")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("link", name="OKAFOR family")).to_have_count(0)

        page.get_by_role("link", name="GARCIA LOPEZ family").click()
        expect(page.get_by_role("heading", level=1, name="GARCIA LOPEZ family")).to_be_visible()
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
