"""Reports and the review queue through the app (Flask test client, SQLite and PostgreSQL):
the match-rate CSV equals the run's statistics; masking; county scope; the review decisions,
the two-reviewer conflict, and a designated worker reviewer."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import csrf_token, sign_in
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from report_fixtures import ReviewData, add_review_data
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent, ClericalDecision, MatchRun
from linkages.services import users
from linkages.services.scope import Actor


@pytest.fixture
def data(db_url: str, seeded: Seeded) -> ReviewData:
    with session_scope(db_url) as session:
        return add_review_data(session)


def _csv(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_match_rate_csv_equals_the_run_statistics_for_an_unmasked_reader(
        client: FlaskClient, db_url: str, data: ReviewData) -> None:
    sign_in(client, "evaluator")
    rows = _csv(client, "/reports/match-rates.csv")
    with session_scope(db_url) as session:
        stats = session.get(MatchRun, data.run_id).statistics
    state = rows[0]
    assert state["county"] == "California (statewide)" and state["masked"] == "no"
    assert int(state["calworks_children"]) == stats["left_persons"]
    assert int(state["calworks_children_in_cws"]) == stats["left_persons_matched"]
    assert int(state["cws_children"]) == stats["right_persons"]
    assert int(state["cws_children_on_calworks"]) == stats["right_persons_matched"]
    assert int(state["cws_case_children"]) == stats["right_case_persons"]
    assert int(state["cws_case_children_on_calworks"]) == stats["right_case_persons_matched"]
    assert float(state["expected_false_matches"]) == stats["expected_false_matches"]
    # The counties add up to the state.
    assert sum(int(r["calworks_children"]) for r in rows[1:]) == stats["left_persons"]
    page = client.get("/reports/match-rates").get_data(as_text=True)
    assert "<svg" in page and "Trend across runs" in page


def test_a_manager_sees_her_county_masked_and_no_other(client: FlaskClient,
                                                       data: ReviewData) -> None:
    sign_in(client, "fresno-manager")
    rows = _csv(client, "/reports/match-rates.csv")
    assert [r["county"] for r in rows] == ["California (statewide)", "Fresno"]
    # Every count here is 1 to 10: all masked, and no rate gives one away.
    assert {r["calworks_children"] for r in rows} == {"M"}
    assert {r["calworks_match_rate_pct"] for r in rows} == {"M"}
    assert client.get("/reports/match-rates?county=19").status_code == 404
    assert client.get("/reports/match-rates.csv?county=19").status_code == 404
    assert client.get("/reports/outcomes?county=19").status_code == 404
    assert client.get("/reports/profile?county=19").status_code == 404
    assert client.get("/reports/process?county=19").status_code == 404
    for path in ("/reports/", "/reports/match-rates", "/reports/process",
                 "/reports/outcomes", "/reports/profile"):
        assert client.get(path).status_code == 200, path


def test_a_csv_download_is_audited_once_as_an_export(client: FlaskClient, db_url: str,
                                                     data: ReviewData) -> None:
    sign_in(client, "evaluator")
    _csv(client, "/reports/match-rates.csv")
    with session_scope(db_url) as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.ip_address).where(
            AuditEvent.action.in_(("report.view", "report.export")))).all()
    assert [a for a, _ in events] == ["report.export"]
    assert all(ip for _, ip in events)


def test_workers_open_no_report_and_no_queue(client: FlaskClient, data: ReviewData) -> None:
    sign_in(client, "fresno-cws")
    for path in ("/reports/", "/reports/match-rates", "/reports/match-rates.csv",
                 "/reports/outcomes", "/reports/profile", "/reports/process", "/review/",
                 f"/review/pairs/{data.fresno_review}"):
        assert client.get(path).status_code == 403, path


def _decide(client: FlaskClient, link_id: int, decision: str, reason: str = "",
            seen: str | None = None) -> tuple[int, str]:
    page = client.get(f"/review/pairs/{link_id}").get_data(as_text=True)
    token = csrf_token(page)
    if seen is None:
        import re
        match = re.search(r'id="seen" name="seen" type="hidden" value="([^"]*)"', page)
        seen = match.group(1) if match else ""
    response = client.post(f"/review/pairs/{link_id}", data={
        "csrf_token": token, "decision": decision, "reason": reason, "seen": seen})
    return response.status_code, response.get_data(as_text=True)


def test_review_queue_confirm_reject_and_scope(client: FlaskClient, db_url: str,
                                               data: ReviewData) -> None:
    sign_in(client, "fresno-manager")
    queue = client.get("/review/").get_data(as_text=True)
    assert f"/review/pairs/{data.fresno_review}" in queue
    assert f"/review/pairs/{data.near_match}" in queue
    assert f"/review/pairs/{data.la_review}" not in queue  # Los Angeles
    assert client.get(f"/review/pairs/{data.la_review}").status_code == 404
    page = client.get(f"/review/pairs/{data.fresno_review}").get_data(as_text=True)
    for text in ("LUIS", "LUIE", "Prior (log2 odds", "Date of birth", "<svg"):
        assert text in page
    status, body = _decide(client, data.fresno_review, "reject")
    assert status == 400 and "give a reason" in body
    status, _ = _decide(client, data.fresno_review, "confirm")
    assert status == 302
    status, _ = _decide(client, data.near_match, "reject", "different children: twins")
    assert status == 302
    with session_scope(db_url) as session:
        decided = {(d.left_record_id, str(d.decision), d.note)
                   for d in session.scalars(select(ClericalDecision))}
        events = session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("review.%"))).all()
    assert ("FR-9001-C0", "match", None) in decided
    assert ("FR-1001-C1", "non_match", "different children: twins") in decided
    assert events.count("review.decide") == 2 and "review.pair_view" in events
    queue = client.get("/review/").get_data(as_text=True)
    assert 'data-stat="size">0<' in queue and 'data-stat="yours">2<' in queue


def test_two_reviewers_the_second_sees_the_first_decision(
        app, db_url: str, seeded: Seeded, data: ReviewData) -> None:  # type: ignore[no-untyped-def]
    with session_scope(db_url) as session:
        users.set_reviewer(session, Actor.command_line(), "fresno-calworks-sup", True)
    first, second = app.test_client(), app.test_client()
    sign_in(first, "fresno-manager")
    sign_in(second, "fresno-calworks-sup")
    assert second.get("/review/").status_code == 200  # a designated reviewer
    page = second.get(f"/review/pairs/{data.fresno_review}").get_data(as_text=True)
    assert "Already decided" not in page
    status, _ = _decide(first, data.fresno_review, "confirm", "same child")
    assert status == 302
    # The second submits the form she opened before the first decided: refused, and shown.
    status, body = second.post(f"/review/pairs/{data.fresno_review}", data={
        "csrf_token": csrf_token(page), "decision": "reject", "reason": "not sure",
        "seen": ""}).status_code, None
    assert status == 409
    body = second.get(f"/review/pairs/{data.fresno_review}").get_data(as_text=True)
    assert "Already decided" in body and "Cy Fresno" in body and "same child" in body
    # Knowingly, with a reason, she may change it.
    status, _ = _decide(second, data.fresno_review, "reject", "twin of another child")
    assert status == 302
    with session_scope(db_url) as session:
        d = session.scalars(select(ClericalDecision)).one()
        assert str(d.decision) == "non_match" and d.decided_by_id == seeded.users[
            "fresno-calworks-sup"]


@pytest.mark.parametrize("username", ["fresno-manager", "evaluator"])
def test_report_and_review_pages_are_well_formed(client: FlaskClient, data: ReviewData,
                                                 username: str) -> None:
    from test_routes import check_page

    sign_in(client, username)
    paths = ["/reports/", "/reports/match-rates", "/reports/outcomes", "/reports/profile",
             "/reports/process"]
    if username == "fresno-manager":
        paths += ["/review/", f"/review/pairs/{data.fresno_review}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        check_page(response.get_data(as_text=True))


def test_process_report_counts_meetings_plans_and_pairs(db_url: str, seeded: Seeded,
                                                        data: ReviewData) -> None:
    from datetime import UTC, datetime

    from linkages.models import CoordinatedPlan, JointMeeting
    from linkages.models.enums import MeetingStatus, MeetingType, PlanStatus, Role
    from linkages.services import reports

    with session_scope(db_url) as session:
        # GARCIA LOPEZ, identified 2026-03-02: a CFT held on day 20, a plan approved on day 70.
        session.add(JointMeeting(family_id=seeded.garcia, meeting_type=MeetingType.CFT,
                                 status=MeetingStatus.HELD,
                                 scheduled_at=datetime(2026, 3, 22, 17, tzinfo=UTC),
                                 held_at=datetime(2026, 3, 22, 17, tzinfo=UTC)))
        session.add(CoordinatedPlan(family_id=seeded.garcia, version=1,
                                    status=PlanStatus.APPROVED,
                                    approved_at=datetime(2026, 5, 11, 17, tzinfo=UTC)))
    evaluator = Actor(None, "eve", Role.EVALUATOR, None, None)
    with session_scope(db_url) as session:
        fresno = reports.process(session, evaluator, county_cd=10)
        state = reports.process(session, evaluator)
        manager = reports.process(session, Actor(None, "pm", Role.PROGRAM_MANAGER, None, 10))
    march = next(r for r in fresno.rows if r.month == "2026-03")
    assert march.families == 1 and march.median_days_to_meeting == 20.0
    assert march.meeting_within_30 == 100.0 and march.plan_within_60 == 0.0
    assert march.paired == 100.0  # a CWS and a CalWORKs worker assigned now
    assert state.total.families == 3  # every family of the state
    assert fresno.total.families == 1  # the families whose CalWORKs county is Fresno
    # A county manager: her county, masked (1 family).
    assert manager.county_cd == 10 and manager.total.families == "M"
    assert manager.total.meeting_within_30 == "M"
