"""Synthetic casework for mutual families: what a county's Linkages staff would have entered,
for the demo and the benchmark. Deterministic for a seed and an as-of date; nothing in it is
about a real person.

For a share of the families in the chosen counties it makes: staff accounts (workers with a
caseload of about 20 and their supervisors) and the pair's assignments, some with an earlier
worker; consents (CalWORKs information, CFT information, some revoked or about to expire, Part 2
ones where the plan has AOD treatment); joint meetings held, scheduled, overdue to record or
cancelled, with participants and action items; a coordinated plan in every state (draft,
submitted, returned, approved, approved with a newer draft) with objectives, activities and
WtW hours; shared-resource services in every state; contact notes of both programs.

Rows are written in bulk with ids assigned here (one INSERT per thousands of rows), so a
statewide run takes minutes, not hours. Families that already have casework are left alone.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, text

from linkages.codes import county_name
from linkages.models import (
    ActionItem,
    AuditEvent,
    CalworksPerson,
    Consent,
    ConsentRecipient,
    ContactNote,
    CoordinatedPlan,
    JointMeeting,
    MeetingParticipant,
    MutualFamily,
    PlanAcknowledgement,
    PlanActivity,
    PlanGoal,
    PlanReview,
    ServiceAuthorization,
    User,
    WorkerAssignment,
)
from linkages.models.enums import (
    AcknowledgementParty,
    ActivityCategory,
    AssignmentRole,
    AuthorizationStatus,
    CalworksRole,
    ContactType,
    FamilyStatus,
    FundSource,
    LegalBasis,
    MeetingStatus,
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    PlanReviewAction,
    PlanStatus,
    Program,
    Role,
    ServiceCategory,
    SignerRelationship,
    TeamRole,
    WorkStatus,
)

LOCAL = ZoneInfo("America/Los_Angeles")
CASELOAD = 20
WORKERS_PER_SUPERVISOR = 6
CHUNK = 5_000

FIRST = ("Maria", "Ana", "Laura", "Sofia", "Grace", "Linda", "Rosa", "Elena", "Teresa", "Nancy",
         "James", "David", "Miguel", "Daniel", "Carlos", "Kevin", "Brian", "Jorge", "Anthony",
         "Karen", "Michelle", "Angela", "Patricia", "Veronica", "Lisa", "Yesenia", "Kimberly",
         "Thomas", "Luis", "Robert", "Mai", "Pa", "Tou", "Nhia", "Amrit", "Harpreet", "Samuel")
LAST = ("Martinez", "Nguyen", "Johnson", "Lopez", "Smith", "Vang", "Hernandez", "Brown",
        "Gonzalez", "Thao", "Williams", "Ramirez", "Davis", "Singh", "Torres", "Moua", "Flores",
        "Miller", "Rivera", "Xiong", "Castillo", "Wilson", "Ortiz", "Lee", "Chavez", "Mendoza")

GOALS = (
    "The children are safe at home and the family has a steady income.",
    "Reunify the children with their mother and keep the family housed.",
    "Mother finishes her treatment and returns to work; the children stay with her.",
    "A stable home, reliable child care and a job that pays the rent.",
    "The family stays together safely while the parent completes job training.",
)
OBJECTIVES: dict[PlanProgram, tuple[str, ...]] = {
    PlanProgram.CWS: ("Safe parenting without physical discipline",
                      "Regular, then unsupervised, visits with the children",
                      "Address the issues that brought the family to CWS"),
    PlanProgram.WTW: ("Find and keep a job of at least 30 hours a week",
                      "Finish the vocational training program", "Cure the WtW sanction"),
    PlanProgram.SHARED: ("Stable housing for the whole family",
                         "Child care in place for work and appointments"),
}
ACTIVITIES: dict[ActivityCategory, tuple[tuple[str, str, PlanProgram, bool], ...]] = {
    # (description, provider, program of record, counts toward WtW)
    ActivityCategory.EMPLOYMENT: (("Part-time work at a retail store", "Employer",
                                   PlanProgram.WTW, True),),
    ActivityCategory.JOB_SEARCH: (("Job club and supervised job search",
                                   "County employment services", PlanProgram.WTW, True),),
    ActivityCategory.EDUCATION_TRAINING: (("Medical assistant certificate program",
                                           "Community college", PlanProgram.WTW, True),
                                          ("GED preparation", "Adult school", PlanProgram.WTW,
                                           True)),
    ActivityCategory.PARENTING: (("Parenting education class, 12 weeks",
                                  "Family resource center", PlanProgram.CWS, True),),
    ActivityCategory.VISITATION: (("Supervised visits with the children",
                                   "CWS visitation center", PlanProgram.CWS, False),),
    ActivityCategory.COURT: (("Attend dependency court hearings", "Juvenile court",
                              PlanProgram.CWS, False),),
    ActivityCategory.MENTAL_HEALTH: (("Individual counseling, weekly",
                                      "County behavioral health clinic", PlanProgram.CWS,
                                      True),),
    ActivityCategory.SUBSTANCE_USE: (("Outpatient substance use treatment",
                                      "Licensed outpatient treatment program", PlanProgram.CWS,
                                      True),),
    ActivityCategory.DOMESTIC_ABUSE: (("Domestic violence support group",
                                       "Family violence services agency", PlanProgram.SHARED,
                                       True),),
    ActivityCategory.HOUSING: (("Apply for rapid rehousing", "Housing support program",
                                PlanProgram.SHARED, False),),
    ActivityCategory.CHILD_CARE: (("Enroll the younger children in child care",
                                   "Child care resource agency", PlanProgram.SHARED, False),),
}
STRENGTHS = ("Mother is committed to her children and attends every visit.",
             "Grandmother lives nearby and helps with school pick-ups.",
             "The older child is doing well in school.",
             "The family has a church community that brings meals.")
NEEDS = ("Reliable transportation to work and visits.", "Affordable child care.",
         "Stable housing: the family is doubled up with relatives.",
         "Treatment for depression.")
SAFETY = ("No safety concerns raised at this meeting.",
          "Mother's former partner has contacted her; a safety plan was reviewed.",
          "Home is overcrowded; the team agreed on a sleeping arrangement.")
DECISIONS = ("Workers will align the visit schedule with the job club hours.",
             "The team agreed to request bus passes and a child care referral.",
             "CWS will ask the court to move to unsupervised visits.")
ACTION_TEXTS = (("Request bus passes for the month", PlanProgram.WTW),
                ("Send the child care referral", PlanProgram.WTW),
                ("Schedule the parenting class intake", PlanProgram.CWS),
                ("Share the visit calendar with the WtW worker", PlanProgram.CWS),
                ("Complete the housing application", PlanProgram.SHARED),
                ("Bring pay stubs to the next meeting", PlanProgram.SHARED))
NOTE_TEXTS = {
    ContactType.HOME_VISIT: "Home visit. Children present and well; home clean and stocked.",
    ContactType.OFFICE: "Office appointment to review activities and hours for the month.",
    ContactType.PHONE: "Phone call with the parent about this week's appointments.",
    ContactType.CASE_CONFERENCE: "Case conference with the other program's worker.",
}
SERVICES = ((ServiceCategory.TRANSPORTATION, FundSource.CALWORKS_SUPPORTIVE, "20 bus passes",
             "Regional transit district", (45, 160)),
            (ServiceCategory.CHILD_CARE, FundSource.CALWORKS_SUPPORTIVE, "1 month",
             "Licensed family child care home", (400, 1100)),
            (ServiceCategory.HOUSING, FundSource.CWS_FLEXIBLE, "1 month's rent",
             "Landlord", (600, 1800)),
            (ServiceCategory.HOUSING, FundSource.LINKAGES_POOLED, "security deposit",
             "Landlord", (500, 1500)),
            (ServiceCategory.MENTAL_HEALTH, FundSource.TITLE_IV_B, "8 sessions",
             "Counseling practice", (300, 900)),
            (ServiceCategory.OTHER_CONCRETE, FundSource.CALWORKS_ANCILLARY,
             "books and uniform", "College bookstore", (60, 350)))


@dataclass
class Staff:
    """The generated (or demo) staff of one county."""

    workers: dict[Program, list[int]] = field(default_factory=lambda: defaultdict(list))
    supervisors: dict[Program, list[int]] = field(default_factory=lambda: defaultdict(list))
    names: dict[int, str] = field(default_factory=dict)


@dataclass
class Rows:
    """Rows to write, table by table, with the next id of each table."""

    next_id: dict[str, int]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    paired: set[int] = field(default_factory=set)  # families given a worker on each side
    identified: dict[int, date] = field(default_factory=dict)
    turn: dict[tuple[int, Program], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, table: Table, **values: Any) -> int:
        ident = self.next_id[table.name]
        self.next_id[table.name] = ident + 1
        self.rows[table.name].append({"id": ident, **values})
        return ident


@dataclass(frozen=True)
class Summary:
    families: int
    skipped: int
    staff_created: int
    rows: dict[str, int]


def _utc(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL).astimezone(UTC)


def _slug(county_cd: int) -> str:
    return county_name(county_cd).lower().replace(" ", "-")


def _families(conn: Connection, counties: list[int] | None, share: float,
              seed: int) -> list[Any]:
    fam = MutualFamily.__table__
    stmt = (select(fam.c.id, fam.c.county_cd, fam.c.cws_county_cd, fam.c.calworks_case_id,
                   fam.c.display_name)
            .where(fam.c.status.in_([FamilyStatus.IDENTIFIED.value, FamilyStatus.ACTIVE.value]))
            .order_by(fam.c.id))
    if counties:
        stmt = stmt.where(fam.c.county_cd.in_(counties))
    rows = conn.execute(stmt).all()
    pick = random.Random(seed)
    return [r for r in rows if pick.random() < share]


def _already_worked(conn: Connection, ids: list[int]) -> set[int]:
    wa = WorkerAssignment.__table__
    out: set[int] = set()
    for start in range(0, len(ids), 10_000):
        chunk = ids[start:start + 10_000]
        out |= set(conn.scalars(select(wa.c.family_id).where(wa.c.family_id.in_(chunk))))
    return out


def _staff(conn: Connection, county: int, families: int, password_hash: str,
           rng: random.Random, demo: dict[str, tuple[int, int]], rows_created: list[int],
           programs: tuple[Program, ...] = (Program.CWS, Program.CALWORKS)) -> Staff:
    """Workers for a caseload of about 20 per program, a supervisor per six workers; existing
    accounts of the same name are reused, so a second run adds none."""
    user = User.__table__
    staff = Staff()
    n_workers = max(1, math.ceil(families / CASELOAD))
    n_sup = max(1, math.ceil(n_workers / WORKERS_PER_SUPERVISOR))
    slug = _slug(county)
    now = datetime.now(UTC)
    wanted: list[tuple[str, Role, Program, bool]] = []
    for program, (worker_role, sup_role) in {
            Program.CWS: (Role.CWS_WORKER, Role.CWS_SUPERVISOR),
            Program.CALWORKS: (Role.CALWORKS_WORKER, Role.CALWORKS_SUPERVISOR)}.items():
        if program not in programs:
            continue
        wanted += [(f"{slug}-{program.value}-{i + 1:03d}", worker_role, program, False)
                   for i in range(n_workers)]
        wanted += [(f"{slug}-{program.value}-sup-{i + 1:02d}", sup_role, program, True)
                   for i in range(n_sup)]
    existing = dict(conn.execute(select(user.c.username, user.c.id).where(
        user.c.username.in_([w[0] for w in wanted]))).all())
    for username, role, program, sup in wanted:
        uid = existing.get(username)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if uid is None:
            uid = int(conn.execute(insert(user).values(
                username=username, display_name=name, password_hash=password_hash,
                role=role, program=program, county_cd=county, active=True, failed_logins=0,
                created_at=now, updated_at=now).returning(user.c.id)).scalar_one())
            rows_created[0] += 1
        (staff.supervisors if sup else staff.workers)[program].append(uid)
    # The demo's own accounts carry part of their county's caseload, first in line.
    for program, username in ((Program.CWS, "fresno-cws"), (Program.CALWORKS, "fresno-calworks"),
                              (Program.CWS, "fresno-cws-supervisor"),
                              (Program.CALWORKS, "fresno-calworks-supervisor")):
        uid, home = demo.get(username, (None, None))
        if uid is None or home != county or program not in programs:
            continue
        target = staff.supervisors if "supervisor" in username else staff.workers
        target[program].insert(0, uid)
    staff.names = dict(conn.execute(select(user.c.id, user.c.display_name).where(user.c.id.in_(
        [u for lst in (*staff.workers.values(), *staff.supervisors.values()) for u in lst])))
        .all())
    return staff


def _next_ids(conn: Connection, tables: Iterable[Table]) -> dict[str, int]:
    return {t.name: int(conn.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1
            for t in tables}


TABLES = [t.__table__ for t in (WorkerAssignment, Consent, ConsentRecipient, JointMeeting,
                                 MeetingParticipant, CoordinatedPlan, PlanGoal, PlanActivity,
                                 PlanReview, PlanAcknowledgement, ActionItem,
                                 ServiceAuthorization, ContactNote)]


def generate(engine: Engine, *, counties: list[int] | None, share: float, seed: int,
             as_of: date, staff_password: str | None = None) -> Summary:
    """Write synthetic casework; see the module's docstring."""
    from linkages.services.users import hash_password

    password_hash = hash_password(staff_password or secrets.token_urlsafe(32))
    with engine.begin() as conn:
        families = _families(conn, counties, share, seed)
        done = _already_worked(conn, [f.id for f in families])
        todo = [f for f in families if f.id not in done]
        by_county: dict[int, list[Any]] = defaultdict(list)
        for f in todo:
            by_county[f.county_cd].append(f)
        u = User.__table__
        demo = {name: (uid, county) for name, uid, county in conn.execute(
            select(u.c.username, u.c.id, u.c.county_cd).where(
            User.__table__.c.username.in_(["fresno-cws", "fresno-calworks",
                                           "fresno-cws-supervisor",
                                           "fresno-calworks-supervisor"]))).all()}
        created = [0]
        staff_of: dict[int, Staff] = {}
        for county in sorted(by_county):
            staff_of[county] = _staff(conn, county, len(by_county[county]), password_hash,
                                      random.Random(f"{seed}-{county}"), demo, created)
        # A family whose CWS side is another county gets its CWS worker there.
        for f in todo:
            if f.cws_county_cd and f.cws_county_cd not in staff_of:
                staff_of[f.cws_county_cd] = _staff(
                    conn, f.cws_county_cd, 1, password_hash,
                    random.Random(f"{seed}-{f.cws_county_cd}"), demo, created, (Program.CWS,))
        heads = _case_heads(conn, [f.calworks_case_id for f in todo if f.calworks_case_id])
        out = Rows(_next_ids(conn, TABLES))
        for f in todo:
            _family(out, f, staff_of, heads.get(f.calworks_case_id), as_of,
                    random.Random(f"{seed}:{f.id}"))
        for table in TABLES:
            _write(conn, table, out.rows.get(table.name, []))
        if conn.dialect.name == "postgresql":
            for table in [*TABLES, User.__table__]:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))
        # The simulated history starts when the family was identified: on that day, not on
        # the match run's.
        fam = MutualFamily.__table__
        stmt = (fam.update().where(fam.c.id == bindparam("_id"))
                .values(identified_on=bindparam("_day")))
        days = [{"_id": i, "_day": d} for i, d in out.identified.items()]
        for start in range(0, len(days), 10_000):
            conn.execute(stmt, days[start:start + 10_000])
        activate = sorted(out.paired)
        for start in range(0, len(activate), 10_000):
            conn.execute(fam.update().where(fam.c.id.in_(activate[start:start + 10_000]),
                                            fam.c.status == FamilyStatus.IDENTIFIED.value)
                         .values(status=FamilyStatus.ACTIVE.value))
        counts = {t.name: len(out.rows.get(t.name, [])) for t in TABLES}
        conn.execute(insert(AuditEvent.__table__).values(
            occurred_at=datetime.now(UTC), username="cli:casework-generate",
            role=Role.ADMINISTRATOR.value, action="casework.generate",
            entity_type="mutual_family",
            detail={"families": len(todo), "skipped": len(done), "seed": seed,
                    "as_of": as_of.isoformat(), "share": share, "counties": counties,
                    "rows": counts, "staff_created": created[0]}))
    return Summary(len(todo), len(done), created[0], counts)


