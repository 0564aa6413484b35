"""wtw_sanctions: the Welfare-to-Work sanction periods of CalWORKs cases
(calworks_wtw_sanctions.csv), from which the process report counts the sanctions of mutual
families and the share cured within 6 months; indexed on ``updated_at`` so that a changed
sanction changes the casework's last change (linkages.services.reports.casework_version)

Revision ID: wtw_sanctions
Revises: process_report
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "wtw_sanctions"
down_revision: str | None = "process_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calworks_wtw_sanction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("sanction_start", sa.Date(), nullable=False),
        sa.Column("sanction_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["calworks_case.id"],
            name=op.f("fk_calworks_wtw_sanction_case_id_calworks_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calworks_wtw_sanction")),
        sa.UniqueConstraint("case_id", "sanction_start",
                            name=op.f("uq_calworks_wtw_sanction_case_id_sanction_start")),
    )
    op.create_index("ix_calworks_wtw_sanction_updated_at", "calworks_wtw_sanction",
                    ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_calworks_wtw_sanction_updated_at", table_name="calworks_wtw_sanction")
    op.drop_table("calworks_wtw_sanction")
