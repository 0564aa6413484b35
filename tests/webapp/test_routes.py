"""Every route and page (webapp-style P2): signed out, every GET redirects to the sign-in page;
ids in URLs are typed; the scope probe walks every route of the exports, administration and
audit areas as every role and finds none a role may not reach; each page has one h1, a title
starting with it, unique ids and a CSRF token in its POST forms."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from conftest import csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from report_fixtures import add_review_data

from linkages.db import session_scope

PUBLIC = {"static", "auth.login"}
# A value for each non-id argument of a rule; every id (an <int:...>) is 1.
SAMPLE = {"name": "cohort.csv", "program": "cws", "move": "approve", "filename": "x"}

# Which roles may reach each guarded area (everything else must be refused).
AREAS = {"exports": {"evaluator"}, "admin": {"admin"}, "audit": {"admin"},
         "reports": {"fresno-manager", "evaluator"}, "review": {"fresno-manager"}}
ROLES = ("fresno-cws", "fresno-calworks", "la-cws", "fresno-manager", "evaluator", "admin")


def _url(app: Flask, endpoint: str, arguments: set[str]) -> str:
    return app.url_map.bind("localhost").build(endpoint,
                                               {a: SAMPLE.get(a, 1) for a in arguments})


def test_signed_out_every_get_redirects_to_sign_in_and_ids_are_typed(
    app: Flask, client: FlaskClient
) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or "GET" not in (rule.methods or set()):
            continue
        assert all(":" in a for a in re.findall(r"<([^>]+)>", rule.rule)), rule
        response = client.get(_url(app, rule.endpoint, set(rule.arguments)))
        assert response.status_code == 302, rule
        assert response.headers["Location"].startswith("/login"), rule


@pytest.mark.parametrize("username", ROLES)
def test_the_scope_probe_reaches_no_route_a_role_may_not(
    app: Flask, client: FlaskClient, seeded: Seeded, username: str
) -> None:
    sign_in(client, username)
    token = csrf_token(client.get("/account/").get_data(as_text=True))
    probed = 0
    for rule in app.url_map.iter_rules():
        area = rule.endpoint.split(".")[0]
        if area not in AREAS:
            continue
        url = _url(app, rule.endpoint, set(rule.arguments))
        allowed = username in AREAS[area]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
            # Read to the end and closed: a streamed CSV holds its request's session till then.
            body = response.get_data(as_text=True)
            response.close()
            probed += 1
            if allowed:
                assert response.status_code != 403, (username, method, rule)
            else:
                assert response.status_code == 403, (username, method, rule,
                                                      response.status_code)
                assert "Not allowed" in body
    assert probed >= 14
    # The navigation offers exactly the areas the role may reach.
    nav = client.get("/families/").get_data(as_text=True)
    for area, label in (("exports", "Cohort exports"), ("admin", "Users"),
                        ("audit", "Audit log"), ("reports", "Reports"),
                        ("review", "Review queue")):
        assert (f">{label}</a>" in nav) == (username in AREAS[area]), (username, area)


# The county-scoped and pair-scoped routes of the reports and review areas (all but their
# index pages, which take no county and no pair).
UNSCOPED = {"reports.index", "review.index"}


def test_another_countys_reports_and_pairs_are_not_found(
    app: Flask, client: FlaskClient, seeded: Seeded, db_url: str
) -> None:
    with session_scope(db_url) as session:
        data = add_review_data(session)
    sign_in(client, "fresno-manager")  # a Fresno program manager and reviewer
    token = csrf_token(client.get("/account/").get_data(as_text=True))
    probed = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("reports", "review") or \
                rule.endpoint in UNSCOPED:
            continue
        # Los Angeles: its county's figures, its review pair.
        url = app.url_map.bind("localhost").build(
            rule.endpoint, {**{a: data.la_review for a in rule.arguments}, "county": 19})
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = (client.get(url) if method == "GET" else
                        client.post(url, data={"csrf_token": token, "decision": "confirm",
                                               "reason": "probe", "seen": ""}))
            body = response.get_data(as_text=True)
            response.close()
            assert response.status_code == 404, (method, rule, response.status_code)
            assert "LA-9002-C0" not in body and "Los Angeles" not in body, (method, rule)
            probed += 1
    assert probed >= 8


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.ids: list[str] = []
        self.title = ""
        self.forms: list[dict[str, object]] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "id" in a:
            self.ids.append(str(a["id"]))
        if tag in ("h1", "title"):
            self._in = tag
            if tag == "h1":
                self.h1.append("")
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(), "csrf": False})
        if tag == "input" and a.get("name", "").endswith("csrf_token") and self.forms:
            self.forms[-1]["csrf"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h1":
            self.h1[-1] += data
        elif self._in == "title":
            self.title += data


def check_page(html: str) -> str:
    page = _Page()
    page.feed(html)
    assert len(page.h1) == 1, page.h1
    h1 = " ".join(page.h1[0].split())
    title = " ".join(page.title.split())
    assert title.removeprefix("Error: ").startswith(h1), (title, h1)
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, duplicates
    assert all(f["csrf"] for f in page.forms if f["method"] == "post"), page.forms
    return h1


PAGES = {
    "admin": ["/admin/users/", "/admin/users/new", "/admin/users/{fresno}",
              "/admin/users/{fresno}/password", "/audit/", "/audit/?family={garcia}",
              "/account/"],
    "evaluator": ["/exports/", "/account/"],
    "fresno-cws": ["/account/", "/account/two-factor/set-up"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_each_new_page_is_well_formed(client: FlaskClient, seeded: Seeded,
                                      username: str) -> None:
    sign_in(client, username)
    for path in PAGES[username]:
        url = path.format(fresno=seeded.users["fresno-cws"], garcia=seeded.garcia)
        response = client.get(url)
        assert response.status_code == 200, url
        check_page(response.get_data(as_text=True))
