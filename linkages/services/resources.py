"""Shared-resource services: a request by category and fund source, with an exact amount,
units, vendor and period, optionally tied to a plan activity; approved or denied with a reason
by a supervisor of the program whose funds pay; then delivered or cancelled.

Amounts are ``Decimal`` from the form to the database (NUMERIC(12, 2)): never a float.
AOD treatment services fall under 42 CFR Part 2 like AOD activities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, false, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from linkages.models import ServiceAuthorization, User
from linkages.models.enums import AuthorizationStatus, FundSource, ServiceCategory
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.meetings import ActivityChoice, activity_choices
from linkages.services.scope import Actor, NotFound, Permission, PermissionDenied
from linkages.services.workspace import (
    Conflict,
    InvalidInput,
    Section,
    Workspace,
    as_local,
    for_change,
    gate,
    snapshot,
)
from linkages.services.workspace import open as open_workspace

MAX_AMOUNT = Decimal("100000.00")  # above this a request is a typo or not a Linkages resource
MAX_PERIOD = timedelta(days=366)
CENT = Decimal("0.01")


def part2_gate(ws: Workspace) -> ColumnElement[bool]:
    return or_(ServiceAuthorization.part2.is_(False), true() if ws.sees_part2 else false())


@dataclass(frozen=True, slots=True)
class ServiceInput:
    category: ServiceCategory
    fund_source: FundSource
    amount: Decimal
    period_start: date
    period_end: date
    units: str = ""
    vendor: str = ""
    description: str = ""
    activity_id: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceView:
    id: int
    category: ServiceCategory
    fund_source: FundSource
    amount: Decimal
    units: str | None
    vendor: str | None
    description: str | None
    status: AuthorizationStatus
    period_start: date
    period_end: date
    requested_by: str | None
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    closed_on: date | None
    close_note: str | None
    activity_id: int | None
    part2: bool
    requested_by_id: int | None


@dataclass(frozen=True)
class ServicesSection:
    ws: Workspace
    services: list[ServiceView]
    activities: list[ActivityChoice]

    def total(self, *statuses: AuthorizationStatus) -> Decimal:
        return sum((s.amount for s in self.services if s.status in statuses), Decimal(0))

    def may_decide(self, service: ServiceView) -> bool:
        return (service.status is AuthorizationStatus.REQUESTED
                and may_decide(self.ws.actor, service.fund_source)
                and service.requested_by_id != self.ws.actor.user_id)

    def activity_label(self, activity_id: int | None) -> str | None:
        return next((a.label for a in self.activities if a.id == activity_id), None)


def may_decide(actor: Actor, fund: FundSource) -> bool:
    """A supervisor decides on her own program's funds; pooled and other funds either."""
    if not actor.can(Permission.DECIDE_SERVICE):
        return False
    return fund.program is None or fund.program == actor.program


_REQUESTER = aliased(User, name="requester")
_DECIDER = aliased(User, name="decider")


def section(session: Session, actor: Actor, family_id: int, *, ip: str | None = None,
            today: date | None = None) -> ServicesSection:
    ws = open_workspace(session, actor, family_id, Section.SERVICES, ip=ip, today=today)
    requester, decider = _REQUESTER, _DECIDER
    rows = session.execute(
        select(ServiceAuthorization.id, ServiceAuthorization.category,
               ServiceAuthorization.fund_source, ServiceAuthorization.amount,
               ServiceAuthorization.units, ServiceAuthorization.vendor,
               ServiceAuthorization.description, ServiceAuthorization.status,
               ServiceAuthorization.period_start, ServiceAuthorization.period_end,
               requester.display_name, ServiceAuthorization.created_at,
               decider.display_name, ServiceAuthorization.decided_at,
               ServiceAuthorization.decision_reason, ServiceAuthorization.closed_on,
               ServiceAuthorization.close_note, ServiceAuthorization.activity_id,
               ServiceAuthorization.part2, ServiceAuthorization.requested_by_id)
        .outerjoin(requester, requester.id == ServiceAuthorization.requested_by_id)
        .outerjoin(decider, decider.id == ServiceAuthorization.decided_by_id)
        .where(ServiceAuthorization.family_id == family_id, part2_gate(ws))
        .order_by(ServiceAuthorization.created_at.desc(), ServiceAuthorization.id.desc())
    ).all()
    services = [ServiceView(
        r[0], ServiceCategory(r[1]), FundSource(r[2]), Decimal(r[3]).quantize(CENT), *r[4:7],
        AuthorizationStatus(r[7]), r[8], r[9], r[10], as_local(r[11]), r[12],
        as_local(r[13]) if r[13] else None, *r[14:]) for r in rows]
    return ServicesSection(ws, services, activity_choices(session, ws))


def _amount(value: Decimal | None) -> Decimal:
    if value is None:
        raise InvalidInput("amount", "Enter the amount")
    try:
        if value != value.quantize(CENT):
            raise InvalidInput("amount", "Enter the amount in dollars and cents (at most two "
                               "decimal places)")
    except InvalidOperation:
        raise InvalidInput("amount", "Enter an amount such as 125.50") from None
    if value <= 0:
        raise InvalidInput("amount", "The amount must be more than zero")
    if value > MAX_AMOUNT:
        raise InvalidInput("amount", f"The amount must be at most {MAX_AMOUNT:,}")
    return value.quantize(CENT)


