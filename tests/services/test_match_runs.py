"""Match runs and mutual families in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linkages.db.migrate import downgrade, upgrade
from linkages.models import (
    AuditEvent,
    CalworksCase,
    CalworksPerson,
    ClericalDecision,
    CwsChildClient,
    FamilyMember,
    Link,
    MatchRun,
    MutualFamily,
    Person,
    PersonRecord,
    RegistryChange,
    User,
    WorkerAssignment,
)
from linkages.models.enums import (
    AidStatus,
    CalworksRole,
    ClericalDecisionValue,
    FamilyStatus,
    Program,
    Role,
)
from linkages.services.match_runs import (
    CannotUndo,
    DatabaseNotReady,
    clerical_decisions,
    record_match_run,
    undo_match_run,
)
from matching import MatchResult


@pytest.fixture
def families_db(session: Session, db_url: str) -> str:
    """Two CalWORKs cases: GARCIA (C100, Los Angeles, children L1 and L2) and LOPEZ (C200,
    Fresno, child L3); three CWS children: R1 and R2 (Fresno, case K1), R3 (no case)."""
    garcia = CalworksCase(case_number="C100", county_cd=19, aid_status=AidStatus.ACTIVE)
    lopez = CalworksCase(case_number="C200", county_cd=10, aid_status=AidStatus.DISCONTINUED)
    session.add_all([garcia, lopez])
    session.flush()
    session.add_all([
        CalworksPerson(record_id="C100-H", case_id=garcia.id, role=CalworksRole.CASE_HEAD,
                       first_name="MARIA", last_name="GARCIA"),
        CalworksPerson(record_id="L1", case_id=garcia.id, role=CalworksRole.CHILD,
                       first_name="JOSE", last_name="GARCIA"),
        CalworksPerson(record_id="L2", case_id=garcia.id, role=CalworksRole.CHILD,
                       first_name="ANA", last_name="GARCIA"),
        CalworksPerson(record_id="C200-H", case_id=lopez.id, role=CalworksRole.CASE_HEAD,
                       first_name="ROSA", last_name="LOPEZ"),
        CalworksPerson(record_id="L3", case_id=lopez.id, role=CalworksRole.CHILD,
                       first_name="LUIS", last_name="LOPEZ"),
        CwsChildClient(record_id="R1", county_cd=10, case_number="K1"),
        CwsChildClient(record_id="R2", county_cd=10, case_number="K1"),
        CwsChildClient(record_id="R3", county_cd=10),
    ])
    session.commit()
    return db_url


def result(links: list[tuple[str, str, float, str]],
           persons: list[tuple[int, str, str]]) -> MatchResult:
    frame = pd.DataFrame(links, columns=["left_id", "right_id", "match_probability", "decision"])
    frame["match_weight"] = 10.0
    frame["w_first_name"] = 4.25
    frame["w_dob"] = 5.75
    person_frame = pd.DataFrame(persons, columns=["person_key", "source", "record_id"])
    side = person_frame.set_index("record_id")["person_key"]
    return MatchResult(
        links=frame[["left_id", "right_id", "match_probability", "match_weight", "decision",
                     "w_first_name", "w_dob"]],
        left_persons=side[person_frame["source"].eq("left").to_numpy()],
        right_persons=side[person_frame["source"].eq("right").to_numpy()],
        persons=person_frame,
        stats={"left_records": 3, "left_match_rate": 0.5, "expected_false_matches": 0.01},
        parameters={"thresholds": {"match_probability": 0.9}},
        timings={"block": 0.5, "compare": 1.5},
        blocking={"dob": {"pairs": 12}},
    )


FIRST_RUN = result(
    links=[("L1", "R1", 0.99, "match"), ("L2", "R2", 0.97, "match"),
           ("L3", "R3", 0.7, "review"), ("X9", "R3", 0.95, "match")],
    persons=[(0, "left", "L1"), (0, "right", "R1"), (1, "left", "L2"), (1, "right", "R2"),
             (2, "left", "L3"), (3, "right", "R3"), (4, "left", "X9")],
)


def families(session: Session) -> dict[str, MutualFamily]:
    session.expire_all()
    rows = session.scalars(select(MutualFamily)).all()
    return {f.display_name.split(",")[0]: f for f in rows}


def test_a_run_is_stored_and_read_back(families_db: str, session: Session) -> None:
    run_id = record_match_run(FIRST_RUN, left_file="tanf.csv", right_file="cws.csv",
                              config="config/matching.yaml").run_id
    run = session.get(MatchRun, run_id)
    assert run is not None and run.finished_at is not None
    assert (run.left_file, run.right_file) == ("tanf.csv", "cws.csv")
    assert run.parameters["thresholds"] == {"match_probability": 0.9}
    assert run.parameters["config"] == "config/matching.yaml"
    assert run.statistics["left_match_rate"] == 0.5
    assert run.statistics["mutual_families"]["families_new"] == 1
    assert run.timings["compare"] == 1.5 and "record" in run.timings

    links = {(lk.left_record_id, lk.right_record_id): lk
             for lk in session.scalars(select(Link).where(Link.run_id == run_id))}
    assert set(links) == {("L1", "R1"), ("L2", "R2"), ("L3", "R3"), ("X9", "R3")}
    assert links[("L3", "R3")].decision == "review"
    assert links[("L1", "R1")].contributions == {"first_name": 4.25, "dob": 5.75}

    persons = session.scalars(select(Person).where(Person.run_id == run_id)).all()
    assert len(persons) == 5
    records = session.execute(select(Person.person_key, PersonRecord.source,
                                     PersonRecord.record_id).join(PersonRecord)).all()
    assert sorted((k, str(s), r) for k, s, r in records if k == "0") == [
        ("0", "calworks", "L1"), ("0", "cws", "R1")]

    # Only match links whose CalWORKs child is in the database make a family: one, GARCIA.
    found = families(session)
    assert list(found) == ["GARCIA family"]
    garcia = found["GARCIA family"]
    assert garcia.display_name == "GARCIA family, case C100"
    assert (garcia.county_cd, garcia.cws_county_cd, garcia.cws_case_number) == (19, 10, "K1")
    assert garcia.status == FamilyStatus.IDENTIFIED
    assert garcia.identified_on == date.today()
    assert garcia.identified_by_run_id == garcia.last_seen_run_id == run_id
    members = {(m.calworks_record_id, m.cws_record_id): m.match_probability
               for m in garcia.members}
    assert members == {("L1", "R1"): 0.99, ("L2", "R2"): 0.97}


# Every record of the fixture: a run over the whole extract.
ALL_RECORDS = [(10, "left", "L1"), (11, "left", "L2"), (12, "left", "L3"), (13, "right", "R1"),
               (14, "right", "R2"), (15, "right", "R3")]


def whole_run(links: list[tuple[str, str, float, str]]) -> MatchResult:
    """A run over the whole extract: it saw every record, linked or not."""
    linked = {r for left, right, _p, _d in links for r in (left, right)}
    persons = [(i, side, r) for i, (left, right, _p, _d) in enumerate(links)
               for side, r in (("left", left), ("right", right))]
    persons += [(100 + k, side, r) for k, side, r in ALL_RECORDS if r not in linked]
    return result(links=links, persons=persons)


def test_a_rerun_that_drops_the_link_marks_the_family_and_keeps_it(
    families_db: str, session: Session
) -> None:
    first = record_match_run(whole_run([("L1", "R1", 0.99, "match"),
                                        ("L2", "R2", 0.97, "match"),
                                        ("L3", "R3", 0.7, "review")]),
                             left_file="a", right_file="b", config=None).run_id
    second = record_match_run(whole_run([("L1", "R1", 0.98, "match"),
                                         ("L3", "R3", 0.96, "match")]),
                              left_file="a", right_file="b", config=None).run_id
    found = families(session)
    garcia, lopez = found["GARCIA family"], found["LOPEZ family"]
    assert garcia.identified_by_run_id == first and garcia.last_seen_run_id == second
    # L2-R2 is no longer linked by a run that saw both: the member goes, the family stays.
    assert {(m.calworks_record_id, m.cws_record_id, m.match_probability)
            for m in garcia.members} == {("L1", "R1", 0.98)}
    assert lopez.identified_by_run_id == second and lopez.cws_case_number is None

    garcia_id = garcia.id
    third = record_match_run(whole_run([("L3", "R3", 0.96, "match")]),
                             left_file="a", right_file="b", config=None).run_id
    found = families(session)
    garcia = found["GARCIA family"]
    assert garcia.id == garcia_id  # never deleted: joint work hangs on it
    assert garcia.status == FamilyStatus.NO_LONGER_MATCHED
    assert garcia.last_seen_run_id == second
    assert len(garcia.members) == 1  # who was in it stays visible
    assert found["LOPEZ family"].last_seen_run_id == third

    # A closed family stays closed when a run loses it; a lost family found again comes back.
    lopez = found["LOPEZ family"]
    lopez.status = FamilyStatus.CLOSED
    session.commit()
    record_match_run(whole_run([("L1", "R1", 0.99, "match"), ("L2", "R2", 0.97, "match")]),
                     left_file="a", right_file="b", config=None)
    found = families(session)
    assert found["LOPEZ family"].status == FamilyStatus.CLOSED
    assert found["GARCIA family"].status == FamilyStatus.IDENTIFIED
    assert session.query(MutualFamily).count() == 2


def test_a_run_over_part_of_the_state_changes_only_the_families_it_saw(
    families_db: str, session: Session
) -> None:
    record_match_run(whole_run([("L1", "R1", 0.99, "match"), ("L2", "R2", 0.97, "match"),
                                ("L3", "R3", 0.96, "match")]),
                     left_file="a", right_file="b", config=None)
    before = {name: (f.status, f.last_seen_run_id, len(f.members))
              for name, f in families(session).items()}
    # One county's extract: only LOPEZ's records (L3, R3), and nothing linked.
    partial = record_match_run(result(links=[], persons=[(0, "left", "L3"), (1, "right", "R3")]),
                               left_file="fresno-tanf.csv", right_file="fresno-cws.csv",
                               config=None)
    found = families(session)
    assert found["LOPEZ family"].status == FamilyStatus.NO_LONGER_MATCHED
    # GARCIA's records were not in the run: it is exactly as it was.
    assert (found["GARCIA family"].status, found["GARCIA family"].last_seen_run_id,
            len(found["GARCIA family"].members)) == before["GARCIA family"]
    assert partial.families["families_outside_run"] == 1
    assert partial.families["families_no_longer_matched"] == 1

    # A run that saw one of GARCIA's two children and not the other keeps the unseen child.
    record_match_run(result(links=[("L1", "R1", 0.95, "match")],
                            persons=[(0, "left", "L1"), (0, "right", "R1")]),
                     left_file="a", right_file="b", config=None)
    garcia = families(session)["GARCIA family"]
    assert {(m.calworks_record_id, m.cws_record_id) for m in garcia.members} == {
        ("L1", "R1"), ("L2", "R2")}


def test_each_registry_change_names_its_run_and_is_audited(
    families_db: str, session: Session
) -> None:
    first = record_match_run(whole_run([("L1", "R1", 0.99, "match"),
                                        ("L2", "R2", 0.97, "match")]),
                             left_file="a", right_file="b", config=None).run_id
    second = record_match_run(whole_run([("L1", "R1", 0.99, "match")]),
                              left_file="a", right_file="b", config=None).run_id
    garcia = families(session)["GARCIA family"]
    changes = session.execute(select(RegistryChange.run_id, RegistryChange.kind)
                              .where(RegistryChange.family_id == garcia.id)
                              .order_by(RegistryChange.id)).all()
    assert [tuple(c) for c in changes] == [(first, "created"), (second, "updated")]
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "family.registry_change",
        AuditEvent.entity_id == str(garcia.id)).order_by(AuditEvent.id)).all()
    assert [(e.detail["run_id"], e.detail["change"]) for e in events] == [
        (first, "created"), (second, "updated")]
    assert events[1].detail["members_removed"] == [["L2", "R2"]]
    assert all(e.username and e.username.startswith("cli:") for e in events)
    assert session.scalar(select(func.count()).where(
        AuditEvent.action == "match_run.record")) == 2


def test_an_administrator_undoes_the_latest_run(families_db: str, session: Session) -> None:
    first = record_match_run(whole_run([("L1", "R1", 0.99, "match"),
                                        ("L2", "R2", 0.97, "match")]),
                             left_file="a", right_file="b", config=None).run_id

    def registry() -> dict[str, tuple]:
        return {name: (str(f.status), f.cws_case_number, f.last_seen_run_id,
                       sorted((m.calworks_record_id, m.cws_record_id, m.match_probability)
                              for m in f.members))
                for name, f in families(session).items()}

    after_first = registry()
    second = record_match_run(whole_run([("L3", "R3", 0.96, "match")]),
                              left_file="a", right_file="b", config=None).run_id
    assert registry()["GARCIA family"][0] == "no_longer_matched"
    assert "LOPEZ family" in registry()

    with pytest.raises(CannotUndo, match=f"undo run {second} first"):
        undo_match_run(first)
    done = undo_match_run(second)
    assert done == {"families_deleted": 1, "families_kept_with_casework": 0,
                    "families_restored": 1}
    assert registry() == after_first
    with pytest.raises(CannotUndo, match="already undone"):
        undo_match_run(second)
    session.expire_all()
    assert session.get(MatchRun, second).undone_at is not None
    assert session.scalar(select(func.count()).where(
        AuditEvent.action == "match_run.undo", AuditEvent.entity_id == str(second))) == 1


def test_undo_keeps_a_new_family_that_joint_work_already_hangs_on(
    families_db: str, session: Session
) -> None:
    run = record_match_run(whole_run([("L3", "R3", 0.96, "match")]),
                           left_file="a", right_file="b", config=None).run_id
    lopez = families(session)["LOPEZ family"]
    session.add(WorkerAssignment(family_id=lopez.id, user_id=_a_user(session),
                                 program=Program.CWS, start_date=date.today()))
    session.commit()
    assert undo_match_run(run)["families_kept_with_casework"] == 1
    assert families(session)["LOPEZ family"].status == FamilyStatus.NO_LONGER_MATCHED


def _a_user(session: Session) -> int:
    user = User(username="worker", display_name="W", password_hash="x", role=Role.CWS_WORKER,
                program=Program.CWS, county_cd=10)
    session.add(user)
    session.flush()
    return user.id


def test_clerical_decisions_are_returned(families_db: str, session: Session) -> None:
    assert clerical_decisions().empty
    session.add_all([
        ClericalDecision(left_record_id="L1", right_record_id="R1",
                         decision=ClericalDecisionValue.MATCH),
        ClericalDecision(left_record_id="L2", right_record_id="R3",
                         decision=ClericalDecisionValue.NON_MATCH, note="different children"),
    ])
    session.commit()
    frame = clerical_decisions()
    assert list(frame.columns) == ["left_id", "right_id", "decision"]
    assert sorted(frame.itertuples(index=False, name=None)) == [
        ("L1", "R1", "match"), ("L2", "R3", "non_match")]
    assert all(type(d) is str for d in frame["decision"])


def test_a_database_without_schema_raises_database_not_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKAGES_DATABASE_URL", f"sqlite:///{tmp_path / 'never-upgraded.db'}")
    with pytest.raises(DatabaseNotReady, match="linkages db upgrade"):
        clerical_decisions()
    with pytest.raises(DatabaseNotReady, match="linkages db upgrade"):
        record_match_run(FIRST_RUN, left_file="a", right_file="b", config=None)


def test_a_database_downgraded_to_empty_raises_database_not_ready(db_url: str) -> None:
    downgrade(db_url, "base")
    try:
        with pytest.raises(DatabaseNotReady, match="linkages db upgrade"):
            clerical_decisions()
        with pytest.raises(DatabaseNotReady):
            record_match_run(FIRST_RUN, left_file="a", right_file="b", config=None)
    finally:
        upgrade(db_url)


def test_family_member_count_is_stable_when_a_run_is_recorded_twice(
    families_db: str, session: Session
) -> None:
    record_match_run(FIRST_RUN, left_file="a", right_file="b", config=None)
    record_match_run(FIRST_RUN, left_file="a", right_file="b", config=None)
    assert session.query(FamilyMember).count() == 2
    assert session.query(MutualFamily).count() == 1
    assert session.query(MatchRun).count() == 2
