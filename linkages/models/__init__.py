"""SQLAlchemy 2.0 typed models of Linkages. Importing this package registers every table."""

from linkages.models.accounts import AuditEvent, IngestRun, User
from linkages.models.base import Base
from linkages.models.calworks import CalworksAidPeriod, CalworksCase, CalworksPerson
from linkages.models.casework import (
    ActionItem,
    CoordinatedPlan,
    JointMeeting,
    MeetingParticipant,
    PlanActivity,
    PlanGoal,
    ServiceAuthorization,
    WorkerAssignment,
)
from linkages.models.cws import (
    Allegation,
    CaseServiceComponent,
    CwsCase,
    CwsChildClient,
    Placement,
    PlacementEpisode,
    Referral,
)
from linkages.models.linkage import (
    ClericalDecision,
    FamilyMember,
    Link,
    MatchRun,
    MutualFamily,
    Person,
    PersonRecord,
    RegistryChange,
)

__all__ = [
    "ActionItem",
    "Allegation",
    "AuditEvent",
    "Base",
    "CalworksAidPeriod",
    "CalworksCase",
    "CalworksPerson",
    "CaseServiceComponent",
    "ClericalDecision",
    "CoordinatedPlan",
    "CwsCase",
    "CwsChildClient",
    "FamilyMember",
    "IngestRun",
    "JointMeeting",
    "Link",
    "MatchRun",
    "MeetingParticipant",
    "MutualFamily",
    "Person",
    "PersonRecord",
    "Placement",
    "PlacementEpisode",
    "PlanActivity",
    "PlanGoal",
    "Referral",
    "RegistryChange",
    "ServiceAuthorization",
    "User",
    "WorkerAssignment",
]
