"""County scope: a worker sees her county's mutual families, by either program's county, and
nothing else; statewide users see all; anything unforeseen sees nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mutual_family_fixtures import FRESNO, Seeded
from sqlalchemy.orm import Session

from linkages.models.enums import Role
from linkages.services import families
from linkages.services.scope import Actor, NotFound, PermissionDenied

MakeActor = Callable[[str], Actor]


def names(session: Session, actor: Actor, **kwargs: object) -> set[str]:
    page = families.list_families(session, actor, **kwargs)  # type: ignore[arg-type]
    return {f.display_name for f in page.families}


def test_fresno_worker_sees_fresno_families_not_los_angeles(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    for username in ("fresno-cws", "fresno-calworks", "fresno-manager"):
        assert names(session, actor(username)) == {"GARCIA LOPEZ family", "OKAFOR family"}


def test_fresno_worker_cannot_open_a_los_angeles_family(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    with pytest.raises(NotFound):
        families.get_family(session, actor("fresno-cws"), seeded.nguyen)


def test_out_of_scope_family_looks_exactly_like_a_missing_one(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    with pytest.raises(NotFound) as out_of_scope:
        families.get_family(session, actor("fresno-cws"), seeded.nguyen)
    with pytest.raises(NotFound) as missing:
        families.get_family(session, actor("fresno-cws"), 999_999)
    assert type(out_of_scope.value) is type(missing.value)
    assert str(out_of_scope.value).replace(str(seeded.nguyen), "N") == \
        str(missing.value).replace("999999", "N")


def test_family_whose_cws_county_is_fresno_is_visible_to_fresno(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    # OKAFOR gets CalWORKs in Los Angeles, but the child's CWS case is in Fresno.
    detail = families.get_family(session, actor("fresno-cws"), seeded.okafor)
    assert detail.summary.county_name == "Los Angeles"
    assert detail.summary.cws_county_name == "Fresno"
    assert families.get_family(session, actor("la-cws"), seeded.okafor).summary.id == seeded.okafor


def test_los_angeles_worker_sees_only_los_angeles_families(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    assert names(session, actor("la-cws")) == {"NGUYEN family", "OKAFOR family"}
    with pytest.raises(NotFound):
        families.get_family(session, actor("la-cws"), seeded.garcia)


@pytest.mark.parametrize("username", ["evaluator", "admin"])
def test_statewide_users_see_every_family(
        session: Session, seeded: Seeded, actor: MakeActor, username: str) -> None:
    assert names(session, actor(username)) == {
        "GARCIA LOPEZ family", "NGUYEN family", "OKAFOR family"}
    families.get_family(session, actor(username), seeded.nguyen)


def test_county_evaluator_sees_only_her_county(session: Session, seeded: Seeded) -> None:
    county_evaluator = Actor(None, "county-eval", Role.EVALUATOR, None, FRESNO)
    assert names(session, county_evaluator) == {"GARCIA LOPEZ family", "OKAFOR family"}


@pytest.mark.parametrize("role", [Role.CWS_WORKER, Role.CALWORKS_WORKER, Role.PROGRAM_MANAGER])
def test_worker_without_a_county_sees_nothing(session: Session, seeded: Seeded,
                                              role: Role) -> None:
    # Deny by default: a blank county makes only evaluators and administrators statewide.
    nobody = Actor(None, "no-county", role, None, None)
    assert families.list_families(session, nobody).total == 0
    with pytest.raises(NotFound):
        families.get_family(session, nobody, seeded.garcia)


def test_unknown_role_may_do_nothing(session: Session, seeded: Seeded) -> None:
    stranger = Actor(None, "x", "janitor", None, FRESNO)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        families.list_families(session, stranger)


def test_search_never_reaches_outside_the_scope(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    assert names(session, actor("fresno-cws"), search="nguyen") == set()
    assert names(session, actor("fresno-cws"), search="LA-2002") == set()
    assert names(session, actor("evaluator"), search="nguyen") == {"NGUYEN family"}
