"""family_list: a county's mutual families read newest first on an index per arm of the county
scope, part-of-name search on a trigram index (PostgreSQL), and the supervisors' queues read
oldest first from their status indexes.

The single-column county indexes are replaced by (county, ..., identified_on, id, status): the
same leading column, so every query that used them still can.

Revision ID: family_list
Revises: casework
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "family_list"
down_revision: str | None = "casework"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_mutual_family_county_cd", table_name="mutual_family")
    op.drop_index("ix_mutual_family_cws_county_cd", table_name="mutual_family")
    op.create_index("ix_mutual_family_county_identified", "mutual_family",
                    ["county_cd", "identified_on", "id", "status"])
    op.create_index("ix_mutual_family_cws_county_identified", "mutual_family",
                    ["cws_county_cd", "county_cd", "identified_on", "id", "status"])
    _replace_index("coordinated_plan", "ix_coordinated_plan_status",
                   ["status", "submitted_at", "id"])
    _replace_index("service_authorization", "ix_service_authorization_status",
                   ["status", "created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database's
        # owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_mutual_family_search_key_trgm", "mutual_family", ["search_key"],
                        postgresql_using="gin", postgresql_ops={"search_key": "gin_trgm_ops"})


def downgrade() -> None:
    _replace_index("service_authorization", "ix_service_authorization_status", ["status"])
    _replace_index("coordinated_plan", "ix_coordinated_plan_status", ["status"])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_mutual_family_search_key_trgm", table_name="mutual_family")
    op.drop_index("ix_mutual_family_cws_county_identified", table_name="mutual_family")
    op.drop_index("ix_mutual_family_county_identified", table_name="mutual_family")
    op.create_index("ix_mutual_family_cws_county_cd", "mutual_family", ["cws_county_cd"])
    op.create_index("ix_mutual_family_county_cd", "mutual_family", ["county_cd"])


def _replace_index(table: str, name: str, columns: list[str]) -> None:
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns)
