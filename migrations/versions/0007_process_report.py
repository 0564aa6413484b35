"""process_report: an index on ``updated_at`` of each table the process report reads, so that
the casework's last change (linkages.services.reports.casework_version) is five index lookups
and a kept process snapshot can be checked on every page

Revision ID: process_report
Revises: reports
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "process_report"
down_revision: str | None = "reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("mutual_family", "joint_meeting", "coordinated_plan", "worker_assignment",
          "service_authorization")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_updated_at", table, ["updated_at"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_updated_at", table_name=table)
