"""CWS/CMS side, mirroring the longitudinal files of seed 001: the child client, referrals and
their allegations, case service components, placement episodes and placements."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkages.models.base import Base, Timestamped, enum_column
from linkages.models.enums import Disposition, ServiceComponent


class CwsChildClient(Timestamped, Base):
    __tablename__ = "cws_child_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(120))
    dob: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(1))
    ethnicity_cd: Mapped[int | None]
    hispanic: Mapped[str | None] = mapped_column(String(1))
    ssn_last4: Mapped[str | None] = mapped_column(String(4))
    county_cd: Mapped[int | None] = mapped_column(index=True)
    zip: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(200))
    mother_first_name: Mapped[str | None] = mapped_column(String(80))
    mother_last_name: Mapped[str | None] = mapped_column(String(120))
    case_number: Mapped[str | None] = mapped_column(String(40), index=True)

    allegations: Mapped[list[Allegation]] = relationship(back_populates="child")
    placement_episodes: Mapped[list[PlacementEpisode]] = relationship(
        back_populates="child", order_by="PlacementEpisode.episode_start"
    )


class Referral(Timestamped, Base):
    __tablename__ = "cws_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_number: Mapped[str] = mapped_column(String(40), unique=True)
    county_cd: Mapped[int] = mapped_column(index=True)
    received_dt: Mapped[date]

    allegations: Mapped[list[Allegation]] = relationship(back_populates="referral")


class Allegation(Timestamped, Base):
    __tablename__ = "cws_allegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    allegation_number: Mapped[str] = mapped_column(String(40), unique=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("cws_referral.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("cws_child_client.id", ondelete="CASCADE"), index=True
    )
    allegation_type: Mapped[str] = mapped_column(String(40))
    disposition: Mapped[Disposition | None] = mapped_column(enum_column(Disposition, "disposition"))
    disposition_dt: Mapped[date | None]
    incident_dt: Mapped[date | None]
    perpetrator_role: Mapped[str | None] = mapped_column(String(40))
    reporter_type: Mapped[str | None] = mapped_column(String(40))

    referral: Mapped[Referral] = relationship(back_populates="allegations")
    child: Mapped[CwsChildClient] = relationship(back_populates="allegations")


class CwsCase(Timestamped, Base):
    """A CWS/CMS case; open from its first component's start while any component is open."""

    __tablename__ = "cws_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    county_cd: Mapped[int] = mapped_column(index=True)
    opened: Mapped[date]
    closed: Mapped[date | None]

    components: Mapped[list[CaseServiceComponent]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="CaseServiceComponent.component_start",
    )


class CaseServiceComponent(Timestamped, Base):
    __tablename__ = "cws_case_service_component"
    __table_args__ = (
        UniqueConstraint("case_id", "child_id", "service_component", "component_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cws_case.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(
        ForeignKey("cws_child_client.id", ondelete="CASCADE"), index=True
    )
    service_component: Mapped[ServiceComponent] = mapped_column(
        enum_column(ServiceComponent, "service_component")
    )
    component_start: Mapped[date]
    component_end: Mapped[date | None]

    case: Mapped[CwsCase] = relationship(back_populates="components")


class PlacementEpisode(Timestamped, Base):
    """A removal episode: from the removal (entry) date to the exit, with its termination
    reason and responsible agency."""

    __tablename__ = "cws_placement_episode"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_number: Mapped[str] = mapped_column(String(40), unique=True)
    child_id: Mapped[int] = mapped_column(
        ForeignKey("cws_child_client.id", ondelete="CASCADE"), index=True
    )
    episode_start: Mapped[date]
    episode_end: Mapped[date | None]
    termination_reason_cd: Mapped[int | None]
    agency_cd: Mapped[int]

    child: Mapped[CwsChildClient] = relationship(back_populates="placement_episodes")
    placements: Mapped[list[Placement]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="Placement.placement_start"
    )


class Placement(Timestamped, Base):
    """One placement (home) within an episode. Placements belong to their episode and are
    replaced with it when a newer extract changes the episode."""

    __tablename__ = "cws_placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("cws_placement_episode.id", ondelete="CASCADE"), index=True
    )
    placement_start: Mapped[date]
    placement_end: Mapped[date | None]
    facility_type_cd: Mapped[int | None]
    county_cd: Mapped[int]
    caregiver_relationship_cd: Mapped[int | None]
    placement_change_reason_cd: Mapped[int | None]

    episode: Mapped[PlacementEpisode] = relationship(back_populates="placements")
