"""Co-case-management in Chromium, on SQLite and on PostgreSQL, as the workers do it:

- a CWS worker schedules a CFT and records it with three participants and two action items;
- the CalWORKs worker adds a WtW activity of 12 hours a week and the total updates; the
  supervisor returns the plan, then approves it, and the approved version cannot be edited;
  two workers save the same plan and the second sees the conflict with her input kept;
- a service request is approved and delivered; a consent revocation hides the CalWORKs detail
  from the CWS worker on her next page;
- the audit trail holds each view and change.

Screenshots of each page land in the test's tmp dir (and in $LINKAGES_SCREENSHOTS if set).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from live import chromium, keep_screenshot, serve
from mutual_family_fixtures import PASSWORD, Seeded
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent
from linkages.services.workspace import LOCAL_ZONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live_url(db_url: str, seeded: Seeded, tmp_path: Path) -> Iterator[str]:
    with serve(db_url, tmp_path) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Shots:
    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.dir = tmp_path / "screenshots"
        self.dir.mkdir(exist_ok=True)
        self.db = "postgresql" if db_url.startswith("postgresql") else "sqlite"

    def __call__(self, page: Any, name: str) -> None:
        path = self.dir / f"{name}-{self.db}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)


@pytest.fixture
def shot(tmp_path: Path, db_url: str) -> Shots:
    return Shots(tmp_path, db_url)


def signed_in(browser: Any, live_url: str, username: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{live_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="My families")).to_be_visible()
    page.csp_blocked = blocked  # checked at the end of each test
    return page


def tab(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Family workspace").get_by_role(
        "link", name=name, exact=True).click()


def actions(db_url: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    with session_scope(db_url) as session:
        return [(a, u, d) for a, u, d in session.execute(
            select(AuditEvent.action, AuditEvent.username, AuditEvent.detail)
            .order_by(AuditEvent.id)).all()]


def test_cws_worker_schedules_and_records_a_cft_with_three_people_and_two_actions(
        browser: Any, live_url: str, seeded: Seeded, db_url: str, shot: Shots) -> None:
    from playwright.sync_api import expect

    page = signed_in(browser, live_url, "fresno-cws")
    shot(page, "my-families")
    page.get_by_role("link", name="GARCIA LOPEZ family").click()
    expect(page.get_by_role("heading", level=1, name="GARCIA LOPEZ family")).to_be_visible()
    shot(page, "overview")
    tab(page, "Meetings")
    page.get_by_role("link", name="Schedule a meeting").click()
    yesterday = datetime.now(LOCAL_ZONE).date() - timedelta(days=1)
    page.get_by_label("Type of meeting").select_option("cft")
    page.get_by_label("Date and time").fill(f"{yesterday.isoformat()}T10:00")
    page.get_by_label("Where").fill("Fresno DSS, room 4")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_text("Meeting scheduled.")).to_be_visible()

    page.get_by_role("link", name="Record this meeting").click()
    # Held before it was scheduled: refused beside the field, the input kept.
    page.get_by_label("Held on").fill(f"{(yesterday - timedelta(days=2)).isoformat()}T10:00")
    page.get_by_label("Family's language").fill("Spanish")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#held_at-error")).to_contain_text("not held before it is scheduled")
    expect(page.get_by_label("Family's language")).to_have_value("Spanish")
    expect(page).to_have_title("Error: Record the meeting: details – GARCIA LOPEZ family "
                               "– Linkages")
    shot(page, "meeting-details-error")
    page.get_by_label("Held on").fill(f"{yesterday.isoformat()}T10:15")
    page.get_by_label("An interpreter took part").check()
    page.get_by_label("Confidentiality was reviewed with everyone present").check()
    page.get_by_label("Family's strengths").fill("Grandmother helps every day")
    page.get_by_label("Safety concerns").fill("None raised")
    page.get_by_label("Decisions").fill("Align visits with the job club")
    page.get_by_label("Next meeting").fill((yesterday + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save and continue").click()

    for name, role, method in (("Rosa Garcia Lopez", "parent", "in_person"),
                               ("Ana Fresno", "cws_worker", "in_person"),
                               ("Ben Fresno", "calworks_worker", "video")):
        page.get_by_label("Name").fill(name)
        page.get_by_label("Role").select_option(role)
        page.get_by_label("Attended").check()
        page.get_by_label("How they took part").select_option(method)
        page.get_by_role("button", name="Add participant").click()
        expect(page.get_by_text("Participant added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Ben Fresno", exact=True)).to_be_visible()
    shot(page, "meeting-people")
    page.get_by_role("link", name="Continue to action items").click()
    for what, due in (("Enroll Maria in after-school care", 7), ("Request bus passes", 14)):
        page.get_by_label("What is to be done").fill(what)
        page.get_by_label("Owner").fill("Ben Fresno")
        page.get_by_label("Program").select_option("wtw")
        page.get_by_label("Due").fill((yesterday + timedelta(days=due)).isoformat())
        page.get_by_role("button", name="Add action item").click()
        expect(page.get_by_text("Action item added.")).to_be_visible()
    page.get_by_role("link", name="Continue to check and submit").click()
    shot(page, "meeting-check")
    page.get_by_role("button", name="Submit the record").click()
    expect(page.get_by_text("Meeting recorded.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("held")
    expect(page.locator("table").first.locator("tbody tr")).to_have_count(3)
    expect(page.locator("table").nth(1).locator("tbody tr")).to_have_count(2)
    shot(page, "meeting-held")
    assert page.csp_blocked == []

    trail = actions(db_url)
    ours = [a for a, u, _ in trail if u == "fresno-cws" and a.startswith("meeting.")]
    assert ours == ["meeting.schedule", "meeting.update", "meeting.participant_add",
                    "meeting.participant_add", "meeting.participant_add", "meeting.action_add",
                    "meeting.action_add", "meeting.record"]
    steps = [d.get("step") for a, u, d in trail if a == "family.view" and d.get("meeting_id")]
    assert {"details", "people", "actions", "check"} <= set(steps)


def test_plan_hours_return_approval_read_only_and_a_concurrent_save(
        browser: Any, live_url: str, seeded: Seeded, db_url: str, shot: Shots) -> None:
    from playwright.sync_api import expect

    fid = seeded.garcia
    worker = signed_in(browser, live_url, "fresno-calworks")
    worker.goto(f"{live_url}/families/{fid}/plan/")
    worker.get_by_role("link", name="Start the plan").click()
    worker.get_by_label("Family goal").fill("Children safe at home; Rosa working")
    worker.get_by_role("button", name="Save plan").click()
    expect(worker.locator("#hours-total")).to_have_text("0.0")
    worker.get_by_role("link", name="Add an objective").click()
    worker.get_by_label("Objective").fill("Steady work of 30 hours a week")
    worker.get_by_label("Program").select_option("wtw")
    worker.get_by_role("button", name="Add objective").click()
    worker.get_by_role("link", name="Add an activity to this objective").click()
    worker.get_by_label("Activity").fill("Job club and supervised job search")
    worker.get_by_label("Kind").select_option("job_search")
    worker.get_by_label("Program of record").select_option("wtw")
    worker.get_by_label("Provider").fill("Fresno County employment services")
    worker.get_by_label("Starts").fill(datetime.now(LOCAL_ZONE).date().isoformat())
    worker.get_by_label("Counts toward WtW participation").check()
    worker.get_by_label("Hours a week").fill("12")
    worker.get_by_role("button", name="Save activity").click()
    expect(worker.locator("#hours-total")).to_have_text("12.0")
    expect(worker.get_by_text("18.0 hours short of the requirement.")).to_be_visible()
    shot(worker, "plan-draft")

    # Two workers open the same draft; the CalWORKs worker saves first.
    other = signed_in(browser, live_url, "fresno-cws")
    for p in (worker, other):
        p.goto(f"{live_url}/families/{fid}/plan/")
        p.get_by_role("link", name="Edit the plan").click()
    worker.get_by_label("Family goal").fill("Children home; Rosa working full time")
    worker.get_by_role("button", name="Save plan").click()
    expect(worker.get_by_text("Plan saved.")).to_be_visible()
    other.get_by_label("Family goal").fill("Children home with weekly visits first")
    other.get_by_role("button", name="Save plan").click()
    expect(other.get_by_role("alert")).to_contain_text("changed by someone else")
    expect(other.get_by_label("Family goal")).to_have_value(
        "Children home with weekly visits first")
    expect(other.locator(".conflict")).to_contain_text("Children home; Rosa working full time")
    shot(other, "plan-conflict")
    other.get_by_role("button", name="Save plan").click()  # now deliberately, over hers
    expect(other.get_by_text("Plan saved.")).to_be_visible()

    worker.goto(f"{live_url}/families/{fid}/plan/")
    worker.get_by_role("button", name="Submit for approval").click()
    expect(worker.get_by_text("Plan submitted for approval.")).to_be_visible()

    sup = signed_in(browser, live_url, "fresno-calworks-sup")
    expect(sup.get_by_role("link", name="GARCIA LOPEZ family").first).to_be_visible()
    shot(sup, "supervisor-my-families")
    sup.goto(f"{live_url}/families/{fid}/plan/")
    sup.get_by_role("button", name="Return to the workers").click()
    expect(sup.locator("#comment-error")).to_contain_text("Say what the workers should change")
    sup.get_by_label("Comment").fill("Add the visitation schedule")
    sup.get_by_role("button", name="Return to the workers").click()
    expect(sup.get_by_text("Plan returned to the workers.")).to_be_visible()

    worker.goto(f"{live_url}/families/{fid}/plan/")
    expect(worker.get_by_text("Returned with a comment: “Add the visitation schedule”")
           ).to_be_visible()
    worker.get_by_role("button", name="Submit for approval").click()
    sup.goto(f"{live_url}/families/{fid}/plan/")
    sup.get_by_role("button", name="Approve version 1").click()
    expect(sup.get_by_text("Plan approved.")).to_be_visible()
    shot(sup, "plan-approved")
    # The family's own trail: who changed what, before and after.
    tab(sup, "History")
    expect(sup.get_by_role("cell", name="plan.approve")).to_be_visible()
    expect(sup.get_by_text("family goal: Children home; Rosa working full time → Children "
                           "home with weekly visits first")).to_be_visible()
    shot(sup, "history")

    worker.goto(f"{live_url}/families/{fid}/plan/")
    expect(worker.get_by_text("this version is read-only")).to_be_visible()
    expect(worker.get_by_role("link", name="Edit the plan")).to_have_count(0)
    expect(worker.get_by_role("button", name="Remove")).to_have_count(0)
    worker.goto(f"{live_url}/families/{fid}/plan/1/edit")
    expect(worker.get_by_text("Only the current draft of the plan can be edited.")
           ).to_be_visible()
    expect(worker.locator("#hours-total")).to_have_text("12.0")
    for p in (worker, other, sup):
        assert p.csp_blocked == []

    trail = [(a, u) for a, u, _ in actions(db_url)]
    for step in (("plan.create", "fresno-calworks"), ("plan.activity_add", "fresno-calworks"),
                 ("plan.update", "fresno-calworks"), ("plan.update", "fresno-cws"),
                 ("plan.submit", "fresno-calworks"), ("plan.return", "fresno-calworks-sup"),
                 ("plan.approve", "fresno-calworks-sup")):
        assert step in trail, step
    details = [d for a, _, d in actions(db_url) if a == "plan.update"]
    assert details[0]["before"]["family_goal"] == "Children safe at home; Rosa working"


def test_service_is_approved_and_delivered_and_a_revoked_consent_hides_calworks_detail(
        browser: Any, live_url: str, seeded: Seeded, db_url: str, shot: Shots) -> None:
    from playwright.sync_api import expect

    fid = seeded.garcia
    worker = signed_in(browser, live_url, "fresno-calworks")
    worker.goto(f"{live_url}/families/{fid}/services/")
    worker.get_by_role("link", name="Request a service").click()
    worker.get_by_label("Category").select_option("transportation")
    worker.get_by_label("Fund source").select_option("calworks_supportive_services")
    worker.get_by_label("Amount ($)").fill("85.50")
    worker.get_by_label("Units").fill("20 bus passes")
    worker.get_by_label("Vendor").fill("Fresno Area Express")
    today = datetime.now(LOCAL_ZONE).date()
    worker.get_by_label("To", exact=True).fill((today + timedelta(days=30)).isoformat())
    worker.get_by_role("button", name="Request service").click()
    expect(worker.get_by_role("heading", name="Transportation: $85.50")).to_be_visible()

    sup = signed_in(browser, live_url, "fresno-calworks-sup")
    sup.goto(f"{live_url}/families/{fid}/services/")
    sup.get_by_label("Decision").select_option("approve")
    sup.get_by_label("Reason").fill("Needed for job club")
    sup.get_by_role("button", name="Record decision").click()
    expect(sup.get_by_text("Decision recorded.")).to_be_visible()

    worker.goto(f"{live_url}/families/{fid}/services/")
    worker.get_by_text("Record delivery or cancellation").click()
    worker.get_by_label("Outcome").select_option("delivered")
    worker.get_by_role("button", name="Record outcome").click()
    expect(worker.get_by_text("Outcome recorded.")).to_be_visible()
    expect(worker.locator(".service .tag")).to_have_text("Delivered")
    shot(worker, "services")

    # Consent: recorded by the CalWORKs worker, the CWS worker sees CalWORKs detail...
    worker.goto(f"{live_url}/families/{fid}/consent")
    worker.get_by_role("link", name="Record a signed consent").click()
    worker.get_by_label("Signed by").fill("Rosa Garcia Lopez")
    worker.get_by_label("Legal basis").select_option("wic_10850")
    worker.get_by_label("CalWORKs / WtW information").check()
    worker.get_by_label("Purpose").fill("Coordinate the WtW plan with the CWS case plan")
    worker.get_by_role("button", name="Record consent").click()
    expect(worker.get_by_text("Consent recorded.")).to_be_visible()
    shot(worker, "consent")
    cws = signed_in(browser, live_url, "fresno-cws")
    cws.goto(f"{live_url}/families/{fid}")
    expect(cws.get_by_role("cell", name="2019-04-01")).to_be_visible()
    expect(cws.locator("dd", has_text="Sanction").first).to_be_visible()

    # ... until it is revoked: her next page no longer shows it.
    worker.goto(f"{live_url}/families/{fid}/consent")
    worker.get_by_text("Record that the signer withdrew this consent").click()
    worker.get_by_label("How the signer withdrew it").fill("By phone to the WtW worker")
    worker.get_by_role("button", name="Record revocation").click()
    expect(worker.get_by_text("Revocation recorded")).to_be_visible()
    cws.reload()
    expect(cws.get_by_text("CalWORKs income and eligibility detail is not shared with you")
           ).to_be_visible()
    expect(cws.get_by_role("cell", name="2019-04-01")).to_have_count(0)
    shot(cws, "overview-after-revocation")
    for p in (worker, sup, cws):
        assert p.csp_blocked == []

    trail = actions(db_url)
    changes = [(a, u) for a, u, _ in trail if a.startswith(("service.", "consent."))]
    assert changes == [("service.request", "fresno-calworks"),
                       ("service.approve", "fresno-calworks-sup"),
                       ("service.deliver", "fresno-calworks"),
                       ("consent.record", "fresno-calworks"),
                       ("consent.revoke", "fresno-calworks")]
    views = [d["withheld"] for a, u, d in trail
             if a == "family.view" and u == "fresno-cws" and d.get("section") == "overview"]
    assert views == [[], ["calworks"]]
