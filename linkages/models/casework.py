"""Co-case-management of a mutual family: paired workers, consent to share information, the
coordinated case plan (an overlay of the CWS case plan and the WtW plan) with objectives and
activities, joint meetings (Child and Family Teams) with participants and action items,
shared-resource service authorizations, and contact notes.

Rows a worker edits in a form carry ``row_version`` (SQLAlchemy's version counter): a save
that started from an older version is refused instead of overwriting a colleague's work.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkages.models.base import Base, Timestamped, enum_column, utcnow
from linkages.models.enums import (
    AcknowledgementParty,
    ActivityCategory,
    AssignmentRole,
    AuthorizationStatus,
    ContactType,
    FundSource,
    LegalBasis,
    MeetingStatus,
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    PlanReviewAction,
    PlanStatus,
    Program,
    ServiceCategory,
    SignerRelationship,
    TeamRole,
    WorkStatus,
)

_CURRENT_PRIMARY = "end_date IS NULL AND role = 'primary'"


class WorkerAssignment(Timestamped, Base):
    """A worker of one program assigned to a mutual family; the CWS social worker and the
    CalWORKs/WtW case manager assigned to the same family are its pair. A reassignment ends
    the current row (``end_date``) and starts a new one: the history stays."""

    __tablename__ = "worker_assignment"
    __table_args__ = (
        Index("ix_worker_assignment_user_end", "user_id", "end_date"),
        # The casework's last change (linkages.services.reports.casework_version).
        Index("ix_worker_assignment_updated_at", "updated_at"),
        Index("ix_worker_assignment_family_program", "family_id", "program", "end_date"),
        # One current primary worker per program: two supervisors pairing at once cannot both
        # succeed.
        Index("uq_worker_assignment_current", "family_id", "program", unique=True,
              sqlite_where=text(_CURRENT_PRIMARY), postgresql_where=text(_CURRENT_PRIMARY)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    program: Mapped[Program] = mapped_column(enum_column(Program, "assignment_program"))
    role: Mapped[AssignmentRole] = mapped_column(
        enum_column(AssignmentRole, "assignment_role"), default=AssignmentRole.PRIMARY
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Consent(Timestamped, Base):
    """A signed authorization to share information among the family's team.

    ``covers_cws`` / ``covers_calworks``: whose information it releases to the team (CWS
    court, placement and allegation detail; CalWORKs income and eligibility detail). A 42 CFR
    Part 2 consent releases AOD treatment information to the team members it names, no one
    else. In force from ``signed_on`` to ``expires_on`` unless ``revoked_on``.
    """

    __tablename__ = "consent"
    __table_args__ = (
        Index("ix_consent_family_expires", "family_id", "expires_on"),
        CheckConstraint("expires_on >= signed_on", name="expires_after_signed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_relationship: Mapped[SignerRelationship] = mapped_column(
        enum_column(SignerRelationship, "signer_relationship"))
    legal_basis: Mapped[LegalBasis] = mapped_column(enum_column(LegalBasis, "legal_basis"))
    covers_cws: Mapped[bool] = mapped_column(default=False)
    covers_calworks: Mapped[bool] = mapped_column(default=False)
    purpose: Mapped[str] = mapped_column(Text)
    other_members: Mapped[str | None] = mapped_column(Text)  # team members outside the app
    restrictions: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[date]
    expires_on: Mapped[date]
    document_note: Mapped[str | None] = mapped_column(Text)
    revoked_on: Mapped[date | None]
    revocation_note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    row_version: Mapped[int] = mapped_column(default=1)

    recipients: Mapped[list[ConsentRecipient]] = relationship(
        back_populates="consent", cascade="all, delete-orphan", order_by="ConsentRecipient.id")

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class ConsentRecipient(Base):
    """A team member, by account, whom a consent names."""

    __tablename__ = "consent_recipient"
    __table_args__ = (UniqueConstraint("consent_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)

    consent: Mapped[Consent] = relationship(back_populates="recipients")


class CoordinatedPlan(Timestamped, Base):
    """One version of the coordinated plan of a family: a brief overlay of the CWS case plan
    and the WtW plan (WTW 2), which stay the systems of record."""

    __tablename__ = "coordinated_plan"
    __table_args__ = (
        UniqueConstraint("family_id", "version"),
        # A supervisor's approval queue, oldest first (linkages.services.dashboard).
        Index("ix_coordinated_plan_status", "status", "submitted_at", "id"),
        Index("ix_coordinated_plan_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[PlanStatus] = mapped_column(
        enum_column(PlanStatus, "plan_status"), default=PlanStatus.DRAFT
    )
    family_goal: Mapped[str | None] = mapped_column(Text)
    cws_case_plan_ref: Mapped[str | None] = mapped_column(String(80))
    wtw_plan_ref: Mapped[str | None] = mapped_column(String(80))
    effective_from: Mapped[date | None]
    next_review_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None]
    return_comment: Mapped[str | None] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(default=1)

    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id"
    )

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class PlanReview(Base):
    """The approval trail of a plan version: submitted, returned with a comment, approved."""

    __tablename__ = "plan_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("coordinated_plan.id", ondelete="CASCADE"), index=True)
    action: Mapped[PlanReviewAction] = mapped_column(
        enum_column(PlanReviewAction, "plan_review_action"))
    comment: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanAcknowledgement(Base):
    """The parent's and each worker's acknowledgement of an approved plan version."""

    __tablename__ = "plan_acknowledgement"
    __table_args__ = (UniqueConstraint("plan_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coordinated_plan.id", ondelete="CASCADE"))
    party: Mapped[AcknowledgementParty] = mapped_column(
        enum_column(AcknowledgementParty, "acknowledgement_party"))
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledged_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class PlanGoal(Timestamped, Base):
    """An objective of the plan, of one program (or both), under the family goal."""

    __tablename__ = "plan_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("coordinated_plan.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    program: Mapped[PlanProgram] = mapped_column(
        enum_column(PlanProgram, "goal_program"), default=PlanProgram.SHARED
    )
    target_date: Mapped[date | None]
    status: Mapped[WorkStatus] = mapped_column(
        enum_column(WorkStatus, "goal_status"), default=WorkStatus.OPEN
    )

    plan: Mapped[CoordinatedPlan] = relationship(back_populates="goals")
    activities: Mapped[list[PlanActivity]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="PlanActivity.id"
    )


class PlanActivity(Timestamped, Base):
    """An activity of an objective. WtW participation hours are what let a CWS activity
    (parenting class, treatment, visitation) count toward the parent's Welfare-to-Work plan.
    ``sensitive`` and ``part2`` follow from the category (set by the service, never typed)."""

    __tablename__ = "plan_activity"
    __table_args__ = (
        CheckConstraint("hours_per_week >= 0 AND hours_per_week <= 168", name="hours_in_week"),
        Index("ix_plan_activity_plan", "plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goal.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coordinated_plan.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[ActivityCategory] = mapped_column(
        enum_column(ActivityCategory, "activity_category"), default=ActivityCategory.OTHER)
    program: Mapped[PlanProgram] = mapped_column(
        enum_column(PlanProgram, "activity_program"), default=PlanProgram.SHARED
    )
    counts_toward_wtw: Mapped[bool] = mapped_column(default=False)
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    court_ordered: Mapped[bool] = mapped_column(default=False)
    provider: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[WorkStatus] = mapped_column(
        enum_column(WorkStatus, "activity_status"), default=WorkStatus.OPEN
    )
    sensitive: Mapped[bool] = mapped_column(default=False)
    part2: Mapped[bool] = mapped_column(default=False)
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_activity.id", ondelete="SET NULL"))
    row_version: Mapped[int] = mapped_column(default=1)

    goal: Mapped[PlanGoal] = relationship(back_populates="activities")

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class JointMeeting(Timestamped, Base):
    """A joint meeting of the two programs with the family: initial coordination, Child and
    Family Team, MCPC/TDM, review, transition or closing. Scheduled first; recorded in steps
    (details, people, actions) on this same row while it is still ``scheduled``, then marked
    ``held`` by one final submit."""

    __tablename__ = "joint_meeting"
    __table_args__ = (
        Index("ix_joint_meeting_family_status", "family_id", "status", "scheduled_at"),
        Index("ix_joint_meeting_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    meeting_type: Mapped[MeetingType] = mapped_column(enum_column(MeetingType, "meeting_type"))
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, "meeting_status"), default=MeetingStatus.SCHEDULED)
    scheduled_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[ParticipationMethod | None] = mapped_column(
        enum_column(ParticipationMethod, "meeting_method"))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    held_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(60))
    interpreter: Mapped[bool] = mapped_column(default=False)
    confidentiality_reviewed: Mapped[bool] = mapped_column(default=False)
    strengths: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    safety_concerns: Mapped[str | None] = mapped_column(Text)
    options_considered: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    next_meeting_on: Mapped[date | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    row_version: Mapped[int] = mapped_column(default=1)

    participants: Mapped[list[MeetingParticipant]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingParticipant.id"
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ActionItem.id"
    )

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class MeetingParticipant(Base):
    __tablename__ = "meeting_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("joint_meeting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    team_role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole, "team_role"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    invited: Mapped[bool] = mapped_column(default=True)
    attended: Mapped[bool] = mapped_column(default=False)
    method: Mapped[ParticipationMethod | None] = mapped_column(
        enum_column(ParticipationMethod, "participation_method")
    )

    meeting: Mapped[JointMeeting] = relationship(back_populates="participants")


class ActionItem(Timestamped, Base):
    """A task a meeting agreed: who, which program, by when; optionally a plan activity."""

    __tablename__ = "action_item"
    __table_args__ = (Index("ix_action_item_family_status", "family_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("joint_meeting.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(120))
    responsible_program: Mapped[PlanProgram] = mapped_column(
        enum_column(PlanProgram, "action_program"), default=PlanProgram.SHARED
    )
    due_on: Mapped[date]
    status: Mapped[WorkStatus] = mapped_column(
        enum_column(WorkStatus, "action_status"), default=WorkStatus.OPEN
    )
    completed_on: Mapped[date | None]
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_activity.id", ondelete="SET NULL")
    )

    meeting: Mapped[JointMeeting] = relationship(back_populates="action_items")


class ServiceAuthorization(Timestamped, Base):
    """A shared-resource service paid from one program's funds for a mutual family:
    requested, approved or denied by a supervisor with a reason, then delivered or
    cancelled. Amounts are exact decimals."""

    __tablename__ = "service_authorization"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_service_authorization_family", "family_id", "status"),
        # A supervisor's decision queue, oldest first (linkages.services.dashboard).
        Index("ix_service_authorization_status", "status", "created_at", "id"),
        Index("ix_service_authorization_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    category: Mapped[ServiceCategory] = mapped_column(
        enum_column(ServiceCategory, "service_category")
    )
    fund_source: Mapped[FundSource] = mapped_column(enum_column(FundSource, "fund_source"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    units: Mapped[str | None] = mapped_column(String(60))
    vendor: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AuthorizationStatus] = mapped_column(
        enum_column(AuthorizationStatus, "authorization_status"),
        default=AuthorizationStatus.REQUESTED,
    )
    period_start: Mapped[date]
    period_end: Mapped[date]
    part2: Mapped[bool] = mapped_column(default=False)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_on: Mapped[date | None]
    close_note: Mapped[str | None] = mapped_column(Text)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_activity.id", ondelete="SET NULL")
    )
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class ContactNote(Base):
    """A contact with or about the family, written by a worker of one program. Notes are
    records of what happened: corrected by a later note, never edited."""

    __tablename__ = "contact_note"
    __table_args__ = (Index("ix_contact_note_family", "family_id", "contact_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("mutual_family.id", ondelete="CASCADE"))
    contact_on: Mapped[date]
    program: Mapped[Program] = mapped_column(enum_column(Program, "note_program"))
    contact_type: Mapped[ContactType] = mapped_column(enum_column(ContactType, "contact_type"))
    participants: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    exchanged_with_other_program: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
