"""CalWORKs side: the case (aid and Welfare-to-Work status), its aid periods, its WtW sanction
periods, and its persons."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkages.models.base import Base, Timestamped, enum_column
from linkages.models.enums import AidStatus, CalworksRole, WtwStatus


class CalworksCase(Timestamped, Base):
    __tablename__ = "calworks_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    county_cd: Mapped[int] = mapped_column(index=True)
    aid_status: Mapped[AidStatus] = mapped_column(enum_column(AidStatus, "aid_status"))
    wtw_status: Mapped[WtwStatus | None] = mapped_column(enum_column(WtwStatus, "wtw_status"))
    # Parents aided in the assistance unit: 0 child-only, 1 one-parent, 2 two-parent; None when
    # the extract does not say. It sets the family's weekly WtW participation requirement.
    parents_in_au: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(200))
    zip: Mapped[str | None] = mapped_column(String(10))

    aid_periods: Mapped[list[CalworksAidPeriod]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CalworksAidPeriod.aid_start"
    )
    wtw_sanctions: Mapped[list[CalworksWtwSanction]] = relationship(
        back_populates="case", cascade="all, delete-orphan",
        order_by="CalworksWtwSanction.sanction_start"
    )
    persons: Mapped[list[CalworksPerson]] = relationship(back_populates="case")


class CalworksAidPeriod(Timestamped, Base):
    __tablename__ = "calworks_aid_period"
    __table_args__ = (UniqueConstraint("case_id", "aid_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("calworks_case.id", ondelete="CASCADE"))
    aid_start: Mapped[date]
    aid_end: Mapped[date | None]

    case: Mapped[CalworksCase] = relationship(back_populates="aid_periods")


class CalworksWtwSanction(Timestamped, Base):
    """A Welfare-to-Work sanction of a case (calworks_wtw_sanctions.csv): from the day it took
    effect to the day it was cured, None while it is in force. The process report's "sanctions
    cured within 6 months" is read from these."""

    __tablename__ = "calworks_wtw_sanction"
    __table_args__ = (
        UniqueConstraint("case_id", "sanction_start"),
        # The sanctions' last change (linkages.services.reports.casework_version).
        Index("ix_calworks_wtw_sanction_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("calworks_case.id", ondelete="CASCADE"))
    sanction_start: Mapped[date]
    sanction_end: Mapped[date | None]

    case: Mapped[CalworksCase] = relationship(back_populates="wtw_sanctions")


class CalworksPerson(Timestamped, Base):
    """A person record of the CalWORKs extract: a child (matched against CWS) or the case head.

    Only the last four digits of an SSN are kept: matching reads the extract files, never the
    database, and a worker needs no more than the last four to tell records apart.
    """

    __tablename__ = "calworks_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("calworks_case.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[CalworksRole] = mapped_column(enum_column(CalworksRole, "calworks_role"))
    first_name: Mapped[str | None] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(120))
    dob: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(1))
    ssn_last4: Mapped[str | None] = mapped_column(String(4))
    county_cd: Mapped[int | None]
    zip: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(200))
    parent_first_name: Mapped[str | None] = mapped_column(String(80))
    parent_last_name: Mapped[str | None] = mapped_column(String(120))

    case: Mapped[CalworksCase | None] = relationship(back_populates="persons")
