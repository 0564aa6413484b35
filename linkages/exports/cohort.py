"""The linked cohort: one row per CWS child of the chosen counties with CWS activity in the
period, with the facts an evaluation of matched and other families needs. Built from the
database with true identifiers and dates; :mod:`linkages.exports.bundle` takes those away.

Who is in it: a child whose CWS/CMS county is one of the chosen counties and who, in the
period (both days inclusive), had an allegation on a referral received, a case service
component open, or a placement episode open.

What each row holds (true values here):

* the child: record id, CWS case number, birth date, sex, ethnic group, county;
* the match: whether the latest run of record (not undone) linked the child to a CalWORKs
  child (decision ``match``), and the highest probability among the run's stored pairs of
  the child (``match`` or ``review``); blank when the run stored no pair for her;
* referrals and CWS case: referrals received in the period, whether one was substantiated,
  the first one's date, the service components open in the period;
* the *index episode*: her first placement episode open in the period (entry, exit, exit
  type, days in care, age at entry, agency, first placement type, placements), episodes open
  in the period, and, after an exit to reunification or guardianship, whether she re-entered
  care within 12 months (365 days, as the measures count it);
* CalWORKs (matched children): the linked CalWORKs case's county, aid and WtW status, months
  aided in the period, aided on its first and last day;
* casework (children of a mutual family): the family's status, joint meetings held (and a
  Child and Family Team meeting among them), days from identification to the first one, an
  approved coordinated plan and days to it, shared-resource services authorised (approved or
  paid), their categories and amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session

from linkages import codes
from linkages.models import (
    Allegation,
    CalworksAidPeriod,
    CalworksCase,
    CalworksPerson,
    CaseServiceComponent,
    CoordinatedPlan,
    CwsChildClient,
    FamilyMember,
    JointMeeting,
    Link,
    MatchRun,
    MutualFamily,
    Placement,
    PlacementEpisode,
    Referral,
    ServiceAuthorization,
)
from linkages.models.enums import (
    AuthorizationStatus,
    Disposition,
    LinkDecision,
    MeetingStatus,
    MeetingType,
    PlanStatus,
)

REENTRY_DAYS = 365  # "within 12 months", as the outcome measures read it (outcomes.core)
PERMANENCY_EXITS = ("reunified", "guardianship")


@dataclass(frozen=True, slots=True)
class CohortQuery:
    counties: tuple[int, ...] | None  # None: every county
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class MatchRunInfo:
    id: int
    finished_at: Any
    threshold: float | None
    left_file: str
    right_file: str


def latest_run(session: Session) -> MatchRunInfo | None:
    """The run of record the export's match flags come from: the latest not undone."""
    run = session.scalars(select(MatchRun).where(MatchRun.undone_at.is_(None),
                                                 MatchRun.finished_at.is_not(None))
                          .order_by(MatchRun.id.desc()).limit(1)).first()
    if run is None:
        return None
    threshold = ((run.parameters or {}).get("thresholds") or {}).get("match_probability")
    return MatchRunInfo(run.id, run.finished_at, threshold, run.left_file, run.right_file)


def child_ids(query: CohortQuery) -> Select:
    """Ids of the cohort's children (a subquery every other read joins to)."""
    start, end = query.start, query.end
    referred = (select(Allegation.child_id.label("child_id"))
                .join(Referral, Referral.id == Allegation.referral_id)
                .where(Referral.received_dt >= start, Referral.received_dt <= end))
    with_case = (select(CaseServiceComponent.child_id.label("child_id"))
                 .where(CaseServiceComponent.component_start <= end,
                        (CaseServiceComponent.component_end.is_(None))
                        | (CaseServiceComponent.component_end >= start)))
    in_care = (select(PlacementEpisode.child_id.label("child_id"))
               .where(PlacementEpisode.episode_start <= end,
                      (PlacementEpisode.episode_end.is_(None))
                      | (PlacementEpisode.episode_end >= start)))
    active = union(referred, with_case, in_care).subquery()
    stmt = select(CwsChildClient.id).where(CwsChildClient.id.in_(select(active.c.child_id)))
    if query.counties is not None:
        stmt = stmt.where(CwsChildClient.county_cd.in_(query.counties))
    return stmt


