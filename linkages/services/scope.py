"""Who is acting, what her role lets her do, and which mutual families she may see.

Every service takes an :class:`Actor` and every query of families goes through
:func:`family_in_scope`: ONE county-scope rule, modelled on Primero's record-scope service.
Deny by default: a role or county the rule does not know sees nothing.
"""

from __future__ import annotations

import enum
import getpass
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, true

from linkages.codes import county_name
from linkages.models import MutualFamily, User
from linkages.models.enums import Program, Role


class NotFound(LookupError):
    """The record does not exist, or the actor may not know that it exists: both look alike,
    so an out-of-scope family never leaks its existence."""


class PermissionDenied(PermissionError):
    """The actor's role does not allow the action at all (whatever the record)."""


class Permission(enum.StrEnum):
    LIST_FAMILIES = "list_families"
    VIEW_FAMILY = "view_family"
    MANAGE_USERS = "manage_users"
    EXPORT_COHORT = "export_cohort"  # de-identified linked-cohort exports
    VIEW_AUDIT = "view_audit"  # the audit log viewer
    # Co-case-management (linkages/services/workspace.py and the casework services).
    VIEW_CASEWORK = "view_casework"  # meetings, plan, services, notes, consents, team
    WORK_FAMILY = "work_family"  # record meetings, edit the plan, write notes, request services
    ASSIGN_WORKERS = "assign_workers"
    APPROVE_PLAN = "approve_plan"
    DECIDE_SERVICE = "decide_service"
    VIEW_FAMILY_HISTORY = "view_family_history"
    # Program managers' reports (linkages/services/reports.py) and the clerical review queue
    # (linkages/services/review.py).
    VIEW_REPORTS = "view_reports"
    VIEW_UNMASKED = "view_unmasked"  # report cells of 1-10 shown (authorised researchers)
    REVIEW_PAIRS = "review_pairs"


_WORKER = frozenset({Permission.LIST_FAMILIES, Permission.VIEW_FAMILY,
                     Permission.VIEW_CASEWORK, Permission.WORK_FAMILY})
_SUPERVISOR = _WORKER | {Permission.ASSIGN_WORKERS, Permission.APPROVE_PLAN,
                         Permission.DECIDE_SERVICE, Permission.VIEW_FAMILY_HISTORY}

# What each role may do. The record scope (county) is applied on top of this, never instead.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CWS_WORKER: _WORKER,
    Role.CALWORKS_WORKER: _WORKER,
    Role.CWS_SUPERVISOR: _SUPERVISOR,
    Role.CALWORKS_SUPERVISOR: _SUPERVISOR,
    Role.PROGRAM_MANAGER: frozenset({Permission.LIST_FAMILIES, Permission.VIEW_FAMILY,
                                     Permission.VIEW_CASEWORK, Permission.ASSIGN_WORKERS,
                                     Permission.VIEW_FAMILY_HISTORY, Permission.VIEW_REPORTS,
                                     Permission.REVIEW_PAIRS}),
    Role.EVALUATOR: frozenset({Permission.LIST_FAMILIES, Permission.VIEW_FAMILY,
                               Permission.EXPORT_COHORT, Permission.VIEW_REPORTS,
                               Permission.VIEW_UNMASKED}),
    Role.ADMINISTRATOR: frozenset(
        {Permission.LIST_FAMILIES, Permission.VIEW_FAMILY, Permission.MANAGE_USERS,
         Permission.VIEW_FAMILY_HISTORY, Permission.VIEW_AUDIT}
    ),
}

# Roles that may hold a blank county and then see every county. Anyone else with a blank
# county sees nothing (a worker without a county is a data-entry error, not a superuser).
STATEWIDE_ROLES: frozenset[Role] = frozenset({Role.EVALUATOR, Role.ADMINISTRATOR})

# Roles that must sign in with a second factor (linkages.services.two_factor): they see every
# county, a county's whole caseload, or manage the accounts. Workers may choose to.
# Roles a designated reviewer (app_user.reviewer, `linkages users reviewer`) may hold: a worker
# or supervisor of her county reviews pairs; no other permission comes with the flag.
REVIEWER_ROLES: frozenset[Role] = frozenset(
    {Role.CWS_WORKER, Role.CALWORKS_WORKER, Role.CWS_SUPERVISOR, Role.CALWORKS_SUPERVISOR,
     Role.PROGRAM_MANAGER})

SECOND_FACTOR_ROLES: frozenset[Role] = frozenset(
    {Role.ADMINISTRATOR, Role.EVALUATOR, Role.PROGRAM_MANAGER})


@dataclass(frozen=True, slots=True)
class Actor:
    """The user on whose behalf a service acts. ``user_id`` is None for the command line."""

    user_id: int | None
    username: str
    role: Role
    program: Program | None
    county_cd: int | None
    reviewer: bool = False  # a designated clerical reviewer (app_user.reviewer)

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            program=Program(user.program) if user.program else None,
            county_cd=user.county_cd,
            reviewer=bool(getattr(user, "reviewer", False)),
        )

    @classmethod
    def command_line(cls) -> Actor:
        """The operator at the shell. Whoever can run ``linkages`` against the database
        already holds its credentials; the audit trail still says who acted."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no login name in some containers
            who = "unknown"
        return cls(None, f"cli:{who}"[:80], Role.ADMINISTRATOR, None, None)

    @property
    def statewide(self) -> bool:
        return self.county_cd is None and self.role in STATEWIDE_ROLES

    def can(self, permission: Permission) -> bool:
        if (permission is Permission.REVIEW_PAIRS and self.reviewer
                and self.role in REVIEWER_ROLES and self.county_cd is not None):
            return True
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"role {actor.role} may not {permission.value.replace('_', ' ')}")


def family_in_scope(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause of every query of mutual families (and, by joining to the family, of
    everything that belongs to one): a county user sees families whose CalWORKs county or CWS
    county is hers; a statewide user sees all; anyone else, none."""
    arms = family_scope_arms(actor)
    return or_(*arms) if arms else false()


def family_scope_arms(actor: Actor) -> list[ColumnElement[bool]]:
    """The conditions :func:`family_in_scope` ORs together (none: nothing is in scope), no
    family in two of them. A list that pages and counts a county's families reads each arm
    on its own index and adds them up, which a database cannot do with the OR."""
    if actor.statewide:
        return [true()]
    if actor.county_cd is not None and actor.role in ROLE_PERMISSIONS:
        return [MutualFamily.county_cd == actor.county_cd,
                and_(MutualFamily.cws_county_cd == actor.county_cd,
                     MutualFamily.county_cd != actor.county_cd)]
    return []


def county_in_scope(actor: Actor, county_cd: int | None) -> bool:
    """May ``actor`` see the figures of ``county_cd`` (None: statewide)? A county user sees
    her county's; a statewide user every county's and the state's."""
    if actor.statewide:
        return True
    return (county_cd is not None and county_cd == actor.county_cd
            and actor.role in ROLE_PERMISSIONS)


def scope_description(actor: Actor) -> str:
    """The scope in words, for the people who work within it."""
    if actor.statewide:
        return "all counties"
    if actor.county_cd is not None and actor.role in ROLE_PERMISSIONS:
        return f"{county_name(actor.county_cd)} County"
    return "no county assigned"
