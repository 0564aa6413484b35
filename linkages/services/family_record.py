"""The overview and members sections of a family's workspace: both programs' facts side by side
from the ingested extracts, and why the family is mutual (the match evidence per child).

Each program's facts are read by queries that carry the consent gate
(:func:`linkages.services.workspace.fixed_gate`): a program's detail the user may not see is
never read, let alone shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from linkages import codes
from linkages.models import (
    Allegation,
    CalworksAidPeriod,
    CalworksCase,
    CalworksPerson,
    CaseServiceComponent,
    ClericalDecision,
    CwsCase,
    CwsChildClient,
    FamilyMember,
    Link,
    Placement,
    PlacementEpisode,
    Referral,
    User,
)
from linkages.models.enums import AidStatus, CalworksRole, ClericalDecisionValue, Program, WtwStatus
from linkages.services import workspace
from linkages.services.scope import Actor
from linkages.services.workspace import Section, Workspace, fixed_gate

FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "dob": "Date of birth",
    "ssn": "SSN", "sex": "Sex", "county": "County", "zip": "ZIP", "address": "Address",
    "parent_first_name": "Parent's first name", "parent_last_name": "Parent's last name",
}
WTW_LABELS = {
    WtwStatus.PARTICIPATING: "Participating", WtwStatus.EXEMPT: "Exempt",
    WtwStatus.NON_COMPLIANCE: "Non-compliance", WtwStatus.SANCTION: "Sanction",
    WtwStatus.GOOD_CAUSE: "Good cause",
}


@cache
def _labels(table: str, key: str) -> dict[str, str]:
    frame = getattr(codes.tables(), table)
    return dict(zip(frame[key].astype(str), frame["label"].astype(str), strict=True))


def code_label(table: str, key: str, value: object) -> str:
    if value is None:
        return "—"
    text = str(value)
    label = _labels(table, key).get(text)
    return f"{label} ({text})" if label else text


# --- CalWORKs ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Requirement:
    """The weekly WtW participation requirement the family's composition sets."""

    hours: int | None  # None: no requirement (a child-only case)
    reason: str


def wtw_requirement(parents_in_au: int | None, child_dobs: list[date | None],
                    today: date) -> Requirement:
    """30 hours a week for a one-parent family, 20 when it has a child under 6, 35 for two
    parents; a child-only case has none. An extract that does not give the parents is read as
    one parent, and the reason says so."""
    if parents_in_au == 0:
        return Requirement(None, "child-only case: no WtW participation requirement")
    if parents_in_au is not None and parents_in_au >= 2:
        return Requirement(35, "two-parent family")
    under_six = any(dob is not None and _age(dob, today) < 6 for dob in child_dobs)
    assumed = " (the CalWORKs extract does not say how many parents; one assumed)" if (
        parents_in_au is None) else ""
    if under_six:
        return Requirement(20, f"one-parent family with a child under 6{assumed}")
    return Requirement(30, f"one-parent family{assumed}")