def _read(session: Session, stmt: Select) -> pd.DataFrame:
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _dates(frame: pd.DataFrame, *columns: str) -> None:
    for c in columns:
        frame[c] = pd.to_datetime(frame[c])


def build(session: Session, query: CohortQuery, run: MatchRunInfo | None) -> pd.DataFrame:
    """The cohort with true identifiers and dates, one row per child, ordered by record id."""
    ids = child_ids(query)
    start, end = pd.Timestamp(query.start), pd.Timestamp(query.end)
    c = CwsChildClient
    children = _read(session, select(
        c.id.label("child_pk"), c.record_id, c.case_number.label("cws_case_number"), c.dob,
        c.sex, c.ethnicity_cd, c.hispanic, c.county_cd).where(c.id.in_(ids))
        .order_by(c.record_id))
    _dates(children, "dob")
    children["ethnic_group"] = codes.ethnic_group_series(children["ethnicity_cd"],
                                                         children["hispanic"])
    out = children.drop(columns=["ethnicity_cd", "hispanic"]).set_index("child_pk")
    out = out.join(_referrals(session, ids, query))
    out = out.join(_components(session, ids, query))
    out = out.join(_episodes(session, ids, start, end, out["dob"]))
    match = _matches(session, ids, run)
    out = out.join(match.set_index("record_id"), on="record_id")
    out["calworks_match"] = out["calworks_match"].astype("boolean").fillna(False)
    out = out.join(_calworks(session, out["calworks_record_id"].dropna().unique().tolist(),
                             start, end), on="calworks_record_id")
    out = out.join(_casework(session, ids), on="record_id")
    return out.reset_index(drop=True)


def _referrals(session: Session, ids: Select, query: CohortQuery) -> pd.DataFrame:
    rows = _read(session, select(Allegation.child_id.label("child_pk"), Referral.id.label("ref"),
                                 Referral.received_dt, Allegation.disposition)
                 .join(Referral, Referral.id == Allegation.referral_id)
                 .where(Allegation.child_id.in_(ids), Referral.received_dt >= query.start,
                        Referral.received_dt <= query.end))
    _dates(rows, "received_dt")
    rows["substantiated"] = rows["disposition"].astype(str) == Disposition.SUBSTANTIATED.value
    grouped = rows.groupby("child_pk")
    return pd.DataFrame({
        "referrals_in_period": grouped["ref"].nunique(),
        "substantiated_in_period": grouped["substantiated"].any(),
        "first_referral_date": grouped["received_dt"].min(),
    })


def _components(session: Session, ids: Select, query: CohortQuery) -> pd.DataFrame:
    t = CaseServiceComponent
    rows = _read(session, select(t.child_id.label("child_pk"), t.service_component)
                 .where(t.child_id.in_(ids), t.component_start <= query.end,
                        (t.component_end.is_(None)) | (t.component_end >= query.start)))
    rows["service_component"] = rows["service_component"].astype(str)
    joined = rows.groupby("child_pk")["service_component"].agg(
        lambda s: ";".join(sorted(set(s))))
    return pd.DataFrame({"cws_service_components": joined})


