"""Co-case-management of a mutual family: paired workers, the coordinated case plan (CWS case
plan + WtW plan) with goals and activities, joint meetings (Child and Family Teams) with
participants and action items, and shared-resource service authorizations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkages.models.base import Base, Timestamped, enum_column
from linkages.models.enums import (
    AssignmentRole,
    AuthorizationStatus,
    FundSource,
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    PlanStatus,
    Program,
    ServiceCategory,
    WorkStatus,
)


class WorkerAssignment(Timestamped, Base):
    """A worker of one program assigned to a mutual family; the CWS social worker and the
    CalWORKs/WtW case manager assigned to the same family are its pair."""

    __tablename__ = "worker_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("mutual_family.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    program: Mapped[Program] = mapped_column(enum_column(Program, "assignment_program"))
    role: Mapped[AssignmentRole] = mapped_column(
        enum_column(AssignmentRole, "assignment_role"), default=AssignmentRole.PRIMARY
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]


class CoordinatedPlan(Timestamped, Base):
    """The one coordinated plan of a family: a brief overlay of the CWS case plan and the WtW
    plan (WTW 2), which stay the systems of record; versioned, with approval."""

    __tablename__ = "coordinated_plan"
    __table_args__ = (UniqueConstraint("family_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("mutual_family.id", ondelete="CASCADE"), index=True
    )
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
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None]

    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id"
    )


class PlanGoal(Timestamped, Base):
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
    """An activity of a goal. WtW participation hours are what let a CWS activity (parenting
    class, treatment, visitation) count toward the parent's Welfare-to-Work plan."""

    __tablename__ = "plan_activity"
    __table_args__ = (CheckConstraint("hours_per_week >= 0", name="hours_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goal.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    program: Mapped[PlanProgram] = mapped_column(
        enum_column(PlanProgram, "activity_program"), default=PlanProgram.SHARED
    )
    counts_toward_wtw: Mapped[bool] = mapped_column(default=False)
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    court_ordered: Mapped[bool] = mapped_column(default=False)
    provider: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[WorkStatus] = mapped_column(
        enum_column(WorkStatus, "activity_status"), default=WorkStatus.OPEN
    )

    goal: Mapped[PlanGoal] = relationship(back_populates="activities")


class JointMeeting(Timestamped, Base):
    """A joint assessment or planning meeting, including Child and Family Team meetings."""

    __tablename__ = "joint_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("mutual_family.id", ondelete="CASCADE"), index=True
    )
    meeting_type: Mapped[MeetingType] = mapped_column(enum_column(MeetingType, "meeting_type"))
    scheduled_at: Mapped[datetime]
    held_at: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(String(200))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    confidentiality_reviewed: Mapped[bool] = mapped_column(default=False)
    strengths: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    next_meeting_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    participants: Mapped[list[MeetingParticipant]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingParticipant.id"
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ActionItem.id"
    )


class MeetingParticipant(Base):
    __tablename__ = "meeting_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("joint_meeting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    team_role: Mapped[str] = mapped_column(String(60))  # parent, youth, caregiver, CWS worker…
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    invited: Mapped[bool] = mapped_column(default=True)
    attended: Mapped[bool] = mapped_column(default=False)
    method: Mapped[ParticipationMethod | None] = mapped_column(
        enum_column(ParticipationMethod, "participation_method")
    )

    meeting: Mapped[JointMeeting] = relationship(back_populates="participants")


class ActionItem(Timestamped, Base):
    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("joint_meeting.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(120))
    responsible_program: Mapped[PlanProgram] = mapped_column(
        enum_column(PlanProgram, "action_program"), default=PlanProgram.SHARED
    )
    due_on: Mapped[date | None]
    status: Mapped[WorkStatus] = mapped_column(
        enum_column(WorkStatus, "action_status"), default=WorkStatus.OPEN
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_activity.id", ondelete="SET NULL")
    )

    meeting: Mapped[JointMeeting] = relationship(back_populates="action_items")


class ServiceAuthorization(Timestamped, Base):
    """A shared-resource service paid from one program's funds for a mutual family."""

    __tablename__ = "service_authorization"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("mutual_family.id", ondelete="CASCADE"), index=True
    )
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
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_on: Mapped[date | None]
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_activity.id", ondelete="SET NULL")
    )