def _age(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


@dataclass(frozen=True, slots=True)
class CalworksFacts:
    case_number: str
    county: str
    aid_status: AidStatus
    wtw_status: WtwStatus | None
    parents_in_au: int | None
    aid_periods: list[tuple[date, date | None]]
    case_head: str | None
    children: list[tuple[str, date | None]]
    requirement: Requirement

    @property
    def sanction(self) -> bool:
        return self.wtw_status is WtwStatus.SANCTION

    @property
    def wtw_label(self) -> str:
        return WTW_LABELS[self.wtw_status] if self.wtw_status else "Not enrolled in WtW"


def composition(session: Session, case_id: int | None) -> tuple[int | None, list[date | None]]:
    """Parents in the assistance unit and the children's birth dates, from the extract: what
    the plan's hours requirement is read from (the requirement, not the detail, is shown to
    both programs)."""
    if case_id is None:
        return None, []
    rows = session.execute(
        select(CalworksCase.parents_in_au, CalworksPerson.dob)
        .outerjoin(CalworksPerson, (CalworksPerson.case_id == CalworksCase.id)
                   & (CalworksPerson.role == CalworksRole.CHILD))
        .where(CalworksCase.id == case_id)).all()
    if not rows:
        return None, []
    return rows[0][0], [dob for _, dob in rows if dob is not None]


def _calworks(session: Session, ws: Workspace) -> CalworksFacts | None:
    gate = fixed_gate(ws.sees(Program.CALWORKS))
    case_id = ws.header.calworks_case_id
    if case_id is None:
        return None
    case = session.execute(
        select(CalworksCase.case_number, CalworksCase.county_cd, CalworksCase.aid_status,
               CalworksCase.wtw_status, CalworksCase.parents_in_au)
        .where(CalworksCase.id == case_id, gate)).first()
    if case is None:
        return None
    periods = [(s, e) for s, e in session.execute(
        select(CalworksAidPeriod.aid_start, CalworksAidPeriod.aid_end)
        .where(CalworksAidPeriod.case_id == case_id, gate)
        .order_by(CalworksAidPeriod.aid_start.desc())).all()]
    people = session.execute(
        select(CalworksPerson.role, CalworksPerson.first_name, CalworksPerson.last_name,
               CalworksPerson.dob)
        .where(CalworksPerson.case_id == case_id, gate)
        .order_by(CalworksPerson.dob)).all()
    head = next((_name(f, la) for r, f, la, _ in people if r == CalworksRole.CASE_HEAD), None)
    children = [(_name(f, la), d) for r, f, la, d in people if r == CalworksRole.CHILD]
    number, county, aid, wtw, parents = case
    return CalworksFacts(
        number, codes.county_name(county), AidStatus(aid), WtwStatus(wtw) if wtw else None,
        parents, periods, head, children,
        wtw_requirement(parents, [d for _, d in children], ws.today))


# --- CWS --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AllegationFact:
    child: str
    allegation_type: str
    disposition: str
    disposition_dt: date | None
    perpetrator_role: str | None


@dataclass(frozen=True, slots=True)
class ReferralFact:
    referral_number: str
    received_dt: date
    county: str
    allegations: list[AllegationFact]


@dataclass(frozen=True, slots=True)
class ComponentFact:
    child: str
    component: str
    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class PlacementFact:
    start: date
    end: date | None
    facility: str
    caregiver: str
    county: str


@dataclass(frozen=True, slots=True)
class EpisodeFact:
    child: str
    episode_number: str
    start: date
    end: date | None
    termination: str
    placements: list[PlacementFact]


@dataclass(frozen=True, slots=True)
class CwsFacts:
    case_number: str | None
    case_county: str | None
    case_opened: date | None
    case_closed: date | None
    components: list[ComponentFact]
    referrals: list[ReferralFact]
    episodes: list[EpisodeFact]

    @property
    def current_component(self) -> ComponentFact | None:
        open_ = [c for c in self.components if c.end is None]
        return max(open_, key=lambda c: c.start) if open_ else None


def _cws(session: Session, ws: Workspace) -> CwsFacts | None:
    gate = fixed_gate(ws.sees(Program.CWS))
    children = session.execute(
        select(CwsChildClient.id, CwsChildClient.first_name, CwsChildClient.last_name)
        .join(FamilyMember, FamilyMember.cws_record_id == CwsChildClient.record_id)
        .where(FamilyMember.family_id == ws.header.id, gate)).all()
    if not children and not ws.sees(Program.CWS):
        return None
    names = {cid: _name(f, la) for cid, f, la in children}
    ids = list(names)
    case = None
    if ws.header.cws_case_number:
        case = session.execute(
            select(CwsCase.id, CwsCase.case_number, CwsCase.county_cd, CwsCase.opened,
                   CwsCase.closed)
            .where(CwsCase.case_number == ws.header.cws_case_number, gate)).first()
    components: list[ComponentFact] = []
    if case is not None:
        components = [
            ComponentFact(names.get(child, "another child"),
                          code_label("service_components", "service_component", comp), s, e)
            for child, comp, s, e in session.execute(
                select(CaseServiceComponent.child_id, CaseServiceComponent.service_component,
                       CaseServiceComponent.component_start, CaseServiceComponent.component_end)
                .where(CaseServiceComponent.case_id == case[0], gate)
                .order_by(CaseServiceComponent.component_start.desc())).all()]
    referrals: dict[str, ReferralFact] = {}
    for number, received, county, child, kind, disp, disp_dt, perp in session.execute(
        select(Referral.referral_number, Referral.received_dt, Referral.county_cd,
               Allegation.child_id, Allegation.allegation_type, Allegation.disposition,
               Allegation.disposition_dt, Allegation.perpetrator_role)
        .join(Referral, Referral.id == Allegation.referral_id)
        .where(Allegation.child_id.in_(ids), gate)
        .order_by(Referral.received_dt.desc(), Referral.referral_number, Allegation.id)
    ).all():
        ref = referrals.setdefault(number, ReferralFact(number, received,
                                                        codes.county_name(county), []))
        ref.allegations.append(AllegationFact(
            names[child], code_label("allegation_types", "allegation_type", kind),
            str(disp).replace("_", " ") if disp else "not determined", disp_dt,
            perp.replace("_", " ") if perp else None))
    episodes: list[EpisodeFact] = []
    by_episode: dict[int, list[PlacementFact]] = {}
    rows = session.execute(
        select(PlacementEpisode.id, PlacementEpisode.child_id, PlacementEpisode.episode_number,
               PlacementEpisode.episode_start, PlacementEpisode.episode_end,
               PlacementEpisode.termination_reason_cd)
        .where(PlacementEpisode.child_id.in_(ids), gate)
        .order_by(PlacementEpisode.episode_start.desc())).all()
    if rows:
        for eid, s, e, fac, care, county in session.execute(
            select(Placement.episode_id, Placement.placement_start, Placement.placement_end,
                   Placement.facility_type_cd, Placement.caregiver_relationship_cd,
                   Placement.county_cd)
            .where(Placement.episode_id.in_([r[0] for r in rows]), gate)
            .order_by(Placement.placement_start)).all():
            by_episode.setdefault(eid, []).append(PlacementFact(
                s, e, code_label("facility_types", "facility_type_cd", fac),
                code_label("caregiver_relationships", "caregiver_relationship_cd", care),
                codes.county_name(county)))
    for eid, child, number, s, e, reason in rows:
        episodes.append(EpisodeFact(
            names[child], number, s, e,
            code_label("termination_reasons", "termination_reason_cd", reason)
            if reason is not None else "open", by_episode.get(eid, [])))
    return CwsFacts(
        case[1] if case else ws.header.cws_case_number,
        codes.county_name(case[2]) if case else None,
        case[3] if case else None, case[4] if case else None,
        components, list(referrals.values()), episodes)


# --- match evidence ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FieldEvidence:
    field: str
    label: str
    weight: float | None

    @property
    def verdict(self) -> str:
        if self.weight is None:
            return "not compared"
        if self.weight > 0.05:
            return "agrees"
        if self.weight < -0.05:
            return "disagrees"
        return "no evidence"


@dataclass(frozen=True, slots=True)
class ChildEvidence:
    calworks_record_id: str | None
    calworks_name: str | None
    calworks_dob: date | None
    cws_record_id: str | None
    cws_name: str | None
    cws_dob: date | None
    probability: float | None
    fields: list[FieldEvidence]
    confirmed_by: str | None
    confirmed: bool


# Made once: an alias built per request costs more than the query it serves.
_CALWORKS_RECORD = aliased(CalworksPerson, name="calworks_record")
_CWS_RECORD = aliased(CwsChildClient, name="cws_record")
_RUN_LINK = aliased(Link, name="run_link")


def _evidence(session: Session, ws: Workspace) -> list[ChildEvidence]:
    cw, cws, link = _CALWORKS_RECORD, _CWS_RECORD, _RUN_LINK
    run_id = ws.header.last_seen_run_id
    rows = session.execute(
        select(FamilyMember.calworks_record_id, cw.first_name, cw.last_name, cw.dob,
               FamilyMember.cws_record_id, cws.first_name, cws.last_name, cws.dob,
               FamilyMember.match_probability, link.contributions,
               ClericalDecision.decision, User.display_name)
        .outerjoin(cw, cw.record_id == FamilyMember.calworks_record_id)
        .outerjoin(cws, cws.record_id == FamilyMember.cws_record_id)
        .outerjoin(link, (link.run_id == run_id)
                   & (link.left_record_id == FamilyMember.calworks_record_id)
                   & (link.right_record_id == FamilyMember.cws_record_id))
        .outerjoin(ClericalDecision,
                   (ClericalDecision.left_record_id == FamilyMember.calworks_record_id)
                   & (ClericalDecision.right_record_id == FamilyMember.cws_record_id))
        .outerjoin(User, User.id == ClericalDecision.decided_by_id)
        .where(FamilyMember.family_id == ws.header.id)
        .order_by(FamilyMember.id)).all()
    out = []
    for (cw_id, cwf, cwl, cwd, cws_id, csf, csl, csd, p, contributions, decision,
         decided_by) in rows:
        fields = [FieldEvidence(k, FIELD_LABELS.get(k, k.replace("_", " ")),
                                None if v is None else float(v))
                  for k, v in (contributions or {}).items()]
        confirmed = decision is not None and ClericalDecisionValue(decision) is (
            ClericalDecisionValue.MATCH)
        out.append(ChildEvidence(cw_id, _name(cwf, cwl) if cw_id else None, cwd, cws_id,
                                 _name(csf, csl) if cws_id else None, csd, p, fields,
                                 decided_by if confirmed else None, confirmed))
    return out


def _name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p) or "(no name)"


