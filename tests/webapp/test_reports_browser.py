"""Reports and the review queue in Chromium, on SQLite and on PostgreSQL, over a real run (a
small synthetic extract ingested, linked with `linkages match --record` and its reports built):

- a program manager opens each report, and the match-rate CSV she downloads equals the run's
  statistics for her county's row... and the statewide row masks as the page does;
- a reviewer confirms a pair and rejects another with the keyboard, and a second reviewer
  on the same pair sees the first's decision.

Screenshots of each page land in the test's tmp dir (and in $LINKAGES_SCREENSHOTS if set).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from click.testing import CliRunner
from live import CHROMIUM, CHROMIUM_ARGS, keep_screenshot, need_chromium, serve
from mutual_family_fixtures import PASSWORD, TOTP_SECRET, Seeded
from sqlalchemy import func, or_, select, update

from linkages.cli import main
from linkages.db import session_scope
from linkages.models import CalworksPerson, ClericalDecision, Link, MatchRun, MutualFamily, User
from linkages.models.enums import LinkDecision
from linkages.services import reports
from linkages.services.review import NEAR_MATCH
from linkages.services.scope import Actor

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extract") / "x"
    result = CliRunner().invoke(main, ["synth", "--out", str(out), "--scale", "0.003",
                                       "--seed", "7"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def run_of_record(db_url: str, seeded: Seeded, extract: Path, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("LINKAGES_DATABASE_URL", db_url)
    for args in (["ingest", str(extract)],
                 ["match", "--record", "--left", str(extract / "calworks_children.csv"),
                  "--right", str(extract / "cws_children.csv"),
                  "--out", str(tmp_path / "links.csv"), "--no-progress"],
                 ["reports", "build", "--extract", str(extract)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    with session_scope(db_url) as session:
        return int(session.scalars(select(MatchRun.id).order_by(MatchRun.id.desc())).first())


@pytest.fixture
def live_url(db_url: str, run_of_record: int, tmp_path: Path) -> Iterator[str]:
    with serve(db_url, tmp_path) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                       headless=True)
        try:
            yield b
        finally:
            b.close()


def shot(page: Any, tmp_path: Path, db_url: str, name: str) -> None:
    db = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    path = tmp_path / f"{name}-{db}.png"
    page.screenshot(path=str(path), full_page=True)
    keep_screenshot(path)


def signed_in(browser: Any, live_url: str, db_url: str, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900},
                               accept_downloads=True).new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.csp_blocked = blocked
    page.goto(f"{live_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if "/login/code" in page.url:
        with session_scope(db_url) as s:
            s.execute(update(User).where(User.username == username).values(totp_last_step=None))
        page.get_by_label("Security code").fill(pyotp.TOTP(TOTP_SECRET).now())
        page.get_by_role("button", name="Continue").click()
    return page


def test_a_manager_opens_each_report_and_downloads_the_match_rates(
        browser: Any, live_url: str, db_url: str, run_of_record: int, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = signed_in(browser, live_url, db_url, "fresno-manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1, name="Reports")).to_be_visible()
    page.get_by_role("link", name="Match rates").click()
    expect(page.get_by_role("heading", level=1, name="Match rates")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(1)
    shot(page, tmp_path, db_url, "match-rates")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download this table as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    with session_scope(db_url) as session:
        stats = session.get(MatchRun, run_of_record).statistics
        counts = reports.match_rate_counts(session, run_of_record)
    state, fresno = rows
    assert fresno["county"] == "Fresno" and state["county"] == "California (statewide)"
    # The numbers equal the run's statistics (statewide) and its persons (the county).
    assert int(state["calworks_children"]) == stats["left_persons"]
    assert int(state["calworks_children_in_cws"]) == stats["left_persons_matched"]
    assert int(state["cws_children"]) == stats["right_persons"]
    assert int(state["cws_children_on_calworks"]) == stats["right_persons_matched"]
    assert int(state["cws_case_children"]) == stats["right_case_persons"]
    assert float(state["calworks_match_rate_pct"]) == round(
        100 * stats["left_persons_matched"] / stats["left_persons"], 1)
    assert int(fresno["calworks_children"]) == counts[10]["left_persons"]
    # Each cell the page shows is the CSV's.
    cells = page.locator('tr[data-county="10"] td').all_inner_texts()
    assert cells[0].replace(",", "") == fresno["calworks_children"]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Outcomes, matched and other").click()
    expect(page.get_by_role("heading", level=1, name="Outcomes, matched and other")).to_be_visible()
    # Every measure the extract has the files of: the federal ones and California's.
    expect(page.locator("tr[data-measure]")).to_have_count(
        len(reports.COMPARED_MEASURES) + len(reports.UNCOMPARED_MEASURES))
    for code in ("2B-IMM", "2B-10DAY"):
        expect(page.locator(f'tr[data-measure="{code}"] td[data-cell="matched"]')
               ).to_have_count(1)
    # The latest period is past the synthetic visits (2019-2022): 2F says so, not 0%.
    expect(page.locator('tr[data-measure="2F"] td[data-cell="uncovered"]')
           ).to_contain_text("cws_visits.csv runs from 2019-01-01 to 2022-12-31")
    expect(page.locator('tr[data-measure="REF-RATE"] td[data-cell="not-compared"]')
           ).to_contain_text("no CalWORKs split")
    expect(page.locator('tr[data-measure="REF-RATE"] th')).to_contain_text("per 1,000 children")
    expect(page.locator("[data-left-out]")).to_have_count(0)
    shot(page, tmp_path, db_url, "outcomes")
    # An earlier 12-month period: 2B's row shows that year's last quarter.
    first = page.locator("#period option").first.get_attribute("value")
    page.locator("#period").select_option(first)
    page.get_by_role("button", name="Show").click()
    expect(page.locator('tr[data-measure="P4"] td').first).to_contain_text(first)
    expect(page.locator('tr[data-measure="2B-IMM"] td').first).not_to_contain_text(first)
    expect(page.locator('tr[data-measure="2F"] td[data-cell="matched"]')).to_have_count(1)
    shot(page, tmp_path, db_url, "outcomes-first-period")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="County data profile").click()
    expect(page.get_by_role("heading", level=1, name="County data profile: Fresno County")
           ).to_be_visible()
    shot(page, tmp_path, db_url, "profile")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    shot(page, tmp_path, db_url, "profile-print")
    pdf = tmp_path / "profile.pdf"
    page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 10_000
    page.emulate_media(media="screen")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Process").click()
    expect(page.get_by_role("heading", level=1, name="Process")).to_be_visible()
    # The extract's sanctions file is loaded, but the families were identified today: none of
    # their sanctions (all before the extract's cutoff) began after identification.
    expect(page.locator("[data-sanction-definition]")).to_contain_text("6 calendar months")
    expect(page.locator("[data-sanction-none]")).to_contain_text("sanctions as of 2025-")
    expect(page.locator("[data-sanction-note]")).to_have_count(0)
    shot(page, tmp_path, db_url, "process")
    # Identified in 2019 instead: the page shows the county's sanctions since, as computed.
    with session_scope(db_url) as session:
        session.execute(update(MutualFamily).values(identified_on=date(2019, 1, 1),
                                                    updated_at=datetime.now(UTC)))
    page.reload()
    with session_scope(db_url) as session:
        user = session.scalars(select(User).where(User.username == "fresno-manager")).one()
        report = reports.process(session, Actor.from_user(user))
    assert report.masked and report.sanction_rows
    rows = page.locator("table.sanctions tbody tr")
    expect(rows).to_have_count(len(report.sanction_rows) + 1)
    for tr, r in zip(rows.all(), [*report.sanction_rows, report.sanction_total], strict=True):
        cells = tr.locator("th, td").all_inner_texts()
        assert cells == [r.month, _shown(r.sanctions), _shown(r.cured_within_6_months, "%")
                         if r.cured_within_6_months is not None or r.sanctions in (0, ".")
                         else "not yet known"], (cells, r)
    expect(page.locator("table.sanctions caption")).to_contain_text("Fresno County")
    shot(page, tmp_path, db_url, "process-sanctions")
    assert page.csp_blocked == []
    # An evaluator sees the state's figures unmasked: every county of the extract has its
    # sanctions file, and the cells add up to the total.
    page = signed_in(browser, live_url, db_url, "evaluator")
    page.goto(f"{live_url}/reports/process")
    with session_scope(db_url) as session:
        user = session.scalars(select(User).where(User.username == "evaluator")).one()
        state = reports.process(session, Actor.from_user(user))
    assert not state.masked and state.sanction_total.sanctions > 10
    assert sum(r.sanctions for r in state.sanction_rows) == state.sanction_total.sanctions
    expect(page.locator("table.sanctions tbody tr")).to_have_count(len(state.sanction_rows) + 1)
    expect(page.locator('tr[data-sanction-month="All months"] td')).to_have_text(
        [f"{state.sanction_total.sanctions:,}", f"{state.sanction_total.cured_within_6_months}%"])
    shot(page, tmp_path, db_url, "process-sanctions-statewide")
    assert page.csp_blocked == []


def _shown(value: object, suffix: str = "") -> str:
    """A cell as the page's ``show`` macro writes it."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return (f"{value:,}" if isinstance(value, int) else str(value)) + suffix