def _case_heads(conn: Connection, case_ids: list[int]) -> dict[int, str]:
    person = CalworksPerson.__table__
    out: dict[int, str] = {}
    for start in range(0, len(case_ids), 10_000):
        chunk = case_ids[start:start + 10_000]
        for case_id, first, last in conn.execute(
                select(person.c.case_id, person.c.first_name, person.c.last_name).where(
                    person.c.case_id.in_(chunk),
                    person.c.role == CalworksRole.CASE_HEAD.value)).all():
            name = " ".join(p for p in (first, last) if p).title()
            if name:
                out[case_id] = name
    return out


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start:start + CHUNK])


def _pick_worker(out: Rows, county: int, staff: Staff, program: Program, turn: int) -> int:
    """The county's workers of the program in turn, the demo account first: caseloads stay
    near 20, and both programs take the same turn of a county, so the same two workers are
    paired on most of their families (as a county's Linkages pairs are)."""
    workers = staff.workers[program]
    return workers[turn % len(workers)]


def _family(out: Rows, f: Any, staff_of: dict[int, Staff], parent: str | None, as_of: date,
            rng: random.Random) -> None:
    """One family's casework, told as it happened: pairing, consent, the first meetings, the
    plan and its versions, services and notes."""
    parent = parent or "the parent"
    now = _utc(as_of, 9)
    ts = {"created_at": now, "updated_at": now}
    home, cws_home = staff_of[f.county_cd], staff_of[f.cws_county_cd or f.county_cd]
    identified = as_of - timedelta(days=rng.randint(45, 400))
    out.identified[f.id] = identified
    start = identified + timedelta(days=rng.randint(1, 14))
    team: dict[Program, int] = {}
    programs = [Program.CWS, Program.CALWORKS]
    turns = {}
    for county in {f.county_cd, f.cws_county_cd or f.county_cd}:
        turns[county] = out.turn[(county, Program.CWS)]
        out.turn[(county, Program.CWS)] += 1
    missing = rng.choice(programs) if rng.random() < 0.1 else None  # left unpaired
    for program in programs:
        staff = cws_home if program is Program.CWS else home
        if program is missing:
            continue
        county = (f.cws_county_cd or f.county_cd) if program is Program.CWS else f.county_cd
        worker = _pick_worker(out, county, staff, program, turns[county])
        if rng.random() < 0.15 and len(staff.workers[program]) > 1:  # an earlier worker
            earlier = rng.choice([w for w in staff.workers[program] if w != worker])
            switch = start + timedelta(days=rng.randint(20, max(21, (as_of - start).days - 5)))
            out.add(WorkerAssignment.__table__, family_id=f.id, user_id=earlier,
                    program=program, role=AssignmentRole.PRIMARY, start_date=start,
                    end_date=switch, assigned_by_id=staff.supervisors[program][0],
                    ended_by_id=staff.supervisors[program][0], **ts)
            begin = switch
        else:
            begin = start
        out.add(WorkerAssignment.__table__, family_id=f.id, user_id=worker, program=program,
                role=AssignmentRole.PRIMARY, start_date=begin, end_date=None,
                assigned_by_id=staff.supervisors[program][0], ended_by_id=None, **ts)
        team[program] = worker
    if set(team) == set(Program):
        out.paired.add(f.id)
    author = team.get(Program.CWS) or team.get(Program.CALWORKS)
    if author is None:
        return
    names = {**home.names, **cws_home.names}

    # Consents: CalWORKs information (WIC 10850) and the CFT's (WIC 827/832).
    for basis, cws, calworks, chance in ((LegalBasis.WIC_10850, False, True, 0.85),
                                         (LegalBasis.WIC_827_832, True, False, 0.65)):
        if rng.random() > chance:
            continue
        expiring = rng.random() < 0.12
        signed = as_of - timedelta(days=rng.randint(340, 360) if expiring
                                   else rng.randint(10, 300))
        revoked = as_of - timedelta(days=rng.randint(1, 9)) if rng.random() < 0.06 else None
        out.add(Consent.__table__, family_id=f.id, signer_name=parent,
                signer_relationship=SignerRelationship.PARENT, legal_basis=basis,
                covers_cws=cws, covers_calworks=calworks,
                purpose=("Coordinate CalWORKs/WtW and CWS services" if calworks else
                         "Child and Family Team information sharing"),
                other_members=None, restrictions=None, signed_on=signed,
                expires_on=_year_after(signed), document_note="Signed form scanned to the "
                "case file", revoked_on=revoked,
                revocation_note="Withdrawn by the parent by phone" if revoked else None,
                recorded_by_id=author, revoked_by_id=author if revoked else None,
                row_version=1, **ts)
    part2 = rng.random() < 0.12
    part2_consent = None
    if part2 and len(team) == 2:
        signed = as_of - timedelta(days=rng.randint(10, 200))
        part2_consent = out.add(
            Consent.__table__, family_id=f.id, signer_name=parent,
            signer_relationship=SignerRelationship.PARENT, legal_basis=LegalBasis.CFR42_PART2,
            covers_cws=False, covers_calworks=False,
            purpose="Coordinate AOD treatment with the CWS case plan and the WtW plan",
            other_members=None, restrictions="Treatment attendance and completion only",
            signed_on=signed, expires_on=_year_after(signed),
            document_note="Part 2 consent form on file", revoked_on=None,
            revocation_note=None, recorded_by_id=author, revoked_by_id=None, row_version=1,
            **ts)
        for uid in {*team.values(), cws_home.supervisors[Program.CWS][0],
                    home.supervisors[Program.CALWORKS][0]}:
            out.add(ConsentRecipient.__table__, consent_id=part2_consent, user_id=uid)

    # Meetings: the initial coordination and the CFT, held; the next one scheduled.
    held_days = sorted(rng.sample(range(3, max(5, (as_of - start).days)), 2), reverse=True)
    activity_ids: list[int] = []
    for kind, ago in zip((MeetingType.INITIAL_COORDINATION, MeetingType.CFT), held_days,
                         strict=True):
        day = as_of - timedelta(days=ago)
        meeting = _meeting(out, f.id, kind, day, MeetingStatus.HELD, author, rng, ts)
        for name, role, uid in ((parent, TeamRole.PARENT, None),
                                (names.get(team.get(Program.CWS, -1), "CWS social worker"),
                                 TeamRole.CWS_WORKER, team.get(Program.CWS)),
                                (names.get(team.get(Program.CALWORKS, -1), "WtW case manager"),
                                 TeamRole.CALWORKS_WORKER, team.get(Program.CALWORKS)),
                                ("Grandmother", TeamRole.INFORMAL_SUPPORT, None)):
            attended = rng.random() < 0.9
            out.add(MeetingParticipant.__table__, meeting_id=meeting, name=name,
                    team_role=role, user_id=uid, invited=True, attended=attended,
                    method=rng.choice(list(ParticipationMethod)) if attended else None)
        for _ in range(rng.randint(1, 3)):
            what, program = rng.choice(ACTION_TEXTS)
            due = day + timedelta(days=rng.randint(7, 45))
            status = (WorkStatus.DONE if due < as_of and rng.random() < 0.6 else
                      rng.choice([WorkStatus.OPEN, WorkStatus.IN_PROGRESS]))
            out.add(ActionItem.__table__, meeting_id=meeting, family_id=f.id,
                    description=what, responsible=parent if program is PlanProgram.SHARED
                    else names.get(author, "worker"), responsible_program=program, due_on=due,
                    status=status, completed_on=due if status is WorkStatus.DONE else None,
                    activity_id=None, **ts)
    roll = rng.random()
    if roll < 0.65:
        _meeting(out, f.id, rng.choice([MeetingType.REVIEW, MeetingType.CFT]),
                 as_of + timedelta(days=rng.randint(2, 40)), MeetingStatus.SCHEDULED, author,
                 rng, ts)
    elif roll < 0.78:  # held last week, not recorded yet
        _meeting(out, f.id, MeetingType.REVIEW, as_of - timedelta(days=rng.randint(1, 10)),
                 MeetingStatus.SCHEDULED, author, rng, ts)
    elif roll < 0.84:
        _meeting(out, f.id, MeetingType.MCPC_TDM, as_of - timedelta(days=rng.randint(5, 30)),
                 MeetingStatus.CANCELLED, author, rng, ts)

    # The plan, in one of its states.
    state = rng.random()
    if state >= 0.12:
        activity_ids = _plans(out, f.id, state, team, author, names, parent, as_of, rng,
                              part2_consent is not None, cws_home, home, ts)

    # Services, in every state.
    for _ in range(rng.choices((0, 1, 2, 3), (0.2, 0.35, 0.3, 0.15))[0]):
        _service(out, f.id, team, author, cws_home, home, activity_ids, as_of, rng, ts)

    # Notes of both programs.
    for _ in range(rng.randint(2, 6)):
        program = rng.choice(list(team))
        kind = rng.choice(list(ContactType))
        out.add(ContactNote.__table__, family_id=f.id,
                contact_on=as_of - timedelta(days=rng.randint(0, 120)), program=program,
                contact_type=kind, participants=parent, summary=NOTE_TEXTS[kind],
                exchanged_with_other_program=kind is ContactType.CASE_CONFERENCE
                or rng.random() < 0.3, author_id=team[program], created_at=now)