# --- sections ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    ws: Workspace
    calworks: CalworksFacts | None
    cws: CwsFacts | None
    evidence: list[ChildEvidence]


def overview(session: Session, actor: Actor, family_id: int, *, ip: str | None = None,
             today: date | None = None) -> Overview:
    ws = workspace.open(session, actor, family_id, Section.OVERVIEW, ip=ip, today=today)
    return Overview(ws, _calworks(session, ws) if ws.sees(Program.CALWORKS) else None,
                    _cws(session, ws) if ws.sees(Program.CWS) else None,
                    _evidence(session, ws))


@dataclass(frozen=True)
class Members:
    ws: Workspace
    case_head: str | None
    evidence: list[ChildEvidence]


def members(session: Session, actor: Actor, family_id: int, *, ip: str | None = None,
            today: date | None = None) -> Members:
    """The family's people: the CalWORKs case head (the parent the team works with) and each
    child as both programs record it."""
    ws = workspace.open(session, actor, family_id, Section.MEMBERS, ip=ip, today=today)
    head = None
    if ws.header.calworks_case_id is not None:
        row = session.execute(
            select(CalworksPerson.first_name, CalworksPerson.last_name)
            .where(CalworksPerson.case_id == ws.header.calworks_case_id,
                   CalworksPerson.role == CalworksRole.CASE_HEAD)).first()
        head = _name(*row) if row else None
    return Members(ws, head, _evidence(session, ws))
