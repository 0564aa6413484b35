"""The clerical review queue: reviewers settle the pairs the matcher is unsure of.

The queue is the latest run of record's ``review`` pairs and its ``match`` pairs near the
threshold (probability under ``NEAR_MATCH``), in the reviewer's county (the CalWORKs or the
CWS record's), that nobody has decided yet, ordered by how much a decision changes: the pair's
uncertainty p(1 - p), doubled when the decision makes or unmakes a mutual family (confirming
a review pair of a CalWORKs case that has no family yet; rejecting the only link of a family).

A decision is a :class:`~linkages.models.ClericalDecision`, which ``linkages match`` reads
(``match_runs.clerical_decisions``) and obeys on every later run: a confirmed pair is linked,
a rejected one never is. Two reviewers on one pair: the form carries the decision its reviewer
saw (``seen``); a decision made since is refused as a :class:`Conflict`, so the second sees the
first's decision and can only change it knowingly, with a reason.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from linkages.models import (
    AuditEvent,
    CalworksPerson,
    ClericalDecision,
    CwsChildClient,
    FamilyMember,
    Link,
    MatchRun,
    MutualFamily,
    User,
)
from linkages.models.enums import ClericalDecisionValue, LinkDecision, Role
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor, NotFound, Permission, require
from linkages.services.workspace import Conflict, InvalidInput

NEAR_MATCH = 0.8  # `match` pairs under this probability are near the threshold
REASON_MAX = 500

# The fields shown side by side: (label, CalWORKs column, CWS column).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("Record", "record_id", "record_id"),
    ("First name", "first_name", "first_name"),
    ("Middle name", "middle_name", "middle_name"),
    ("Last name", "last_name", "last_name"),
    ("Date of birth", "dob", "dob"),
    ("Sex", "sex", "sex"),
    ("SSN (last 4)", "ssn_last4", "ssn_last4"),
    ("County", "county_cd", "county_cd"),
    ("ZIP", "zip", "zip"),
    ("Address", "address", "address"),
    ("Parent's / mother's first name", "parent_first_name", "mother_first_name"),
    ("Parent's / mother's last name", "parent_last_name", "mother_last_name"),
    ("Ethnicity code", None, "ethnicity_cd"),
    ("Hispanic", None, "hispanic"),
    ("Case", "case_id", "case_number"),
)

# The compared fields of the matcher (matching.compare.FIELD_NAMES), with labels.
FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "dob": "Date of birth",
    "ssn": "SSN (last 4)", "sex": "Sex", "county": "County", "zip": "ZIP",
    "address": "Address", "parent_first_name": "Parent's first name",
    "parent_last_name": "Parent's last name", "middle_name": "Middle name",
    "surname_parent": "Last name (one record has none) against the parent's",
}


class Choice(enum.StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"
    SKIP = "skip"


def latest_run(session: Session) -> MatchRun | None:
    return session.scalars(select(MatchRun).where(MatchRun.undone_at.is_(None))
                           .order_by(MatchRun.id.desc()).limit(1)).first()


_Left = aliased(CalworksPerson, name="left_record")
_Right = aliased(CwsChildClient, name="right_record")


def _pair_in_scope(actor: Actor) -> ColumnElement[bool]:
    """A pair is the reviewer's when either record belongs to her county."""
    if actor.statewide:
        return true()
    return or_(_Left.county_cd == actor.county_cd, _Right.county_cd == actor.county_cd)


def _uncertain(run: MatchRun) -> ColumnElement[bool]:
    return and_(Link.run_id == run.id, or_(
        Link.decision == LinkDecision.REVIEW,
        and_(Link.decision == LinkDecision.MATCH, Link.match_probability < NEAR_MATCH)))


def _decided() -> Any:
    return select(ClericalDecision.id).where(
        ClericalDecision.left_record_id == Link.left_record_id,
        ClericalDecision.right_record_id == Link.right_record_id).exists()


@dataclass(frozen=True)
class QueueItem:
    link_id: int
    left_name: str
    right_name: str
    probability: float
    decision: str
    changes_family: bool
    impact: float


@dataclass(frozen=True)
class Queue:
    run_id: int | None
    items: list[QueueItem]
    size: int  # undecided pairs in the reviewer's scope
    decided: int  # decided pairs of this run in her scope
    per_hour_you: int  # her decisions in the last hour
    per_hour_all: int  # everyone's decisions in her scope in the last hour


def _name(*parts: str | None) -> str:
    return " ".join(p for p in parts if p) or "(no name)"


