"""``linkages users reviewer``: designate a clerical reviewer, and take it away."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from linkages.cli import main
from linkages.db import session_scope
from linkages.models import AuditEvent, User
from linkages.models.enums import Program, Role
from linkages.services.scope import Actor, Permission


def test_a_worker_becomes_a_reviewer_of_her_county_and_stops(db_url: str) -> None:
    with session_scope(db_url) as session:
        session.add(User(username="ana", display_name="Ana", password_hash="x",
                         role=Role.CWS_WORKER, program=Program.CWS, county_cd=10))
        session.add(User(username="eve", display_name="Eve", password_hash="x",
                         role=Role.EVALUATOR))
    result = CliRunner().invoke(main, ["users", "reviewer", "ana"])
    assert result.exit_code == 0, result.output
    with session_scope(db_url) as session:
        ana = session.scalars(select(User).where(User.username == "ana")).one()
        actor = Actor.from_user(ana)
        assert actor.can(Permission.REVIEW_PAIRS) and not actor.can(Permission.VIEW_REPORTS)
        (event,) = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "user.reviewer"))
        assert event.detail == {"before": False, "after": True}
    result = CliRunner().invoke(main, ["users", "reviewer", "eve"])
    assert result.exit_code == 2 and "reviewers are workers" in result.output
    result = CliRunner().invoke(main, ["users", "reviewer", "nobody"])
    assert result.exit_code == 2 and "there is no user" in result.output
    result = CliRunner().invoke(main, ["users", "reviewer", "ana", "--off"])
    assert result.exit_code == 0, result.output
    with session_scope(db_url) as session:
        ana = session.scalars(select(User).where(User.username == "ana")).one()
        assert not Actor.from_user(ana).can(Permission.REVIEW_PAIRS)