def test_reviewers_confirm_and_reject_with_the_keyboard_and_see_each_other(
        browser: Any, live_url: str, db_url: str, run_of_record: int, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with session_scope(db_url) as session:
        # The county with the most uncertain pairs.
        county = session.execute(
            select(CalworksPerson.county_cd)
            .join(Link, Link.left_record_id == CalworksPerson.record_id)
            .where(Link.run_id == run_of_record, or_(
                Link.decision == LinkDecision.REVIEW, Link.match_probability < NEAR_MATCH))
            .group_by(CalworksPerson.county_cd)
            .order_by(func.count(Link.id).desc())).scalars().first()
        session.execute(update(User).where(User.username.in_(
            ["fresno-manager", "fresno-cws-sup"])).values(county_cd=county))
        session.execute(update(User).where(User.username == "fresno-cws-sup")
                        .values(reviewer=True))
    page = signed_in(browser, live_url, db_url, "fresno-manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", level=1, name="Review queue")).to_be_visible()
    size = int(page.locator('[data-stat="size"]').inner_text().replace(",", ""))
    assert size >= 2
    shot(page, tmp_path, db_url, "review-queue")
    page.get_by_role("link", name="Start with the first pair").click()
    expect(page.get_by_role("heading", level=1, name="Review pair")).to_be_visible()
    first = page.url.rsplit("/", 1)[1]
    shot(page, tmp_path, db_url, "review-pair")
    # The second reviewer opens the same pair before the first decides.
    other = signed_in(browser, live_url, db_url, "fresno-cws-sup")
    other.goto(f"{live_url}/review/pairs/{first}")
    expect(other.get_by_role("heading", level=1, name=f"Review pair {first}")).to_be_visible()

    page.wait_for_load_state("load")  # review.js, last in the page, binds the keys
    page.keyboard.press("c")  # confirm
    expect(page.get_by_text("Pair confirmed.")).to_be_visible()
    second = page.url.rsplit("/", 1)[1]
    assert second != first
    page.wait_for_load_state("load")
    page.keyboard.press("r")  # reject: the reason, then Enter
    expect(page.locator("#reason")).to_be_focused()
    page.keyboard.type("different children: twins")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Pair rejected.")).to_be_visible()

    other.get_by_label("Reason").fill("looks different")
    other.get_by_role("button", name="Reject: different children").click()
    expect(other.get_by_text("This pair was decided while you had it open")).to_be_visible()
    expect(other.get_by_role("heading", name="Already decided")).to_be_visible()
    shot(other, tmp_path, db_url, "review-conflict")
    with session_scope(db_url) as session:
        decisions = {str(d.decision) for d in session.scalars(select(ClericalDecision))}
    assert decisions == {"match", "non_match"}
    page.goto(f"{live_url}/review/")
    time.sleep(0.1)
    assert int(page.locator('[data-stat="size"]').inner_text().replace(",", "")) == size - 2
    assert page.locator('[data-stat="yours"]').inner_text() == "2"
    assert page.csp_blocked == [] and other.csp_blocked == []
