"""casework: co-case-management of mutual families

Consent to share information, worker pairing with history, versioned coordinated plans with an
approval trail and acknowledgements, joint meetings recorded in steps, shared-resource services
with a decision and an outcome, and contact notes; supervisor roles; the audit trail keyed by
family; the assistance unit's parents on a CalWORKs case.

The casework tables of 0001 had no writer before this revision, so they are rebuilt in their
new shape rather than altered column by column; the upgrade refuses to run if any of them holds
rows, so nothing is ever dropped that someone entered.

Revision ID: casework
Revises: security
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "casework"
down_revision: str | None = "security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Child tables first.
OLD_CASEWORK_TABLES = (
    "action_item",
    "meeting_participant",
    "joint_meeting",
    "service_authorization",
    "plan_activity",
    "plan_goal",
    "coordinated_plan",
    "worker_assignment",
)
ROLES_BEFORE = ("cws_worker", "calworks_worker", "program_manager", "evaluator", "administrator")
ROLES_AFTER = (*ROLES_BEFORE, "cws_supervisor", "calworks_supervisor")


def _app_user(roles: Sequence[str]) -> sa.Table:
    """app_user as 0001 and "security" made it, with ``roles`` allowed: SQLite changes a CHECK
    constraint only by rebuilding the table, from this definition."""
    meta = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    return sa.Table(
        "app_user",
        meta,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*roles, name="user_role", native_enum=False, create_constraint=True, length=40),
            nullable=False,
        ),
        sa.Column(
            "program",
            sa.Enum(
                "cws",
                "calworks",
                name="user_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("county_cd", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        # Two-factor sign-in (revision "security").
        sa.Column("totp_secret", sa.String(length=300), nullable=True),
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("second_factor_failures", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )


def _set_roles(roles: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("app_user", copy_from=_app_user(roles), recreate="always"):
            pass
        # The rebuilt table comes without its index.
        op.create_index("ix_app_user_county_cd", "app_user", ["county_cd"], unique=False)
        return
    allowed = ", ".join(f"'{r}'" for r in roles)
    op.drop_constraint(op.f("ck_app_user_user_role"), "app_user", type_="check")
    op.create_check_constraint(op.f("ck_app_user_user_role"), "app_user", f"role IN ({allowed})")


def upgrade() -> None:
    bind = op.get_bind()
    for table in OLD_CASEWORK_TABLES:
        if bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
            raise RuntimeError(
                f"table {table} holds rows: this revision rebuilds the casework tables and "
                "expects them empty (they had no writer before it)"
            )
    for table in OLD_CASEWORK_TABLES:
        op.drop_table(table)

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column(
            "signer_relationship",
            sa.Enum(
                "parent",
                "legal_guardian",
                "youth",
                "caretaker_relative",
                name="signer_relationship",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "legal_basis",
            sa.Enum(
                "wic_10850",
                "wic_827_832",
                "cfr42_part2",
                name="legal_basis",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("covers_cws", sa.Boolean(), nullable=False),
        sa.Column("covers_calworks", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("other_members", sa.Text(), nullable=True),
        sa.Column("restrictions", sa.Text(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("document_note", sa.Text(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revocation_note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expires_on >= signed_on", name=op.f("ck_consent_expires_after_signed")),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_consent_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_consent_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["app_user.id"], name=op.f("fk_consent_revoked_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_family_expires", ["family_id", "expires_on"], unique=False
        )

    op.create_table(
        "contact_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("contact_on", sa.Date(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "cws",
                "calworks",
                name="note_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_type",
            sa.Enum(
                "home_visit",
                "office",
                "phone",
                "case_conference",
                name="contact_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("participants", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("exchanged_with_other_program", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_contact_note_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_contact_note_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_note")),
    )
    with op.batch_alter_table("contact_note", schema=None) as batch_op:
        batch_op.create_index("ix_contact_note_family", ["family_id", "contact_on"], unique=False)

    op.create_table(
        "coordinated_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_approval",
                "returned",
                "approved",
                "superseded",
                name="plan_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("family_goal", sa.Text(), nullable=True),
        sa.Column("cws_case_plan_ref", sa.String(length=80), nullable=True),
        sa.Column("wtw_plan_ref", sa.String(length=80), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_comment", sa.Text(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["app_user.id"],
            name=op.f("fk_coordinated_plan_approved_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_coordinated_plan_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_coordinated_plan_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["app_user.id"],
            name=op.f("fk_coordinated_plan_submitted_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinated_plan")),
        sa.UniqueConstraint(
            "family_id", "version", name=op.f("uq_coordinated_plan_family_id_version")
        ),
    )
    with op.batch_alter_table("coordinated_plan", schema=None) as batch_op:
        batch_op.create_index("ix_coordinated_plan_status", ["status"], unique=False)

    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column(
            "meeting_type",
            sa.Enum(
                "initial_coordination",
                "cft",
                "mcpc_tdm",
                "review",
                "transition_closing",
                name="meeting_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "held",
                "cancelled",
                name="meeting_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "in_person",
                "phone",
                "video",
                name="meeting_method",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(length=60), nullable=True),
        sa.Column("interpreter", sa.Boolean(), nullable=False),
        sa.Column("confidentiality_reviewed", sa.Boolean(), nullable=False),
        sa.Column("strengths", sa.Text(), nullable=True),
        sa.Column("needs", sa.Text(), nullable=True),
        sa.Column("safety_concerns", sa.Text(), nullable=True),
        sa.Column("options_considered", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=True),
        sa.Column("next_meeting_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_joint_meeting_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["app_user.id"],
            name=op.f("fk_joint_meeting_facilitator_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_joint_meeting_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_joint_meeting_recorded_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_meeting")),
    )
    with op.batch_alter_table("joint_meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_joint_meeting_family_status", ["family_id", "status", "scheduled_at"], unique=False
        )

    op.create_table(
        "worker_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "cws",
                "calworks",
                name="assignment_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "primary",
                "secondary",
                "supervisor",
                name="assignment_role",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["app_user.id"],
            name=op.f("fk_worker_assignment_assigned_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["app_user.id"], name=op.f("fk_worker_assignment_ended_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_worker_assignment_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_worker_assignment_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_assignment")),
    )
    with op.batch_alter_table("worker_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_worker_assignment_family_program",
            ["family_id", "program", "end_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_worker_assignment_user_end", ["user_id", "end_date"], unique=False
        )
        batch_op.create_index(
            "uq_worker_assignment_current",
            ["family_id", "program"],
            unique=True,
            sqlite_where=sa.text("end_date IS NULL AND role = 'primary'"),
            postgresql_where=sa.text("end_date IS NULL AND role = 'primary'"),
        )

    op.create_table(
        "consent_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent.id"],
            name=op.f("fk_consent_recipient_consent_id_consent"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_consent_recipient_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_recipient")),
        sa.UniqueConstraint(
            "consent_id", "user_id", name=op.f("uq_consent_recipient_consent_id_user_id")
        ),
    )
    with op.batch_alter_table("consent_recipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_recipient_user_id"), ["user_id"], unique=False)

    op.create_table(
        "meeting_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "team_role",
            sa.Enum(
                "parent",
                "youth",
                "caregiver",
                "cws_worker",
                "calworks_worker",
                "supervisor",
                "behavioral_health",
                "tribal_representative",
                "ffa",
                "attorney",
                "casa",
                "education_rights_holder",
                "informal_support",
                "other",
                name="team_role",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("invited", sa.Boolean(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "in_person",
                "phone",
                "video",
                name="participation_method",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_meeting_participant_meeting_id_joint_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_meeting_participant_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_participant")),
    )
    with op.batch_alter_table("meeting_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_participant_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "plan_acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "party",
            sa.Enum(
                "parent",
                "cws_worker",
                "calworks_worker",
                name="acknowledgement_party",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["coordinated_plan.id"],
            name=op.f("fk_plan_acknowledgement_plan_id_coordinated_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_plan_acknowledgement_recorded_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_plan_acknowledgement_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_acknowledgement")),
        sa.UniqueConstraint("plan_id", "party", name=op.f("uq_plan_acknowledgement_plan_id_party")),
    )
    op.create_table(
        "plan_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "shared",
                "cws",
                "wtw",
                name="goal_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="goal_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["coordinated_plan.id"],
            name=op.f("fk_plan_goal_plan_id_coordinated_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goal")),
    )
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goal_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "submitted",
                "returned",
                "approved",
                name="plan_review_action",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["coordinated_plan.id"],
            name=op.f("fk_plan_review_plan_id_coordinated_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_plan_review_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_review")),
    )
    with op.batch_alter_table("plan_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_review_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "employment",
                "job_search",
                "education_training",
                "parenting",
                "visitation",
                "court",
                "mental_health",
                "substance_use",
                "domestic_abuse",
                "housing",
                "child_care",
                "other",
                name="activity_category",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "program",
            sa.Enum(
                "shared",
                "cws",
                "wtw",
                name="activity_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("counts_toward_wtw", sa.Boolean(), nullable=False),
        sa.Column("hours_per_week", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("court_ordered", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="activity_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("part2", sa.Boolean(), nullable=False),
        sa.Column("copied_from_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "hours_per_week >= 0 AND hours_per_week <= 168",
            name=op.f("ck_plan_activity_hours_in_week"),
        ),
        sa.ForeignKeyConstraint(
            ["copied_from_id"],
            ["plan_activity.id"],
            name=op.f("fk_plan_activity_copied_from_id_plan_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["plan_goal.id"],
            name=op.f("fk_plan_activity_goal_id_plan_goal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["coordinated_plan.id"],
            name=op.f("fk_plan_activity_plan_id_coordinated_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_activity")),
    )
    with op.batch_alter_table("plan_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_activity_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index("ix_plan_activity_plan", ["plan_id"], unique=False)

    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=120), nullable=False),
        sa.Column(
            "responsible_program",
            sa.Enum(
                "shared",
                "cws",
                "wtw",
                name="action_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="action_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["plan_activity.id"],
            name=op.f("fk_action_item_activity_id_plan_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_action_item_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_action_item_meeting_id_joint_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_item")),
    )
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_item_family_status", ["family_id", "status", "due_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_action_item_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "service_authorization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "transportation",
                "housing",
                "mental_health",
                "aod_treatment",
                "child_care",
                "other_concrete",
                name="service_category",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "fund_source",
            sa.Enum(
                "calworks_supportive_services",
                "calworks_ancillary",
                "cws_flexible_funds",
                "title_iv_b",
                "linkages_pooled",
                "other",
                name="fund_source",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("units", sa.String(length=60), nullable=True),
        sa.Column("vendor", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "denied",
                "delivered",
                "cancelled",
                name="authorization_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("part2", sa.Boolean(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_service_authorization_amount_positive")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["plan_activity.id"],
            name=op.f("fk_service_authorization_activity_id_plan_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["app_user.id"],
            name=op.f("fk_service_authorization_closed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["app_user.id"],
            name=op.f("fk_service_authorization_decided_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_service_authorization_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["app_user.id"],
            name=op.f("fk_service_authorization_requested_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_authorization")),
    )
    with op.batch_alter_table("service_authorization", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_authorization_family", ["family_id", "status"], unique=False
        )
        batch_op.create_index("ix_service_authorization_status", ["status"], unique=False)

    # Plain ALTERs: rebuilding audit_event on SQLite would drop its append-only triggers.
    op.add_column("audit_event", sa.Column("family_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_event_family", "audit_event", ["family_id", "id"], unique=False)
    op.add_column("calworks_case", sa.Column("parents_in_au", sa.Integer(), nullable=True))
    _set_roles(ROLES_AFTER)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(
        sa.text(
            "SELECT 1 FROM app_user WHERE role IN ('cws_supervisor', 'calworks_supervisor') LIMIT 1"
        )
    ).first():
        raise RuntimeError("supervisor accounts exist: change their role before downgrading")
    _set_roles(ROLES_BEFORE)
    op.execute("ALTER TABLE calworks_case DROP COLUMN parents_in_au")
    op.drop_index("ix_audit_event_family", table_name="audit_event")
    op.execute("ALTER TABLE audit_event DROP COLUMN family_id")

    with op.batch_alter_table("service_authorization", schema=None) as batch_op:
        batch_op.drop_index("ix_service_authorization_status")
        batch_op.drop_index("ix_service_authorization_family")

    op.drop_table("service_authorization")
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_item_meeting_id"))
        batch_op.drop_index("ix_action_item_family_status")

    op.drop_table("action_item")
    with op.batch_alter_table("plan_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_activity_plan")
        batch_op.drop_index(batch_op.f("ix_plan_activity_goal_id"))

    op.drop_table("plan_activity")
    with op.batch_alter_table("plan_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_review_plan_id"))

    op.drop_table("plan_review")
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goal_plan_id"))

    op.drop_table("plan_goal")
    op.drop_table("plan_acknowledgement")
    with op.batch_alter_table("meeting_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_participant_meeting_id"))

    op.drop_table("meeting_participant")
    with op.batch_alter_table("consent_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_recipient_user_id"))

    op.drop_table("consent_recipient")
    with op.batch_alter_table("worker_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_assignment_user_end")
        batch_op.drop_index("ix_worker_assignment_family_program")

    op.drop_table("worker_assignment")
    with op.batch_alter_table("joint_meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_joint_meeting_family_status")

    op.drop_table("joint_meeting")
    with op.batch_alter_table("coordinated_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_coordinated_plan_status")

    op.drop_table("coordinated_plan")
    with op.batch_alter_table("contact_note", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_note_family")

    op.drop_table("contact_note")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_family_expires")

    op.drop_table("consent")

    # The casework tables of 0001, empty.
    op.create_table(
        "worker_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "cws",
                "calworks",
                name="assignment_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "primary",
                "secondary",
                "supervisor",
                name="assignment_role",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_worker_assignment_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_worker_assignment_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_assignment")),
    )
    with op.batch_alter_table("worker_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_assignment_family_id"), ["family_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_worker_assignment_user_id"), ["user_id"], unique=False)
    op.create_table(
        "coordinated_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_approval",
                "approved",
                "superseded",
                name="plan_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("family_goal", sa.Text(), nullable=True),
        sa.Column("cws_case_plan_ref", sa.String(length=80), nullable=True),
        sa.Column("wtw_plan_ref", sa.String(length=80), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["app_user.id"],
            name=op.f("fk_coordinated_plan_approved_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_coordinated_plan_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_coordinated_plan_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinated_plan")),
        sa.UniqueConstraint(
            "family_id", "version", name=op.f("uq_coordinated_plan_family_id_version")
        ),
    )
    with op.batch_alter_table("coordinated_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coordinated_plan_family_id"), ["family_id"], unique=False
        )
    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column(
            "meeting_type",
            sa.Enum(
                "joint_assessment",
                "cft",
                "case_planning",
                "review",
                "transition",
                name="meeting_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("confidentiality_reviewed", sa.Boolean(), nullable=False),
        sa.Column("strengths", sa.Text(), nullable=True),
        sa.Column("needs", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=True),
        sa.Column("next_meeting_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_joint_meeting_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["app_user.id"],
            name=op.f("fk_joint_meeting_facilitator_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_joint_meeting_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_meeting")),
    )
    with op.batch_alter_table("joint_meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_meeting_family_id"), ["family_id"], unique=False)
    op.create_table(
        "plan_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "shared",
                "cws",
                "wtw",
                name="goal_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="goal_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["coordinated_plan.id"],
            name=op.f("fk_plan_goal_plan_id_coordinated_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goal")),
    )
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goal_plan_id"), ["plan_id"], unique=False)
    op.create_table(
        "meeting_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("team_role", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("invited", sa.Boolean(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "in_person",
                "phone",
                "video",
                name="participation_method",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_meeting_participant_meeting_id_joint_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_meeting_participant_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_participant")),
    )
    with op.batch_alter_table("meeting_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_participant_meeting_id"), ["meeting_id"], unique=False
        )
    op.create_table(
        "plan_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "program",
            sa.Enum(
                "shared",
                "cws",
                "wtw",
                name="activity_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("counts_toward_wtw", sa.Boolean(), nullable=False),
        sa.Column("hours_per_week", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("court_ordered", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="activity_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours_per_week >= 0", name=op.f("ck_plan_activity_hours_nonnegative")),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["plan_goal.id"],
            name=op.f("fk_plan_activity_goal_id_plan_goal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_activity")),
    )
    with op.batch_alter_table("plan_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_activity_goal_id"), ["goal_id"], unique=False)
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=120), nullable=False),
        sa.Column(
            "responsible_program",
            sa.Enum(
                "shared",
                "cws",
                "wtw",
                name="action_program",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="action_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["plan_activity.id"],
            name=op.f("fk_action_item_activity_id_plan_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_action_item_meeting_id_joint_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_item")),
    )
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_item_meeting_id"), ["meeting_id"], unique=False)
    op.create_table(
        "service_authorization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "transportation",
                "housing",
                "mental_health",
                "aod_treatment",
                "child_care",
                "other_concrete",
                name="service_category",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "fund_source",
            sa.Enum(
                "calworks_supportive_services",
                "calworks_ancillary",
                "cws_flexible_funds",
                "title_iv_b",
                "linkages_pooled",
                "other",
                name="fund_source",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("units", sa.String(length=60), nullable=True),
        sa.Column("vendor", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "denied",
                "paid",
                "cancelled",
                name="authorization_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_service_authorization_amount_nonnegative")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["plan_activity.id"],
            name=op.f("fk_service_authorization_activity_id_plan_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["app_user.id"],
            name=op.f("fk_service_authorization_approved_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["mutual_family.id"],
            name=op.f("fk_service_authorization_family_id_mutual_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["app_user.id"],
            name=op.f("fk_service_authorization_requested_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_authorization")),
    )
    with op.batch_alter_table("service_authorization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_authorization_family_id"), ["family_id"], unique=False
        )