def _impact(probability: float, changes_family: bool) -> float:
    p = min(max(probability, 0.0), 1.0)
    return round(p * (1 - p) * (2.0 if changes_family else 1.0), 6)


def _items(session: Session, actor: Actor, run: MatchRun, undecided: bool = True,
           link_id: int | None = None) -> list[QueueItem]:
    fam = aliased(MutualFamily)
    members = (select(func.count(FamilyMember.id)).where(FamilyMember.family_id == fam.id)
               .correlate(fam).scalar_subquery())
    stmt = (select(Link.id, _Left.first_name, _Left.last_name, _Right.first_name,
                   _Right.last_name, Link.match_probability, Link.decision, fam.id, members)
            .join(_Left, _Left.record_id == Link.left_record_id)
            .join(_Right, _Right.record_id == Link.right_record_id)
            # A CalWORKs case has at most one family (mutual_family.calworks_case_id unique).
            .outerjoin(fam, fam.calworks_case_id == _Left.case_id)
            .where(_uncertain(run), _pair_in_scope(actor)))
    if undecided:
        stmt = stmt.where(~_decided())
    if link_id is not None:
        stmt = stmt.where(Link.id == link_id)
    out = []
    for lid, lf, ll, rf, rl, p, decision, family_id, n_members in session.execute(stmt):
        d = str(decision.value if isinstance(decision, enum.Enum) else decision)
        changes = (family_id is None) if d == LinkDecision.REVIEW.value else (n_members or 0) <= 1
        out.append(QueueItem(int(lid), _name(lf, ll), _name(rf, rl), float(p), d,
                             bool(changes), _impact(float(p), bool(changes))))
    out.sort(key=lambda i: (-i.impact, i.link_id))
    return out


QUEUE = "review_queue"  # report_snapshot kind: a run's uncertain pairs in queue order


def build_queue(session: Session, run: MatchRun) -> int:
    """Keep run ``run``'s uncertain pairs in queue order, per county (of either record), as
    report snapshots: the order depends only on the run, so the queue and its next pair are
    then read, not computed (``linkages reports build``). Returns the number of pairs."""
    from linkages.models import ReportSnapshot

    everyone = Actor(None, "build", Role.ADMINISTRATOR, None, None)
    stmt = (select(Link.id, _Left.county_cd, _Right.county_cd)
            .join(_Left, _Left.record_id == Link.left_record_id)
            .join(_Right, _Right.record_id == Link.right_record_id)
            .where(_uncertain(run)))
    counties = {int(i): {c for c in (lc, rc) if c is not None}
                for i, lc, rc in session.execute(stmt)}
    by_county: dict[int, list[list[Any]]] = {}
    items = _items(session, everyone, run, undecided=False)
    for i in items:
        for cd in counties.get(i.link_id, ()):
            by_county.setdefault(int(cd), []).append(
                [i.link_id, i.probability, i.decision, i.changes_family, i.impact])
    session.execute(delete(ReportSnapshot).where(ReportSnapshot.run_id == run.id,
                                                 ReportSnapshot.kind == QUEUE))
    for cd, rows in by_county.items():
        session.add(ReportSnapshot(run_id=run.id, kind=QUEUE, county_cd=cd,
                                   payload={"items": rows}))
    return len(items)


def _ordered(session: Session, actor: Actor, run: MatchRun
             ) -> tuple[list[QueueItem], int] | None:
    """The undecided pairs of the reviewer's county in queue order, from the run's snapshot
    (names left blank), and how many of its pairs are decided; None when the run has no
    snapshot (then computed live)."""
    from linkages.models import ReportSnapshot

    if actor.county_cd is None:
        return None
    rows = _snapshot_rows(session, actor, run)
    if rows is None:
        has_any = session.scalar(select(ReportSnapshot.id).where(
            ReportSnapshot.kind == QUEUE, ReportSnapshot.run_id == run.id).limit(1))
        return ([], 0) if has_any is not None else None
    decided = _decided_ids(session, run)
    items = [QueueItem(int(i), "", "", float(p), str(d), bool(c), float(m))
             for i, p, d, c, m in rows if int(i) not in decided]
    return items, len(rows) - len(items)


def _snapshot_rows(session: Session, actor: Actor, run: MatchRun) -> list[list[Any]] | None:
    """The raw queue rows of the reviewer's county kept for ``run`` (None: not kept)."""
    from linkages.models import ReportSnapshot

    if actor.county_cd is None:
        return None
    snap = session.scalars(select(ReportSnapshot.payload).where(
        ReportSnapshot.kind == QUEUE, ReportSnapshot.run_id == run.id,
        ReportSnapshot.county_cd == actor.county_cd).limit(1)).first()
    return None if snap is None else list(snap["items"])


