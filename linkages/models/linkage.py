"""Linkage: match runs and their links, clerical decisions that outlive runs, unduplicated
persons, the mutual families that group them, and the registry changes each run of record made
to those families (so that a run can be undone)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkages.models.base import Base, Timestamped, enum_column, utcnow
from linkages.models.enums import (
    ClericalDecisionValue,
    FamilyStatus,
    IdentificationSource,
    LinkDecision,
    RecordSource,
)
from linkages.search import search_key


class MatchRun(Base):
    """A run of record: ``linkages match --record`` over the ingested extract. Only such runs
    are stored, and only they change the mutual-family registry."""

    __tablename__ = "match_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    left_file: Mapped[str] = mapped_column(String(500))
    right_file: Mapped[str] = mapped_column(String(500))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    statistics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    # Set when an administrator undid the run's registry changes (`linkages runs undo`); an
    # undone run is history, never the "latest run" of a report or review queue.
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(80))

    links: Mapped[list[Link]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class Link(Base):
    """A cross-source pair written by a run: CalWORKs record (left) to CWS record (right)."""

    __tablename__ = "link"
    __table_args__ = (
        UniqueConstraint("run_id", "left_record_id", "right_record_id"),
        Index("ix_link_right", "right_record_id"),
        Index("ix_link_left", "left_record_id"),
        # The review queue: a run's review pairs and its match pairs under a probability.
        Index("ix_link_run_decision", "run_id", "decision", "match_probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"))
    left_record_id: Mapped[str] = mapped_column(String(40))
    right_record_id: Mapped[str] = mapped_column(String(40))
    match_weight: Mapped[float]
    match_probability: Mapped[float]
    decision: Mapped[LinkDecision] = mapped_column(enum_column(LinkDecision, "link_decision"))
    contributions: Mapped[dict[str, Any]] = mapped_column(default=dict)

    run: Mapped[MatchRun] = relationship(back_populates="links")


class ClericalDecision(Timestamped, Base):
    """A reviewer's decision on a pair. It overrides the model on every later run."""

    __tablename__ = "clerical_decision"
    __table_args__ = (UniqueConstraint("left_record_id", "right_record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    left_record_id: Mapped[str] = mapped_column(String(40))
    right_record_id: Mapped[str] = mapped_column(String(40))
    decision: Mapped[ClericalDecisionValue] = mapped_column(
        enum_column(ClericalDecisionValue, "clerical_decision_value")
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Person(Base):
    """An unduplicated person found by a run: one or more records, in one or both sources."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"), index=True)
    person_key: Mapped[str] = mapped_column(String(60))

    records: Mapped[list[PersonRecord]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class PersonRecord(Base):
    __tablename__ = "person_record"
    __table_args__ = (Index("ix_person_record_source_record", "source", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[RecordSource] = mapped_column(enum_column(RecordSource, "record_source"))
    record_id: Mapped[str] = mapped_column(String(40))

    person: Mapped[Person] = relationship(back_populates="records")


class MutualFamily(Timestamped, Base):
    """A family served by both programs: a CalWORKs case with at least one child linked to a
    CWS/CMS child. Stable across match runs (joint work hangs on it); a run that no longer
    finds the link marks it, never deletes it."""

    __tablename__ = "mutual_family"
    __table_args__ = (
        # A county's families newest first, one index per arm of the county scope
        # (linkages.services.scope.family_scope_arms); the CWS arm leaves out the families of
        # its own CalWORKs county, so county_cd is in that index too. Status last: the status
        # filter is read from the index.
        Index("ix_mutual_family_county_identified", "county_cd", "identified_on", "id",
              "status"),
        Index("ix_mutual_family_cws_county_identified",
              "cws_county_cd", "county_cd", "identified_on", "id", "status"),
        # Part-of-name search (LIKE '%…%') on PostgreSQL; SQLite scans, at county scale.
        Index("ix_mutual_family_search_key_trgm", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        # The registry's last change (linkages.services.reports.casework_version).
        Index("ix_mutual_family_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The CalWORKs case's county, and the CWS child's county when the family has moved: a
    # worker of either county sees the family.
    county_cd: Mapped[int]
    cws_county_cd: Mapped[int | None]
    calworks_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("calworks_case.id", ondelete="SET NULL"), unique=True
    )
    cws_case_number: Mapped[str | None] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[FamilyStatus] = mapped_column(
        enum_column(FamilyStatus, "family_status"), default=FamilyStatus.IDENTIFIED
    )
    identification_source: Mapped[IdentificationSource] = mapped_column(
        enum_column(IdentificationSource, "identification_source"),
        default=IdentificationSource.DATA_MATCH,
    )
    identified_on: Mapped[date]
    identified_by_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_run.id", ondelete="SET NULL")
    )
    last_seen_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_run.id", ondelete="SET NULL")
    )
    closed_on: Mapped[date | None]
    close_reason: Mapped[str | None] = mapped_column(String(200))
    # The family name and both case numbers folded for search (accents and case removed,
    # linkages.search): kept by the services, so one search works alike on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(400), default="", server_default="")

    members: Mapped[list[FamilyMember]] = relationship(
        back_populates="family", cascade="all, delete-orphan"
    )


@event.listens_for(MutualFamily, "before_insert")
@event.listens_for(MutualFamily, "before_update")
def _keep_search_key(_mapper: Any, connection: Connection, family: MutualFamily) -> None:
    """Families written through the ORM keep their search key (bulk writes of a match run set
    it themselves, with the same function)."""
    from linkages.models.calworks import CalworksCase

    case_number = None
    if family.calworks_case_id is not None:
        case_number = connection.scalar(select(CalworksCase.case_number)
                                        .where(CalworksCase.id == family.calworks_case_id))
    family.search_key = search_key(family.display_name, case_number, family.cws_case_number)


class FamilyMember(Base):
    """A child of a mutual family: the CalWORKs record and the CWS record linked to it."""

    __tablename__ = "family_member"
    __table_args__ = (UniqueConstraint("family_id", "calworks_record_id", "cws_record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("mutual_family.id", ondelete="CASCADE"), index=True
    )
    calworks_record_id: Mapped[str | None] = mapped_column(String(40), index=True)
    cws_record_id: Mapped[str | None] = mapped_column(String(40), index=True)
    match_probability: Mapped[float | None]

    family: Mapped[MutualFamily] = relationship(back_populates="members")


class RegistryChange(Base):
    """What one run of record did to one mutual family: ``created``, ``updated`` (status, CWS
    side or members changed), ``seen`` (found again unchanged) or ``lost`` (the run covered all
    of the family's records and linked none: no longer matched). ``before`` and ``after`` are
    the family's registry fields and members, so that the run can be undone exactly."""

    __tablename__ = "registry_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id"), index=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("mutual_family.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any]]


class ReportSnapshot(Base):
    """A report precomputed for one match run (and, for the outcome measures, one extract):
    ``linkages reports build`` writes it after the run, so that a report page only reads.
    ``county_cd`` is None for the statewide snapshot. ``payload`` holds the figures as built
    (counts unmasked; the reports service masks them for the reader's role)."""

    __tablename__ = "report_snapshot"
    __table_args__ = (Index("ix_report_snapshot_lookup", "kind", "run_id", "county_cd"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # What else the figures were computed from (e.g. the extract's files and their sizes).
    extract_key: Mapped[str] = mapped_column(String(64), default="")
    county_cd: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
