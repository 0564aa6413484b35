"""The mutual families list and detail as a worker reads them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from mutual_family_fixtures import Seeded, seed
from sqlalchemy.orm import Session

from linkages.models import MutualFamily
from linkages.models.enums import AssignmentRole, FamilyStatus, Program, Role
from linkages.services import families
from linkages.services.scope import Actor

MakeActor = Callable[[str], Actor]


def test_list_rows_carry_case_numbers_counties_and_member_counts(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    page = families.list_families(session, actor("evaluator"))
    assert page.total == 3
    # Newest identified first.
    assert [f.display_name for f in page.families] == [
        "OKAFOR family", "NGUYEN family", "GARCIA LOPEZ family"]
    garcia = page.families[2]
    assert garcia.calworks_case_number == "FR-1001"
    assert garcia.cws_case_number == "0101-2345-6789-0123456"
    assert garcia.county_name == "Fresno"
    assert garcia.member_count == 2
    assert garcia.status is FamilyStatus.ACTIVE
    assert garcia.identified_on == date(2026, 3, 2)


def _searcher(session: Session, actor: MakeActor) -> Callable[[str], list[str]]:
    """The family names an evaluator's search finds."""
    evaluator = actor("evaluator")
    return lambda text: [f.display_name for f in families.list_families(
        session, evaluator, search=text).families]


def test_search_by_name_or_either_case_number_ignoring_case(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    found = _searcher(session, actor)
    assert found("garcia") == ["GARCIA LOPEZ family"]
    assert found("  Garcia   Lopez ") == ["GARCIA LOPEZ family"]
    assert found("fr-1001") == ["GARCIA LOPEZ family"]
    assert found("1900-1111") == ["NGUYEN family"]
    # LIKE wildcards are searched for literally.
    assert found("%") == []
    assert found("_") == []


def test_search_folds_accents_and_case_and_drops_control_characters(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    found = _searcher(session, actor)
    assert found("García López") == ["GARCIA LOPEZ family"]
    assert found("GARCÍA") == found("garcia") == ["GARCIA LOPEZ family"]
    # A NUL byte no longer cuts the pattern short: "OKAFOR\0ZZZ" is "okaforzzz", no family.
    assert found("OKAFOR\x00ZZZ") == []
    assert found("OKA\x00FOR") == ["OKAFOR family"]
    # Nothing left to search for is no search (every family in scope).
    assert len(found("\x00\x07")) == 3
    # A search never matches across the name and a case number.
    assert found("family fr") == []


def test_a_family_renamed_through_the_services_stays_findable(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    family = session.get(MutualFamily, seeded.nguyen)
    family.display_name = "NGUYỄN family"
    session.flush()
    assert [f.id for f in families.list_families(session, actor("evaluator"),
                                                 search="nguyen").families] == [seeded.nguyen]


def test_filter_by_status(session: Session, seeded: Seeded, actor: MakeActor) -> None:
    page = families.list_families(session, actor("evaluator"), status=FamilyStatus.ACTIVE)
    assert [f.display_name for f in page.families] == ["GARCIA LOPEZ family"]
    assert families.list_families(session, actor("evaluator"),
                                  status=FamilyStatus.CLOSED).total == 0


def test_pages(session: Session, seeded: Seeded, actor: MakeActor) -> None:
    evaluator = actor("evaluator")
    first = families.list_families(session, evaluator, per_page=2)
    second = families.list_families(session, evaluator, per_page=2, page=2)
    assert (first.total, first.pages, first.has_next, first.has_previous) == (3, 2, True, False)
    assert (second.has_next, second.has_previous) == (False, True)
    assert {f.id for f in first.families} | {f.id for f in second.families} == {
        seeded.garcia, seeded.nguyen, seeded.okafor}
    # A page past the end shows the last page rather than an empty one.
    assert families.list_families(session, evaluator, per_page=2, page=99).page == 2


def test_detail_shows_both_programs_records_of_each_child_and_current_workers(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    detail = families.get_family(session, actor("fresno-cws"), seeded.garcia)
    first, second = detail.members
    assert first.calworks is not None and first.cws is not None
    assert (first.calworks.record_id, first.calworks.name, first.calworks.dob) == (
        "FR-1001-C0", "MARIA GARCIA LOPEZ", date(2017, 5, 4))
    assert (second.calworks.name, second.cws.name) == ("JOSE GARCIA LOPEZ",  # type: ignore[union-attr]
                                                       "JOSEPH GARCIA LOPEZ")
    assert first.match_probability == 0.998
    # The manager's assignment ended in 2025: only current workers are shown.
    assert [(w.display_name, w.program, w.role) for w in detail.assigned_workers] == [
        ("Ben Fresno", Program.CALWORKS, AssignmentRole.PRIMARY),
        ("Ana Fresno", Program.CWS, AssignmentRole.PRIMARY),
    ]


def test_a_family_without_members_or_calworks_case_still_lists(session: Session) -> None:
    seed(session)
    session.add(MutualFamily(county_cd=10, display_name="REFERRED family",
                             identified_on=date(2026, 6, 1)))
    session.commit()
    statewide = Actor(None, "eval", Role.EVALUATOR, None, None)
    page = families.list_families(session, statewide, search="referred")
    (row,) = page.families
    assert (row.member_count, row.calworks_case_number, row.cws_county_name) == (0, None, None)


def test_a_county_worker_pages_through_families_of_either_county_once_each(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    # Fresno's worker sees GARCIA LOPEZ (both programs in Fresno: in both arms of the scope)
    # and OKAFOR (CalWORKs in Los Angeles, CWS in Fresno), never NGUYEN (Los Angeles only).
    worker = actor("fresno-cws")
    pages = [families.list_families(session, worker, per_page=1, page=n) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [2, 2, 2]
    assert [[f.display_name for f in p.families] for p in pages] == [
        ["OKAFOR family"], ["GARCIA LOPEZ family"], ["GARCIA LOPEZ family"]]
    assert families.list_families(session, worker, search="nguyen").total == 0
    active = families.list_families(session, worker, status=FamilyStatus.ACTIVE)
    assert [f.display_name for f in active.families] == ["GARCIA LOPEZ family"]