def _decided_ids(session: Session, run: MatchRun) -> set[int]:
    return set(session.execute(
        select(Link.id).join(ClericalDecision, and_(
            ClericalDecision.left_record_id == Link.left_record_id,
            ClericalDecision.right_record_id == Link.right_record_id))
        .where(Link.run_id == run.id)).scalars())


def _named(session: Session, items: list[QueueItem]) -> list[QueueItem]:
    """The records' names of ``items`` (a page of the queue)."""
    if not items:
        return items
    names = {int(i): (_name(lf, ll), _name(rf, rl)) for i, lf, ll, rf, rl in session.execute(
        select(Link.id, _Left.first_name, _Left.last_name, _Right.first_name, _Right.last_name)
        .join(_Left, _Left.record_id == Link.left_record_id)
        .join(_Right, _Right.record_id == Link.right_record_id)
        .where(Link.id.in_([i.link_id for i in items])))}
    return [QueueItem(i.link_id, *names.get(i.link_id, ("", "")), i.probability, i.decision,
                      i.changes_family, i.impact) for i in items]


def _queue_items(session: Session, actor: Actor, run: MatchRun
                 ) -> tuple[list[QueueItem], int]:
    """The undecided pairs in queue order and the number decided."""
    ordered = _ordered(session, actor, run)
    if ordered is not None:
        return ordered
    return _items(session, actor, run), _scope_counts(session, actor, run)[1]


def _scope_counts(session: Session, actor: Actor, run: MatchRun) -> tuple[int, int]:
    base = (select(func.count(Link.id))
            .join(_Left, _Left.record_id == Link.left_record_id)
            .join(_Right, _Right.record_id == Link.right_record_id)
            .where(_uncertain(run), _pair_in_scope(actor)))
    size = int(session.scalar(base.where(~_decided())) or 0)
    decided = int(session.scalar(base.where(_decided())) or 0)
    return size, decided


def queue(session: Session, actor: Actor, limit: int = 50, ip: str | None = None) -> Queue:
    """The reviewer's queue: the undecided uncertain pairs of the latest run in her county,
    most consequential first, with its size and the pace of decisions."""
    require(actor, Permission.REVIEW_PAIRS)
    run = latest_run(session)
    since = datetime.now(UTC) - timedelta(hours=1)
    mine = int(session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == AuditAction.REVIEW_DECIDE.value,
        AuditEvent.username == actor.username, AuditEvent.occurred_at >= since)) or 0)
    if run is None:
        audit.record(session, actor, AuditAction.REVIEW_QUEUE_VIEW, "match_run", None,
                     {"size": 0}, ip)
        return Queue(None, [], 0, 0, mine, 0)
    everyone = int(session.scalar(
        select(func.count(ClericalDecision.id))
        .join(_Left, _Left.record_id == ClericalDecision.left_record_id)
        .join(_Right, _Right.record_id == ClericalDecision.right_record_id)
        .where(ClericalDecision.updated_at >= since, _pair_in_scope(actor))) or 0)
    items, decided = _queue_items(session, actor, run)
    size = len(items)
    audit.record(session, actor, AuditAction.REVIEW_QUEUE_VIEW, "match_run", run.id,
                 {"size": size, "shown": min(size, limit)}, ip)
    return Queue(run.id, _named(session, items[:limit]), size, decided, mine, everyone)


@dataclass(frozen=True)
class Step:
    field: str
    label: str
    contribution: float | None
    running: float  # log2 odds after this step


@dataclass(frozen=True)
class Rival:
    link_id: int
    side: str  # which of the pair's records it shares: "CalWORKs" or "CWS"
    other_record: str
    other_name: str
    probability: float
    decision: str


@dataclass(frozen=True)
class Existing:
    decision: str
    note: str | None
    decided_by: str
    decided_at: datetime
    token: str


@dataclass(frozen=True)
class PairView:
    link_id: int
    run_id: int
    latest: bool
    left_id: str
    right_id: str
    probability: float
    match_weight: float
    decision: str
    threshold: float | None
    rows: list[tuple[str, str, str, bool | None]]  # label, CalWORKs, CWS, same (None: n/a)
    waterfall: list[Step]
    prior: float | None
    rivals_log2: float | None
    rivals: list[Rival]
    existing: Existing | None
    next_link_id: int | None
    changes_family: bool