def _year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _meeting(out: Rows, family_id: int, kind: MeetingType, day: date, status: MeetingStatus,
             author: int, rng: random.Random, ts: dict[str, Any]) -> int:
    at = _utc(day, rng.choice((9, 10, 13, 14, 15)), rng.choice((0, 30)))
    held = status is MeetingStatus.HELD
    return out.add(
        JointMeeting.__table__, family_id=family_id, meeting_type=kind, status=status,
        scheduled_at=at, location=rng.choice(("County social services, room 2",
                                              "Family home", "WtW office")),
        method=ParticipationMethod.IN_PERSON, facilitator_id=author,
        held_at=at if held else None, language=rng.choice(("English", "Spanish", "Hmong"))
        if held else None, interpreter=held and rng.random() < 0.3,
        confidentiality_reviewed=held, strengths=rng.choice(STRENGTHS) if held else None,
        needs=rng.choice(NEEDS) if held else None,
        safety_concerns=rng.choice(SAFETY) if held else None,
        options_considered="Options were discussed with the family." if held else None,
        decisions=rng.choice(DECISIONS) if held else None,
        next_meeting_on=day + timedelta(days=rng.randint(30, 60)) if held else None,
        cancel_reason="The parent was ill; to be rescheduled"
        if status is MeetingStatus.CANCELLED else None,
        created_by_id=author, recorded_by_id=author if held else None, row_version=1, **ts)