def request(session: Session, actor: Actor, family_id: int, data: ServiceInput, *,
            ip: str | None = None, today: date | None = None) -> ServiceAuthorization:
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    amount = _amount(data.amount)
    if data.period_end < data.period_start:
        raise InvalidInput("period_end", "The period must end on or after it starts")
    if data.period_end - data.period_start > MAX_PERIOD:
        raise InvalidInput("period_end", "A request covers at most a year")
    if data.period_end < ws.today - timedelta(days=90):
        raise InvalidInput("period_end", "The period ended more than 90 days ago")
    part2 = data.category is ServiceCategory.AOD_TREATMENT
    if part2 and not ws.sees_part2:
        raise InvalidInput("category", "AOD treatment is requested only by team members a "
                           "42 CFR Part 2 consent names: record that consent first")
    for name, value, limit in (("units", data.units, 60), ("vendor", data.vendor, 200)):
        if len(value.strip()) > limit:
            raise InvalidInput(name, f"Enter at most {limit} characters")
    if data.activity_id is not None and data.activity_id not in {
            a.id for a in activity_choices(session, ws)}:
        raise InvalidInput("activity_id", "Choose an activity of the family's plan")
    values = {"category": data.category, "fund_source": data.fund_source, "amount": amount,
              "units": data.units.strip() or None, "vendor": data.vendor.strip() or None,
              "description": data.description.strip() or None,
              "period_start": data.period_start, "period_end": data.period_end,
              "activity_id": data.activity_id, "part2": part2}
    service = ServiceAuthorization(family_id=family_id, status=AuthorizationStatus.REQUESTED,
                                   requested_by_id=actor.user_id, **values)
    session.add(service)
    session.flush()
    audit.record(session, actor, AuditAction.SERVICE_REQUEST, "service_authorization",
                 service.id, {"after": snapshot(values), **gate(part2=part2)}, ip,
                 family_id=family_id)
    return service


def _service(session: Session, ws: Workspace, service_id: int) -> ServiceAuthorization:
    service = session.scalar(select(ServiceAuthorization).where(
        ServiceAuthorization.id == service_id, ServiceAuthorization.family_id == ws.header.id,
        part2_gate(ws)))
    if service is None:
        raise NotFound(f"service {service_id}")
    return service


def _guarded(session: Session, service: ServiceAuthorization,
             before: tuple[AuthorizationStatus, ...], **values: object) -> None:
    hit = session.execute(
        update(ServiceAuthorization)
        .where(ServiceAuthorization.id == service.id, ServiceAuthorization.status.in_(before))
        .values(row_version=ServiceAuthorization.row_version + 1, **values)
        .execution_options(synchronize_session=False)).rowcount
    if hit != 1:
        session.refresh(service)
        raise Conflict(f"This request is {AuthorizationStatus(service.status).label.lower()} "
                       "now: someone else acted on it.")
    session.expire(service)


def decide(session: Session, actor: Actor, family_id: int, service_id: int, approve: bool, *,
           reason: str = "", ip: str | None = None, today: date | None = None) -> None:
    ws = for_change(session, actor, family_id, Permission.DECIDE_SERVICE, ip=ip, today=today)
    service = _service(session, ws, service_id)
    fund = FundSource(service.fund_source)
    if not may_decide(actor, fund):
        raise PermissionDenied(f"{fund.label} spending is decided by its program's supervisor")
    if service.requested_by_id == actor.user_id:
        raise PermissionDenied("whoever requested a service cannot decide on it")
    reason = reason.strip()
    if not approve and not reason:
        raise InvalidInput("reason", "Say why the request is denied")
    status = AuthorizationStatus.APPROVED if approve else AuthorizationStatus.DENIED
    part2 = bool(service.part2)
    _guarded(session, service, (AuthorizationStatus.REQUESTED,), status=status,
             decided_by_id=actor.user_id, decided_at=datetime.now(UTC),
             decision_reason=reason or None)
    audit.record(session, actor,
                 AuditAction.SERVICE_APPROVE if approve else AuditAction.SERVICE_DENY,
                 "service_authorization", service_id,
                 {"before": {"status": "requested"},
                  "after": {"status": status.value, "reason": reason or None,
                            "amount": str(service.amount)}, **gate(part2=part2)},
                 ip, family_id=family_id)


def close(session: Session, actor: Actor, family_id: int, service_id: int, delivered: bool, *,
          closed_on: date | None = None, note: str = "", ip: str | None = None,
          today: date | None = None) -> None:
    """Delivered (an approved service) or cancelled (approved, or a request withdrawn)."""
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    service = _service(session, ws, service_id)
    fund = FundSource(service.fund_source)
    if (fund.program is not None and actor.program != fund.program
            and service.requested_by_id != actor.user_id):
        raise PermissionDenied(f"{fund.label} services are closed by {fund.program.label} "
                               "staff or whoever requested them")
    on = closed_on or ws.today
    if on > ws.today:
        raise InvalidInput("closed_on", "The date cannot be in the future")
    decided = service.decided_at
    if decided is not None and on < decided.date() - timedelta(days=1):
        raise InvalidInput("closed_on", "The date cannot be before the decision")
    if not delivered and not note.strip():
        raise InvalidInput("note", "Say why the service is cancelled")
    before = ((AuthorizationStatus.APPROVED,) if delivered
              else (AuthorizationStatus.APPROVED, AuthorizationStatus.REQUESTED))
    status = AuthorizationStatus.DELIVERED if delivered else AuthorizationStatus.CANCELLED
    old = AuthorizationStatus(service.status)
    part2 = bool(service.part2)
    _guarded(session, service, before, status=status, closed_by_id=actor.user_id,
             closed_on=on, close_note=note.strip() or None)
    audit.record(session, actor,
                 AuditAction.SERVICE_DELIVER if delivered else AuditAction.SERVICE_CANCEL,
                 "service_authorization", service_id,
                 {"before": {"status": old.value},
                  "after": snapshot({"status": status, "closed_on": on,
                                     "note": note.strip() or None}), **gate(part2=part2)},
                 ip, family_id=family_id)