def _shown(value: object) -> str:
    if value is None or value == "":
        return ""
    return str(value)


def _token(d: ClericalDecision | None) -> str:
    if d is None:
        return ""
    return f"{d.id}:{d.decision}:{d.updated_at:%Y%m%d%H%M%S%f}"


def _existing(session: Session, left_id: str, right_id: str) -> Existing | None:
    d = session.scalars(select(ClericalDecision).where(
        ClericalDecision.left_record_id == left_id,
        ClericalDecision.right_record_id == right_id)).first()
    if d is None:
        return None
    who = session.scalar(select(User.display_name).where(User.id == d.decided_by_id)) \
        if d.decided_by_id else None
    return Existing(str(d.decision), d.note, who or "the command line", d.updated_at, _token(d))


def _link_in_scope(session: Session, actor: Actor, link_id: int) -> tuple[Link, Any, Any]:
    row = session.execute(select(Link, _Left, _Right)
                          .join(_Left, _Left.record_id == Link.left_record_id)
                          .join(_Right, _Right.record_id == Link.right_record_id)
                          .where(Link.id == link_id, _pair_in_scope(actor))).first()
    if row is None:
        raise NotFound("no such pair in your scope")
    return row[0], row[1], row[2]


def pair_in_scope(session: Session, actor: Actor, link_id: int) -> None:
    """Refuse a reviewer without the permission (403) or a pair outside her county (404)."""
    require(actor, Permission.REVIEW_PAIRS)
    _link_in_scope(session, actor, link_id)