def _episodes(session: Session, ids: Select, start: pd.Timestamp, end: pd.Timestamp,
              dob: pd.Series) -> pd.DataFrame:
    e = PlacementEpisode
    eps = _read(session, select(e.id.label("ep"), e.child_id.label("child_pk"),
                                e.episode_start, e.episode_end, e.termination_reason_cd,
                                e.agency_cd).where(e.child_id.in_(ids)))
    columns = ["episodes_in_period", "entry_date", "exit_date", "exit_type", "days_in_care",
               "age_at_entry", "agency_type", "first_placement_type", "placements_in_episode",
               "reentered_within_12_months", "entered_in_period"]
    if eps.empty:
        return pd.DataFrame(columns=columns)
    _dates(eps, "episode_start", "episode_end")
    open_in_period = (eps["episode_start"] <= end) & (
        eps["episode_end"].isna() | (eps["episode_end"] >= start))
    counted = eps[open_in_period].groupby("child_pk").size().rename("episodes_in_period")
    index = (eps[open_in_period].sort_values(["child_pk", "episode_start", "ep"])
             .drop_duplicates("child_pk").set_index("child_pk"))
    # Re-entry: a later episode of the child starting within 365 days of the index exit.
    later = eps[["child_pk", "episode_start"]].rename(columns={"episode_start": "next_start"})
    pairs = index[["episode_end"]].reset_index().merge(later, on="child_pk")
    gap = (pairs["next_start"] - pairs["episode_end"]).dt.days
    reentered = pairs[(gap >= 0) & (gap <= REENTRY_DAYS)].groupby("child_pk").size() > 0
    exit_type = codes.exit_type_series(index["termination_reason_cd"])
    exit_type.index = index.index
    permanency = index["episode_end"].notna() & exit_type.isin(PERMANENCY_EXITS)
    reentry = pd.Series(pd.NA, index=index.index, dtype="boolean")
    reentry[permanency] = reentered.reindex(index.index[permanency], fill_value=False).astype(bool)
    placements = _read(session, select(Placement.episode_id.label("ep"),
                                       Placement.placement_start, Placement.facility_type_cd,
                                       Placement.caregiver_relationship_cd,
                                       Placement.placement_change_reason_cd, Placement.id)
                       .where(Placement.episode_id.in_(select(e.id)
                                                       .where(e.child_id.in_(ids)))))
    first = placements.sort_values(["ep", "placement_start", "id"]).drop_duplicates("ep")
    first_type = pd.Series(codes.placement_type_series(
        first["facility_type_cd"], first["caregiver_relationship_cd"],
        first["placement_change_reason_cd"]).to_numpy(), index=first["ep"].to_numpy())
    per_episode = placements.groupby("ep").size()
    out = pd.DataFrame(index=index.index)
    out["episodes_in_period"] = counted
    out["entry_date"] = index["episode_start"]
    out["exit_date"] = index["episode_end"]
    out["exit_type"] = exit_type.replace("", pd.NA)
    out["days_in_care"] = (index["episode_end"] - index["episode_start"]).dt.days.astype("Int64")
    birth = dob.reindex(index.index)
    out["age_at_entry"] = codes.age_series(birth, index["episode_start"])
    out["agency_type"] = index["agency_cd"].map(codes.agency_type)
    out["first_placement_type"] = index["ep"].map(first_type)
    out["placements_in_episode"] = index["ep"].map(per_episode).fillna(0).astype("Int64")
    out["reentered_within_12_months"] = reentry
    out["entered_in_period"] = (index["episode_start"] >= start) & (index["episode_start"] <= end)
    return out[columns]


def _matches(session: Session, ids: Select, run: MatchRunInfo | None) -> pd.DataFrame:
    columns = ["record_id", "calworks_match", "match_probability", "calworks_record_id"]
    if run is None:
        return pd.DataFrame(columns=columns)
    records = select(CwsChildClient.record_id).where(CwsChildClient.id.in_(ids))
    links = _read(session, select(Link.right_record_id.label("record_id"),
                                  Link.left_record_id, Link.match_probability, Link.decision)
                  .where(Link.run_id == run.id, Link.right_record_id.in_(records)))
    if links.empty:
        return pd.DataFrame(columns=columns)
    links["is_match"] = links["decision"].astype(str) == LinkDecision.MATCH.value
    links = links.sort_values(["record_id", "is_match", "match_probability", "left_record_id"],
                              ascending=[True, False, False, True])
    best = links.groupby("record_id").agg(
        calworks_match=("is_match", "any"), match_probability=("match_probability", "max"))
    matched = links[links["is_match"]].drop_duplicates("record_id").set_index("record_id")
    best["calworks_record_id"] = matched["left_record_id"]
    return best.reset_index()[columns]


