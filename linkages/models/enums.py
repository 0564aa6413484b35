"""Closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

import enum


class Program(enum.StrEnum):
    CWS = "cws"
    CALWORKS = "calworks"


class Role(enum.StrEnum):
    CWS_WORKER = "cws_worker"
    CALWORKS_WORKER = "calworks_worker"
    PROGRAM_MANAGER = "program_manager"
    EVALUATOR = "evaluator"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return {
            "cws_worker": "CWS social worker",
            "calworks_worker": "CalWORKs / WtW case manager",
            "program_manager": "Program manager",
            "evaluator": "Evaluator",
            "administrator": "Administrator",
        }[self.value]

    @property
    def program(self) -> Program | None:
        return {"cws_worker": Program.CWS, "calworks_worker": Program.CALWORKS}.get(self.value)


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
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class PlanProgram(enum.StrEnum):
    """Which program's plan an item belongs to: the CWS case plan, the WtW plan, or both."""

    SHARED = "shared"
    CWS = "cws"
    WTW = "wtw"


class WorkStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class MeetingType(enum.StrEnum):
    JOINT_ASSESSMENT = "joint_assessment"
    CFT = "cft"  # Child and Family Team meeting
    CASE_PLANNING = "case_planning"
    REVIEW = "review"
    TRANSITION = "transition"


class ParticipationMethod(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class ServiceCategory(enum.StrEnum):
    """The shared-resource categories of the Linkages best practices (seed 004)."""

    TRANSPORTATION = "transportation"
    HOUSING = "housing"
    MENTAL_HEALTH = "mental_health"
    AOD_TREATMENT = "aod_treatment"
    CHILD_CARE = "child_care"
    OTHER_CONCRETE = "other_concrete"


class FundSource(enum.StrEnum):
    CALWORKS_SUPPORTIVE = "calworks_supportive_services"
    CALWORKS_ANCILLARY = "calworks_ancillary"
    CWS_FLEXIBLE = "cws_flexible_funds"
    TITLE_IV_B = "title_iv_b"
    LINKAGES_POOLED = "linkages_pooled"
    OTHER = "other"


class AuthorizationStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    PAID = "paid"
    CANCELLED = "cancelled"