def _plans(out: Rows, family_id: int, state: float, team: dict[Program, int], author: int,
           names: dict[int, str], parent: str, as_of: date, rng: random.Random, part2: bool,
           cws_home: Staff, home: Staff, ts: dict[str, Any]) -> list[int]:
    """Version 1 (and for some families version 2), in the state ``state`` draws."""
    sup = rng.choice([cws_home.supervisors[Program.CWS][0],
                      home.supervisors[Program.CALWORKS][0]])
    if state < 0.30:
        statuses = [PlanStatus.DRAFT]
    elif state < 0.42:
        statuses = [PlanStatus.PENDING_APPROVAL]
    elif state < 0.52:
        statuses = [PlanStatus.RETURNED]
    elif state < 0.80:
        statuses = [PlanStatus.APPROVED]
    elif state < 0.92:
        statuses = [PlanStatus.APPROVED, rng.choice([PlanStatus.DRAFT,
                                                     PlanStatus.PENDING_APPROVAL])]
    else:  # revised and approved again: the first version superseded
        statuses = [PlanStatus.SUPERSEDED, PlanStatus.APPROVED]
    goal_text = rng.choice(GOALS)
    activity_ids: list[int] = []
    effective = as_of - timedelta(days=rng.randint(20, 120))
    for version, status in enumerate(statuses, start=1):
        submitted = status is not PlanStatus.DRAFT
        approved = status in (PlanStatus.APPROVED, PlanStatus.SUPERSEDED)
        plan = out.add(
            CoordinatedPlan.__table__, family_id=family_id, version=version, status=status,
            family_goal=goal_text, cws_case_plan_ref=f"Case plan {effective:%Y-%m}",
            wtw_plan_ref=f"WTW 2 {effective:%Y-%m}", effective_from=effective,
            next_review_on=effective + timedelta(days=180), created_by_id=author,
            submitted_by_id=author if submitted else None,
            submitted_at=_utc(effective, 11) if submitted else None,
            approved_by_id=sup if approved else None,
            approved_at=_utc(effective + timedelta(days=3), 15) if approved else None,
            return_comment="Add the visitation schedule and the hours of the parenting class"
            if status is PlanStatus.RETURNED else None, row_version=1, **ts)
        if submitted:
            out.add(PlanReview.__table__, plan_id=plan, action=PlanReviewAction.SUBMITTED,
                    comment=None, user_id=author, at=_utc(effective, 11))
        if status is PlanStatus.RETURNED:
            out.add(PlanReview.__table__, plan_id=plan, action=PlanReviewAction.RETURNED,
                    comment="Add the visitation schedule and the hours of the parenting class",
                    user_id=sup, at=_utc(effective + timedelta(days=2), 16))
        if approved:
            out.add(PlanReview.__table__, plan_id=plan, action=PlanReviewAction.APPROVED,
                    comment=None, user_id=sup, at=_utc(effective + timedelta(days=3), 15))
            ack_day = effective + timedelta(days=rng.randint(4, 10))
            for party, program in ((AcknowledgementParty.PARENT, None),
                                   (AcknowledgementParty.CWS_WORKER, Program.CWS),
                                   (AcknowledgementParty.CALWORKS_WORKER, Program.CALWORKS)):
                uid = team.get(program) if program else None
                if (program and uid is None) or rng.random() < 0.15:
                    continue
                out.add(PlanAcknowledgement.__table__, plan_id=plan, party=party,
                        name=names.get(uid, parent) if uid else parent, user_id=uid,
                        acknowledged_on=min(ack_day, as_of), recorded_by_id=uid or author)
        ids = _objectives(out, plan, version, part2, effective, as_of, rng, ts)
        if version == len(statuses):
            activity_ids = ids
        effective = effective + timedelta(days=rng.randint(0, 15))
    return activity_ids