def _log2_odds(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def pair(session: Session, actor: Actor, link_id: int, ip: str | None = None) -> PairView:
    """One pair side by side: every field of both records, the weight waterfall of
    ``linkages explain`` (the prior, each field's contribution, the rivals' share), the
    pair's rivals, and any decision already made on it."""
    require(actor, Permission.REVIEW_PAIRS)
    link, left, right = _link_in_scope(session, actor, link_id)
    run = session.get(MatchRun, link.run_id)
    latest = latest_run(session)
    rows = []
    for label, lcol, rcol in FIELDS:
        lv = _shown(getattr(left, lcol)) if lcol else ""
        rv = _shown(getattr(right, rcol)) if rcol else ""
        if lcol == "case_id" and left.case is not None:
            lv = left.case.case_number
        # Record ids and case numbers are each system's own: never compared.
        comparable = bool(lcol and rcol) and lcol not in ("record_id", "case_id")
        same = (bool(lv) and lv.strip().upper() == rv.strip().upper()) if comparable else None
        rows.append((label, lv, rv, same))
    params = (run.parameters or {}) if run else {}
    prior_p = ((params.get("model") or {}).get("prior") or {}).get("cross")
    prior = _log2_odds(float(prior_p)) if prior_p else None
    running = prior or 0.0
    steps = [Step("prior", "Prior (log2 odds of a random pair)", prior, running)] \
        if prior is not None else []
    contributions = dict(link.contributions or {})
    order = [f for f in FIELD_LABELS if f in contributions] + \
        [f for f in contributions if f not in FIELD_LABELS]
    for f in order:
        c = contributions[f]
        running += float(c or 0.0)
        steps.append(Step(f, FIELD_LABELS.get(f, f), None if c is None else float(c), running))
    rivals_log2 = None
    if prior is not None:
        rivals_log2 = round(prior + float(link.match_weight)
                            - _log2_odds(float(link.match_probability)), 4)
        if abs(rivals_log2) > 1e-3:
            running -= rivals_log2
            steps.append(Step("rivals", "Rivals (other candidates of these records) and the "
                                          "one-to-one prior",
                              -rivals_log2, running))
    rivals = []
    # The other candidates of the CalWORKs record (other CWS records), then of the CWS record.
    for side, shared, other, other_side in (
            ("CalWORKs", Link.left_record_id, Link.right_record_id, aliased(CwsChildClient)),
            ("CWS", Link.right_record_id, Link.left_record_id, aliased(CalworksPerson))):
        for rl, orec in session.execute(
                select(Link, other_side)
                .join(other_side, other_side.record_id == other, isouter=True)
                .where(Link.run_id == link.run_id, shared == getattr(link, shared.key),
                       Link.id != link.id)
                .order_by(Link.match_probability.desc()).limit(10)):
            rivals.append(Rival(rl.id, side, getattr(rl, other.key),
                                _name(orec.first_name, orec.last_name) if orec else "",
                                rl.match_probability, str(rl.decision)))
    kept = _snapshot_rows(session, actor, run) if run else None
    following = _next(session, actor, latest, link.id,
                      kept if latest is not None and run is not None and latest.id == run.id
                      else None)
    changes = next((bool(r[3]) for r in kept or [] if int(r[0]) == link.id), None)
    if changes is None:
        mine = _items(session, actor, run, undecided=False, link_id=link.id) if run else []
        changes = bool(mine and mine[0].changes_family)
    audit.record(session, actor, AuditAction.REVIEW_PAIR_VIEW, "link", link.id,
                 {"run_id": link.run_id}, ip)
    threshold = ((params.get("thresholds") or {}).get("match_probability"))
    return PairView(
        link.id, link.run_id, latest is not None and latest.id == link.run_id,
        link.left_record_id, link.right_record_id, float(link.match_probability),
        float(link.match_weight), str(link.decision), threshold, rows, steps, prior,
        rivals_log2, rivals, _existing(session, link.left_record_id, link.right_record_id),
        following, changes)


@dataclass(frozen=True)
class Decided:
    choice: Choice
    next_link_id: int | None


def decide(session: Session, actor: Actor, link_id: int, choice: str, reason: str,
           seen: str, ip: str | None = None) -> Decided:
    """Confirm, reject or skip a pair, with a reason. ``seen`` is the decision the reviewer saw
    when she opened the pair ("" for none): if another has been made since, nothing is written
    and :class:`Conflict` says who decided what. Changing an earlier decision needs a reason."""
    require(actor, Permission.REVIEW_PAIRS)
    try:
        chosen = Choice(choice)
    except ValueError:
        raise InvalidInput("decision", "choose confirm, reject or skip") from None
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput("reason", f"at most {REASON_MAX} characters")
    link, _, _ = _link_in_scope(session, actor, link_id)
    current = session.scalars(select(ClericalDecision).where(
        ClericalDecision.left_record_id == link.left_record_id,
        ClericalDecision.right_record_id == link.right_record_id).with_for_update()).first()
    if _token(current) != (seen or ""):
        existing = _existing(session, link.left_record_id, link.right_record_id)
        what = ("nobody has decided it any more" if existing is None else
                f"{existing.decided_by} "
                f"{'confirmed' if existing.decision == 'match' else 'rejected'} it"
                + (f" ({existing.note})" if existing.note else ""))
        raise Conflict(f"This pair was decided while you had it open: {what}. Read the "
                       "decision below; change it only if you are sure, with a reason.")
    if chosen is not Choice.CONFIRM and not reason:
        raise InvalidInput("reason", "give a reason for a rejection or a skip")
    if current is not None and chosen is not Choice.SKIP and not reason:
        raise InvalidInput("reason", "give a reason for changing an earlier decision")
    if chosen is Choice.SKIP:
        audit.record(session, actor, AuditAction.REVIEW_SKIP, "link", link.id,
                     {"run_id": link.run_id, "reason": reason}, ip)
    else:
        value = (ClericalDecisionValue.MATCH if chosen is Choice.CONFIRM
                 else ClericalDecisionValue.NON_MATCH)
        previous = None if current is None else str(current.decision)
        if current is None:
            current = ClericalDecision(left_record_id=link.left_record_id,
                                       right_record_id=link.right_record_id)
            session.add(current)
        current.decision = value
        current.decided_by_id = actor.user_id
        current.note = reason or None
        session.flush()
        audit.record(session, actor, AuditAction.REVIEW_DECIDE, "link", link.id,
                     {"run_id": link.run_id, "decision": value.value, "previous": previous,
                      "reason": reason}, ip)
    return Decided(chosen, _next(session, actor, latest_run(session), link.id))


def _next(session: Session, actor: Actor, latest: MatchRun | None, link_id: int,
          rows: list[list[Any]] | None = None) -> int | None:
    """The pair after ``link_id`` in the queue (so a skip moves on), or its first pair when
    ``link_id`` has left it (decided). ``rows``: the kept queue of ``latest``, if read."""
    if latest is None:
        return None
    if rows is None:
        rows = _snapshot_rows(session, actor, latest)
    if rows is not None:
        decided = _decided_ids(session, latest)
        ids = [int(r[0]) for r in rows if int(r[0]) not in decided]
    else:
        ids = [i.link_id for i in _queue_items(session, actor, latest)[0]]
    if link_id in ids:
        at = ids.index(link_id)
        return ids[at + 1] if at + 1 < len(ids) else None
    return ids[0] if ids else None
