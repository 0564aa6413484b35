"""reports: precomputed report snapshots per match run, designated clerical reviewers, and an
index of a run's links by decision and probability (the review queue)

Revision ID: reports
Revises: family_list
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "reports"
down_revision: str | None = "family_list"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("reviewer", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("extract_key", sa.String(length=64), nullable=False),
        sa.Column("county_cd", sa.Integer(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("built_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["match_run.id"],
                                name=op.f("fk_report_snapshot_run_id_match_run"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshot")),
    )
    op.create_index("ix_report_snapshot_lookup", "report_snapshot",
                    ["kind", "run_id", "county_cd"])
    op.create_index("ix_link_run_decision", "link", ["run_id", "decision", "match_probability"])


def downgrade() -> None:
    op.drop_index("ix_link_run_decision", table_name="link")
    op.drop_index("ix_report_snapshot_lookup", table_name="report_snapshot")
    op.drop_table("report_snapshot")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("reviewer")
