"""Closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

import enum


class Program(enum.StrEnum):
    CWS = "cws"
    CALWORKS = "calworks"

    @property
    def label(self) -> str:
        return {"cws": "CWS", "calworks": "CalWORKs / WtW"}[self.value]

    @property
    def other(self) -> Program:
        return Program.CALWORKS if self is Program.CWS else Program.CWS


class Role(enum.StrEnum):
    CWS_WORKER = "cws_worker"
    CALWORKS_WORKER = "calworks_worker"
    PROGRAM_MANAGER = "program_manager"
    EVALUATOR = "evaluator"
    ADMINISTRATOR = "administrator"
    # Supervisors approve plans and shared-resource spending of their program and pair workers.
    CWS_SUPERVISOR = "cws_supervisor"
    CALWORKS_SUPERVISOR = "calworks_supervisor"

    @property
    def label(self) -> str:
        return {
            "cws_worker": "CWS social worker",
            "calworks_worker": "CalWORKs / WtW case manager",
            "cws_supervisor": "CWS supervisor",
            "calworks_supervisor": "CalWORKs / WtW supervisor",
            "program_manager": "Program manager",
            "evaluator": "Evaluator",
            "administrator": "Administrator",
        }[self.value]

    @property
    def program(self) -> Program | None:
        return {"cws_worker": Program.CWS, "calworks_worker": Program.CALWORKS,
                "cws_supervisor": Program.CWS,
                "calworks_supervisor": Program.CALWORKS}.get(self.value)

    @property
    def supervisor(self) -> bool:
        return self in (Role.CWS_SUPERVISOR, Role.CALWORKS_SUPERVISOR)


class AidStatus(enum.StrEnum):
    ACTIVE = "active"
    DISCONTINUED = "discontinued"


class WtwStatus(enum.StrEnum):
    PARTICIPATING = "participating"
    EXEMPT = "exempt"
    NON_COMPLIANCE = "non_compliance"
    SANCTION = "sanction"
    GOOD_CAUSE = "good_cause"


class CalworksRole(enum.StrEnum):
    CASE_HEAD = "case_head"
    CHILD = "child"


class Disposition(enum.StrEnum):
    SUBSTANTIATED = "substantiated"
    INCONCLUSIVE = "inconclusive"
    UNFOUNDED = "unfounded"


class ServiceComponent(enum.StrEnum):
    ER = "ER"
    FM = "FM"
    FR = "FR"
    PP = "PP"


class LinkDecision(enum.StrEnum):
    MATCH = "match"
    REVIEW = "review"


class ClericalDecisionValue(enum.StrEnum):
    MATCH = "match"
    NON_MATCH = "non_match"


class RecordSource(enum.StrEnum):
    CALWORKS = "calworks"
    CWS = "cws"


class FamilyStatus(enum.StrEnum):
    IDENTIFIED = "identified"  # found by the match, not yet worked jointly
    ACTIVE = "active"  # co-case-managed
    CLOSED = "closed"
    NO_LONGER_MATCHED = "no_longer_matched"  # a later match run no longer links it


class IdentificationSource(enum.StrEnum):
    DATA_MATCH = "data_match"
    WORKER_REFERRAL = "worker_referral"
    SELF_REPORT = "self_report"


class AssignmentRole(enum.StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUPERVISOR = "supervisor"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"  # submitted to a supervisor
    RETURNED = "returned"  # sent back with a comment; editable again
    APPROVED = "approved"  # read-only; the next version starts as its copy
    SUPERSEDED = "superseded"  # an approved version replaced by a newer approved one

    @property
    def label(self) -> str:
        return {"draft": "Draft", "pending_approval": "Submitted for approval",
                "returned": "Returned", "approved": "Approved",
                "superseded": "Superseded"}[self.value]

    @property
    def editable(self) -> bool:
        return self in (PlanStatus.DRAFT, PlanStatus.RETURNED)


class PlanProgram(enum.StrEnum):
    """Program of record of a plan item: the CWS case plan, the WtW plan, or both."""

    SHARED = "shared"
    CWS = "cws"
    WTW = "wtw"

    @property
    def label(self) -> str:
        return {"shared": "Both", "cws": "CWS", "wtw": "WtW"}[self.value]

    @property
    def program(self) -> Program | None:
        return {"cws": Program.CWS, "wtw": Program.CALWORKS}.get(self.value)


class WorkStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"open": "Not started", "in_progress": "In progress", "done": "Done",
                "cancelled": "Cancelled"}[self.value]

    @property
    def live(self) -> bool:
        return self in (WorkStatus.OPEN, WorkStatus.IN_PROGRESS)


class ActivityCategory(enum.StrEnum):
    """Kinds of plan activity. Mental-health, substance-use and domestic-abuse activities are
    recorded separately (Santa Clara's integrated plan) and are sensitive; substance-use (AOD)
    treatment is also covered by 42 CFR Part 2."""

    EMPLOYMENT = "employment"
    JOB_SEARCH = "job_search"
    EDUCATION_TRAINING = "education_training"
    PARENTING = "parenting"
    VISITATION = "visitation"
    COURT = "court"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    DOMESTIC_ABUSE = "domestic_abuse"
    HOUSING = "housing"
    CHILD_CARE = "child_care"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "employment": "Employment", "job_search": "Job search",
            "education_training": "Education or training", "parenting": "Parenting",
            "visitation": "Child visitation", "court": "Court", "mental_health": "Mental health",
            "substance_use": "Substance use (AOD) treatment",
            "domestic_abuse": "Domestic abuse services", "housing": "Housing",
            "child_care": "Child care", "other": "Other",
        }[self.value]

    @property
    def sensitive(self) -> bool:
        return self in (ActivityCategory.MENTAL_HEALTH, ActivityCategory.SUBSTANCE_USE,
                        ActivityCategory.DOMESTIC_ABUSE)

    @property
    def part2(self) -> bool:
        return self is ActivityCategory.SUBSTANCE_USE


class MeetingType(enum.StrEnum):
    INITIAL_COORDINATION = "initial_coordination"
    CFT = "cft"  # Child and Family Team meeting
    MCPC_TDM = "mcpc_tdm"  # multidisciplinary case planning / team decision-making
    REVIEW = "review"
    TRANSITION_CLOSING = "transition_closing"

    @property
    def label(self) -> str:
        return {"initial_coordination": "Initial coordination",
                "cft": "Child and Family Team (CFT)", "mcpc_tdm": "MCPC / TDM",
                "review": "Review", "transition_closing": "Transition or closing"}[self.value]


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class ParticipationMethod(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "phone": "Phone", "video": "Video"}[self.value]


class TeamRole(enum.StrEnum):
    """Roles at a joint meeting (WIC 16501(a)(4) invitees and the Linkages pair)."""

    PARENT = "parent"
    YOUTH = "youth"
    CAREGIVER = "caregiver"
    CWS_WORKER = "cws_worker"
    CALWORKS_WORKER = "calworks_worker"
    SUPERVISOR = "supervisor"
    BEHAVIORAL_HEALTH = "behavioral_health"
    TRIBAL_REPRESENTATIVE = "tribal_representative"
    FFA = "ffa"
    ATTORNEY = "attorney"
    CASA = "casa"
    EDUCATION_RIGHTS_HOLDER = "education_rights_holder"
    INFORMAL_SUPPORT = "informal_support"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "parent": "Parent", "youth": "Youth", "caregiver": "Caregiver",
            "cws_worker": "CWS social worker", "calworks_worker": "CalWORKs / WtW case manager",
            "supervisor": "Supervisor", "behavioral_health": "Behavioral health provider",
            "tribal_representative": "Tribal representative",
            "ffa": "Foster family agency", "attorney": "Attorney", "casa": "CASA",
            "education_rights_holder": "Education rights holder",
            "informal_support": "Informal support", "other": "Other",
        }[self.value]


class LegalBasis(enum.StrEnum):
    WIC_10850 = "wic_10850"  # CalWORKs / public social services records
    WIC_827_832 = "wic_827_832"  # juvenile case file; CFT information sharing
    CFR42_PART2 = "cfr42_part2"  # alcohol and other drug treatment records

    @property
    def label(self) -> str:
        return {"wic_10850": "WIC 10850 (CalWORKs and social services records)",
                "wic_827_832": "WIC 827 / 832 (juvenile case file, CFT)",
                "cfr42_part2": "42 CFR Part 2 (AOD treatment)"}[self.value]


class SignerRelationship(enum.StrEnum):
    PARENT = "parent"
    LEGAL_GUARDIAN = "legal_guardian"
    YOUTH = "youth"
    CARETAKER_RELATIVE = "caretaker_relative"

    @property
    def label(self) -> str:
        return {"parent": "Parent", "legal_guardian": "Legal guardian", "youth": "Youth",
                "caretaker_relative": "Caretaker relative"}[self.value]


class AcknowledgementParty(enum.StrEnum):
    PARENT = "parent"
    CWS_WORKER = "cws_worker"
    CALWORKS_WORKER = "calworks_worker"

    @property
    def label(self) -> str:
        return {"parent": "Parent", "cws_worker": "CWS social worker",
                "calworks_worker": "CalWORKs / WtW case manager"}[self.value]


class ContactType(enum.StrEnum):
    HOME_VISIT = "home_visit"
    OFFICE = "office"
    PHONE = "phone"
    CASE_CONFERENCE = "case_conference"

    @property
    def label(self) -> str:
        return {"home_visit": "Home visit", "office": "Office", "phone": "Phone",
                "case_conference": "Case conference"}[self.value]


class ServiceCategory(enum.StrEnum):
    """The shared-resource categories of the Linkages best practices (seed 004)."""

    TRANSPORTATION = "transportation"
    HOUSING = "housing"
    MENTAL_HEALTH = "mental_health"
    AOD_TREATMENT = "aod_treatment"
    CHILD_CARE = "child_care"
    OTHER_CONCRETE = "other_concrete"

    @property
    def label(self) -> str:
        return {"transportation": "Transportation", "housing": "Housing",
                "mental_health": "Mental health treatment", "aod_treatment": "AOD treatment",
                "child_care": "Child care",
                "other_concrete": "Other concrete support"}[self.value]


class FundSource(enum.StrEnum):
    CALWORKS_SUPPORTIVE = "calworks_supportive_services"
    CALWORKS_ANCILLARY = "calworks_ancillary"
    CWS_FLEXIBLE = "cws_flexible_funds"
    TITLE_IV_B = "title_iv_b"
    LINKAGES_POOLED = "linkages_pooled"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"calworks_supportive_services": "CalWORKs supportive services",
                "calworks_ancillary": "CalWORKs ancillary",
                "cws_flexible_funds": "CWS flexible funds", "title_iv_b": "CWS Title IV-B",
                "linkages_pooled": "Linkages pooled", "other": "Other"}[self.value]

    @property
    def program(self) -> Program | None:
        """Whose supervisor approves spending from this source (None: either program's)."""
        return {"calworks_supportive_services": Program.CALWORKS,
                "calworks_ancillary": Program.CALWORKS, "cws_flexible_funds": Program.CWS,
                "title_iv_b": Program.CWS}.get(self.value)


class AuthorizationStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"requested": "Requested", "approved": "Approved", "denied": "Denied",
                "delivered": "Delivered", "cancelled": "Cancelled"}[self.value]


class PlanReviewAction(enum.StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
