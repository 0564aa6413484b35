"""The mutual families a user may see: the paginated, filterable list and one family's detail.
Every query goes through :func:`linkages.services.scope.family_in_scope`, and every list or
view is audited."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Row, Select, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from linkages.codes import county_name
from linkages.models import (
    CalworksCase,
    CalworksPerson,
    CwsChildClient,
    FamilyMember,
    MutualFamily,
    User,
    WorkerAssignment,
)
from linkages.models.enums import AssignmentRole, FamilyStatus, IdentificationSource, Program
from linkages.search import fold
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import (
    Actor,
    NotFound,
    Permission,
    family_in_scope,
    family_scope_arms,
    require,
)

MAX_PER_PAGE = 100
MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True, slots=True)
class FamilySummary:
    id: int
    display_name: str
    status: FamilyStatus
    county_cd: int
    county_name: str
    cws_county_cd: int | None
    cws_county_name: str | None
    calworks_case_number: str | None
    cws_case_number: str | None
    member_count: int
    identified_on: date


@dataclass(frozen=True, slots=True)
class FamilyPage:
    families: list[FamilySummary]
    total: int
    page: int
    per_page: int
    status: FamilyStatus | None
    search: str

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """One source record of a family member, as that program holds it."""

    record_id: str
    first_name: str | None
    last_name: str | None
    dob: date | None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "(no name)"


@dataclass(frozen=True, slots=True)
class FamilyMemberDetail:
    calworks: MemberRecord | None
    cws: MemberRecord | None
    match_probability: float | None


@dataclass(frozen=True, slots=True)
class AssignedWorker:
    display_name: str
    program: Program
    role: AssignmentRole
    start_date: date


@dataclass(frozen=True, slots=True)
class FamilyDetail:
    summary: FamilySummary
    identification_source: IdentificationSource
    closed_on: date | None
    close_reason: str | None
    members: list[FamilyMemberDetail]
    assigned_workers: list[AssignedWorker]


def _summaries(*conditions: ColumnElement[bool]) -> Select:
    member_count = (
        select(func.count(FamilyMember.id))
        .where(FamilyMember.family_id == MutualFamily.id)
        .correlate(MutualFamily)
        .scalar_subquery()
    )
    return (
        select(
            MutualFamily.id,
            MutualFamily.display_name,
            MutualFamily.status,
            MutualFamily.county_cd,
            MutualFamily.cws_county_cd,
            CalworksCase.case_number,
            MutualFamily.cws_case_number,
            member_count.label("member_count"),
            MutualFamily.identified_on,
        )
        .outerjoin(CalworksCase, CalworksCase.id == MutualFamily.calworks_case_id)
        .where(*conditions)
    )


def _summary(row: tuple) -> FamilySummary:
    (fid, name, status, county_cd, cws_county_cd, calworks_no, cws_no, members, identified) = row
    return FamilySummary(
        id=fid,
        display_name=name,
        status=FamilyStatus(status),
        county_cd=county_cd,
        county_name=county_name(county_cd),
        cws_county_cd=cws_county_cd,
        cws_county_name=county_name(cws_county_cd) if cws_county_cd is not None else None,
        calworks_case_number=calworks_no,
        cws_case_number=cws_no,
        member_count=int(members or 0),
        identified_on=identified,
    )


def list_families(
    session: Session,
    actor: Actor,
    *,
    status: FamilyStatus | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = 25,
    ip: str | None = None,
) -> FamilyPage:
    """The mutual families in the actor's scope, newest identified first. ``search`` matches
    part of the family name or of either program's case number, ignoring case and accents
    (``González`` finds GONZALEZ); control characters in it are dropped."""
    require(actor, Permission.LIST_FAMILIES)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    search = fold(search)[:MAX_SEARCH_LENGTH]
    filters: list[ColumnElement[bool]] = []
    if status is not None:
        filters.append(MutualFamily.status == status)
    if search:
        filters.append(MutualFamily.search_key.contains(search, autoescape=True))
    # Each arm of the county scope (the CalWORKs county; the CWS county of a family whose
    # CalWORKs case is elsewhere) is read on its own index: with the OR, a county of 30,000
    # families was read row by row for every count and page.
    arms = family_scope_arms(actor)
    total = _count_in_arms(session, arms, filters)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    rows = _page_in_arms(session, arms, filters, offset=(page - 1) * per_page, limit=per_page)
    families = [_summary(tuple(r)) for r in rows]
    # The ids shown are what a later access review needs: who saw which family, when.
    audit.record(
        session, actor, AuditAction.FAMILY_LIST, "mutual_family", None,
        {"status": status.value if status else None, "search": search, "page": page,
         "total": total, "family_ids": [f.id for f in families]},
        ip,
    )
    return FamilyPage(families, total, page, per_page, status, search)


def _count_in_arms(session: Session, arms: list[ColumnElement[bool]],
                   filters: list[ColumnElement[bool]]) -> int:
    return sum(session.scalar(select(func.count()).select_from(MutualFamily)
                              .where(arm, *filters)) or 0 for arm in arms)


def _page_in_arms(session: Session, arms: list[ColumnElement[bool]],
                  filters: list[ColumnElement[bool]], *, offset: int, limit: int) -> list[Row]:
    """One page of families, newest identified first. The page is within the first
    ``offset + limit`` keys of the arms together, so each arm reads no more than that, in
    index order."""
    if not arms:
        return []
    newest_first = (MutualFamily.identified_on.desc(), MutualFamily.id.desc())
    # Each arm a subquery of its own: SQLite allows no LIMIT on a member of a UNION.
    keys = union_all(*(
        select(arm_keys.c.id, arm_keys.c.identified_on).select_from(arm_keys)
        for arm_keys in (
            select(MutualFamily.id, MutualFamily.identified_on).where(arm, *filters)
            .order_by(*newest_first).limit(offset + limit).subquery()
            for arm in arms)
    )).subquery()
    page_ids = (select(keys.c.id).order_by(keys.c.identified_on.desc(), keys.c.id.desc())
                .limit(limit).offset(offset).scalar_subquery())
    return list(session.execute(
        _summaries(MutualFamily.id.in_(page_ids)).order_by(*newest_first)).all())


def get_family(session: Session, actor: Actor, family_id: int, *,
               ip: str | None = None) -> FamilyDetail:
    """One family, if it is in the actor's scope; otherwise :class:`NotFound`, exactly as if
    it did not exist."""
    require(actor, Permission.VIEW_FAMILY)
    row = session.execute(
        _summaries(family_in_scope(actor), MutualFamily.id == family_id)
    ).first()
    if row is None:
        exists = session.scalar(select(MutualFamily.id).where(MutualFamily.id == family_id))
        audit.record(session, actor, AuditAction.FAMILY_VIEW_REFUSED, "mutual_family",
                     family_id, {"reason": "out_of_scope" if exists else "no_such_family"}, ip)
        raise NotFound(f"mutual family {family_id}")
    family = session.get(MutualFamily, family_id)
    assert family is not None  # just read within scope
    detail = FamilyDetail(
        summary=_summary(tuple(row)),
        identification_source=IdentificationSource(family.identification_source),
        closed_on=family.closed_on,
        close_reason=family.close_reason,
        members=_members(session, family_id),
        assigned_workers=_assigned_workers(session, family_id),
    )
    audit.record(session, actor, AuditAction.FAMILY_VIEW, "mutual_family", family_id,
                 {"members": len(detail.members)}, ip)
    return detail


_CALWORKS_RECORD = aliased(CalworksPerson, name="calworks_record")
_CWS_RECORD = aliased(CwsChildClient, name="cws_record")


def _members(session: Session, family_id: int) -> list[FamilyMemberDetail]:
    cw, cws = _CALWORKS_RECORD, _CWS_RECORD
    rows = session.execute(
        select(
            FamilyMember.calworks_record_id, cw.first_name, cw.last_name, cw.dob,
            FamilyMember.cws_record_id, cws.first_name, cws.last_name, cws.dob,
            FamilyMember.match_probability,
        )
        .outerjoin(cw, cw.record_id == FamilyMember.calworks_record_id)
        .outerjoin(cws, cws.record_id == FamilyMember.cws_record_id)
        .where(FamilyMember.family_id == family_id)
        .order_by(FamilyMember.id)
    ).all()
    members = []
    for cw_id, cw_first, cw_last, cw_dob, cws_id, cws_first, cws_last, cws_dob, p in rows:
        members.append(FamilyMemberDetail(
            calworks=MemberRecord(cw_id, cw_first, cw_last, cw_dob) if cw_id else None,
            cws=MemberRecord(cws_id, cws_first, cws_last, cws_dob) if cws_id else None,
            match_probability=p,
        ))
    return members


def _assigned_workers(session: Session, family_id: int) -> list[AssignedWorker]:
    today = date.today()
    rows = session.execute(
        select(User.display_name, WorkerAssignment.program, WorkerAssignment.role,
               WorkerAssignment.start_date)
        .join(User, User.id == WorkerAssignment.user_id)
        .where(
            WorkerAssignment.family_id == family_id,
            or_(WorkerAssignment.end_date.is_(None), WorkerAssignment.end_date >= today),
        )
        .order_by(WorkerAssignment.program, WorkerAssignment.role, WorkerAssignment.start_date)
    ).all()
    return [AssignedWorker(n, Program(p), AssignmentRole(r), s) for n, p, r, s in rows]