def _month_index(values: pd.Series) -> pd.Series:
    return values.dt.year * 12 + values.dt.month - 1


def _calworks(session: Session, record_ids: list[str], start: pd.Timestamp,
              end: pd.Timestamp) -> pd.DataFrame:
    columns = ["calworks_case_number", "calworks_county_cd", "calworks_aid_status",
               "calworks_wtw_status", "calworks_aid_months_in_period",
               "calworks_aided_at_period_start", "calworks_aided_at_period_end"]
    if not record_ids:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="calworks_record_id"))
    people = pd.concat([_read(session, select(
        CalworksPerson.record_id.label("calworks_record_id"), CalworksPerson.case_id,
        CalworksCase.case_number.label("calworks_case_number"),
        CalworksCase.county_cd.label("calworks_county_cd"),
        CalworksCase.aid_status.label("calworks_aid_status"),
        CalworksCase.wtw_status.label("calworks_wtw_status"))
        .join(CalworksCase, CalworksCase.id == CalworksPerson.case_id)
        .where(CalworksPerson.record_id.in_(record_ids[i:i + 5000])))
        for i in range(0, len(record_ids), 5000)], ignore_index=True)
    for col in ("calworks_aid_status", "calworks_wtw_status"):
        people[col] = people[col].map(lambda v: None if v is None else str(v))
    case_ids = people["case_id"].dropna().unique().tolist()
    periods = pd.concat([_read(session, select(
        CalworksAidPeriod.case_id, CalworksAidPeriod.aid_start, CalworksAidPeriod.aid_end)
        .where(CalworksAidPeriod.case_id.in_(case_ids[i:i + 5000])))
        for i in range(0, max(len(case_ids), 1), 5000)], ignore_index=True)
    _dates(periods, "aid_start", "aid_end")
    aid_end = periods["aid_end"].fillna(pd.Timestamp.max.normalize())
    overlap = (periods["aid_start"] <= end) & (aid_end >= start)
    clipped = periods[overlap].assign(
        first=_month_index(periods.loc[overlap, "aid_start"].clip(lower=start)),
        last=_month_index(aid_end[overlap].clip(upper=end)))
    months: dict[Any, set[int]] = {}
    for case_id, first, last in zip(clipped["case_id"], clipped["first"], clipped["last"],
                                    strict=True):
        months.setdefault(case_id, set()).update(range(int(first), int(last) + 1))
    at = {day: set(periods.loc[(periods["aid_start"] <= day) & (aid_end >= day), "case_id"])
          for day in (start, end)}
    people["calworks_aid_months_in_period"] = people["case_id"].map(
        lambda cid: len(months.get(cid, ()))).astype("Int64")
    people["calworks_aided_at_period_start"] = people["case_id"].isin(at[start])
    people["calworks_aided_at_period_end"] = people["case_id"].isin(at[end])
    return people.drop_duplicates("calworks_record_id").set_index("calworks_record_id")[columns]


