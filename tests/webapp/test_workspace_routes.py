"""Every route of the family workspace, walked from the app's URL map (P2):

- signed out, every GET goes to sign-in, and every argument of a rule is typed;
- a user of another county gets 404 on every family-scoped URL, GET and POST, and the body
  names nothing of the family;
- a user of the wrong program gets 403 or 404 on every route about the other program's
  records (its sensitive activities, its funds, its side of the pair, Part 2 records she is
  not named on, the history), and on every other route a page without the other program's
  withheld detail;
- every page has one <h1>, a title that starts with it, unique ids and CSRF in POST forms;
- views and changes are audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from casework_data import (
    CALWORKS_SECRETS,
    CWS_SECRETS,
    FAMILY_SECRETS,
    PART2_SECRETS,
    Casework,
    make,
)
from conftest import csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from sqlalchemy import select
from werkzeug.routing import Rule

from linkages.db import session_scope
from linkages.models import AuditEvent
from linkages.services.workspace import local_today

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)



@pytest.fixture
def work(db_url: str, seeded: Seeded) -> Casework:
    with session_scope(db_url) as session:
        return make(session, seeded)


def family_rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if "family_id" in rule.arguments:
            yield rule


def values(work: Casework, **override: object) -> dict[str, object]:
    base: dict[str, object] = {
        "consent_id": work.consent_id, "meeting_id": work.meeting_id,
        "participant_id": work.participant_id, "action_id": work.action_id,
        "plan_id": work.plan_id, "activity_id": work.activity_id,
        "service_id": work.calworks_service_id, "program": "cws", "move": "approve",
    }
    return {**base, **override}


def build(app: Flask, rule: Rule, args: dict[str, object]) -> str:
    with app.test_request_context():
        return app.url_map.bind("localhost").build(
            rule.endpoint, {a: args[a] for a in rule.arguments})


def post_data(rule: Rule, args: dict[str, object], token: str,
              releases: str = "calworks") -> dict[str, str]:
    """Valid input for each form, so that a refusal comes from the rules, not the form."""
    today = local_today().isoformat()
    soon = (local_today() + timedelta(days=10)).isoformat()
    e = rule.endpoint
    data = {"csrf_token": token}
    cid, sid, aid = args["consent_id"], args["service_id"], args["action_id"]
    by_endpoint: dict[str, dict[str, str]] = {
        "workspace.revoke_consent": {f"r{cid}-revoked_on": today, f"r{cid}-note": "by phone",
                                     f"r{cid}-csrf_token": token},
        "resources.decide": {f"d{sid}-decision": "approve", f"d{sid}-reason": "ok",
                             f"d{sid}-csrf_token": token},
        "resources.close": {f"c{sid}-outcome": "delivered", f"c{sid}-closed_on": today,
                            f"c{sid}-csrf_token": token},
        "meetings.action_status": {f"a{aid}-status": "done", f"a{aid}-expected": "open",
                                   f"a{aid}-csrf_token": token},
        "workspace.team": {"program": str(args["program"]), "cws-worker": "1",
                           "cws-csrf_token": token, "calworks-worker": "2",
                           "calworks-csrf_token": token},
        "plans.activity": {"goal_id": "1", "description": "x", "category": "other",
                           "program": "shared", "status": "open"},
        "plans.move": {"comment": "please add hours"},
        "plans.acknowledge": {"party": "parent", "name": "Rosa", "acknowledged_on": today},
        "meetings.cancel": {"reason": "family ill"},
        "meetings.record_details": {"held_at": f"{today}T09:00"},
        "meetings.record_people": {"name": "A", "team_role": "other"},
        "meetings.record_actions": {"description": "x", "responsible": "A",
                                    "responsible_program": "shared", "due_on": soon,
                                    "status": "open"},
        "meetings.new": {"meeting_type": "cft", "scheduled_at": f"{soon}T10:00"},
        "meetings.reschedule": {"meeting_type": "cft", "scheduled_at": f"{soon}T10:00"},
        "plans.new": {"family_goal": "x"}, "plans.edit": {"family_goal": "x"},
        "plans.new_goal": {"description": "x", "program": "shared"},
        "resources.new": {"category": "transportation", "fund_source": "linkages_pooled",
                          "amount": "10.00", "period_start": today, "period_end": soon},
        "workspace.new_note": {"contact_on": today, "contact_type": "phone", "summary": "x"},
        "workspace.new_consent": {"signer_name": "x", "signer_relationship": "parent",
                                  "legal_basis": "wic_10850", "programs": releases,
                                  "purpose": "x", "signed_on": today},
    }
    data.update(by_endpoint.get(e, {}))
    return data


def test_signed_out_every_page_goes_to_sign_in_and_every_id_is_typed(
        app: Flask, client: FlaskClient, work: Casework, seeded: Seeded) -> None:
    # With the real ids of a worked family (tests/webapp/test_routes.py walks every other area).
    args = {**values(work), "family_id": seeded.garcia}
    for rule in family_rules(app):
        for arg in re.findall(r"<([^>]+)>", rule.rule):
            assert ":" in arg, f"{rule.rule}: untyped argument {arg}"
        if "GET" in rule.methods:
            response = client.get(build(app, rule, {**args, "family_id": seeded.garcia}))
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/login"), rule.rule


def test_another_countys_user_gets_404_everywhere_and_learns_nothing(
        app: Flask, client: FlaskClient, work: Casework, seeded: Seeded, db_url: str) -> None:
    sign_in(client, "la-cws")
    token = csrf_token(client.get("/families/").get_data(as_text=True))
    args = {**values(work), "family_id": seeded.garcia}
    probed = 0
    for rule in family_rules(app):
        url = build(app, rule, args)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = (client.get(url) if method == "GET"
                        else client.post(url, data=post_data(rule, args, token)))
            body = response.get_data(as_text=True)
            assert response.status_code == 404, (method, rule.rule, response.status_code)
            for secret in FAMILY_SECRETS + CWS_SECRETS + CALWORKS_SECRETS + PART2_SECRETS:
                assert secret not in body, (method, rule.rule, secret)
            probed += 1
    assert probed >= 40
    with session_scope(db_url) as session:
        refused = session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "family.view_refused", AuditEvent.username == "la-cws")).all()
    assert len(refused) == probed and {d["reason"] for d in refused} == {"out_of_scope"}


# The other program's records, per rule: the user of the wrong program is refused (403: her
# role or program may not; 404: she may not know the record exists).
OTHER_PROGRAMS_RECORDS = {
    "workspace.team:POST", "workspace.end_assignment",
    "plans.activity", "plans.remove_activity", "resources.decide", "resources.close",
}


@pytest.mark.parametrize("username, overrides, secrets, also", [
    # A CalWORKs worker: CWS's sensitive activity, CWS funds, the CWS side of the pair.
    ("fresno-calworks", {"activity": "cws_sensitive_activity_id",
                         "service": "cws_service_id", "consent": "consent_id"}, CWS_SECRETS,
     {"workspace.history"}),
    # A CWS worker: the Part 2 records she is not named on, CalWORKs's side of the pair.
    ("fresno-cws", {"activity": "part2_activity_id", "service": "part2_service_id",
                    "consent": "part2_consent_id"}, CALWORKS_SECRETS + PART2_SECRETS,
     {"workspace.revoke_consent", "workspace.history"}),
    # A CalWORKs supervisor: CWS funds are not hers to decide on, CWS workers not hers to pair.
    ("fresno-calworks-sup", {"activity": "cws_sensitive_activity_id",
                             "service": "cws_service_id", "consent": "consent_id"},
     CWS_SECRETS, set()),
])
def test_the_wrong_programs_user_is_refused_the_other_programs_records(
        app: Flask, client: FlaskClient, work: Casework, seeded: Seeded, username: str,
        overrides: dict[str, str], secrets: tuple[str, ...], also: set[str]) -> None:
    sign_in(client, username)
    token = csrf_token(client.get("/families/").get_data(as_text=True))
    args = {**values(work, activity_id=getattr(work, overrides["activity"]),
                     service_id=getattr(work, overrides["service"]),
                     consent_id=getattr(work, overrides["consent"]),
                     program="cws" if "calworks" in username else "calworks"),
            "family_id": seeded.garcia}
    refused = 0
    for rule in family_rules(app):
        url = build(app, rule, args)
        for method in sorted(rule.methods & {"GET", "POST"}):
            # A consent her probe records releases her own program only.
            own = "cws" if "cws" in username else "calworks"
            response = (client.get(url) if method == "GET"
                        else client.post(url, data=post_data(rule, args, token, own)))
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (method, rule.rule, body[:500])
            owned = rule.endpoint in OTHER_PROGRAMS_RECORDS | also or \
                f"{rule.endpoint}:{method}" in OTHER_PROGRAMS_RECORDS
            if owned:
                assert response.status_code in (403, 404), (username, method, rule.rule,
                                                            response.status_code)
                refused += 1
            for secret in secrets:
                assert secret not in body, (username, method, rule.rule, secret)
    assert refused >= 8


def test_every_page_has_one_h1_a_title_unique_ids_and_csrf(
        app: Flask, client: FlaskClient, work: Casework, seeded: Seeded) -> None:
    sign_in(client, "fresno-cws-sup")
    args = {**values(work), "family_id": seeded.garcia}
    pages = ["/my/", "/families/"] + [build(app, r, args) for r in family_rules(app)
                                      if "GET" in r.methods]
    for url in pages:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        assert len(h1) == 1, (url, h1)
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title is not None
        heading = " ".join(re.sub(r"<span.*?</span>|<[^>]+>", "", h1[0]).split())
        assert title.group(1).startswith(heading), (url, title.group(1), heading)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (url, sorted(i for i in ids if ids.count(i) > 1))
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert "csrf_token" in form, (url, form[:200])


def test_views_and_changes_are_audited_with_before_and_after(
        client: FlaskClient, work: Casework, seeded: Seeded, db_url: str) -> None:
    sign_in(client, "fresno-cws")
    fid = seeded.garcia
    client.get(f"/families/{fid}/meetings/")
    page = client.get(f"/families/{fid}/plan/{work.plan_id}/edit").get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', page)
    assert version is not None
    response = client.post(f"/families/{fid}/plan/{work.plan_id}/edit", data={
        "csrf_token": csrf_token(page), "row_version": version.group(1),
        "family_goal": "Children safe at home; Rosa working 30 hours"})
    assert response.status_code == 302
    with session_scope(db_url) as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.username == "fresno-cws", AuditEvent.family_id == fid)
            .order_by(AuditEvent.id)).all()
    views = [e.detail.get("section") for e in events if e.action == "family.view"]
    assert views[-3:] == ["meetings", "plan", "plan"]
    [change] = [e for e in events if e.action == "plan.update"]
    assert change.detail["before"] == {"family_goal": "Children safe at home; Rosa working"}
    assert change.detail["after"] == {
        "family_goal": "Children safe at home; Rosa working 30 hours"}
    assert change.ip_address == "127.0.0.1" and change.entity_id == str(work.plan_id)


def test_a_failed_form_comes_back_with_the_input_and_errors_beside_fields(
        client: FlaskClient, work: Casework, seeded: Seeded) -> None:
    sign_in(client, "fresno-calworks")
    fid = seeded.garcia
    page = client.get(f"/families/{fid}/services/new").get_data(as_text=True)
    today = local_today()
    response = client.post(f"/families/{fid}/services/new", data={
        "csrf_token": csrf_token(page), "category": "transportation",
        "fund_source": "calworks_supportive_services", "amount": "12.345",
        "vendor": "Fresno Area Express", "period_start": today.isoformat(),
        "period_end": (today - timedelta(days=1)).isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert 'value="Fresno Area Express"' in html and 'value="12.345"' in html
    error = re.search(r'<p class="field-error" id="amount-error">([^<]+)</p>', html)
    assert error and "two decimal places" in error.group(1)
    assert 'aria-invalid="true"' in html
