"""Runs of record and the registry changes they make; a search key on mutual families.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(value: str | None) -> str:
    # Frozen copy of linkages.search.fold as it was when this migration was written.
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)
                   and unicodedata.category(c)[0] != "C")
    return " ".join(text.casefold().split())


def upgrade() -> None:
    with op.batch_alter_table("match_run") as batch:
        batch.add_column(sa.Column("recorded_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("undone_by", sa.String(length=80), nullable=True))
    with op.batch_alter_table("mutual_family") as batch:
        batch.add_column(sa.Column("search_key", sa.String(length=400), nullable=False,
                                   server_default=""))
    op.create_table(
        "registry_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("before", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=True),
        sa.Column("after", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["mutual_family.id"],
                                name=op.f("fk_registry_change_family_id_mutual_family"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["match_run.id"],
                                name=op.f("fk_registry_change_run_id_match_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_change")),
    )
    op.create_index(op.f("ix_registry_change_family_id"), "registry_change", ["family_id"])
    op.create_index(op.f("ix_registry_change_run_id"), "registry_change", ["run_id"])

    # Existing families get their search key.
    conn = op.get_bind()
    family = sa.table("mutual_family", sa.column("id", sa.Integer),
                      sa.column("display_name", sa.String),
                      sa.column("cws_case_number", sa.String),
                      sa.column("calworks_case_id", sa.Integer),
                      sa.column("search_key", sa.String))
    case = sa.table("calworks_case", sa.column("id", sa.Integer),
                    sa.column("case_number", sa.String))
    rows = conn.execute(sa.select(family.c.id, family.c.display_name, case.c.case_number,
                                  family.c.cws_case_number)
                        .select_from(family.outerjoin(case, case.c.id
                                                      == family.c.calworks_case_id))).all()
    params = [{"_id": fid, "_key": "\n".join(_fold(p) for p in parts if p)[:400]}
              for fid, *parts in rows]
    if params:
        conn.execute(family.update().where(family.c.id == sa.bindparam("_id"))
                     .values(search_key=sa.bindparam("_key")), params)


def downgrade() -> None:
    op.drop_index(op.f("ix_registry_change_run_id"), table_name="registry_change")
    op.drop_index(op.f("ix_registry_change_family_id"), table_name="registry_change")
    op.drop_table("registry_change")
    with op.batch_alter_table("mutual_family") as batch:
        batch.drop_column("search_key")
    with op.batch_alter_table("match_run") as batch:
        batch.drop_column("undone_by")
        batch.drop_column("undone_at")
        batch.drop_column("recorded_by")