def _casework(session: Session, ids: Select) -> pd.DataFrame:
    columns = ["mutual_family_pk", "family_status", "joint_meetings_held", "cft_meeting_held",
               "days_to_first_joint_meeting", "coordinated_plan_approved",
               "days_to_plan_approval", "services_authorized", "service_categories",
               "services_amount"]
    records = select(CwsChildClient.record_id).where(CwsChildClient.id.in_(ids))
    members = _read(session, select(FamilyMember.cws_record_id.label("record_id"),
                                    MutualFamily.id.label("mutual_family_pk"),
                                    MutualFamily.status.label("family_status"),
                                    MutualFamily.identified_on)
                    .join(MutualFamily, MutualFamily.id == FamilyMember.family_id)
                    .where(FamilyMember.cws_record_id.in_(records)))
    if members.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="record_id"))
    # A child in two families (rare: a move between CalWORKs cases) counts in the latest.
    members = (members.sort_values(["record_id", "identified_on", "mutual_family_pk"])
               .drop_duplicates("record_id", keep="last"))
    members["family_status"] = members["family_status"].map(str)
    family_ids = members["mutual_family_pk"].unique().tolist()
    _dates(members, "identified_on")
    fam = pd.DataFrame(index=pd.Index(family_ids, name="mutual_family_pk"))
    meetings = _read(session, select(JointMeeting.family_id.label("mutual_family_pk"),
                                     JointMeeting.meeting_type, JointMeeting.held_at)
                     .where(JointMeeting.family_id.in_(family_ids),
                            JointMeeting.status == MeetingStatus.HELD))
    meetings["held_on"] = pd.to_datetime(meetings["held_at"], utc=True).dt.tz_localize(None)
    meetings["cft"] = meetings["meeting_type"].map(str) == MeetingType.CFT.value
    by_family = meetings.groupby("mutual_family_pk")
    fam["joint_meetings_held"] = by_family.size()
    fam["cft_meeting_held"] = by_family["cft"].any()
    fam["first_meeting"] = by_family["held_on"].min()
    plans = _read(session, select(CoordinatedPlan.family_id.label("mutual_family_pk"),
                                  CoordinatedPlan.approved_at)
                  .where(CoordinatedPlan.family_id.in_(family_ids),
                         CoordinatedPlan.status.in_([PlanStatus.APPROVED, PlanStatus.SUPERSEDED]),
                         CoordinatedPlan.approved_at.is_not(None)))
    plans["approved_on"] = pd.to_datetime(plans["approved_at"], utc=True).dt.tz_localize(None)
    fam["plan_approved"] = plans.groupby("mutual_family_pk")["approved_on"].min()
    services = _read(session, select(ServiceAuthorization.family_id.label("mutual_family_pk"),
                                     ServiceAuthorization.category, ServiceAuthorization.amount)
                     .where(ServiceAuthorization.family_id.in_(family_ids),
                            ServiceAuthorization.status.in_([AuthorizationStatus.APPROVED,
                                                             AuthorizationStatus.DELIVERED])))
    services["category"] = services["category"].map(str)
    services["amount"] = services["amount"].astype(float)
    by_service = services.groupby("mutual_family_pk")
    fam["services_authorized"] = by_service.size()
    fam["service_categories"] = by_service["category"].agg(lambda s: ";".join(sorted(set(s))))
    fam["services_amount"] = by_service["amount"].sum().round(2)
    out = members.join(fam, on="mutual_family_pk")
    identified = out["identified_on"]
    out["joint_meetings_held"] = out["joint_meetings_held"].fillna(0).astype("Int64")
    out["cft_meeting_held"] = out["cft_meeting_held"].astype("boolean").fillna(False)
    out["days_to_first_joint_meeting"] = (
        out["first_meeting"].dt.normalize() - identified).dt.days.astype("Int64")
    out["coordinated_plan_approved"] = out["plan_approved"].notna()
    out["days_to_plan_approval"] = (
        out["plan_approved"].dt.normalize() - identified).dt.days.astype("Int64")
    out["services_authorized"] = out["services_authorized"].fillna(0).astype("Int64")
    out["services_amount"] = out["services_amount"].fillna(0.0)
    return out.set_index("record_id")[columns]


def period_label(query: CohortQuery) -> str:
    return f"{query.start:%Y-%m-%d} to {query.end:%Y-%m-%d}"