def _objectives(out: Rows, plan: int, version: int, part2: bool, effective: date,
                as_of: date, rng: random.Random, ts: dict[str, Any]) -> list[int]:
    ids = []
    picks = [PlanProgram.SHARED, PlanProgram.CWS, PlanProgram.WTW]
    kinds = [k for k in ACTIVITIES if k is not ActivityCategory.SUBSTANCE_USE or part2]
    for program in picks[:rng.randint(2, 3)]:
        goal = out.add(PlanGoal.__table__, plan_id=plan, description=rng.choice(
            OBJECTIVES[program]), program=program,
            target_date=effective + timedelta(days=rng.randint(90, 270)),
            status=WorkStatus.IN_PROGRESS, **ts)
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(kinds)
            text_, provider, record, countable = rng.choice(ACTIVITIES[kind])
            begin = effective + timedelta(days=rng.randint(0, 30))
            end = begin + timedelta(days=rng.randint(30, 240))
            live = end >= as_of
            ids.append(out.add(
                PlanActivity.__table__, goal_id=goal, plan_id=plan, description=text_,
                category=kind, program=record, counts_toward_wtw=countable,
                hours_per_week=Decimal(rng.choice((4, 6, 8, 10, 12, 15, 20)))
                if countable else None, court_ordered=record is PlanProgram.CWS
                and rng.random() < 0.5, provider=provider, start_date=begin, end_date=end,
                status=(WorkStatus.IN_PROGRESS if live and begin <= as_of else
                        WorkStatus.OPEN if live else rng.choice([WorkStatus.DONE,
                                                                 WorkStatus.IN_PROGRESS])),
                sensitive=kind.sensitive, part2=kind.part2, copied_from_id=None,
                row_version=1, **ts))
    return ids


def _service(out: Rows, family_id: int, team: dict[Program, int], author: int,
             cws_home: Staff, home: Staff, activity_ids: list[int], as_of: date,
             rng: random.Random, ts: dict[str, Any]) -> None:
    category, fund, units, vendor, (low, high) = rng.choice(SERVICES)
    status = rng.choices(list(AuthorizationStatus), (0.25, 0.2, 0.1, 0.35, 0.1))[0]
    requested = as_of - timedelta(days=rng.randint(1, 90))
    program = fund.program or rng.choice(list(Program))
    staff = cws_home if program is Program.CWS else home
    requester = team.get(program, author)
    decided = status is not AuthorizationStatus.REQUESTED and not (
        status is AuthorizationStatus.CANCELLED and rng.random() < 0.5)
    decided_at = _utc(requested + timedelta(days=rng.randint(1, 5)), 14) if decided else None
    closed = status in (AuthorizationStatus.DELIVERED, AuthorizationStatus.CANCELLED)
    amount = Decimal(rng.randint(low * 100, high * 100)) / 100
    out.add(ServiceAuthorization.__table__, family_id=family_id, category=category,
            fund_source=fund, amount=amount, units=units, vendor=vendor,
            description=f"{category.label} for the family's plan", status=status,
            period_start=requested, period_end=requested + timedelta(days=30), part2=False,
            requested_by_id=requester, decided_by_id=staff.supervisors[program][0]
            if decided else None, decided_at=decided_at,
            decision_reason=None if not decided else "Within the program's limits"
            if status is not AuthorizationStatus.DENIED else "Covered by another resource",
            closed_by_id=requester if closed else None,
            closed_on=min(as_of, requested + timedelta(days=rng.randint(6, 20)))
            if closed else None,
            close_note="Withdrawn: the family found another way"
            if status is AuthorizationStatus.CANCELLED else None,
            activity_id=rng.choice(activity_ids) if activity_ids and rng.random() < 0.4
            else None, row_version=1, **ts)
